"""Underwriting decisions are saved whole, once, and never changed (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from greenfin.datasets import load_sample
from greenfin.errors import ConflictError, DataError
from greenfin.lending import decide
from greenfin.store import DecisionStore

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def decisions() -> pl.DataFrame:
    return decide(load_sample("county_applications").head(60), as_of=AS_OF)


def test_saved_decisions_read_back_to_the_fen(database_url: str, decisions: pl.DataFrame) -> None:
    store = DecisionStore(database_url)
    assert store.save(decisions, meta={"lpr_fixing": "2025-05-20"}, tenant_id="bank-a") == decisions.height
    back = store.list(tenant_id="bank-a")
    assert back.height == decisions.height
    assert back["application_id"].to_list() == decisions["application_id"].to_list()
    assert back["outcome"].to_list() == decisions["outcome"].to_list()
    for name in ("approved_cny", "limit_cny", "requested_cny"):
        assert (back[name] - decisions[name].round(2)).abs().max() < 1e-9
    assert back["rate"].to_list() == pytest.approx(decisions["rate"].to_list(), rel=1e-12)
    assert store.list(tenant_id="bank-b").height == 0
    one = decisions["application_id"][0]
    assert store.list(application_id=one)["application_id"].to_list() == [one]


def test_the_same_decision_is_saved_once(database_url: str, decisions: pl.DataFrame) -> None:
    store = DecisionStore(database_url)
    store.save(decisions.head(5), meta={})
    with pytest.raises(ConflictError, match="already recorded"):
        store.save(decisions.head(6), meta={})
    assert store.list().height == 5  # the failed batch left nothing behind
    store.save(decisions.head(5), meta={"rerun": 2})  # a new run (other metadata) is a new record
    assert store.list().height == 10


def test_decisions_cannot_be_rewritten(database_url: str, decisions: pl.DataFrame) -> None:
    store = DecisionStore(database_url)
    store.save(decisions.head(2), meta={})
    for statement in ("UPDATE lending_decisions SET outcome = 'approve'", "DELETE FROM lending_decisions"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement))
    assert store.list().height == 2


def test_a_table_that_is_not_a_decision_table_is_refused(decisions: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="lacks"):
        DecisionStore("sqlite://").save(decisions.drop("outcome"), meta={})


def test_lend_decide_saves_to_the_store_and_refuses_a_second_save(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from greenfin.cli import app
    from greenfin.datasets import sample_path

    apps = tmp_path / "apps.csv"
    load_sample("county_applications").head(25).write_csv(apps)
    url = f"sqlite:///{tmp_path / 'bank.sqlite'}"
    args = ["lend", "decide", "--applications", str(apps), "--as-of", "2026-06-30", "--db", url, "--tenant", "b1"]
    first = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run1"), "--json"])
    assert first.exit_code == 0, first.output
    assert DecisionStore(url).list(tenant_id="b1").height == 25
    second = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run2")])
    assert isinstance(second.exception, ConflictError)
    assert not (tmp_path / "run2").exists()  # refused before any file was written
    assert sample_path("county_applications").is_file()
