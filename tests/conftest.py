"""Shared fixtures: database URLs for the store tests (SQLite always; PostgreSQL at 127.0.0.1:5432)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

PG_BASE = os.environ.get("GREENFIN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres", connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database per test: a SQLite file, or a new schema in PostgreSQL's ``test`` database.

    PostgreSQL is required in CI (``CI`` set); elsewhere a missing server skips the PostgreSQL half
    with a reason, unless ``GREENFIN_REQUIRE_POSTGRES=1``.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'greenfin.sqlite'}"
        return
    if not _postgres_available():
        if os.environ.get("CI") or os.environ.get("GREENFIN_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432 (database test); start it (see .ci/run).")
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432; the SQLite half of this test still ran.")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres", autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
