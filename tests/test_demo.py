"""The main job end to end: ``greenfin demo`` through the real entry point, on the bundled sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from greenfin.report.demo import demo_stages

STAGES = ["gep", "scoring", "collateral", "lending", "securitization", "insurance", "assessment"]


def test_every_domain_has_a_stage_in_order() -> None:
    assert [m.KEY for m in demo_stages()] == STAGES


@pytest.mark.slow
def test_demo_writes_the_whole_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-c", "from greenfin.cli import main; main()", "demo", "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert Path(summary["report"]) == out / "index.html"
    page = (out / "index.html").read_text(encoding="utf-8")
    for key in STAGES:
        assert f'id="{key}"' in page, f"section {key} missing from the HTML report"
        assert any(k.startswith(f"{key}:") for k in summary), f"no key figure from {key}"
    assert page.count("data:image/png;base64,") >= len(STAGES)
    book = load_workbook(out / "report.xlsx", read_only=True)
    assert "summary" in book.sheetnames
    assert len(book.sheetnames) > 2 * len(STAGES)
    book.close()
    county = pl.read_csv(out / "tables" / "gep_county_account.csv")
    assert county.height > 10
    assert set(pl.read_parquet(out / "tables" / "gep_county_account.parquet").columns) == set(county.columns)
    assert not list(tmp_path.glob(".report-*")), "the temporary build folder was left behind"


def test_demo_refuses_an_unknown_stage(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from greenfin.cli import main; main()",
            "demo",
            "--out",
            str(tmp_path / "r"),
            "--only",
            "nonsense",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Unknown stage" in proc.stderr
    assert not (tmp_path / "r").exists()
