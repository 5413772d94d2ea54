"""Collateral routes: valuation, registry writes, tenant isolation, idempotency, and the pledge race."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from fastapi.testclient import TestClient

from greenfin.collateral import RIGHTS_COLUMNS

WATER = {
    "right_id": "W1",
    "borrower_id": "B1",
    "right_type": "water_right",
    "term_end": "2035-12-31",
    "permit_quantity_per_year": 1.36e8,
    "unit_price_cny": 0.15,
    "registry": "movable_unified",
}
REGISTRATION = {
    "right_id": "W1",
    "owner_id": "B1",
    "right_type": "water_right",
    "certificate_no": "取水(赣)2024-001",
    "registry": "movable_unified",
    "term_end": "2035-12-31",
}
PLEDGE = {"loan_ref": "L-1", "amount_cny": 1_000_000.0, "start": "2026-07-01", "end": "2029-06-30"}


def test_right_model_covers_every_rights_column() -> None:
    from api.routers.collateral import RightIn

    assert set(RightIn.model_fields) == {c.name for c in RIGHTS_COLUMNS}


def test_value_right_matches_the_library(client: TestClient, keys) -> None:
    import polars as pl

    from greenfin.collateral import assess_collateral

    response = client.post(
        "/v1/collateral/valuations", json={"right": WATER, "as_of": "2026-06-30"}, headers=keys.auth(keys.bank_a)
    )
    assert response.status_code == 200, response.text
    expected = assess_collateral(pl.DataFrame([WATER]), as_of=dt.date(2026, 6, 30)).row(0, named=True)
    body = response.json()
    assert body["max_loan_cny"] == expected["max_loan_cny"] == 10_200_000.0
    assert body["binding_bound"] == expected["binding_bound"]
    assert body["eligible"] is True


def test_value_right_data_error_is_422_with_column(client: TestClient, keys) -> None:
    forest = {"right_id": "F1", "borrower_id": "B1", "right_type": "forest_right", "term_end": "2040-01-01"}
    response = client.post(
        "/v1/collateral/valuations", json={"right": forest, "as_of": "2026-06-30"}, headers=keys.auth(keys.bank_a)
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:greenfin:problem:data-error"
    assert body["source"] == "request body.right"
    assert body["column"]


def test_expired_right_is_flagged_not_refused(client: TestClient, keys) -> None:
    expired = {**WATER, "term_end": "2020-01-01"}
    body = client.post(
        "/v1/collateral/valuations", json={"right": expired, "as_of": "2026-06-30"}, headers=keys.auth(keys.bank_a)
    ).json()
    assert body["eligible"] is False
    assert body["advance_rate"] == 0.0
    assert body["refusal_reason"]


@pytest.mark.parametrize("who", ["insurer", "finance", "admin"])
def test_collateral_routes_are_for_banks(client: TestClient, keys, who: str) -> None:
    key = getattr(keys, who)
    assert (
        client.post(
            "/v1/collateral/valuations", json={"right": WATER, "as_of": "2026-06-30"}, headers=keys.auth(key)
        ).status_code
        == 403
    )
    assert client.post("/v1/rights", json=REGISTRATION, headers=keys.auth(key)).status_code == 403


def test_register_pledge_conflict_release_and_audit(db_client) -> None:
    client, keys = db_client
    bank = keys.auth(keys.bank_a)
    created = client.post("/v1/rights", json=REGISTRATION, headers={**bank, "X-Request-ID": "reg-1"})
    assert created.status_code == 201, created.text
    assert client.get("/v1/rights/W1", headers=bank).json()["certificate_no"] == REGISTRATION["certificate_no"]
    again = client.post("/v1/rights", json=REGISTRATION, headers=bank)
    assert again.status_code == 409
    first = client.post("/v1/rights/W1/pledges", json=PLEDGE, headers={**bank, "X-Request-ID": "pl-1"})
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "active"
    second = client.post("/v1/rights/W1/pledges", json={**PLEDGE, "loan_ref": "L-2"}, headers=bank)
    assert second.status_code == 409
    assert second.json()["type"] == "urn:greenfin:problem:conflict"
    assert "already has an active pledge" in second.json()["detail"]
    too_long = client.post("/v1/rights/W1/pledges", json={**PLEDGE, "end": "2036-06-30"}, headers=bank)
    assert too_long.status_code in (409, 422)
    released = client.post("/v1/rights/W1/pledges/release", json={"on": "2027-01-01", "reason": "repaid"}, headers=bank)
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    nothing = client.post("/v1/rights/W1/pledges/release", json={"on": "2027-01-02", "reason": "x"}, headers=bank)
    assert nothing.status_code == 409
    pledges = client.get("/v1/rights/W1/pledges", headers=bank).json()
    assert [p["status"] for p in pledges] == ["released"]
    audit = client.get("/v1/audit", headers=bank).json()
    api_entries = [(e["action"], e["request_id"]) for e in audit if e["detail"].get("via") == "api"]
    assert api_entries[:2] == [("right.register", "reg-1"), ("pledge.create", "pl-1")]
    assert api_entries[2][0] == "pledge.release"
    # the registry's own entries carry the caller as actor too
    assert {e["actor"] for e in audit} == {f"bank-a/{keys.bank_a.split('_')[1]}"}


def test_pledge_idempotency_key_replays_the_first_response(db_client) -> None:
    client, keys = db_client
    bank = keys.auth(keys.bank_a)
    client.post("/v1/rights", json=REGISTRATION, headers=bank)
    headers = {**bank, "Idempotency-Key": "pledge-W1-L-1"}
    first = client.post("/v1/rights/W1/pledges", json=PLEDGE, headers=headers)
    replay = client.post("/v1/rights/W1/pledges", json=PLEDGE, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert len(client.get("/v1/rights/W1/pledges", headers=bank).json()) == 1
    changed = client.post("/v1/rights/W1/pledges", json={**PLEDGE, "amount_cny": 5.0}, headers=headers)
    assert changed.status_code == 422
    # the same key in another tenant is a different key
    other = client.post(
        "/v1/rights",
        json={**REGISTRATION, "right_id": "W9", "certificate_no": "c-9"},
        headers={**keys.auth(keys.bank_b), "Idempotency-Key": "pledge-W1-L-1"},
    )
    assert other.status_code == 201


def test_tenant_isolation_by_id_guessing(db_client) -> None:
    client, keys = db_client
    a, b = keys.auth(keys.bank_a), keys.auth(keys.bank_b)
    assert client.post("/v1/rights", json=REGISTRATION, headers=a).status_code == 201
    assert client.post("/v1/rights/W1/pledges", json=PLEDGE, headers=a).status_code == 201
    missing = client.get("/v1/rights/NOPE", headers=b)
    for response in (
        client.get("/v1/rights/W1", headers=b),
        client.get("/v1/rights/W1/pledges", headers=b),
        client.post("/v1/rights/W1/pledges", json={**PLEDGE, "loan_ref": "B-1"}, headers=b),
        client.post("/v1/rights/W1/pledges/release", json={"on": "2027-01-01", "reason": "steal"}, headers=b),
    ):
        assert response.status_code == 404
        assert response.json()["detail"].replace("'W1'", "'X'") == missing.json()["detail"].replace("'NOPE'", "'X'")
    # bank A's pledge is untouched and bank B's audit trail holds nothing of A's
    assert [p["status"] for p in client.get("/v1/rights/W1/pledges", headers=a).json()] == ["active"]
    assert client.get("/v1/audit", headers=b).json() == []
    # registering the same right id under bank B does not take it over
    assert client.post("/v1/rights", json=REGISTRATION, headers=b).status_code == 409
    assert client.get("/v1/rights/W1", headers=b).status_code == 404


def test_finance_office_cannot_read_bank_rights(client: TestClient, keys) -> None:
    client.post("/v1/rights", json=REGISTRATION, headers=keys.auth(keys.bank_a))
    assert client.get("/v1/rights/W1", headers=keys.auth(keys.finance)).status_code == 403


def _race(app, key: str, n: int) -> list[int]:
    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=120) as http:
            requests = [
                http.post(
                    "/v1/rights/W1/pledges",
                    json={**PLEDGE, "loan_ref": f"L-{i}"},
                    headers={"Authorization": f"Bearer {key}"},
                )
                for i in range(n)
            ]
            responses = await asyncio.gather(*requests)
        return [r.status_code for r in responses]

    return asyncio.run(run())


@pytest.mark.slow
def test_fifty_parallel_pledges_make_exactly_one(database_url: str, make_client, issue_keys) -> None:
    app, client = make_client(database_url, rate_limit_burst=1_000, rate_limit_per_second=1_000.0)
    with client:
        keys = issue_keys(app)
        assert client.post("/v1/rights", json=REGISTRATION, headers=keys.auth(keys.bank_a)).status_code == 201
        statuses = _race(app, keys.bank_a, 50)
        assert sorted(statuses) == [201] + [409] * 49
        pledges = client.get("/v1/rights/W1/pledges", headers=keys.auth(keys.bank_a)).json()
        assert [p["status"] for p in pledges] == ["active"]
        audit = client.get("/v1/audit", headers=keys.auth(keys.bank_a), params={"limit": 1000}).json()
        assert len([e for e in audit if e["action"] == "pledge.create"]) == 1
