"""One transaction per request: a store's change and the API's own rows commit together or not at all.

Each test makes the API's audit write fail after the store (pledge registry or decision store) has done its
part of the request, and checks that nothing of the request survives: no pledge, no right, no decision.
Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.api.test_api_collateral import PLEDGE, REGISTRATION
from tests.api.test_api_compute import _application


def _failing_audit(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("audit store unavailable (injected by the test)")


def test_failed_audit_undoes_the_registration(db_client, monkeypatch: pytest.MonkeyPatch) -> None:
    client, keys = db_client
    auth = keys.auth(keys.bank_a)
    with monkeypatch.context() as m:
        m.setattr("api.deps.append_audit", _failing_audit)
        assert client.post("/v1/rights", json=REGISTRATION, headers=auth).status_code == 500
    assert client.get(f"/v1/rights/{REGISTRATION['right_id']}", headers=auth).status_code == 404
    assert client.post("/v1/rights", json=REGISTRATION, headers=auth).status_code == 201  # not "already registered"


def test_failed_audit_undoes_the_pledge(db_client, monkeypatch: pytest.MonkeyPatch) -> None:
    client, keys = db_client
    auth = keys.auth(keys.bank_a)
    right = REGISTRATION["right_id"]
    assert client.post("/v1/rights", json=REGISTRATION, headers=auth).status_code == 201
    with monkeypatch.context() as m:
        m.setattr("api.deps.append_audit", _failing_audit)
        assert client.post(f"/v1/rights/{right}/pledges", json=PLEDGE, headers=auth).status_code == 500
    assert client.get(f"/v1/rights/{right}/pledges", headers=auth).json() == []
    created = client.post(f"/v1/rights/{right}/pledges", json=PLEDGE, headers=auth)
    assert created.status_code == 201  # the right is free: the failed request left no active pledge
    audit = client.get("/v1/audit", headers=auth, params={"limit": 1000}).json()
    assert [e["entity_id"] for e in audit if e["action"] == "pledge.create"] == [str(created.json()["pledge_id"])]


def test_failed_audit_undoes_the_decision(db_client, monkeypatch: pytest.MonkeyPatch) -> None:
    client, keys = db_client
    auth = keys.auth(keys.bank_a)
    body = {"application": _application(), "as_of": "2026-06-30"}
    with monkeypatch.context() as m:
        m.setattr("api.deps.append_audit", _failing_audit)
        assert client.post("/v1/lending/decisions", json=body, headers=auth).status_code == 500
    assert client.get("/v1/lending/decisions", headers=auth).json() == []
    assert client.post("/v1/lending/decisions", json=body, headers=auth).status_code == 201
    assert len(client.get("/v1/lending/decisions", headers=auth).json()) == 1


def test_concurrent_retries_with_one_idempotency_key_save_one_decision(
    database_url: str, make_client, issue_keys
) -> None:
    # A client that times out and retries sends the same key again while the first request still runs: one
    # decision is saved; every other answer is the stored replay (201) or a 409 asking to retry for it.
    app, client = make_client(database_url, rate_limit_burst=1_000, rate_limit_per_second=1_000.0)
    body = {"application": _application(), "as_of": "2026-06-30"}
    with client:
        keys = issue_keys(app)
        headers = {**keys.auth(keys.bank_a), "Idempotency-Key": "retry-1"}

        async def run() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=120) as http:
                sends = [http.post("/v1/lending/decisions", json=body, headers=headers) for _ in range(8)]
                return list(await asyncio.gather(*sends))

        responses = asyncio.run(run())
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, statuses
        assert 201 in statuses
        created = {r.json()["application_id"] for r in responses if r.status_code == 201}
        assert len(created) == 1
        assert len(client.get("/v1/lending/decisions", headers=keys.auth(keys.bank_a)).json()) == 1
        replay = client.post("/v1/lending/decisions", json=body, headers=headers)
        assert replay.status_code == 201
        assert replay.json() == next(r.json() for r in responses if r.status_code == 201)
