"""The ``greenfin insure`` commands, the demo stage and the golden insurance samples."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.datasets import load_sample, sample_path

runner = CliRunner()


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.reference
def test_aggregate_discrete_panjer_matches_exact_values() -> None:
    out = _json(
        [
            "insure",
            "aggregate",
            "--freq",
            "poisson:lam=3",
            "--sev",
            "discrete:1=0.25,2=0.375,3=0.375",
            "--method",
            "panjer",
            "--retention",
            "5",
            "--retention",
            "10",
            "--pmf",
            "4",
            "--json",
        ]
    )
    import math

    e = math.exp(-3)
    # P(S=0) = e^-3; P(S=1) = 3 e^-3 0.25; P(S=2) = e^-3 (3 x 0.375 + 9/2 x 0.25^2)
    assert out["pmf"][:3] == pytest.approx([e, 0.75 * e, e * (1.125 + 4.5 * 0.0625)], rel=1e-12)
    assert out["mean"] == pytest.approx(6.375)
    assert out["variance"] == pytest.approx(3 * (0.25 + 4 * 0.375 + 9 * 0.375))
    assert set(out["stop_loss"]) == {"5", "10"}
    assert {"var_99", "tvar_99", "var_995", "tvar_995", "p_zero", "bracket"} <= set(out)


@pytest.mark.parametrize("method", ["fft", "panjer", "mc"])
def test_aggregate_each_method_reports_its_error(method: str) -> None:
    args = [
        "insure",
        "aggregate",
        "--freq",
        "negbin:r=2,p=0.4",
        "--sev",
        "lognormal:mu=0,sigma=1",
        "--method",
        method,
        "--nodes",
        "2048",
        "--retention",
        "5,10",
        "--paths",
        "20000",
        "--json",
    ]
    out = _json(args)
    if method == "mc":
        assert out["seed"] == 20260630
        assert out["standard_error"]["var_995"] > 0
    else:
        lo, hi = out["bracket"]["var_995"]
        assert lo <= out["var_995"] <= hi


def test_premium_command() -> None:
    out = _json(
        [
            "insure",
            "premium",
            "--freq",
            "binomial:m=10,q=0.1",
            "--sev",
            "exponential:mean=1",
            "--principle",
            "expected_value:theta=0.25",
            "--expense-ratio",
            "0.15",
            "--profit-margin",
            "0.05",
            "--json",
        ]
    )
    assert out["risk_premium"] == pytest.approx(1.25 * out["mean"])
    assert out["gross_premium"] == pytest.approx(out["risk_premium"] / 0.8)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--freq", "negbin:r=2,p=1.4", "--sev", "exponential:mean=1"], "less than or equal to 1"),
        (["--freq", "poisson:lam=3", "--sev", "lognormal:mu=0,sigma=-1"], "greater than 0"),
        (["--freq", "poisson:lam=3", "--sev", "lognormal:mu=0,sigma=1", "--nodes", "64", "--step", "0.1"], "too short"),
        (["--freq", "poisson:lam=3", "--sev", "exponential:mean=1", "--nodes", "64", "--step", "2"], "too coarse"),
        (["--freq", "geometric:p=0.2", "--sev", "exponential:mean=1"], "Unknown claim-count family"),
    ],
)
def test_bad_input_is_a_clear_error(args: list[str], message: str) -> None:
    from greenfin.errors import GreenfinError

    result = runner.invoke(app, ["insure", "aggregate", *args, "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, GreenfinError)
    assert message in str(result.exception)


def test_forest_crop_index_commands_write_outputs(tmp_path) -> None:
    parcels = load_sample("county_parcels").filter(pl.col("forest_category").is_not_null()).head(500)
    pfile = tmp_path / "parcels.parquet"
    parcels.write_parquet(pfile)
    out = _json(["insure", "forest", "--parcels", str(pfile), "--out", str(tmp_path / "forest"), "--json"])
    assert out["parcels"] == 500
    written = pl.read_csv(tmp_path / "forest" / "forest_parcels.csv")
    assert int(written["premium_fen"].sum()) == out["premium_fen"]
    assert (tmp_path / "forest" / "forest_premium_split.xlsx").is_file()
    crop = _json(
        [
            "insure",
            "crop",
            "--history",
            str(sample_path("rice_yield_history")),
            "--out",
            str(tmp_path / "crop"),
            "--json",
        ]
    )
    assert crop["farms"] == 40
    idx = _json(
        [
            "insure",
            "index",
            "--station",
            str(sample_path("weather_station")),
            "--design",
            str(sample_path("index_design")),
            "--yields",
            str(sample_path("rice_yield_history")),
            "--out",
            str(tmp_path / "index"),
            "--json",
        ]
    )
    assert idx["years"] == 30
    assert 0 <= idx["hit_rate"] <= 1


def test_forest_bad_rules_file_writes_nothing(tmp_path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps({"split_commercial": {"central": 0.6, "provincial": 0.3, "county": 0.1, "insured": 0.1}})
    )
    result = runner.invoke(
        app,
        [
            "insure",
            "forest",
            "--parcels",
            str(sample_path("county_parcels")),
            "--rules",
            str(rules),
            "--out",
            str(tmp_path / "o"),
            "--json",
        ],
    )
    assert result.exit_code != 0
    assert not (tmp_path / "o").exists()


def test_subprocess_entry_point_one_line_error() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from greenfin.cli import main; main()",
            "insure",
            "aggregate",
            "--freq",
            "poisson:lam=-1",
            "--sev",
            "exponential:mean=1",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "lam" in proc.stderr


def test_demo_stage_runs_without_other_stages() -> None:
    from greenfin.report.demo import DemoContext
    from greenfin.report.stages import insurance

    ctx = DemoContext()
    section = insurance.run(ctx)
    assert section.key == "insurance"
    assert ctx.results["insurance"]["forest_summary"]["premium_cny"] > 0
    assert len(section.figures) == 3
    assert section.params is not None
    assert section.params.height > 20


def test_demo_stage_prices_pledged_parcels_when_collateral_ran() -> None:
    from greenfin.report.demo import DemoContext
    from greenfin.report.stages import insurance

    ids = load_sample("county_parcels").filter(pl.col("forest_category").is_not_null())["parcel_id"].head(25)
    ctx = DemoContext(results={"collateral": {"forest_parcels_pledged": ids.to_list()}})
    insurance.run(ctx)
    assert ctx.results["insurance"]["forest_parcels"].height == 25


def test_samples_equal_the_generator_output() -> None:
    from greenfin.datasets._gen_insurance import generate

    fresh = generate()
    for name, obj in fresh.items():
        shipped = load_sample(name)
        if isinstance(obj, pl.DataFrame):
            expected = pl.read_csv(obj.write_csv().encode(), infer_schema_length=None)
            assert shipped.equals(expected), name
        else:
            assert shipped == json.loads(json.dumps(obj)), name


def test_retentions_may_follow_one_flag() -> None:
    base = ["insure", "aggregate", "--freq", "poisson:lam=3", "--sev", "discrete:1=0.25,2=0.375,3=0.375"]
    spaced = _json([*base, "--retention", "5", "10", "--json"])
    repeated = _json([*base, "--retention", "5", "--retention", "10", "--json"])
    assert spaced["stop_loss"] == repeated["stop_loss"]
    assert set(spaced["stop_loss"]) == {"5", "10"}
