"""The ``greenfin score`` commands, through the real typer app and one subprocess run."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import polars as pl
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.datasets import sample_path
from greenfin.errors import DataError, SpecError

runner = CliRunner()


def _messy_csv(path):
    rng = np.random.default_rng(0)
    n = 600
    income = rng.lognormal(10, 0.5, n)
    region = rng.choice(["north", "south", "east", ""], n)
    risk = -1 + 0.8 * (region == "north") - 0.5 * np.log(income / 20_000) + rng.normal(0, 1, n)
    frame = pl.DataFrame(
        {
            "customer_ref": [f"C-{i:04d}" for i in range(n)],
            "salary_level": np.where(rng.random(n) < 0.1, np.nan, np.round(income, 0)),
            "region": pl.Series(region).replace("", None),
            "opened": [f"2024-0{1 + i % 9}-1{i % 9}" for i in range(n)],
            "blank": pl.Series([None] * n, dtype=pl.String),
            "gender": rng.choice(["F", "M"], n),
            "outcome": np.where(risk > 0.3, "charged off", "paid"),
        }
    )
    frame.write_csv(path)


def test_fit_apply_report_on_a_messy_csv(tmp_path):
    data = tmp_path / "loans.csv"
    _messy_csv(data)
    fit = runner.invoke(
        app,
        [
            "score",
            "fit",
            "--data",
            str(data),
            "--target",
            "outcome",
            "--bad-label",
            "charged off",
            "--out",
            str(tmp_path / "fit"),
            "--json",
        ],
    )
    assert fit.exit_code == 0, fit.output
    summary = json.loads(fit.output)
    assert summary["bad_label"] == "charged off"
    assert summary["set_aside"]["customer_ref"].startswith("identifier")
    assert summary["set_aside"]["gender"].startswith("audit_only")
    assert "region" in summary["features_used"]
    assert summary["train_auc"] > 0.6
    out = tmp_path / "scores.parquet"
    res = runner.invoke(
        app,
        [
            "score",
            "apply",
            "--model",
            str(tmp_path / "fit"),
            "--data",
            str(data),
            "--out",
            str(out),
            "--id-column",
            "customer_ref",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    scores = pl.read_parquet(out)
    assert scores.columns[:4] == ["customer_ref", "pd", "points", "grade"]
    assert scores.height == 600
    assert scores["reason_1_zh"].drop_nulls().str.contains("扣").all()
    rep = runner.invoke(
        app,
        [
            "score",
            "report",
            "--model",
            str(tmp_path / "fit"),
            "--data",
            str(data),
            "--target",
            "outcome",
            "--bad-label",
            "charged off",
            "--out",
            str(tmp_path / "rep"),
            "--json",
        ],
    )
    assert rep.exit_code == 0, rep.output
    r = json.loads(rep.output)
    assert r["auc_ci95"][0] < r["auc"] < r["auc_ci95"][1]
    assert r["psi_vs_reference"] < 1e-6  # same rows as the reference
    assert (tmp_path / "rep" / "report.png").stat().st_size > 1000
    assert pl.read_csv(tmp_path / "rep" / "fairness.csv")["attribute"].unique().to_list() == ["gender"]


def test_boosted_model_and_unseen_category(tmp_path):
    data = tmp_path / "loans.csv"
    _messy_csv(data)
    fit = runner.invoke(
        app,
        [
            "score",
            "fit",
            "--data",
            str(data),
            "--target",
            "outcome",
            "--model",
            "boosted",
            "--out",
            str(tmp_path / "b"),
            "--json",
        ],
    )
    assert fit.exit_code == 0, fit.output
    new = pl.read_csv(data).with_columns(pl.lit("west").alias("region")).head(5)
    new.write_csv(tmp_path / "new.csv")
    res = runner.invoke(
        app,
        [
            "score",
            "apply",
            "--model",
            str(tmp_path / "b"),
            "--data",
            str(tmp_path / "new.csv"),
            "--out",
            str(tmp_path / "s.csv"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    xlsx = tmp_path / "s.xlsx"
    res = runner.invoke(app, ["score", "apply", "--model", str(tmp_path / "b"), "--data", str(tmp_path / "new.csv"),
                              "--out", str(xlsx), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    from greenfin._validation import read_table

    assert read_table(xlsx).height == 5


def test_user_mistake_is_one_line_with_exit_2_through_the_entry_point(tmp_path):
    gc = str(sample_path("german_credit"))
    args = ["score", "fit", "--data", gc, "--target", "creditabilty", "--out", str(tmp_path / "x")]
    proc = subprocess.run(
        [sys.executable, "-c", "from greenfin.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Did you mean 'creditability'" in proc.stderr.replace("\n", " ")


def test_user_mistakes_raise_greenfin_errors(tmp_path):
    gc = str(sample_path("german_credit"))
    cases = [
        (["--target", "purpose"], DataError, "Only binary classification"),
        (["--target", "creditability", "--model", "forest"], SpecError, "--model must be"),
    ]
    for extra, kind, message in cases:
        res = runner.invoke(app, ["score", "fit", "--data", gc, "--out", str(tmp_path / "x"), *extra])
        assert isinstance(res.exception, kind)
        assert message in str(res.exception)
    assert not (tmp_path / "x").exists()


def test_apply_refuses_a_tampered_model(tmp_path):
    gc = str(sample_path("german_credit"))
    runner.invoke(
        app,
        [
            "score",
            "fit",
            "--data",
            gc,
            "--target",
            "creditability",
            "--bad-label",
            "bad",
            "--out",
            str(tmp_path / "m"),
            "--json",
        ],
    )
    f = tmp_path / "m" / "model" / "model.json"
    f.write_text(f.read_text().replace('"pdo"', '"pdo" ', 1))
    res = runner.invoke(
        app, ["score", "apply", "--model", str(tmp_path / "m"), "--data", gc, "--out", str(tmp_path / "s.csv")]
    )
    assert res.exit_code != 0
    assert "tampered" in str(res.exception)
    assert not (tmp_path / "s.csv").exists()


def test_fit_with_feature_declarations(tmp_path):
    spec = tmp_path / "features.json"
    spec.write_text(
        json.dumps(
            {
                "assume_consent": True,
                "features": [
                    {"name": "duration_in_month", "trend": "ascending"},
                    {"name": "credit_amount", "trend": "ascending"},
                ],
            }
        )
    )
    gc = str(sample_path("german_credit"))
    res = runner.invoke(
        app,
        ["score", "fit", "--data", gc, "--target", "creditability", "--bad-label", "bad", "--features", str(spec),
         "--out", str(tmp_path / "m"), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert "status_of_existing_checking_account" in summary["features_used"]  # consent assumed by the spec
    trend = pl.read_csv(tmp_path / "m" / "trend_report.csv")
    row = trend.filter(pl.col("feature") == "duration_in_month").row(0, named=True)
    assert row["declared_trend"] == "ascending"
    assert row["trend"] == "ascending"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"features": [{"name": "x", "trend": "sideways"}]}))
    res = runner.invoke(app, ["score", "fit", "--data", gc, "--target", "creditability", "--features", str(bad),
                              "--out", str(tmp_path / "n")])  # fmt: skip
    assert isinstance(res.exception, SpecError)
    assert "trend" in str(res.exception)
