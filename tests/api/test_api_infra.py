"""Infrastructure of the API: errors as problem+json, request ids, limits, authentication, roles, audit."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sklearn.exceptions import NotFittedError

from api.errors import PROBLEM_MEDIA_TYPE
from api.logs import LOGGER_NAME, JsonFormatter
from greenfin.errors import ConflictError, ConvergenceError, DataError, SpecError

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/ready").json()["status"] == "ready"


def test_ready_is_503_when_the_database_is_not_migrated(make_client, tmp_path) -> None:
    _, client = make_client(f"sqlite:///{tmp_path / 'empty.sqlite'}", migrate_on_startup=False)
    with client:
        body = _is_problem(client.get("/ready"), 503)
    assert "migrations" in body["detail"]


@pytest.mark.parametrize(
    ("exc", "status", "kind"),
    [
        (SpecError("The 'pdo' parameter must be > 0. Got -1 instead. Use pdo=20."), 422, "spec-error"),
        (DataError("area_ha must be > 0; got -3.", source="p.csv", column="area_ha", row=7), 422, "data-error"),
        (ConvergenceError("IRR did not converge; widen the bracket."), 422, "convergence-error"),
        (ConflictError("Right R1 already has an active pledge; release it first."), 409, "conflict"),
        (NotFittedError("This Scorecard instance is not fitted yet. Call 'fit' first."), 409, "not-fitted"),
    ],
)
def test_greenfin_errors_map_to_problems(app_client, exc: Exception, status: int, kind: str) -> None:
    app, client = app_client

    @app.get("/boom-test", operation_id="boom_test")
    def boom() -> None:
        raise exc

    body = _is_problem(client.get("/boom-test"), status)
    assert body["type"] == f"urn:greenfin:problem:{kind}"
    if isinstance(exc, DataError):
        assert (body["source"], body["column"], body["row"]) == ("p.csv", "area_ha", 7)
        assert body["detail"] == "area_ha must be > 0; got -3."
    else:
        assert body["detail"] == str(exc)


def test_unexpected_error_is_500_without_internals_and_logged(app_client, caplog) -> None:
    app, client = app_client

    @app.get("/crash-test", operation_id="crash_test")
    def crash() -> None:
        secret = "postgresql://user:hunter2@db/prod"
        raise RuntimeError(f"cannot connect to {secret}")

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger(LOGGER_NAME).addHandler(handler)
    try:
        response = client.get("/crash-test", headers={"X-Request-ID": "req-crash-1"})
    finally:
        logging.getLogger(LOGGER_NAME).removeHandler(handler)
    body = _is_problem(response, 500)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert "req-crash-1" in body["detail"]
    errors = [r for r in records if r.levelno >= logging.ERROR]
    assert errors
    line = json.loads(JsonFormatter().format(errors[0]))
    assert line["request_id"] == "req-crash-1"
    assert line["exc_type"] == "RuntimeError"


def test_request_validation_is_422_problem_with_fields(client: TestClient, keys) -> None:
    response = client.post(
        "/v1/admin/keys", json={"tenant_id": "Bank A!", "role": "bank"}, headers=keys.auth(keys.admin)
    )
    body = _is_problem(response, 422)
    assert body["type"] == "urn:greenfin:problem:validation-error"
    assert body["errors"][0]["loc"] == ["body", "tenant_id"]


def test_request_id_is_kept_or_made(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "bank-corr-42"}).headers["x-request-id"] == "bank-corr-42"
    made = client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert made != "bad id\twith spaces"
    assert len(made) == 32


def test_access_log_is_one_json_line_per_request(client: TestClient, keys) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger(LOGGER_NAME).addHandler(handler)
    try:
        client.get("/v1/me", headers={**keys.auth(keys.bank_a), "X-Request-ID": "log-1"})
    finally:
        logging.getLogger(LOGGER_NAME).removeHandler(handler)
    lines = [json.loads(JsonFormatter().format(r)) for r in records if r.getMessage() == "request"]
    assert len(lines) == 1
    assert lines[0]["request_id"] == "log-1"
    assert lines[0]["status"] == 200
    assert lines[0]["tenant"] == "bank-a"
    assert keys.bank_a not in json.dumps(lines[0])


def test_body_size_limit(make_client, sqlite_url: str, issue_keys) -> None:
    app, client = make_client(sqlite_url, max_body_bytes=1_000)
    with client:
        keys = issue_keys(app)
        big = {"tenant_id": "bank-c", "role": "bank", "label": "x" * 2_000}
        _is_problem(client.post("/v1/admin/keys", json=big, headers=keys.auth(keys.admin)), 413)

        def chunks():
            yield b'{"tenant_id": "bank-c", "role": "bank", "label": "'
            yield b"y" * 2_000
            yield b'"}'

        chunked = client.post(
            "/v1/admin/keys", content=chunks(), headers={**keys.auth(keys.admin), "Content-Type": "application/json"}
        )
        _is_problem(chunked, 413)
        small = client.post(
            "/v1/admin/keys", json={"tenant_id": "bank-c", "role": "bank"}, headers=keys.auth(keys.admin)
        )
        assert small.status_code == 201


def test_rate_limit_per_key(make_client, sqlite_url: str, issue_keys) -> None:
    app, client = make_client(sqlite_url, rate_limit_burst=3, rate_limit_per_second=0.001)
    with client:
        keys = issue_keys(app)
        statuses = [client.get("/v1/me", headers=keys.auth(keys.bank_a)).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        limited = client.get("/v1/me", headers=keys.auth(keys.bank_a))
        _is_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        # another key has its own bucket
        assert client.get("/v1/me", headers=keys.auth(keys.bank_b)).status_code == 200


def test_failed_authentication_is_throttled_per_address(make_client, sqlite_url: str) -> None:
    _, client = make_client(sqlite_url, auth_failure_limit_per_minute=2)
    with client:
        bad = {"Authorization": "Bearer gfk_000000000000_" + "A" * 43}
        assert [client.get("/v1/me", headers=bad).status_code for _ in range(3)] == [401, 401, 429]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer gfk_000000000000_" + "A" * 43},
        {"X-API-Key": "gfk_zzzzzzzzzzzz_short"},
    ],
)
def test_missing_or_bad_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/v1/me", headers=headers)
    _is_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_wrong_secret_for_a_real_key_id_is_401(client: TestClient, keys) -> None:
    forged = keys.bank_a[: len("gfk_") + 12] + "_" + "B" * 43
    _is_problem(client.get("/v1/me", headers=keys.auth(forged)), 401)


def test_both_header_forms_authenticate(client: TestClient, keys) -> None:
    assert client.get("/v1/me", headers={"X-API-Key": keys.insurer}).json()["role"] == "insurer"
    me = client.get("/v1/me", headers=keys.auth(keys.finance)).json()
    assert me == {"key_id": keys.finance.split("_")[1], "tenant_id": "finance-office", "role": "finance_office"}


@pytest.mark.parametrize("who", ["bank_a", "insurer", "finance"])
def test_only_admin_creates_keys(client: TestClient, keys, who: str) -> None:
    response = client.post(
        "/v1/admin/keys", json={"tenant_id": "x", "role": "admin"}, headers=keys.auth(getattr(keys, who))
    )
    _is_problem(response, 403)


def test_admin_key_lifecycle_and_audit(client: TestClient, keys) -> None:
    admin = keys.auth(keys.admin)
    created = client.post(
        "/v1/admin/keys", json={"tenant_id": "bank-c", "role": "bank"}, headers={**admin, "X-Request-ID": "mk-1"}
    )
    assert created.status_code == 201
    new_key = created.json()["key"]
    assert client.get("/v1/me", headers=keys.auth(new_key)).json()["tenant_id"] == "bank-c"
    assert client.delete(f"/v1/admin/keys/{created.json()['key_id']}", headers=admin).status_code == 204
    _is_problem(client.get("/v1/me", headers=keys.auth(new_key)), 401)
    _is_problem(client.delete("/v1/admin/keys/ffffffffffff", headers=admin), 404)
    audit = client.get("/v1/audit", headers=admin).json()
    assert next((e["action"], e["request_id"]) for e in audit) == ("api_key.create", "mk-1")
    assert [e["action"] for e in audit] == ["api_key.create", "api_key.revoke"]
    admin_id = keys.admin.split("_")[1]
    assert [(e["actor"], e["detail"]["role"]) for e in audit] == [(f"operator/{admin_id}", "admin")] * 2
    assert keys.admin not in json.dumps(audit)
    assert new_key not in json.dumps(audit)
    # a bank sees only its own tenant's audit entries (none here)
    assert client.get("/v1/audit", headers=keys.auth(keys.bank_a)).json() == []


def test_new_keys_are_never_stored_for_replay(client: TestClient, keys) -> None:
    headers = {**keys.auth(keys.admin), "Idempotency-Key": "k-1"}
    first = client.post("/v1/admin/keys", json={"tenant_id": "bank-d", "role": "bank"}, headers=headers)
    second = client.post("/v1/admin/keys", json={"tenant_id": "bank-d", "role": "bank"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["key"] != second.json()["key"]


def test_openapi_has_stable_operation_ids_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert {"health", "ready", "get_me", "create_api_key", "revoke_api_key", "list_audit_entries"} <= set(ids)
    assert all(i.isidentifier() and i.islower() for i in ids)
    assert client.get("/docs").status_code == 200


def test_repeated_query_parameter_is_refused(client: TestClient, keys) -> None:
    response = client.get("/v1/audit?limit=1&limit=1000", headers=keys.auth(keys.admin))
    body = _is_problem(response, 422)
    assert "limit" in body["detail"]


def test_startup_freezes_long_lived_objects_out_of_the_collector(make_client, sqlite_url: str) -> None:
    import gc

    before = gc.get_freeze_count()
    _app, client = make_client(sqlite_url, gc_freeze_on_startup=True)
    try:
        with client:
            assert gc.get_freeze_count() > before
            assert client.get("/health").status_code == 200
    finally:
        gc.unfreeze()  # give the test process its collector back


def test_every_route_ends_its_transaction_in_its_own_thread(client: TestClient) -> None:
    # A router created without route_class=TransactionalRoute would hold its session across FastAPI's
    # response hop to the thread pool (see api/routing.py); every route of every router must use the class.
    import importlib
    import pkgutil

    from fastapi.routing import APIRoute

    import api.routers
    from api.routing import TransactionalRoute

    routes: list[APIRoute] = []
    for info in pkgutil.iter_modules(api.routers.__path__):
        router = getattr(importlib.import_module(f"api.routers.{info.name}"), "router", None)
        if router is not None:
            routes.extend(r for r in router.routes if isinstance(r, APIRoute))
    served = {(path, m.upper()) for path, ops in client.get("/openapi.json").json()["paths"].items() for m in ops}
    assert {(r.path, m) for r in routes for m in r.methods} == served  # these are all the app's operations
    assert [r.path for r in routes if not isinstance(r, TransactionalRoute)] == []
