from __future__ import annotations

import json

import numpy as np
import pytest

from greenfin.errors import DataError, SpecError
from greenfin.scoring import (
    BoostedPD,
    Scorecard,
    SegmentedScorecard,
    WoEBinner,
    input_schema,
    load_model,
    save_model,
    score_frame,
    score_record,
)


@pytest.fixture(scope="module")
def models(county_xy):
    xf, y = county_xy
    return {
        "scorecard": Scorecard().fit(xf, y),
        "boosted": BoostedPD().fit(xf, y),
        "segmented": SegmentedScorecard(segment="borrower_type", min_segment_rows=400).fit(xf, y),
    }


@pytest.mark.parametrize("kind", ["scorecard", "boosted", "segmented"])
def test_round_trip_gives_identical_scores(models, county_xy, tmp_path, kind):
    xf, _ = county_xy
    model = models[kind]
    path = save_model(model, tmp_path / kind, data_source="county_borrowers.csv")
    assert sorted(p.name for p in path.iterdir()) == sorted(
        ["model.json", "manifest.json", "model_card.md"] + (["booster.txt"] if kind == "boosted" else [])
    )
    loaded = load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict_pd(xf), model.predict_pd(xf))
    a, b = model.explain(xf.head(200)), loaded.explain(xf.head(200))
    assert a.equals(b)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["training_data"]["source"] == "county_borrowers.csv"
    assert manifest["training_data"]["rows"] == 4000
    assert len(manifest["training_data"]["sha256"]) == 64
    assert manifest["environment"]["numpy"]
    card = (path / "model_card.md").read_text()
    for area in ("Composition", "Logic", "Application", "Data", "Responsible entity", "Changes", "Audits"):
        assert area in card
    assert b"pickle" not in (path / "model.json").read_bytes()


def test_segmented_cards_share_one_points_scale(models):
    seg = models["segmented"]
    assert seg.cards_, "at least one segment has its own card"
    for card in seg.cards_.values():
        assert (card.factor_, card.offset_) == (seg.pooled_.factor_, seg.pooled_.offset_)
    assert set(seg.segment_of_) == {"farmer", "family_farm", "cooperative", "eco_business"}


@pytest.mark.parametrize("victim", ["model.json", "manifest.json"])
def test_tampered_model_is_refused(models, tmp_path, victim):
    path = save_model(models["scorecard"], tmp_path / "m")
    f = path / victim
    text = f.read_text()
    if victim == "model.json":
        f.write_text(text.replace('"intercept": -', '"intercept": -0', 1))
    else:
        doc = json.loads(text)
        doc["files"]["model.json"] = "0" * 64
        f.write_text(json.dumps(doc))
    with pytest.raises(DataError, match="tampered"):
        load_model(path)


def test_tampered_booster_is_refused(models, tmp_path):
    path = save_model(models["boosted"], tmp_path / "b")
    with open(path / "booster.txt", "a") as fh:
        fh.write("\n")
    with pytest.raises(DataError, match=r"booster\.txt does not match"):
        load_model(path)


def test_governance_roles_must_differ(models, tmp_path):
    with pytest.raises(SpecError, match="distinct"):
        save_model(models["scorecard"], tmp_path / "m", developer="Li", validator="Li")
    path = save_model(models["scorecard"], tmp_path / "m", developer="Li", validator="Wang", approver="Zhao")
    assert json.loads((path / "manifest.json").read_text())["review"]["approver"] == "Zhao"


def test_not_a_model_dir(tmp_path):
    with pytest.raises(DataError, match="not a saved greenfin model"):
        load_model(tmp_path)


def test_score_frame_entry_point(models, county, tmp_path):
    path = save_model(models["scorecard"], tmp_path / "m")
    out = score_frame(path, county.head(10), id_column="borrower_id")
    assert out.columns[:4] == ["borrower_id", "pd", "points", "grade"]
    for k in (1, 2, 3):
        assert {f"reason_{k}_en", f"reason_{k}_zh", f"reason_{k}_feature", f"reason_{k}_points"} <= set(out.columns)
    assert out["borrower_id"].to_list() == county["borrower_id"].head(10).to_list()
    seg = score_frame(models["segmented"], county.head(10))
    assert "card" not in seg.columns


def test_binner_only_round_trip(german_xy):
    xf, y = german_xy
    b = WoEBinner(assume_consent=True).fit(xf, y)
    np.testing.assert_array_equal(WoEBinner.from_json(b.to_json()).transform(xf), b.transform(xf))


def test_single_record_scoring_validates_types(models, county_xy, tmp_path):
    xf, _ = county_xy
    card = models["scorecard"]
    record = xf.row(0, named=True)
    one = score_record(card, record)
    frame_row = score_frame(card, xf.head(1)).row(0, named=True)
    assert one == frame_row
    schema = input_schema(card)
    assert set(schema.model_fields) == set(card.feature_names_in_)
    with pytest.raises(DataError, match="eco_points"):
        score_record(card, {**record, "eco_points": "lots"})
    with pytest.raises(DataError, match="borrower_type"):
        score_record(card, {k: v for k, v in record.items() if k != "borrower_type"})
    missing = score_record(card, {**record, "eco_points": None})  # None = missing value, scored as missing
    assert 0 < missing["pd"] < 1
    path = save_model(models["boosted"], tmp_path / "b")
    assert score_record(path, record)["pd"] == pytest.approx(models["boosted"].predict_pd(xf.head(1))[0])
