"""Scoring routes: upload a saved model (hash-checked), score one borrower, tenant isolation of models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

FEATURES = ("past_delinquencies", "eco_points")


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from greenfin.datasets import load_sample
    from greenfin.scoring import Scorecard, save_model

    df = load_sample("county_borrowers")
    card = Scorecard().fit(df.select(*FEATURES), df["default_flag"])
    path = save_model(card, tmp_path_factory.mktemp("model") / "card")
    return {p.name: p.read_text(encoding="utf-8") for p in Path(path).iterdir() if p.is_file()}


def _upload(client: TestClient, key: str, files: dict[str, str], model_id: str = "card-2026") -> object:
    return client.post(
        "/v1/scoring/models", json={"model_id": model_id, "files": files}, headers={"Authorization": f"Bearer {key}"}
    )


def test_upload_and_score_matches_the_library(client: TestClient, keys, saved_model, tmp_path: Path) -> None:
    import polars as pl

    from greenfin.datasets import load_sample
    from greenfin.scoring import load_model, score_frame

    uploaded = _upload(client, keys.bank_a, saved_model)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["kind"] == "Scorecard"
    borrower = load_sample("county_borrowers").select("borrower_id", *FEATURES).row(0, named=True)
    features = {k: borrower[k] for k in FEATURES}
    response = client.post(
        "/v1/scoring/models/card-2026/scores",
        json={"borrower_id": borrower["borrower_id"], "features": features},
        headers=keys.auth(keys.bank_a),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    for name, text in saved_model.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    expected = score_frame(load_model(tmp_path), pl.DataFrame([features])).row(0, named=True)
    assert body["pd"] == pytest.approx(expected["pd"], rel=1e-12)
    assert body["points"] == pytest.approx(expected["points"], rel=1e-12)
    assert body["grade"] == expected["grade"]
    assert body["borrower_id"] == borrower["borrower_id"]
    assert all(r["points_lost"] >= 0 for r in body["reasons"])


def test_tampered_model_is_refused(client: TestClient, keys, saved_model) -> None:
    doc = json.loads(saved_model["model.json"])
    tampered = {**saved_model, "model.json": json.dumps(doc, indent=1) + "\n"}
    response = _upload(client, keys.bank_a, tampered)
    assert response.status_code == 422
    assert response.json()["type"] == "urn:greenfin:problem:data-error"
    unknown = _upload(client, keys.bank_a, {**saved_model, "evil.pkl": "x"})
    assert unknown.status_code == 422


def test_model_ids_are_immutable_and_per_tenant(db_client, saved_model) -> None:
    client, keys = db_client
    assert _upload(client, keys.bank_a, saved_model).status_code == 201
    assert _upload(client, keys.bank_a, saved_model).status_code == 409
    # bank B cannot use bank A's model by guessing its id, and may use the same id for its own model
    score = {"features": {"past_delinquencies": 0, "eco_points": 70}}
    assert (
        client.post("/v1/scoring/models/card-2026/scores", json=score, headers=keys.auth(keys.bank_b)).status_code
        == 404
    )
    assert _upload(client, keys.bank_b, saved_model).status_code == 201
    assert (
        client.post("/v1/scoring/models/card-2026/scores", json=score, headers=keys.auth(keys.bank_b)).status_code
        == 200
    )


def test_missing_feature_is_a_data_error(client: TestClient, keys, saved_model) -> None:
    _upload(client, keys.bank_a, saved_model)
    response = client.post(
        "/v1/scoring/models/card-2026/scores", json={"features": {"eco_points": 70}}, headers=keys.auth(keys.bank_a)
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:greenfin:problem:data-error"


@pytest.mark.parametrize("who", ["insurer", "finance", "admin"])
def test_scoring_is_for_banks(client: TestClient, keys, saved_model, who: str) -> None:
    assert _upload(client, getattr(keys, who), saved_model).status_code == 403
