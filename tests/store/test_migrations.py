"""Models and Alembic migrations agree, on SQLite and PostgreSQL; the URL and default-file rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from greenfin.store import database_url, default_database_path, init_db, load_models, make_engine


def test_autogenerate_finds_no_difference(database_url: str) -> None:
    engine = init_db(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), load_models())
        assert diff == []
        tables = set(inspect(engine).get_table_names())
        assert {"rights", "pledges", "revaluations", "audit_log", "alembic_version"} <= tables
    finally:
        engine.dispose()


def test_init_db_is_idempotent(database_url: str) -> None:
    engine = init_db(database_url)
    init_db(engine)
    with engine.connect() as conn:
        heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(heads) == 1
    engine.dispose()


def test_tables_live_where_the_url_points(database_url: str) -> None:
    engine = init_db(database_url)
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        assert path.is_file()
        assert {"rights", "pledges"} <= set(inspect(engine).get_table_names())
        engine.dispose()
        return
    schema = database_url.split("search_path%3D")[1]
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
        ).scalars()
        assert {"rights", "pledges", "alembic_version"} <= set(found)
    engine.dispose()


def test_url_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GREENFIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_database_path() == tmp_path / "greenfin" / "greenfin.sqlite"
    assert database_url() == f"sqlite:///{tmp_path / 'greenfin' / 'greenfin.sqlite'}"
    monkeypatch.setenv("GREENFIN_DATABASE_URL", "sqlite:///elsewhere.db")
    assert database_url() == "sqlite:///elsewhere.db"
    assert database_url("sqlite://") == "sqlite://"


def test_default_file_is_created_on_first_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GREENFIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    engine = init_db()
    engine.dispose()
    assert (tmp_path / "greenfin" / "greenfin.sqlite").is_file()


def test_bad_url_is_a_spec_error() -> None:
    from greenfin.errors import SpecError

    with pytest.raises(SpecError, match="not a valid SQLAlchemy URL"):
        make_engine("not a url")
