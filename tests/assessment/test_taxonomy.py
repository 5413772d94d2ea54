"""Catalogues, crosswalk round trips, grandfathering by approval date, eco-product flag, growth consistency."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from greenfin.assessment import (
    TAXONOMY_VERSIONS,
    aggregate_loans,
    classify_loans,
    crosswalk_code,
    eco_product_right_types,
    load_taxonomy,
)
from greenfin.errors import DataError, SpecError

TAX = load_taxonomy()


def test_catalogues_have_the_documented_first_levels() -> None:
    sizes = {v.id: len([c for c in v.categories if c.code.count(".") == 1]) for v in TAX.versions}
    assert sizes == {"2013CBRC": 12, "2019": 6, "2024": 7, "2025": 9}
    assert TAX.catalogue("2025").effective_from == dt.date(2025, 10, 1)


@pytest.mark.parametrize("code", sorted(load_taxonomy().codes()))
def test_crosswalk_round_trip(code: str) -> None:
    version = TAX.codes()[code]
    for target in TAXONOMY_VERSIONS[TAXONOMY_VERSIONS.index(version) :]:
        forward, kind = crosswalk_code(code, target)
        if forward is None:
            assert kind == "none"
            continue
        back, back_kind = crosswalk_code(forward, version)
        assert back is not None
        if kind == "1:1" and back_kind == "1:1":
            assert back == code  # a pure 1:1 chain comes back exactly
        # always: going forward again from the way back lands on the same code (the mapping is idempotent)
        assert crosswalk_code(back, target)[0] == forward


def test_crosswalk_unknown_code() -> None:
    with pytest.raises(SpecError, match="Unknown category code"):
        crosswalk_code("2030.1", "2025")


def _loans(codes: list[str], approvals: list[dt.date], collateral: list[str | None] | None = None) -> pl.DataFrame:
    n = len(codes)
    return pl.DataFrame(
        {
            "bank_code": ["B1"] * n,
            "quarter": ["2025Q4"] * n,
            "balance_cny": [100.0] * n,
            "five_class": ["normal"] * n,
            "green_flag": [True] * n,
            "taxonomy_code": codes,
            "approval_date": approvals,
            "collateral_type": collateral or [None] * n,
        }
    )


def test_grandfathering_is_keyed_on_approval_date() -> None:
    before, after = dt.date(2025, 9, 30), dt.date(2025, 10, 1)
    out = classify_loans(_loans(["2024.4.C", "2024.4.C", "2013CBRC.12"], [before, after, dt.date(2016, 1, 1)]))
    assert isinstance(out, pl.DataFrame)
    assert out["grandfathered"].to_list() == [True, False, True]
    assert out["green_harmonised"].to_list() == [True, False, True]
    assert out["category_code"].to_list() == [None, None, None]
    assert out["version_at_approval"].to_list() == ["2024", "2025", "2013CBRC"]
    assert out["stale_label"].to_list() == [False, True, False]


def test_eco_product_loans_are_flagged() -> None:
    rights = eco_product_right_types()
    assert {"forest_right", "carbon_sink_income", "discharge_right", "water_right", "eco_income_right"} <= set(rights)
    out = classify_loans(_loans(["2024.5"] * 3, [dt.date(2025, 1, 1)] * 3, ["forest_right", "real_estate", None]))
    assert isinstance(out, pl.DataFrame)
    assert out["eco_product_flag"].to_list() == [True, False, False]


def test_relabelling_keeps_growth_series_consistent() -> None:
    """A bank moving its labels from the 2019 to the 2024 catalogue does not change harmonised balances."""
    approvals = [dt.date(2023, 5, 1)] * 4
    old = _loans(["2019.3", "2019.4", "2019.5", "2019.6"], approvals).with_columns(pl.lit("2024Q1").alias("quarter"))
    new = _loans(["2024.4", "2024.5", "2024.6", "2024.7"], approvals).with_columns(pl.lit("2024Q2").alias("quarter"))
    both = classify_loans(pl.concat([old, new]))
    assert isinstance(both, pl.DataFrame)
    agg = aggregate_loans(both).sort("quarter")
    assert agg["green_loans_cny"].to_list() == [400.0, 400.0]
    cats = both.group_by("quarter").agg(pl.col("category_code").sort()).sort("quarter")["category_code"].to_list()
    assert cats[0] == cats[1] == ["2025.4", "2025.5", "2025.6", "2025.7"]


def test_unknown_category_code_is_a_clear_error() -> None:
    with pytest.raises(DataError, match=r"row 2: green loan has unknown category code '2024\.99'"):
        classify_loans(_loans(["2024.5", "2024.99"], [dt.date(2024, 5, 1)] * 2), source="loans.csv")


def test_classify_lazy_frame_matches_eager() -> None:
    loans = _loans(["2013CBRC.07", "2019.3.C"], [dt.date(2015, 1, 1), dt.date(2020, 1, 1)])
    eager = classify_loans(loans)
    lazy = classify_loans(loans.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(eager)  # type: ignore[arg-type]
