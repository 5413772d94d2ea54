import json

import polars as pl
import pytest

from greenfin.datasets import describe_sample, load_sample, sample_path
from greenfin.datasets._gen_lending import generate


def test_regenerating_equals_the_shipped_samples() -> None:
    fresh = generate()
    shipped = load_sample("county_applications")
    regen = pl.read_csv(fresh["county_applications"].write_csv().encode(), infer_schema_length=None)
    assert shipped.equals(regen)
    for name in ("fund_spec", "fund_designs"):
        assert json.loads(sample_path(name).read_text(encoding="utf-8")) == json.loads(json.dumps(fresh[name]))


@pytest.mark.parametrize("name", ["county_applications", "fund_spec", "fund_designs"])
def test_samples_are_documented(name: str) -> None:
    assert "no description" not in describe_sample(name)


def test_applications_match_the_scoring_borrowers() -> None:
    apps = load_sample("county_applications")
    borrowers = load_sample("county_borrowers")
    assert apps["borrower_id"].to_list() == borrowers["borrower_id"].to_list()
    assert apps["village_id"].to_list() == borrowers["village_id"].to_list()


def test_stage_runs_without_earlier_stages() -> None:
    from greenfin.report.demo import DemoContext
    from greenfin.report.stages import lending

    ctx = DemoContext()
    section = lending.run(ctx)
    res = ctx.results["lending"]
    approved = res["approved"]
    for col in (
        "loan_id",
        "borrower_id",
        "principal_cny",
        "rate",
        "tenor_months",
        "pd",
        "lgd",
        "product_id",
        "county_id",
    ):
        assert col in approved.columns
    assert res["decisions"].height == 4000
    assert section.key == "lending"
    assert section.params is not None
    assert section.figures
    assert any("unverified" in n for n in section.notes)


def test_stage_uses_scores_and_valuations_when_present() -> None:
    from greenfin.report.demo import DemoContext
    from greenfin.report.stages import lending

    borrowers = load_sample("county_borrowers").select("borrower_id")
    scores = borrowers.with_columns(
        pl.lit(0.5).alias("pd"),
        pl.lit(400.0).alias("points"),
        pl.lit("E").alias("grade"),
        pl.lit("bad history").alias("reason_1"),
    )
    ctx = DemoContext(results={"scoring": {"scores": scores}})
    lending.run(ctx)
    d = ctx.results["lending"]["decisions"]
    assert (d["outcome"] != "approve").all()
    assert d["score_reasons"][0] == "bad history"
