"""Fixtures of the API tests: an app on a fresh database, and keys for each kind of caller."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.main import create_app
from api.settings import Settings
from greenfin.store._access import issue_key


@dataclass(frozen=True)
class Keys:
    admin: str
    bank_a: str
    bank_b: str
    insurer: str
    finance: str

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def _make_client(url: str, **overrides: object) -> tuple[FastAPI, TestClient]:
    overrides.setdefault("gc_freeze_on_startup", False)  # many apps start in the test process
    settings = Settings(database_url=url, **overrides)  # type: ignore[arg-type]
    app = create_app(settings)
    return app, TestClient(app, raise_server_exceptions=False)


def _issue_keys(app: FastAPI) -> Keys:
    with Session(app.state.engine) as session, session.begin():
        return Keys(
            admin=issue_key(session, "operator", "admin").key,
            bank_a=issue_key(session, "bank-a", "bank").key,
            bank_b=issue_key(session, "bank-b", "bank").key,
            insurer=issue_key(session, "insurer-a", "insurer").key,
            finance=issue_key(session, "finance-office", "finance_office").key,
        )


@pytest.fixture
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('api') / 'greenfin.sqlite'}"


@pytest.fixture
def app_client(sqlite_url: str) -> Iterator[tuple[FastAPI, TestClient]]:
    app, client = _make_client(sqlite_url, rate_limit_burst=10_000, rate_limit_per_second=10_000.0)
    with client:
        yield app, client


@pytest.fixture
def client(app_client: tuple[FastAPI, TestClient]) -> TestClient:
    return app_client[1]


@pytest.fixture
def keys(app_client: tuple[FastAPI, TestClient]) -> Keys:
    return _issue_keys(app_client[0])


@pytest.fixture
def make_client() -> object:
    """Factory: ``make_client(url, **settings)`` -> (app, TestClient) (enter the client to start the app)."""
    return _make_client


@pytest.fixture
def issue_keys() -> object:
    """Factory: ``issue_keys(app)`` -> Keys for admin, bank-a, bank-b, an insurer and the finance office."""
    return _issue_keys


@pytest.fixture
def db_client(database_url: str) -> Iterator[tuple[TestClient, Keys]]:
    """A client and keys on SQLite and on PostgreSQL (the store-backed tests run on both)."""
    app, client = _make_client(database_url, rate_limit_burst=10_000, rate_limit_per_second=10_000.0)
    with client:
        yield client, _issue_keys(app)
