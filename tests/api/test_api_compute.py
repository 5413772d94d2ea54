"""Stateless compute routes: GEP accounts, insurance aggregate losses, ABS pool projections."""

from __future__ import annotations

import polars as pl
import pytest
from fastapi.testclient import TestClient

WATER_Q = {"indicator": "water_conservation", "component": "water_m3", "quantity": 1.918e9, "unit": "m3"}


def test_gep_account_matches_the_library(client: TestClient, keys) -> None:
    from greenfin.gep import account_region

    response = client.post(
        "/v1/gep/accounts",
        json={"quantities": [WATER_Q], "rules": "national-2022", "year": 2005},
        headers=keys.auth(keys.finance),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    expected = account_region(pl.DataFrame([WATER_Q]), rules="national-2022", year=2005)
    assert body["total_cny"] == pytest.approx(expected.total_cny, rel=1e-12)
    assert round(body["total_cny"] / 1e8, 2) == 117.2
    water = next(i for i in body["indicators"] if i["indicator"] == "water_conservation")
    assert water["value_cny"] == pytest.approx(expected.total_cny)
    assert body["rules"] == "national-2022"


@pytest.mark.parametrize("who", ["bank_a", "insurer", "finance", "admin"])
def test_gep_is_open_to_every_role(client: TestClient, keys, who: str) -> None:
    response = client.post("/v1/gep/accounts", json={"quantities": [WATER_Q]}, headers=keys.auth(getattr(keys, who)))
    assert response.status_code == 200


def test_gep_bad_row_is_a_data_error(client: TestClient, keys) -> None:
    bad = {**WATER_Q, "indicator": "unicorns"}
    response = client.post("/v1/gep/accounts", json={"quantities": [bad]}, headers=keys.auth(keys.bank_a))
    assert response.status_code == 422
    assert response.json()["type"] == "urn:greenfin:problem:data-error"


def test_gep_unknown_rule_set_is_a_validation_error(client: TestClient, keys) -> None:
    response = client.post(
        "/v1/gep/accounts", json={"quantities": [WATER_Q], "rules": "national-2021"}, headers=keys.auth(keys.bank_a)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "rules"]


def test_insurance_aggregate_matches_the_library(client: TestClient, keys) -> None:
    from greenfin.insurance import DiscreteSeverity, Poisson, aggregate

    request = {
        "frequency": {"kind": "poisson", "lam": 3.0},
        "severity": {"kind": "discrete", "values": [1, 2, 3], "probs": [0.25, 0.375, 0.375]},
        "method": "panjer",
        "nodes": 64,
    }
    response = client.post("/v1/insurance/aggregate", json=request, headers=keys.auth(keys.insurer))
    assert response.status_code == 200, response.text
    body = response.json()
    expected = aggregate(
        Poisson(lam=3.0),
        DiscreteSeverity(values=(1, 2, 3), probs=(0.25, 0.375, 0.375)),
        method="panjer",
        nodes=64,
        bracket=False,
    )
    assert body["mean_cny"] == pytest.approx(6.375, abs=1e-6)
    assert body["p_zero"] == pytest.approx(0.049787, abs=1e-6)
    assert body["var_cny"]["0.995"] == pytest.approx(expected.central.quantile(0.995))


def test_insurance_is_for_insurers(client: TestClient, keys) -> None:
    request = {"frequency": {"kind": "poisson", "lam": 3.0}, "severity": {"kind": "exponential", "mean": 1000.0}}
    assert client.post("/v1/insurance/aggregate", json=request, headers=keys.auth(keys.bank_a)).status_code == 403
    assert client.post("/v1/insurance/aggregate", json=request, headers=keys.auth(keys.insurer)).status_code == 200


def test_insurance_server_bounds_the_lattice(client: TestClient, keys) -> None:
    request = {
        "frequency": {"kind": "poisson", "lam": 3.0},
        "severity": {"kind": "exponential", "mean": 1.0},
        "nodes": 10_000_000,
    }
    response = client.post("/v1/insurance/aggregate", json=request, headers=keys.auth(keys.insurer))
    assert response.status_code == 422


def test_pool_projection_matches_sf19(client: TestClient, keys) -> None:
    request = {
        "lines": [
            {"balance_cny": 100e6, "gross_rate": 0.08, "original_term_months": 360, "remaining_term_months": 360}
        ],
        "assumptions": {
            "prepay": {"kind": "smm", "value": 0.01},
            "default": {"kind": "mdr", "value": 0.01},
            "lag_months": 12,
            "severity": 0.2,
            "advancing": True,
        },
    }
    response = client.post("/v1/securitization/pool-projections", json=request, headers=keys.auth(keys.bank_a))
    assert response.status_code == 200, response.text
    months = response.json()["months"]
    assert len(months) == 360
    assert (round(months[0]["perf_bal_cny"]), round(months[12]["adb_cny"])) == (97934244, 991646)
    assert (
        client.post("/v1/securitization/pool-projections", json=request, headers=keys.auth(keys.insurer)).status_code
        == 403
    )


def test_pool_projection_rejects_unknown_fields(client: TestClient, keys) -> None:
    request = {
        "lines": [
            {
                "balance_cny": 1e6,
                "gross_rate": 0.08,
                "original_term_months": 12,
                "remaining_term_months": 12,
                "colour": "green",
            }
        ],
        "assumptions": {
            "prepay": {"kind": "smm", "value": 0.01},
            "default": {"kind": "mdr", "value": 0.01},
            "lag_months": 1,
            "severity": 0.2,
            "advancing": True,
        },
    }
    response = client.post("/v1/securitization/pool-projections", json=request, headers=keys.auth(keys.bank_a))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "colour"


def _application() -> dict:
    from greenfin.datasets import load_sample
    from greenfin.lending import APPLICATION_COLUMNS

    names = {c.name for c in APPLICATION_COLUMNS}
    row = load_sample("county_applications").head(1).row(0, named=True)
    return {k: (str(v) if k == "county_id" else v) for k, v in row.items() if k in names and v is not None}


def test_lending_decision_matches_the_library(client: TestClient, keys) -> None:
    import datetime as dt

    from greenfin.lending import decide

    application = _application()
    response = client.post(
        "/v1/lending/decisions",
        json={"application": application, "as_of": "2026-06-30"},
        headers=keys.auth(keys.bank_a),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    expected = decide(pl.DataFrame([application]), as_of=dt.date(2026, 6, 30)).row(0, named=True)
    assert body["outcome"] == expected["outcome"]
    assert body["approved_cny"] == pytest.approx(expected["approved_cny"])
    assert body["binding_constraint"] == expected["binding_constraint"]
    assert body["rate"] == pytest.approx(expected["rate"])
    assert body["record"]["as_of"] == "2026-06-30"


def test_lending_rejects_unknown_borrower_type_and_is_for_banks(client: TestClient, keys) -> None:
    bad = {**_application(), "borrower_type": "pirate"}
    response = client.post(
        "/v1/lending/decisions", json={"application": bad, "as_of": "2026-06-30"}, headers=keys.auth(keys.bank_a)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:3] == ["body", "application", "borrower_type"]
    response = client.post(
        "/v1/lending/decisions",
        json={"application": _application(), "as_of": "2026-06-30"},
        headers=keys.auth(keys.insurer),
    )
    assert response.status_code == 403


def test_lending_unknown_product_is_a_spec_error(client: TestClient, keys) -> None:
    response = client.post(
        "/v1/lending/decisions",
        json={"application": _application(), "as_of": "2026-06-30", "product_id": "no-such-product"},
        headers=keys.auth(keys.bank_a),
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:greenfin:problem:spec-error"


def _panel() -> list[dict]:
    from greenfin.assessment import (
        aggregate_loans,
        bank_quarter_panel,
        classify_loans,
        validate_bank_quarters,
        validate_loans,
    )
    from greenfin.datasets import load_sample

    loans = classify_loans(validate_loans(load_sample("assessment_loans")))
    return bank_quarter_panel(
        aggregate_loans(loans), validate_bank_quarters(load_sample("assessment_banks"))
    ).to_dicts()


def test_bank_scores_match_the_library(client: TestClient, keys) -> None:
    from greenfin.assessment import load_rulebook, score_banks

    panel = _panel()
    response = client.post(
        "/v1/assessment/bank-scores",
        json={"panel": panel, "rulebook": "pboc-2021", "quarters": ["2025Q2"]},
        headers=keys.auth(keys.finance),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    expected = score_banks(pl.DataFrame(panel), load_rulebook("pboc-2021"), "2025Q2").scores
    assert len(body["scores"]) == expected.height == 20
    by_bank = {r["bank_code"]: r for r in body["scores"]}
    for row in expected.to_dicts():
        assert by_bank[row["bank_code"]]["total_score"] == pytest.approx(row["total_score"])
        assert by_bank[row["bank_code"]]["rank"] == row["rank"]


@pytest.mark.parametrize("who", ["bank_a", "insurer", "admin"])
def test_only_the_finance_office_reads_across_banks(client: TestClient, keys, who: str) -> None:
    response = client.post(
        "/v1/assessment/bank-scores",
        json={"panel": _panel()[:2], "rulebook": "pboc-2021", "quarters": ["2025Q2"]},
        headers=keys.auth(getattr(keys, who)),
    )
    assert response.status_code == 403


def test_bank_scores_missing_quarter_is_a_spec_error(client: TestClient, keys) -> None:
    response = client.post(
        "/v1/assessment/bank-scores",
        json={"panel": _panel(), "rulebook": "pboc-2021", "quarters": ["2030Q1"]},
        headers=keys.auth(keys.finance),
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:greenfin:problem:spec-error"


def test_decisions_are_saved_per_tenant_and_replayed_by_idempotency_key(db_client) -> None:
    client, keys = db_client
    a, b = keys.auth(keys.bank_a), keys.auth(keys.bank_b)
    body = {"application": _application(), "as_of": "2026-06-30"}
    first = client.post("/v1/lending/decisions", json=body, headers={**a, "Idempotency-Key": "dec-1"})
    replay = client.post("/v1/lending/decisions", json=body, headers={**a, "Idempotency-Key": "dec-1"})
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    again = client.post("/v1/lending/decisions", json=body, headers=a)  # a new decision (another request)
    assert again.status_code == 201
    saved = client.get("/v1/lending/decisions", headers=a).json()
    assert len(saved) == 2
    assert {d["application_id"] for d in saved} == {body["application"]["application_id"]}
    assert saved[0]["approved_cny"] == pytest.approx(first.json()["approved_cny"])
    # bank B sees none of bank A's decisions, whatever application id it guesses
    guessed = {"application_id": body["application"]["application_id"]}
    assert client.get("/v1/lending/decisions", headers=b, params=guessed).json() == []
    audit = client.get("/v1/audit", headers=a).json()
    assert [e["action"] for e in audit if e["detail"].get("via") == "api"].count("decision.create") == 2
