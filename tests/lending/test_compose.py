import datetime as dt
import json

import polars as pl
import pytest
from typer.testing import CliRunner

from greenfin.cli import app
from greenfin.datasets import load_sample, sample_path
from greenfin.errors import DataError
from greenfin.lending import decide, score_applications, value_pledged_rights
from greenfin.scoring import Scorecard, save_model

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def card():
    b = load_sample("county_borrowers")
    return Scorecard().fit(b.select("past_delinquencies", "operating_years"), b["default_flag"])


def test_score_applications_feeds_decide(card) -> None:
    apps = load_sample("county_applications")
    scores = score_applications(apps, card, features=load_sample("county_borrowers"))
    assert scores.columns[:5] == ["application_id", "borrower_id", "pd", "points", "grade"]
    assert scores.height == apps.height
    d = decide(apps, as_of=AS_OF, scores=scores)
    assert d["pd"].to_list() == scores["pd"].to_list()
    assert d["score_reasons_zh"].str.contains("扣").any()


def test_score_applications_needs_the_model_columns(card) -> None:
    with pytest.raises(DataError):
        score_applications(load_sample("county_applications").select("application_id", "borrower_id"), card)


def _rights() -> tuple[pl.DataFrame, pl.DataFrame]:
    rights = load_sample("county_rights").with_columns(pl.col("term_end").cast(pl.String).str.to_date())
    prices = load_sample("cea_prices").with_columns(pl.col("date").cast(pl.String).str.to_date())
    return rights, prices


def test_value_pledged_rights_gives_decide_its_valuations() -> None:
    rights, prices = _rights()
    vals = value_pledged_rights(rights, as_of=AS_OF, prices=prices)
    assert vals.height == int(rights["pledged"].sum())
    refused = vals.filter(~pl.col("eligible"))
    assert (refused["max_loan_cny"] == 0).all()
    assert (vals["max_loan_cny"] <= vals["value_cny"] * (1 - vals["haircut"]) + 1e-6).all()
    apps = load_sample("county_applications").filter(pl.col("product_id") == "jinxi-shengtaitong")
    d = decide(apps, as_of=AS_OF, valuations=vals)
    covered = d.filter(pl.col("borrower_id").is_in(vals["borrower_id"].implode()) & (pl.col("n_rights") > 0))
    assert covered.height > 0
    assert (covered["limit_cny"] <= covered["collateral_capacity_cny"] + 1e-6).all()


def test_cli_decide_with_model_and_rights(card, tmp_path) -> None:
    model_dir = tmp_path / "model"
    save_model(
        card,
        model_dir,
        data_source="county_borrowers",
        developer="dev",
        validator="val",
        approver="app",
        institution="sample bank",
        pia_reference="PIA-2026-01",
    )
    res = CliRunner().invoke(
        app,
        [
            "lend",
            "decide",
            "--applications",
            str(sample_path("county_applications")),
            "--model",
            str(model_dir),
            "--features",
            str(sample_path("county_borrowers")),
            "--rights",
            str(sample_path("county_rights")),
            "--prices",
            str(sample_path("cea_prices")),
            "--as-of",
            "2026-06-30",
            "--out",
            str(tmp_path / "o"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["applications"] == 4000
    d = pl.read_parquet(tmp_path / "o" / "decisions.parquet")
    assert d["score_reasons"].str.len_chars().max() > 0


def test_cli_refuses_conflicting_inputs(tmp_path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "lend",
            "decide",
            "--applications",
            str(sample_path("county_applications")),
            "--scores",
            "x.csv",
            "--model",
            "m",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code != 0
    assert "either --scores or --model" in str(res.exception)
