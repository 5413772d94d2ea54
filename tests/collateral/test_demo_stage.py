"""The collateral demo stage fills ctx.results for the lending and insurance stages."""

from __future__ import annotations

import polars as pl

import greenfin.report.stages.collateral as stage
from greenfin.report.demo import DemoContext


def test_stage_results_and_section() -> None:
    ctx = DemoContext()
    section = stage.run(ctx)
    res = ctx.results["collateral"]
    vals = res["valuations"]
    assert isinstance(vals, pl.DataFrame)
    needed = {
        "right_id",
        "borrower_id",
        "right_type",
        "value_cny",
        "haircut",
        "max_loan_cny",
        "binding_bound",
        "remaining_term_years",
        "parcel_id",
    }
    assert needed <= set(vals.columns)
    assert (vals["remaining_term_years"] >= 0).all()
    assert res["forest_parcels_pledged"]
    pledged_forest = vals.filter(pl.col("pledged") & (pl.col("right_type") == "forest_right"))
    assert set(res["forest_parcels_pledged"]) == set(pledged_forest["parcel_id"].to_list())
    assert res["pledges"]["status"].eq("active").all()
    assert res["pledges"]["right_id"].n_unique() == res["pledges"].height
    assert section.key == "collateral"
    assert section.params is not None
    assert section.figures
    assert {t.name for t in section.tables} >= {"collateral_valuations", "collateral_stress"}
