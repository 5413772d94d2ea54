"""CBRC benefit attribution and PCAF financed emissions, hand-computed."""

from __future__ import annotations

import polars as pl
import pytest

from greenfin.assessment import attribute_benefits, financed_emissions, load_benefit_factors, validate_projects
from greenfin.errors import DataError


def _project(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "project_id": "P1",
        "total_investment_cny": 200e6,
        "coal_saved_tce_per_year": 10_000.0,
        "co2_reduced_tco2e_per_year": 25_000.0,
        "cod_reduced_t_per_year": 400.0,
        "nh3n_reduced_t_per_year": 40.0,
        "so2_reduced_t_per_year": 20.0,
        "nox_reduced_t_per_year": 10.0,
        "water_saved_t_per_year": 1e6,
        "power_exported_kwh_per_year": None,
        "benefit_method": "efficiency",
        "factor_vintage": 2023,
        "verifier": None,
        "benefit_dq_score": 2,
    }
    base.update(over)
    return base


def _loans(rows: list[tuple[str, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "bank_code": [r[0] for r in rows],
            "quarter": ["2025Q2"] * len(rows),
            "loan_id": [r[1] for r in rows],
            "project_id": [r[2] for r in rows],
            "balance_cny": [r[3] for r in rows],
            "green_harmonised": [True] * len(rows),
            "category_code": ["2025.1"] * len(rows),
        }
    )


def test_cbrc_attribution_seven_indicators_by_hand() -> None:
    projects = validate_projects(pl.DataFrame([_project()]))
    r = attribute_benefits(_loans([("B1", "L1", "P1", 50e6), ("B2", "L2", "P1", 30e6)]), projects)
    b1 = r.loans.filter(pl.col("loan_id") == "L1").row(0, named=True)
    assert b1["attribution_share"] == pytest.approx(0.25)
    expected = {"coal_saved_tce": 2500, "co2_reduced_tco2e": 6250, "cod_reduced_t": 100, "nh3n_reduced_t": 10,
                "so2_reduced_t": 5, "nox_reduced_t": 2.5, "water_saved_t": 250_000}  # fmt: skip
    for col, value in expected.items():
        assert b1[col] == pytest.approx(value)
    totals = r.by_sector.row(0, named=True)
    assert totals["co2_reduced_tco2e"] == pytest.approx(25_000 * 0.4)
    assert totals["benefit_dq_score_weighted"] == pytest.approx(2.0)
    assert r.double_counting.height == 0


def test_renewable_uses_the_vintage_coal_rate() -> None:
    factors = load_benefit_factors()
    projects = validate_projects(
        pl.DataFrame(
            [
                _project(
                    coal_saved_tce_per_year=None,
                    co2_reduced_tco2e_per_year=None,
                    power_exported_kwh_per_year=1e8,
                    factor_vintage=2015,
                )
            ]
        )
    )
    r = attribute_benefits(_loans([("B1", "L1", "P1", 200e6)]), projects)
    rate = factors.value("supply_coal_rate_2015")
    row = r.loans.row(0, named=True)
    assert row["coal_saved_tce"] == pytest.approx(1e8 * rate / 1e6)
    assert row["co2_reduced_tco2e"] == pytest.approx(1e8 * rate / 1e6 * factors.value("co2_per_tce"))
    assert row["coal_from_factor"] is True
    assert "supply_coal_rate_2015" in r.factors_used["parameter"].to_list()


def test_double_counting_across_banks_is_listed() -> None:
    projects = validate_projects(pl.DataFrame([_project(total_investment_cny=100e6)]))
    r = attribute_benefits(_loans([("B1", "L1", "P1", 70e6), ("B2", "L2", "P1", 60e6)]), projects)
    row = r.double_counting.row(0, named=True)
    assert row["share_all_banks"] == pytest.approx(1.3)
    assert row["n_banks"] == 2


def test_unknown_project_and_vintage_errors() -> None:
    projects = validate_projects(pl.DataFrame([_project()]))
    with pytest.raises(DataError, match="names project 'P9'"):
        attribute_benefits(_loans([("B1", "L1", "P9", 1e6)]), projects)
    with pytest.raises(DataError, match="factor_vintage 1999"):
        attribute_benefits(
            _loans([("B1", "L1", "P1", 1e6)]),
            validate_projects(pl.DataFrame([_project(factor_vintage=2001)])).with_columns(
                pl.lit(1999).alias("factor_vintage")
            ),
        )
    with pytest.raises(DataError, match="benefit_dq_score"):
        validate_projects(pl.DataFrame([_project(benefit_dq_score=6)]))


def test_pcaf_by_hand_with_cap_and_sector_fallback() -> None:
    loans = pl.DataFrame(
        {
            "bank_code": ["B1", "B1", "B2"],
            "quarter": ["2025Q2"] * 3,
            "loan_id": ["L1", "L2", "L3"],
            "balance_cny": [4e6, 1e6, 30e6],
            "industry_gb4754": ["D4411", "A0111", "C3039"],
            "evic_or_equity_plus_debt_cny": [20e6, None, 10e6],
            "borrower_scope1_tco2e": [8000.0, None, 100.0],
            "borrower_scope2_tco2e": [2000.0, None, 0.0],
            "pcaf_dq_score": [1, None, 3],
        }
    )
    r = financed_emissions(loans)
    rows = {x["loan_id"]: x for x in r.loans.to_dicts()}
    assert rows["L1"]["attribution_factor"] == pytest.approx(0.2)
    assert rows["L1"]["financed_tco2e"] == pytest.approx(2000.0)
    intensity_a = 0.0002
    assert rows["L2"]["financed_tco2e"] == pytest.approx(1e6 * intensity_a)
    assert rows["L2"]["pcaf_dq_score"] == 5
    assert rows["L3"]["attribution_factor"] == 1.0
    assert rows["L3"]["af_capped"] is True
    b1 = r.by_bank.filter(pl.col("bank_code") == "B1").row(0, named=True)
    assert b1["financed_tco2e"] == pytest.approx(2000.0 + 200.0)
    assert b1["pcaf_dq_score_weighted"] == pytest.approx((1 * 4e6 + 5 * 1e6) / 5e6)
    with pytest.raises(DataError, match="pcaf_dq_score"):
        financed_emissions(loans.with_columns(pl.lit(None, dtype=pl.Int64).alias("pcaf_dq_score")))


def test_sample_benefits_and_emissions_totals(sample_loans: pl.DataFrame) -> None:
    from greenfin.datasets import load_sample

    r = attribute_benefits(sample_loans, validate_projects(load_sample("assessment_projects")))
    assert r.by_bank["co2_reduced_tco2e"].sum() == pytest.approx(r.loans["co2_reduced_tco2e"].sum())
    assert r.by_sector["co2_reduced_tco2e"].sum() == pytest.approx(r.by_bank["co2_reduced_tco2e"].sum())
    e = financed_emissions(sample_loans)
    assert e.by_bank["financed_tco2e"].sum() == pytest.approx(e.by_sector["financed_tco2e"].sum())
    assert e.loans["pcaf_dq_score"].is_between(1, 5).all()


def test_emissions_totals_without_loan_table_match(sample_loans: pl.DataFrame) -> None:
    full = financed_emissions(sample_loans)
    lean = financed_emissions(sample_loans.lazy(), keep_loans=False)
    assert lean.loans.height == 0
    from polars.testing import assert_frame_equal

    assert_frame_equal(lean.by_bank, full.by_bank, rel_tol=1e-12)  # summation order may differ by an ulp
    assert_frame_equal(lean.by_sector, full.by_sector, rel_tol=1e-12)
