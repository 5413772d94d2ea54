"""The demo stage: one section with rankings, trends, breakdown, benefits, emissions and a GEP-linked transfer."""

from __future__ import annotations

import pytest

from greenfin.report.demo import DemoContext
from greenfin.report.stages import assessment as stage


def test_stage_runs_without_gep_results() -> None:
    ctx = DemoContext()
    section = stage.run(ctx)
    assert stage.ORDER == 70
    assert stage.KEY == "assessment"
    names = {t.name for t in section.tables}
    assert {
        "assessment_ranking",
        "assessment_breakdown",
        "assessment_trend",
        "benefits_by_bank",
        "emissions_by_sector",
        "gep_transfers",
    } <= names
    assert {f.name for f in section.figures} >= {"ranking", "trends", "breakdown", "benefits", "emissions"}
    assert all(f.png.startswith(b"\x89PNG") for f in section.figures)
    assert section.params is not None
    assert "unverified" in section.params["confidence"].to_list()
    for table in section.tables:
        for col in table.frame.columns[:3]:
            assert col in table.labels or table.name in {"assessment_formulas", "benefits_double_counting"}, (
                table.name,
                col,
            )
    res = ctx.results["assessment"]
    assert res["quarter"] == "2025Q2"
    assert len(res["ranking"]) == 20
    assert "sample table" in " ".join(section.notes)


def test_stage_uses_the_gep_stage_total() -> None:
    plain = DemoContext()
    stage.run(plain)
    linked = DemoContext(results={"gep": {"total_cny": 400e8}})
    section = stage.run(linked)
    assert linked.results["assessment"]["gep_transfer_cny"] != plain.results["assessment"]["gep_transfer_cny"]
    assert any("GEP stage" in n for n in section.notes)
    prev, last = _sample_years()
    scaled_prev = prev * 400e8 / last
    assert linked.results["assessment"]["gep_transfer_cny"] == pytest.approx(
        0.001 * 400e8 + 0.02 * max(400e8 - scaled_prev, 0.0) - 0.02 * max(scaled_prev - 400e8, 0.0), rel=1e-9
    )


def _sample_years() -> tuple[float, float]:
    import polars as pl

    from greenfin.datasets import load_sample

    g = load_sample("assessment_gep_accounts").filter(pl.col("county_id").cast(pl.String) == "369901").sort("year")
    return float(g["gep_cny"][-2]), float(g["gep_cny"][-1])
