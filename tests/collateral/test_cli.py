"""The ``greenfin collateral`` commands, through the real typer app and one subprocess run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.datasets import sample_path

runner = CliRunner()
RIGHTS = str(sample_path("county_rights"))
PRICES = str(sample_path("cea_prices"))


def test_value_writes_csv_parquet_excel(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "collateral",
            "value",
            "--rights",
            RIGHTS,
            "--prices",
            PRICES,
            "--as-of",
            "2026-06-30",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["rights"] == pl.read_csv(RIGHTS).height
    assert summary["refused"] > 0
    for name in ("valuations.csv", "valuations.parquet", "collateral.xlsx", "summary.json", "by_type.csv"):
        assert (out / name).is_file(), name
    vals = pl.read_parquet(out / "valuations.parquet")
    assert {"value_cny", "haircut", "max_loan_cny", "binding_bound", "refusal_reason"} <= set(vals.columns)


def test_value_strict_refuses_with_one_line(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "collateral",
            "value",
            "--rights",
            RIGHTS,
            "--prices",
            PRICES,
            "--as-of",
            "2026-06-30",
            "--strict",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code != 0
    assert "is refused" in str(res.exception)
    assert not (tmp_path / "o").exists()


def test_stress_by_name(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "collateral",
            "stress",
            "--rights",
            RIGHTS,
            "--prices",
            PRICES,
            "--as-of",
            "2026-06-30",
            "--scenario",
            "cea-2024-25",
            "--out",
            str(tmp_path),
            "--loan-paths",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["breaching_loans"] > 0
    assert (tmp_path / "stress_loans.parquet").is_file()
    paths = pl.read_parquet(tmp_path / "stress_loan_paths.parquet")
    assert paths.height == summary["loans"] * 10


def test_registry_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    assert runner.invoke(app, ["collateral", "register", "--rights", RIGHTS, "--db", db]).exit_code == 0
    args = [
        "collateral",
        "pledge",
        "--right-id",
        "R00002",
        "--loan-ref",
        "L1",
        "--amount-cny",
        "100000",
        "--start",
        "2026-07-01",
        "--end",
        "2028-06-30",
        "--db",
        db,
    ]
    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, args)
    assert "already has an active pledge" in str(second.exception)
    released = runner.invoke(app, ["collateral", "release", "--right-id", "R00002", "--on", "2027-01-01", "--db", db])
    assert released.exit_code == 0, released.output
    listed = runner.invoke(app, ["collateral", "list", "--db", db, "--json"])
    rows = json.loads(listed.output)["rows"]
    assert [r["status"] for r in rows] == ["released"]


def test_subprocess_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "rights.csv"
    bad.write_text(
        "right_id,borrower_id,right_type,term_end,area_ha,species_group,stand_age_years\n"
        "a,B00001,forest_right,2040-01-01,1.0,eucalyptus,10\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from greenfin.cli import main; main()",
            "collateral",
            "value",
            "--rights",
            str(bad),
            "--as-of",
            "2026-06-30",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown species group 'eucalyptus'" in proc.stderr
    assert "Traceback" not in proc.stderr
