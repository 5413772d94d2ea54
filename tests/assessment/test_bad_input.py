"""Bad input: clear errors, or documented and tested handling."""

from __future__ import annotations

import polars as pl
import pytest

from greenfin.assessment import (
    aggregate_loans,
    bank_quarter_panel,
    classify_loans,
    load_rulebook,
    score_banks,
    validate_bank_quarters,
    validate_loans,
)
from greenfin.datasets import load_sample
from greenfin.errors import DataError, SpecError

RB = load_rulebook("pboc-2021")


@pytest.fixture(scope="module")
def raw() -> pl.DataFrame:
    return load_sample("assessment_loans").filter(pl.col("bank_code").is_in(["B01", "B02", "B03"]))


def test_negative_balance(raw: pl.DataFrame) -> None:
    bad = raw.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(-1.0).otherwise(pl.col("balance_cny")).alias("balance_cny")
    )
    with pytest.raises(DataError, match=r"loans.csv, column balance_cny, row 5: must be >= 0.0"):
        validate_loans(bad, source="loans.csv")


def test_rate_in_percent_is_rejected(raw: pl.DataFrame) -> None:
    with pytest.raises(DataError, match=r"interest_rate.*fraction"):
        validate_loans(raw.with_columns(pl.col("interest_rate") * 100), source="loans.csv")


def test_duplicate_loan_id_in_one_quarter(raw: pl.DataFrame) -> None:
    dup = pl.concat([raw, raw.head(1)])
    with pytest.raises(DataError, match="appears twice in quarter"):
        validate_loans(dup)


def test_same_loan_id_under_two_banks(raw: pl.DataFrame) -> None:
    first = raw.head(1)
    other = first.with_columns(
        pl.lit("B99").alias("bank_code"), pl.lit("2022-12-31").str.to_date().alias("report_date")
    )
    with pytest.raises(DataError, match="more than one bank"):
        validate_loans(pl.concat([raw, other]))


def test_same_loan_id_across_quarters_is_expected(raw: pl.DataFrame) -> None:
    out = validate_loans(raw)
    assert out.group_by("loan_id").len()["len"].max() > 1  # the panel: a loan reappears each quarter


def test_code_of_another_catalogue(raw: pl.DataFrame) -> None:
    row = raw.with_row_index().filter(pl.col("green_flag") & (pl.col("taxonomy_version") != "2013CBRC"))["index"][0]
    bad = raw.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit("2013CBRC"))
        .otherwise(pl.col("taxonomy_version"))
        .alias("taxonomy_version")
    )
    with pytest.raises(DataError, match=f"row {row + 1}: category code .* does not belong to catalogue '2013CBRC'"):
        validate_loans(bad)


def test_green_loan_without_code(raw: pl.DataFrame) -> None:
    row = raw.with_row_index().filter(pl.col("green_flag"))["index"][0]
    bad = raw.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(None).otherwise(pl.col("taxonomy_code")).alias("taxonomy_code")
    )
    with pytest.raises(DataError, match="has no taxonomy_version/taxonomy_code"):
        validate_loans(bad)


def _panel(loans: pl.DataFrame, no_bonds: str = "") -> pl.DataFrame:
    classified = classify_loans(validate_loans(loans))
    assert isinstance(classified, pl.DataFrame)
    banks = validate_bank_quarters(load_sample("assessment_banks")).filter(
        pl.col("bank_code").is_in(loans["bank_code"].unique().to_list())
    )
    bonds = pl.when(pl.col("bank_code") == no_bonds).then(0.0).otherwise(pl.col("green_bonds_held_cny"))
    banks = banks.with_columns(bonds.alias("green_bonds_held_cny"))
    return bank_quarter_panel(aggregate_loans(classified), banks)


def test_missing_quarters_for_a_bank(raw: pl.DataFrame) -> None:
    """B02 misses 2024Q4 and 2025Q1: its history averages what is there, and the result says so."""
    gap = raw.filter(
        ~(
            (pl.col("bank_code") == "B02")
            & pl.col("report_date").dt.year().eq(2025)
            & pl.col("report_date").dt.month().eq(3)
        )
    )
    gap = gap.filter(
        ~(
            (pl.col("bank_code") == "B02")
            & pl.col("report_date").dt.year().eq(2024)
            & pl.col("report_date").dt.month().eq(12)
        )
    )
    r = score_banks(_panel(gap), RB, "2025Q2")
    row = r.breakdown.filter((pl.col("bank_code") == "B02") & (pl.col("indicator") == "green_share")).row(0, named=True)
    assert row["history_quarters"] == 1
    assert "missing_history" in row["guard"]
    assert r.warnings.filter(pl.col("bank_code") == "B02").height >= 1
    # a bank absent from the scored quarter is listed, not scored
    absent = gap.filter(
        ~(
            (pl.col("bank_code") == "B03")
            & pl.col("report_date").dt.year().eq(2025)
            & pl.col("report_date").dt.month().eq(6)
        )
    )
    r2 = score_banks(_panel(absent), RB, "2025Q2")
    assert "B03" not in r2.scores["bank_code"].to_list()
    assert r2.warnings.filter((pl.col("bank_code") == "B03") & pl.col("issue").str.contains("not scored")).height == 1


def test_bank_with_zero_green_loans(raw: pl.DataFrame) -> None:
    """Ratios on G are undefined (no division by zero): risk share and growth get zero points; a warning says why.

    (A bank with green bonds but no green loans has G > 0 under the 2021 scope, so its ratios are defined.)
    """
    none_green = raw.with_columns(
        pl.when(pl.col("bank_code") == "B03").then(False).otherwise(pl.col("green_flag")).alias("green_flag"),
    ).with_columns(
        pl.when(pl.col("green_flag")).then(pl.col("taxonomy_version")).alias("taxonomy_version"),
        pl.when(pl.col("green_flag")).then(pl.col("taxonomy_code")).alias("taxonomy_code"),
    )
    r = score_banks(_panel(none_green, no_bonds="B03"), RB, "2025Q2")
    b3 = r.breakdown.filter(pl.col("bank_code") == "B03")
    risk = b3.filter(pl.col("indicator") == "risk_share").row(0, named=True)
    assert risk["value"] is None
    assert risk["points"] == 0.0
    assert b3.filter(pl.col("indicator") == "yoy_growth")["points"].item() == 0.0
    assert r.scores["total_score"].is_finite().all()
    assert r.warnings.filter(pl.col("issue").str.contains("zero green loans")).height == 1


def test_quarter_not_in_data(raw: pl.DataFrame) -> None:
    with pytest.raises(SpecError, match="Quarter 2026Q1 is not in the loan data"):
        score_banks(_panel(raw), RB, "2026Q1")
    with pytest.raises(DataError, match="YYYYQn"):
        score_banks(_panel(raw), RB, "2025-06")


def test_total_business_denominator_needs_the_bank_file(raw: pl.DataFrame) -> None:
    classified = classify_loans(validate_loans(raw))
    assert isinstance(classified, pl.DataFrame)
    panel = bank_quarter_panel(aggregate_loans(classified))
    with pytest.raises(SpecError, match="--banks FILE"):
        score_banks(panel, RB, "2025Q2")
    from greenfin import evolve

    r = score_banks(panel, evolve(RB, denominator="total_loans"), "2025Q2")
    assert r.scores["total_score"].is_null().all()  # no qualitative points without the bank file
    assert r.scores["rank_basis"].unique().to_list() == ["quantitative"]


def test_bank_file_duplicates_and_bad_quarter() -> None:
    banks = load_sample("assessment_banks")
    with pytest.raises(DataError, match="given twice"):
        validate_bank_quarters(pl.concat([banks, banks.head(1)]))
    with pytest.raises(DataError, match="row 1: quarter '2025-Q2'"):
        validate_bank_quarters(
            banks.with_columns(
                pl.when(pl.int_range(pl.len()) == 0)
                .then(pl.lit("2025-Q2"))
                .otherwise(pl.col("quarter"))
                .alias("quarter")
            )
        )


def test_reference_columns_checked_when_present_not_added_when_absent(raw: pl.DataFrame) -> None:
    out = validate_loans(raw)
    assert "haircut" not in out.columns
    with pytest.raises(DataError, match=r"column haircut, row 1: must be <= 1\.0"):
        validate_loans(raw.with_columns(pl.lit(1.5).alias("haircut")), source="loans.csv")
    ok = validate_loans(raw.with_columns(pl.lit("2025-06-30").alias("valuation_date")))
    assert ok["valuation_date"].dtype == pl.Date
