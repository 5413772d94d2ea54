"""Scorecard quality and invariants on German credit and on the synthetic county with a known true model."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from greenfin.datasets._gen_scoring import county_borrowers, true_log_odds
from greenfin.scoring import FeatureSpec, Scorecard, WoEBinner, ks_statistic


def _split(y, seed):
    tr, te = train_test_split(np.arange(y.size), test_size=0.3, stratify=y, random_state=seed)
    return np.sort(tr), np.sort(te)


def _fit_auc(xf, y, seed, **kw):
    tr, te = _split(y, seed)
    card = Scorecard(binner=WoEBinner(assume_consent=True), **kw).fit(xf[tr], y[tr])
    return card, roc_auc_score(y[te], card.predict_pd(xf[te])), roc_auc_score(y[tr], card.predict_pd(xf[tr]))


def test_german_fixed_split_seed_42_is_pinned(german_xy):
    xf, y = german_xy
    tr, te = _split(y, 42)
    assert (tr.size, te.size, int(y[tr].sum()), int(y[te].sum())) == (700, 300, 210, 90)
    _, auc_test, auc_train = _fit_auc(xf, y, 42)
    # pinned from greenfin's first accepted run (17 registry columns, demonstration consent)
    assert auc_test == pytest.approx(0.7886772486772488, abs=1e-9)
    assert auc_train == pytest.approx(0.8209426627793974, abs=1e-9)
    assert auc_train - auc_test < 0.06  # no overfit gap worth reporting


def test_german_ten_repeated_splits_within_pinned_range(german_xy):
    xf, y = german_xy
    aucs = np.array([_fit_auc(xf, y, seed)[1] for seed in range(10)])
    # accepted run: mean 0.7864, sd 0.023, min 0.736, max 0.815
    assert 0.775 <= aucs.mean() <= 0.80
    assert aucs.min() >= 0.72
    assert aucs.std() < 0.035


def test_registry_column_counts_on_german_credit(german_xy):
    xf, y = german_xy
    with_consent = WoEBinner(assume_consent=True).fit(xf, y)
    assert len(with_consent.features_) == 17
    without = xf.drop(
        "status_of_existing_checking_account",
        "savings_account_and_bonds",
        "installment_rate_in_percentage_of_disposable_income",
        "property",
        "housing",
    )
    assert len(WoEBinner().fit(without, y).features_) == 12


def test_points_auc_equals_pd_auc_exactly(german_xy):
    xf, y = german_xy
    card = Scorecard(binner=WoEBinner(assume_consent=True)).fit(xf, y)
    pts = card.predict_points(xf)
    pd = card.predict_pd(xf)
    assert roc_auc_score(y, -pts) == roc_auc_score(y, pd)
    assert ks_statistic(y, -pts) == ks_statistic(y, pd)
    # decision function and predict_proba agree with the points path
    np.testing.assert_allclose(card.predict_proba(xf)[:, 1], pd)
    ex = card.explain(xf)
    np.testing.assert_array_equal(ex["points"].to_numpy(), pts)
    np.testing.assert_array_equal(ex["pd"].to_numpy(), pd)


def test_points_scaling_pdo_doubles_odds():
    rng = np.random.default_rng(5)
    xf = pl.DataFrame({"x": rng.normal(size=2000)})
    y = (rng.random(2000) < 1 / (1 + np.exp(-(xf["x"].to_numpy() * 1.5 - 1)))).astype(int)
    card = Scorecard(pdo=20, base_points=600, base_odds=50).fit(xf, y)
    pts = np.array([600.0, 620.0])
    from greenfin.scoring._scale import pd_from_points

    p = pd_from_points(pts, card.factor_, card.offset_)
    odds = (1 - p) / p
    assert odds[0] == pytest.approx(50.0)
    assert odds[1] / odds[0] == pytest.approx(2.0)


def test_reasons_come_from_the_points_path(german_xy):
    xf, y = german_xy
    card = Scorecard(binner=WoEBinner(assume_consent=True)).fit(xf, y)
    ex = card.explain(xf.head(50))
    table = card.points_table()
    best = table.filter(pl.col("n") > 0).group_by("feature").agg(pl.col("points").max().alias("best"))
    best_pts = dict(zip(best["feature"], best["best"], strict=True))
    idx = card.binner_._indices(
        __import__("greenfin.scoring._frame", fromlist=["ingest"]).ingest(card, xf.head(50), reset=False),
        only=card.selected_,
    )
    for r in range(50):
        row = ex.row(r, named=True)
        lost = {f: best_pts[f] - card.bin_points_[f][idx[f][r]] for f in card.selected_}
        top = sorted(lost, key=lambda f: -lost[f])[:3]
        expected = [f for f in top if lost[f] > 1e-9]
        got = [row[f"reason_{k}_feature"] for k in (1, 2, 3) if row[f"reason_{k}_feature"] is not None]
        assert got == expected
        for k, f in enumerate(got, start=1):
            assert row[f"reason_{k}_points"] == pytest.approx(lost[f])
            assert row[f"reason_{k}_zh"].endswith("分")
        if got:
            gain = lost[got[0]]
            assert row["counterfactual_zh"].startswith("若")
            assert f"可提升至{round(row['points'] + gain)}分" in row["counterfactual_zh"]


def test_recovers_the_synthetic_true_model():
    # a larger draw of the same generator (seed and model as the shipped sample), so sampling noise is small
    frame = county_borrowers(seed=11, n=20_000)
    z = true_log_odds(seed=11, n=20_000)
    y = frame["default_flag"].to_numpy()
    xf = frame.drop("borrower_id", "village_id", "applicant_sex", "village_gep_per_ha_cny", "default_flag")
    xf = xf.with_columns((pl.col("loan_amount_cny") / pl.col("annual_income_cny")).alias("loan_to_income"))
    tr, te = _split(y, 7)
    specs = (
        FeatureSpec(name="past_delinquencies", trend="ascending"),
        FeatureSpec(name="eco_points", trend="descending"),
        FeatureSpec(name="parcel_gep_per_ha_cny", trend="descending"),
        FeatureSpec(name="credit_history_years", trend="descending"),
    )
    card = Scorecard(binner=WoEBinner(features=specs)).fit(xf[tr], y[tr])
    pd = card.predict_pd(xf[te])
    auc_model = roc_auc_score(y[te], pd)
    auc_true = roc_auc_score(y[te], z[te])
    # the true model also uses the township shock and the income of non-consenting borrowers, which
    # the model cannot see; within that, it must come close to the truth
    assert auc_model >= auc_true - 0.03
    lo = np.log(pd / (1 - pd))
    assert np.corrcoef(lo, z[te])[0, 1] > 0.75
    # the true drivers are in the card with the true direction
    for f in ("past_delinquencies", "eco_points", "parcel_gep_per_ha_cny", "operating_years"):
        assert f in card.selected_
    assert card.binner_.bins_["past_delinquencies"].trend == "ascending"
    assert card.binner_.bins_["operating_years"].trend == "descending"
    # calibration in the large
    assert abs(pd.mean() - y[te].mean()) < 0.015


def test_stepwise_and_max_features(german_xy):
    xf, y = german_xy
    xf = xf.select("duration_in_month", "credit_history", "purpose", "credit_amount", "housing", "telephone")
    card = Scorecard(binner=WoEBinner(assume_consent=True), stepwise=True).fit(xf, y)
    steps = [r for r in card.manifest_["iterations"] if r["step"] == "stepwise_add"]
    assert [r["feature"] for r in steps] == list(card.selected_)
    capped = Scorecard(binner=WoEBinner(assume_consent=True), max_features=4).fit(xf, y)
    assert len(capped.selected_) <= 4


def test_string_labels_and_bad_label(german):
    xf = german.drop("creditability", "personal_status_and_sex", "age_in_years", "foreign_worker")
    y = german["creditability"]
    card = Scorecard(binner=WoEBinner(assume_consent=True), bad_label="bad").fit(xf, y)
    assert card.classes_.tolist() == ["bad", "good"]
    pd = card.predict_pd(xf)
    assert np.allclose(card.predict_proba(xf)[:, 0], pd)
    assert roc_auc_score((y == "bad").to_numpy(), pd) > 0.75
