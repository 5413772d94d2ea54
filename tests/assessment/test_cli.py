"""``greenfin assess`` through the real command (typer runner and one subprocess run of the entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.datasets import sample_path

runner = CliRunner()
LOANS = str(sample_path("assessment_loans"))
BANKS = str(sample_path("assessment_banks"))
PROJECTS = str(sample_path("assessment_projects"))


def test_banks_command_writes_tables_workbook_and_report(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.csv"
    pl.DataFrame(
        {
            "bank_code": ["B05"],
            "quarter": ["2025Q2"],
            "target": ["qualitative"],
            "points": [95.0],
            "reason": ["on-site inspection found exemplary policy work"],
            "author": ["PBoC Nanchang branch"],
        }
    ).write_csv(overrides)
    out = tmp_path / "banks"
    result = runner.invoke(
        app,
        [
            "assess",
            "banks",
            "--loans",
            LOANS,
            "--banks",
            BANKS,
            "--quarter",
            "2025Q2",
            "--rules",
            "jiangxi-evr",
            "--overrides",
            str(overrides),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["banks_scored"] == 20
    assert summary["rulebook"] == "jiangxi-evr"
    assert summary["overrides"] == 1
    for name in ("scores", "breakdown", "trend", "formulas", "panel"):
        assert (out / f"{name}.csv").is_file()
        assert (out / f"{name}.parquet").is_file()
    scores = pl.read_parquet(out / "scores.parquet")
    assert scores.filter(pl.col("bank_code") == "B05")["qualitative_score"].item() == 95.0
    assert "eco_product_share" in scores.columns
    assert (out / "report" / "index.html").is_file()
    html = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert "银行业金融机构绿色金融评价" in html
    book = openpyxl.load_workbook(out / "assessment_filing.xlsx", read_only=True)
    assert book.sheetnames[0] == "评价结果 Results"
    rows = list(book.worksheets[0].iter_rows(min_row=3, max_row=4, values_only=True))
    assert rows[0][0] == "排名"
    assert rows[1][0] == "Rank"
    assert (out / "summary.json").is_file()


def test_benefits_and_emissions_commands(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["assess", "benefits", "--loans", LOANS, "--projects", PROJECTS, "--out", str(tmp_path / "b"), "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["co2_reduced_tco2e_per_year"] > 0
    assert (tmp_path / "b" / "benefits_by_bank.parquet").is_file()
    r = runner.invoke(
        app, ["assess", "emissions", "--loans", LOANS, "--quarter", "2025Q1", "--out", str(tmp_path / "e"), "--json"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["quarter"] == "2025Q1"
    assert 1 <= data["pcaf_dq_score_weighted"] <= 5
    assert (tmp_path / "e" / "report" / "index.html").is_file()


def test_transfers_command(tmp_path: Path) -> None:
    gep = str(sample_path("assessment_gep_accounts"))
    r = runner.invoke(
        app,
        ["assess", "transfers", "--gep", gep, "--rule", "gep-increment-reward", "--out", str(tmp_path / "t"), "--json"],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["county_years"] == 40


def test_rules_listing_and_one_rulebook() -> None:
    r = runner.invoke(app, ["assess", "rules", "--json"])
    assert r.exit_code == 0
    listing = json.loads(r.output)
    assert set(listing) == {"pboc-2021", "pboc-2018", "chongqing-2023", "jiangxi-evr"}
    assert listing["pboc-2021"]["unverified"] > 0
    r = runner.invoke(app, ["assess", "rules", "pboc-2021", "--json"])
    formulas = json.loads(r.output)["formulas"]
    statuses = {(f["item"], f["part"]): f["status"] for f in formulas}
    assert statuses[("scheme", "quantitative_weight")] == "confirmed"
    assert statuses[("risk_share", "cross_sectional min_max")] == "unverified"
    r = runner.invoke(app, ["assess", "rules", "pboc-2021"])
    assert r.exit_code == 0
    assert "unverified" in r.output


def _run_main(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from greenfin.cli import main; main()", "assess", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda f: f.with_columns(
                pl.when(pl.int_range(pl.len()) == 2).then(-5.0).otherwise(pl.col("balance_cny")).alias("balance_cny")
            ),
            "column balance_cny, row 3",
        ),
        (
            lambda f: f.with_columns(
                pl.when(pl.col("green_flag") & (pl.col("taxonomy_version") == "2024"))
                .then(pl.lit("2024.99"))
                .otherwise(pl.col("taxonomy_code"))
                .alias("taxonomy_code")
            ),
            "unknown category code '2024.99'",
        ),
    ],
)
def test_bad_file_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, mutate: object, message: str) -> None:
    bad = tmp_path / "loans.parquet"
    mutate(pl.read_parquet(LOANS)).write_parquet(bad)  # type: ignore[operator]
    out = tmp_path / "out"
    proc = _run_main("banks", "--loans", str(bad), "--banks", BANKS, "--out", str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_subprocess_success_and_missing_bank_file_hint(tmp_path: Path) -> None:
    proc = _run_main("banks", "--loans", LOANS, "--out", str(tmp_path / "o"), "--json")
    assert proc.returncode == 2
    assert "--banks FILE" in proc.stderr
    proc = _run_main("banks", "--loans", LOANS, "--denominator", "total_loans", "--out", str(tmp_path / "o"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["banks_scored"] == 20


def test_excel_template_filled_in_and_scored(tmp_path: Path) -> None:
    """The bilingual Excel template, filled in by a bank, goes straight into `assess banks`."""
    import datetime as dt

    template = tmp_path / "loans.xlsx"
    r = runner.invoke(app, ["assess", "template", "--out", str(template), "--json"])
    assert r.exit_code == 0, r.output
    book = openpyxl.load_workbook(template)
    ws = book.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["report_date", "bank_code", "loan_id"]
    rows = [
        ("B1", "L1", 5e6, True, "2024", "2024.5", "forest_right"),
        ("B1", "L2", 3e6, False, None, None, "real_estate"),
        ("B2", "L3", 2e6, True, "2019", "2019.3", "water_right"),
        ("B2", "L4", 9e6, False, None, None, "credit"),
    ]
    for bank, loan, bal, green, version, code, coll in rows:
        values = {
            "report_date": dt.date(2025, 6, 30),
            "bank_code": bank,
            "loan_id": loan,
            "balance_cny": bal,
            "green_flag": green,
            "approval_date": dt.date(2024, 6, 1),
            "five_class": "normal",
            "taxonomy_version": version,
            "taxonomy_code": code,
            "collateral_type": coll,
        }
        ws.append([values.get(h) for h in header])
    book.save(template)
    r = runner.invoke(
        app,
        [
            "assess",
            "banks",
            "--loans",
            str(template),
            "--denominator",
            "total_loans",
            "--out",
            str(tmp_path / "o"),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["banks_scored"] == 2
    scores = pl.read_csv(tmp_path / "o" / "scores.csv")
    assert scores.filter(pl.col("bank_code") == "B1")["rank"].item() == 1  # larger green share, market share
