from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.scoring import (
    MasterScale,
    Scorecard,
    bootstrap_ci,
    calibration_by_grade,
    csi,
    discrimination,
    eco_features,
    fairness_report,
    fit_calibration,
    group_lift_report,
    grouped_validation,
    psi,
    psi_by_segment,
)


def test_discrimination_on_a_known_case():
    m = discrimination([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert m["auc"] == 0.75
    assert m["gini"] == 0.5
    assert m["ks"] == 0.5
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(0.0, 2.0))
def test_psi_is_zero_on_identical_and_grows_with_shift(seed, shift):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=5000)
    assert psi(x, x) == pytest.approx(0.0, abs=1e-9)
    assert psi(x, x + shift) >= psi(x, x + shift / 2) - 1e-9


def test_psi_by_segment_and_csi(county_xy, county):
    xf, y = county_xy
    card = Scorecard().fit(xf[:2000], y[:2000])
    e, a = card.predict_pd(xf[:2000]), card.predict_pd(xf[2000:])
    t = psi_by_segment(e, a, county["borrower_type"][:2000], county["borrower_type"][2000:])
    assert t["segment"][0] == "(all)"
    assert set(t["segment"][1:]) == {"farmer", "family_farm", "cooperative", "eco_business"}
    assert (t["psi"] < 0.1).all()
    c = csi(card, xf[:2000], xf[2000:])
    assert c["feature"].to_list() == list(card.selected_)
    assert set(c["status"]) <= {"stable", "watch", "act"}
    by = csi(
        card,
        xf[:2000],
        xf[2000:],
        expected_segment=county["borrower_type"][:2000],
        actual_segment=county["borrower_type"][2000:],
    )
    assert by.filter(pl.col("segment") == "(all)")["csi"].to_list() == c["csi"].to_list()
    assert by["segment"].n_unique() == 5
    shifted = xf[2000:].with_columns(pl.col("past_delinquencies") + 3)
    moved = csi(card, xf[:2000], shifted).filter(pl.col("feature") == "past_delinquencies")
    assert moved["status"][0] == "act"


def test_calibration_by_grade_binomial_test():
    rng = np.random.default_rng(0)
    pd = rng.uniform(0.005, 0.3, 20_000)
    y = rng.random(20_000) < pd
    t = calibration_by_grade(y, pd)
    assert (t["p_value"] > 0.001).all()  # calibrated PDs pass
    t_bad = calibration_by_grade(y, pd / 3)  # PDs three times too low fail
    assert (t_bad.filter(pl.col("n") > 1000)["p_value"] < 0.01).all()


def test_master_scale_grades_in_order():
    ms = MasterScale.default()
    g = ms.grade(np.array([0.0001, 0.003, 0.0031, 0.99]))
    assert g.tolist() == ["A1", "A1", "A2", "D"]


def test_bootstrap_interval_has_the_small_sample_width(german_xy):
    xf, y = german_xy
    from greenfin.scoring import WoEBinner

    card = Scorecard(binner=WoEBinner(assume_consent=True)).fit(xf[:700], y[:700])
    ci = bootstrap_ci(y[700:], card.predict_pd(xf[700:]), "auc", n_boot=300, seed=1)
    assert ci["lower"] < ci["estimate"] < ci["upper"]
    assert 0.01 < ci["sd"] < 0.05  # sd ~ 0.02-0.03 at n = 300 (reference section 4)


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_calibration_fixes_a_miscalibrated_pd(method):
    rng = np.random.default_rng(2)
    true = rng.uniform(0.01, 0.4, 20_000)
    y = rng.random(20_000) < true
    biased = true / 2
    cal = fit_calibration(biased[:10_000], y[:10_000], method=method)
    fixed = cal.apply(biased[10_000:])
    assert abs(fixed.mean() - y[10_000:].mean()) < 0.01
    assert type(cal).model_validate_json(cal.model_dump_json()) == cal


def test_fairness_report_on_audit_only_attributes(german):
    from greenfin.scoring import WoEBinner

    xf = german.drop("creditability", "personal_status_and_sex", "age_in_years", "foreign_worker")
    y = (german["creditability"] == "bad").cast(pl.Int64).to_numpy()
    pd = Scorecard(binner=WoEBinner(assume_consent=True)).fit(xf, y).predict_pd(xf)
    age_band = np.where(german["age_in_years"].to_numpy() < 30, "<30", ">=30")
    sex = german["personal_status_and_sex"].str.starts_with("female").to_numpy()
    t = fairness_report(
        y,
        pd,
        {"sex": np.where(sex, "female", "male"), "age_band": age_band, "foreign_worker": german["foreign_worker"]},
    )
    assert set(t["attribute"]) == {"sex", "age_band", "foreign_worker"}
    assert t.filter(pl.col("attribute") == "sex")["approval_ratio"].max() == 1.0
    assert (t["approval_ratio"] <= 1.0).all()


def test_group_lift_separates_group_level_from_individual_features(county):
    t = group_lift_report(
        county.select("village_gep_per_ha_cny", "past_delinquencies"), county["default_flag"], county["village_id"]
    )
    village = t.filter(pl.col("feature") == "village_gep_per_ha_cny").row(0, named=True)
    indiv = t.filter(pl.col("feature") == "past_delinquencies").row(0, named=True)
    assert village["within_group_auc"] == pytest.approx(0.5, abs=1e-9)  # constant inside a village
    assert village["between_group_auc"] > 0.5
    assert indiv["within_group_auc"] > 0.58  # individual risk survives inside the groups


def test_grouped_validation_by_township(county_xy, county):
    xf, y = county_xy
    township = county["village_id"].str.slice(0, 3)
    t = grouped_validation(Scorecard(), xf, y, township, n_splits=4)
    assert t.height == 4
    assert t["n_test_groups"].sum() == 12
    assert (t["auc"] > 0.6).all()


def test_eco_features_from_gep_parcels(county):
    parcels = pl.DataFrame(
        {
            "parcel_id": ["P1", "P2", "P3"],
            "village_id": ["T01V01", "T01V01", "T01V02"],
            "area_ha": [2.0, 2.0, 1.0],
            "gep_cny": [100_000.0, 300_000.0, 50_000.0],
            "realisable_cny": [10_000.0, 30_000.0, 25_000.0],
        }
    )
    b = pl.DataFrame({"borrower_id": ["A", "B", "C"], "village_id": ["T01V01", "T01V02", "T09V09"]})
    out = eco_features(b, parcels)
    assert out["village_gep_per_ha_cny"].to_list() == [100_000.0, 50_000.0, None]
    assert out["parcel_realisable_share"].to_list()[:2] == [0.1, 0.5]
