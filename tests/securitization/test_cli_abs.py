"""The `greenfin abs` commands, through typer's runner and one real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.datasets import sample_path
from greenfin.errors import SpecError

runner = CliRunner()

POOL_ARGS = [
    "abs",
    "pool",
    "--balance",
    "100000000",
    "--wac",
    "0.08",
    "--term",
    "360",
    "--smm",
    "0.01",
    "--mdr",
    "0.01",
    "--lag",
    "12",
    "--severity",
    "0.2",
    "--advance",
]


def test_pool_writes_the_sf_columns(tmp_path: Path) -> None:
    out = tmp_path / "pool.csv"
    res = runner.invoke(app, [*POOL_ARGS, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    table = pl.read_csv(out)
    assert table.columns == [
        "month",
        "perf_bal",
        "new_def",
        "fcl",
        "sched_factor",
        "exp_am",
        "vol_prepay",
        "am_def",
        "act_am",
        "exp_int",
        "int_lost",
        "act_int",
        "recov",
        "loss",
        "adb",
        "cash_flow",
    ]
    assert round(table["perf_bal"][0]) == 97934244  # SF table A, month 1
    assert round(table["adb"][12]) == 991646  # month 13
    assert json.loads(res.stdout)["months"] == 360


def test_pool_psa_sda_and_help_states_units(tmp_path: Path) -> None:
    out = tmp_path / "b.csv"
    res = runner.invoke(
        app,
        [
            "abs",
            "pool",
            "--balance",
            "1e8",
            "--wac",
            "0.08",
            "--term",
            "360",
            "--psa",
            "150",
            "--sda",
            "100",
            "--lag",
            "12",
            "--severity",
            "0.2",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert round(pl.read_csv(out)["perf_bal"][0]) == 99906219  # SF table B, month 1
    help_text = runner.invoke(app, ["abs", "pool", "--help"]).output
    assert "FRACTION" in help_text
    assert "% of the PSA curve" in help_text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--smm", "1.5"], "smm"),
        (["--smm", "0.01", "--cpr", "0.05"], "only one"),
        (["--smm", "0.01", "--mdr", "0.01"], "--severity is required"),
        (["--smm", "0.01", "--wam", "400"], "--wam"),
    ],
)
def test_pool_bad_input_exits_2_with_the_field(tmp_path: Path, args: list[str], message: str) -> None:
    base = ["abs", "pool", "--balance", "1e6", "--wac", "0.05", "--term", "360", "--out", str(tmp_path / "x.csv")]
    res = runner.invoke(app, [*base, *args])
    assert isinstance(res.exception, SpecError), res.output  # greenfin.cli.main prints it on one line, exit 2
    assert message in str(res.exception)
    assert not (tmp_path / "x.csv").exists()


def test_negative_balance_is_rejected(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "abs",
            "pool",
            "--balance",
            "-5",
            "--wac",
            "0.05",
            "--term",
            "12",
            "--smm",
            "0.01",
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert res.exit_code != 0
    assert "--balance" in str(res.exception)


def test_measure_from_pool_output(tmp_path: Path) -> None:
    out = tmp_path / "pool.csv"
    runner.invoke(app, [*POOL_ARGS, "--out", str(out)])
    res = runner.invoke(
        app,
        [
            "abs",
            "measure",
            "--cashflows",
            str(out),
            "--price",
            "100",
            "--settle",
            "2026-03-01",
            "--first-pay",
            "2026-04-01",
            "--delay-days",
            "24",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    m = json.loads(res.stdout)
    assert {
        "yield",
        "mortgage_yield",
        "average_life_years",
        "macaulay_duration_years",
        "modified_duration_years",
        "convexity",
    } <= set(m)
    assert m["face_cny"] == pytest.approx(1e8)
    cn = runner.invoke(
        app,
        [
            "abs",
            "measure",
            "--cashflows",
            str(out),
            "--price",
            "100",
            "--settle",
            "2026-03-01",
            "--first-pay",
            "2026-04-01",
            "--daycount",
            "ACT/365",
            "--compounding",
            "annual",
            "--json",
        ],
    )
    assert cn.exit_code == 0, cn.output
    assert json.loads(cn.stdout)["compounding"] == "annual"


def test_run_and_stress_write_outputs(tmp_path: Path) -> None:
    scen = tmp_path / "s.json"
    scen.write_text(json.dumps([{"name": "base"}, {"name": "stress", "default_multiple": 4.0}]))
    res = runner.invoke(
        app,
        [
            "abs",
            "run",
            str(sample_path("deal_eco_loans")),
            "--scenario",
            str(scen),
            "--out",
            str(tmp_path / "run"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    meta = json.loads(res.stdout)
    assert meta["holiday_table_past_end"] == "weekends"
    rep = pl.read_csv(tmp_path / "run" / "distribution_report_fen.csv")
    sums = rep.group_by("scenario", "period", "side").agg(pl.col("amount_fen").sum())
    wide = sums.pivot(on="side", index=["scenario", "period"], values="amount_fen")
    assert (wide["source"] == wide["use"]).all()
    for name in ("tranche_cashflows.csv", "tranche_cashflows.parquet", "deal_periods.csv", "workbook.xlsx"):
        assert (tmp_path / "run" / name).is_file()
    st = runner.invoke(
        app, ["abs", "stress", str(sample_path("deal_hydro")), "--out", str(tmp_path / "st"), "--mc", "100", "--json"]
    )
    assert st.exit_code == 0, st.output
    assert (tmp_path / "st" / "regulator_pack.xlsx").is_file()
    assert (tmp_path / "st" / "coverage.csv").is_file()


def test_run_reports_a_bad_deal_by_field(tmp_path: Path) -> None:
    raw = json.loads(sample_path("deal_eco_loans").read_text())
    raw["waterfalls"]["normal"][5]["account"] = "ghost"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from greenfin.cli import main; main()",
            "abs",
            "run",
            str(bad),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown account 'ghost'" in proc.stderr.replace("\n", " ")
    assert not (tmp_path / "o").exists()
