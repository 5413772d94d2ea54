"""The real ``greenfin gep`` command: outputs, JSON, bad input exit code 2 and no output folder."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.datasets import sample_path

runner = CliRunner()


def _main(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the entry point in-process (as the installed command does) and return its exit code."""
    from greenfin.cli import main

    monkeypatch.setattr(sys, "argv", ["greenfin", *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture(scope="module")
def small_parcels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "parcels.parquet"
    pl.read_parquet(sample_path("county_parcels")).head(3000).write_parquet(path)
    return path


def test_account_writes_tables(small_parcels: Path, tmp_path: Path) -> None:
    out = tmp_path / "acc"
    res = runner.invoke(
        app,
        [
            "gep",
            "account",
            "--parcels",
            str(small_parcels),
            "--inventory",
            str(sample_path("county_quantities")),
            "--out",
            str(out),
            "--mc",
            "200",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    for name in (
        "account.csv",
        "account.xlsx",
        "parcels.parquet",
        "parcels.csv",
        "villages.csv",
        "flags.csv",
        "params.csv",
        "uncertainty.csv",
        "summary.json",
    ):
        assert (out / name).is_file(), name
    parcels = pl.read_parquet(out / "parcels.parquet")
    assert int(parcels["gep_fen"].sum()) == round(summary["gep_cny"] * 100)
    assert summary["gep_p10_cny"] < summary["gep_p90_cny"]


def test_account_with_overrides_marks_them(small_parcels: Path, tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "indicator,parameter,value,unit,price_year,source\n"
        "climate_regulation,electricity_price,0.62,yuan/kWh,2025,Jiangxi tariff 2025\n",
        encoding="utf-8",
    )
    out = tmp_path / "acc"
    res = runner.invoke(
        app,
        [
            "gep",
            "account",
            "--parcels",
            str(small_parcels),
            "--prices",
            str(prices),
            "--out",
            str(out),
            "--mc",
            "0",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["overridden"] == ["climate_regulation.electricity_price"]
    params = pl.read_csv(out / "params.csv")
    assert params.filter(pl.col("overridden"))["parameter"].to_list() == ["climate_regulation.electricity_price"]


def test_value_json() -> None:
    res = runner.invoke(
        app,
        [
            "gep",
            "value",
            "--quantities",
            str(sample_path("county_quantities")),
            "--rules",
            "rcees-classic",
            "--json",
            "--mc",
            "100",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["rules"].startswith("rcees-classic")
    assert "oxygen_release" in data["indicators_cny"]
    assert data["gep_gdp_ratio"] > 0


def test_rules_listing_and_detail() -> None:
    res = runner.invoke(app, ["gep", "rules", "--json"])
    assert res.exit_code == 0
    ids = [r["id"] for r in json.loads(res.output)["rule_sets"]]
    assert ids == ["jiangxi-db36-1402-2021", "national-2022", "rcees-classic"]
    res = runner.invoke(app, ["gep", "rules", "rcees-classic", "--json"])
    detail = json.loads(res.output)
    params = {p["parameter"]: p for p in detail["parameters"]}
    assert params["water_conservation.reservoir_cost"]["price_year"] == 2010
    assert params["water_conservation.reservoir_cost"]["mark"] == "✔"
    res = runner.invoke(app, ["gep", "rules", "national-2022"])
    assert res.exit_code == 0
    assert "⚠" in res.output


def _bad_files(tmp: Path) -> dict[str, tuple[list[str], str]]:
    parcels = pl.read_parquet(sample_path("county_parcels")).head(200)
    misnamed = tmp / "misnamed.csv"
    parcels.rename({"area_ha": "area"}).write_csv(misnamed)
    unknown = tmp / "unknown.csv"
    parcels.with_columns(pl.lit("forest_oak").alias("land_class")).write_csv(unknown)
    negative = tmp / "negative.csv"
    parcels.with_columns(pl.lit(-1.0).alias("area_ha")).write_csv(negative)
    nan = tmp / "nan.csv"
    parcels.with_columns(pl.lit(None, dtype=pl.Float64).alias("et_mm")).write_csv(nan)
    good = tmp / "good.csv"
    parcels.write_csv(good)
    inv = pl.read_csv(sample_path("county_quantities"))
    yi = tmp / "yi.csv"
    inv.with_columns(
        pl.when(pl.col("indicator") == "gdp").then(231.5).otherwise(pl.col("quantity")).alias("quantity")
    ).write_csv(yi)
    noyear = tmp / "noyear.csv"
    noyear.write_text(
        "indicator,parameter,value,unit\nwater_conservation,reservoir_cost,7.5,yuan/m3\n", encoding="utf-8"
    )
    return {
        "misnamed": (["--parcels", str(misnamed)], "Did you mean 'area'"),
        "unknown_class": (["--parcels", str(unknown)], "forest_oak"),
        "negative_area": (["--parcels", str(negative)], "must be > 0"),
        "nan_driver": (["--parcels", str(nan)], "missing value"),
        "yi_yuan": (["--parcels", str(good), "--inventory", str(yi)], "亿元"),
        "price_no_year": (["--parcels", str(good), "--prices", str(noyear)], "no price year"),
        "unknown_rules": (["--parcels", str(good), "--rules", "db36"], "Unknown GEP rule set"),
    }


@pytest.mark.parametrize(
    "case", ["misnamed", "unknown_class", "negative_area", "nan_driver", "yi_yuan", "price_no_year", "unknown_rules"]
)
def test_bad_input_exit_2_and_nothing_written(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args, message = _bad_files(tmp_path)[case]
    out = tmp_path / "out"
    code = _main(["gep", "account", *args, "--out", str(out), "--mc", "0", "--json"], monkeypatch)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_subprocess_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from greenfin.cli import main; main()",
            "gep",
            "value",
            "--quantities",
            str(sample_path("county_quantities")),
            "--rules",
            "national-2022",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rules"].startswith("national-2022")
    bad = subprocess.run(
        [
            sys.executable,
            "-c",
            "from greenfin.cli import main; main()",
            "gep",
            "value",
            "--quantities",
            str(tmp_path / "missing.csv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "file not found" in bad.stderr
