"""The scoring demo stage, with and without the GEP stage's results."""

from __future__ import annotations

import numpy as np
import polars as pl

from greenfin.datasets._county import VILLAGES
from greenfin.report.demo import DemoContext
from greenfin.report.stages import scoring as stage


def _check(ctx: DemoContext) -> None:
    res = ctx.results["scoring"]
    scores = res["scores"]
    assert scores.columns[:4] == ["borrower_id", "pd", "points", "grade"]
    for k in (1, 2, 3):
        assert f"reason_{k}_en" in scores.columns
        assert f"reason_{k}_zh" in scores.columns
    assert scores.height == 4000
    assert scores["pd"].is_between(0, 1).all()
    assert res["summary"]["validation_auc"] > 0.62
    assert res["summary"]["features"] == list(res["model"].selected_)


def test_stage_without_gep():
    ctx = DemoContext()
    section = stage.run(ctx)
    _check(ctx)
    summary = ctx.results["scoring"]["summary"]
    assert "GEP stage absent" in summary["eco_source"]
    # eco-points enter the card only with evidence that they predict (they do in the synthetic truth)
    assert summary["eco_points_in_card"]
    assert summary["eco_points_auc_ci95"][0] > 0.5
    assert any("Eco-points as a predictor" in n for n in section.notes)
    assert section.key == "scoring"
    assert section.title_zh == "生态信贷评分"
    assert section.figures[0].png[:4] == b"\x89PNG"
    assert {t.name for t in section.tables} >= {"scoring_scores", "scoring_fairness", "scoring_group_lift"}
    assert section.params is not None
    assert section.params.height >= 5


def test_stage_derives_eco_features_from_gep_parcels():
    rng = np.random.default_rng(0)
    n = 2400
    parcels = pl.DataFrame(
        {
            "parcel_id": [f"P{i}" for i in range(n)],
            "village_id": [VILLAGES[i % len(VILLAGES)] for i in range(n)],
            "area_ha": rng.uniform(0.5, 3.0, n),
            "gep_cny": rng.uniform(20_000, 200_000, n),
            "realisable_cny": rng.uniform(5_000, 20_000, n),
        }
    )
    ctx = DemoContext(results={"gep": {"parcels": parcels}})
    stage.run(ctx)
    _check(ctx)
    assert "GEP stage" in ctx.results["scoring"]["summary"]["eco_source"]
    assert "parcel_realisable_share" in ctx.results["scoring"]["model"].binner_.features_
