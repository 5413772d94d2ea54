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
