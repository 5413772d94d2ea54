import json
import subprocess
import sys

import polars as pl
import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.datasets import sample_path
from lending._helpers import apps

runner = CliRunner()
pytestmark = pytest.mark.xdist_group("lend_cli")  # one worker builds the module-scoped decision folder once


def run(*args: str):
    return runner.invoke(app, ["lend", *args])


@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    out = tmp_path_factory.mktemp("dec")
    res = run(
        "decide",
        "--applications",
        str(sample_path("county_applications")),
        "--as-of",
        "2026-06-30",
        "--out",
        str(out),
        "--json",
    )
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout)


def test_decide_writes_every_output(decided) -> None:
    out, summary = decided
    for name in (
        "decisions.csv",
        "decisions.parquet",
        "decisions.xlsx",
        "approved.csv",
        "approved.parquet",
        "decision_records.json",
        "summary.json",
    ):
        assert (out / name).is_file(), name
    assert summary["applications"] == 4000
    assert summary["approved"] + summary["declined"] + summary["referred"] == 4000
    records = json.loads((out / "decision_records.json").read_text(encoding="utf-8"))
    assert len(records["decisions"]) == 4000
    assert "reasons_zh" in records["decisions"][0]
    assert records["meta"]["underwriting_policy"]
    assert records["meta"]["lpr"]["fixing_date"] == "2025-05-20"
    approved = pl.read_parquet(out / "approved.parquet")
    assert approved.height == summary["approved"]


def test_decide_with_scores_and_valuations(tmp_path) -> None:
    frame = apps({"product_id": "jinxi-shengtaitong"})
    frame.write_csv(tmp_path / "a.csv")
    pl.DataFrame({"borrower_id": ["B00001"], "pd": [0.01]}).write_csv(tmp_path / "s.csv")
    pl.DataFrame(
        {
            "right_id": ["R1"],
            "borrower_id": ["B00001"],
            "value_cny": [1e6],
            "haircut": [0.5],
            "remaining_term_years": [9.0],
        }
    ).write_csv(tmp_path / "v.csv")
    res = run(
        "decide",
        "--applications",
        str(tmp_path / "a.csv"),
        "--scores",
        str(tmp_path / "s.csv"),
        "--valuations",
        str(tmp_path / "v.csv"),
        "--as-of",
        "2026-06-30",
        "--out",
        str(tmp_path / "o"),
        "--json",
    )
    assert res.exit_code == 0, res.output
    d = pl.read_csv(tmp_path / "o" / "decisions.csv")
    assert d["collateral_capacity_cny"][0] == pytest.approx(500_000.0)


def test_unknown_product_exits_2_and_writes_nothing(tmp_path) -> None:
    apps({"product_id": "nope"}).write_csv(tmp_path / "a.csv")
    res = run(
        "decide", "--applications", str(tmp_path / "a.csv"), "--as-of", "2026-06-30", "--out", str(tmp_path / "o")
    )
    assert res.exit_code != 0
    assert "unknown product" in str(res.exception)
    assert not (tmp_path / "o").exists()


def test_strict_refusal(tmp_path) -> None:
    apps({"tenor_months": 48}).write_csv(tmp_path / "a.csv")
    res = run(
        "decide",
        "--applications",
        str(tmp_path / "a.csv"),
        "--as-of",
        "2026-06-30",
        "--strict",
        "--out",
        str(tmp_path / "o"),
    )
    assert res.exit_code != 0
    assert "TENOR_ABOVE_PRODUCT_MAX" in str(res.exception)


def test_schedule_command(tmp_path) -> None:
    res = run(
        "schedule",
        "--principal",
        "300000",
        "--rate",
        "0.0415",
        "--months",
        "24",
        "--method",
        "equal_principal",
        "--start",
        "2026-06-30",
        "--out",
        str(tmp_path / "s.parquet"),
        "--json",
    )
    assert res.exit_code == 0, res.output
    s = pl.read_parquet(tmp_path / "s.parquet")
    assert int(s["principal_fen"].sum()) == 30_000_000
    assert json.loads(res.stdout)["principal_fen"] == 30_000_000
    bad = run(
        "schedule",
        "--principal",
        "1",
        "--rate",
        "0.04",
        "--months",
        "2",
        "--method",
        "bullet",
        "--out",
        str(tmp_path / "x.csv"),
    )
    assert bad.exit_code != 0


def test_fund_command_on_decided_book(decided, tmp_path) -> None:
    out, _ = decided
    res = run(
        "fund",
        "--portfolio",
        str(out / "approved.parquet"),
        "--fund",
        str(sample_path("fund_spec")),
        "--scenarios",
        "200",
        "--seed",
        "1",
        "--slice-by",
        "product_id",
        "--out",
        str(tmp_path / "f"),
        "--json",
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert 0.0 <= summary["p_fund_exhausted"] <= 1.0
    assert pl.read_csv(tmp_path / "f" / "fund_slices.csv").height == 3
    assert pl.read_parquet(tmp_path / "f" / "fund_scenarios.parquet").height == 200


def test_fund_spec_with_bad_shares_exits(tmp_path, decided) -> None:
    out, _ = decided
    raw = json.loads(sample_path("fund_spec").read_text(encoding="utf-8"))
    raw["contributors"][0]["share"] = 0.6
    (tmp_path / "f.json").write_text(json.dumps(raw), encoding="utf-8")
    res = run(
        "fund",
        "--portfolio",
        str(out / "approved.parquet"),
        "--fund",
        str(tmp_path / "f.json"),
        "--out",
        str(tmp_path / "o"),
    )
    assert res.exit_code != 0
    assert "must sum to 1" in str(res.exception)


def test_compare_command(decided, tmp_path) -> None:
    out, _ = decided
    res = run(
        "compare",
        "--portfolio",
        str(out / "approved.parquet"),
        "--designs",
        str(sample_path("fund_designs")),
        "--scenarios",
        "200",
        "--out",
        str(tmp_path / "c"),
        "--json",
    )
    assert res.exit_code == 0, res.output
    table = pl.read_csv(tmp_path / "c" / "designs.csv")
    assert table["design_id"].to_list()[:2] == ["cainong-8x", "xinyu-10x"]
    assert (tmp_path / "c" / "designs.xlsx").is_file()


def test_products_command() -> None:
    res = run("products", "--json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["cainong-xindaitong-2022"]["rate_cap"] == "LPR + 100 bp"
    assert "fund_loss_share" in data["cainong-xindaitong-2022"]["unverified_terms"]


def test_real_entry_point_prints_one_line_and_exits_2(tmp_path) -> None:
    apps({"product_id": "nope"}).write_csv(tmp_path / "a.csv")
    code = "import sys; from greenfin.cli import main; sys.argv = sys.argv[:1] + sys.argv[1:]; main()"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "lend",
            "decide",
            "--applications",
            str(tmp_path / "a.csv"),
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
    assert "unknown product 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_decide_with_product_override(tmp_path) -> None:
    apps({"product_id": "whatever"}, {"product_id": None}).write_csv(tmp_path / "a.csv")
    res = run(
        "decide",
        "--applications",
        str(tmp_path / "a.csv"),
        "--product",
        "cainong-xindaitong-2022",
        "--as-of",
        "2026-06-30",
        "--out",
        str(tmp_path / "o"),
        "--json",
    )
    assert res.exit_code == 0, res.output
    d = pl.read_csv(tmp_path / "o" / "decisions.csv")
    assert d["product_id"].to_list() == ["cainong-xindaitong-2022"] * 2
    bad = run("decide", "--applications", str(tmp_path / "a.csv"), "--product", "nope", "--out", str(tmp_path / "x"))
    assert bad.exit_code != 0
    assert "Unknown product 'nope'" in str(bad.exception)


def test_seasonal_schedule_command(tmp_path) -> None:
    res = run(
        "schedule",
        "--principal",
        "120000",
        "--rate",
        "0.04",
        "--months",
        "12",
        "--method",
        "seasonal",
        "--crop",
        "navel_orange",
        "--start",
        "2026-01-15",
        "--out",
        str(tmp_path / "s.csv"),
        "--json",
    )
    assert res.exit_code == 0, res.output
    s = pl.read_csv(tmp_path / "s.csv", try_parse_dates=True)
    assert set(s.filter(pl.col("principal_fen") > 0)["payment_date"].dt.month().to_list()) <= {11, 12, 1}
