from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from greenfin.scoring import BoostedPD, FeatureSpec


def test_small_sample_defaults_do_not_memorise_german_credit(german_xy):
    xf, y = german_xy
    tr, te = train_test_split(np.arange(1000), test_size=0.3, stratify=y, random_state=42)
    tr, te = np.sort(tr), np.sort(te)
    m = BoostedPD(assume_consent=True).fit(xf[tr], y[tr])
    assert m.best_iteration_ < m.n_estimators  # early stopping on the validation fold
    pd_train = m.predict_pd(xf[tr])
    assert pd_train.min() > 0.01  # no collapse to 0 / 1
    assert pd_train.max() < 0.99
    assert m.train_auc_ - m.valid_auc_ < 0.2
    assert m.manifest_["iterations"][1]["step"] == "train_valid_gap"
    assert roc_auc_score(y[te], m.predict_pd(xf[te])) > 0.75


def test_deterministic(german_xy):
    xf, y = german_xy
    a = BoostedPD(assume_consent=True, random_state=3).fit(xf, y).predict_pd(xf)
    b = BoostedPD(assume_consent=True, random_state=3).fit(xf, y).predict_pd(xf)
    np.testing.assert_array_equal(a, b)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 1000), trend=st.sampled_from(["ascending", "descending"]))
def test_monotone_constraint_from_declared_trend(seed, trend):
    rng = np.random.default_rng(seed)
    n = 2000
    x = rng.normal(size=n)
    noise = rng.normal(size=n)
    z = -1.0 + np.sin(3 * x) + 0.5 * noise  # wiggly truth: the constraint must still hold
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    xf = pl.DataFrame({"x": x, "noise": noise})
    m = BoostedPD(features=(FeatureSpec(name="x", trend=trend),)).fit(xf, y)
    grid = pl.DataFrame({"x": np.linspace(-3, 3, 300), "noise": np.full(300, float(noise[0]))})
    d = np.diff(m.predict_pd(grid))
    assert np.all(d >= -1e-12) if trend == "ascending" else np.all(d <= 1e-12)


def test_reasons_sum_to_the_score(county_xy):
    xf, y = county_xy
    m = BoostedPD().fit(xf, y)
    ex = m.explain(xf.head(100))
    np.testing.assert_allclose(ex["points"].to_numpy(), m.predict_points(xf.head(100)), rtol=1e-9)
    assert ex["reason_1_points"].min() >= 0
    assert (ex["reason_1_points"] >= ex["reason_2_points"]).all()
    assert ex["reason_1_zh"].drop_nulls().str.contains("扣").all()


def test_counterfactual_keeps_its_promise(german_xy):
    """Moving the top adverse feature as the counterfactual says gives exactly the points it promises."""
    import re

    xf, y = german_xy
    m = BoostedPD(assume_consent=True, random_state=0).fit(xf, y)
    out = m.explain(xf)
    told = out.filter(pl.col("counterfactual_en").is_not_null())
    assert told.height > 0.5 * out.filter(pl.col("reason_1_feature").is_not_null()).height
    assert told["counterfactual_zh"].null_count() == 0
    checked = 0
    for i in np.flatnonzero(out["counterfactual_en"].is_not_null().to_numpy())[:40]:
        text = out["counterfactual_en"][int(i)]
        feature = out["reason_1_feature"][int(i)]
        promised = float(re.search(r"\(to (-?\d+)\)", text).group(1))
        move = re.search(r" to (above|below) (\S+) would", text)
        if move is None:  # a categorical move: set the category itself
            value = re.search(r" to (.+) would add", text).group(1)
            row = xf[int(i)].with_columns(pl.lit(value).cast(xf.schema[feature]).alias(feature))
        else:
            t = float(move.group(2))
            step = 1e-6 * max(1.0, abs(t))
            row = xf[int(i)].with_columns(pl.lit(t + step if move.group(1) == "above" else t - step).alias(feature))
        assert abs(m.predict_points(row)[0] - promised) <= 1.0  # printed to the whole point, threshold to 6 s.f.
        assert promised > out["points"][int(i)]
        checked += 1
    assert checked > 0
