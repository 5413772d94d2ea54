from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenfin.errors import DataError
from greenfin.scoring import FeatureSpec, Scorecard, WoEBinner


def _data(seed: int, n: int, slope: float, shape: str):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = -1.0 + slope * (x if shape == "linear" else -(x**2))
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return pl.DataFrame({"x": x}), y


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(200, 3000),
    slope=st.floats(-2.0, 2.0),
    trend=st.sampled_from(["ascending", "descending"]),
    smoothing=st.floats(0.1, 2.0),
)
def test_declared_trend_gives_strictly_monotone_woe(seed, n, slope, trend, smoothing):
    xf, y = _data(seed, n, slope, "linear")
    if y.min() == y.max():
        return
    b = WoEBinner(features=(FeatureSpec(name="x", trend=trend),), smoothing=smoothing).fit(xf, y)
    woe = np.asarray(b.bins_["x"].woe)
    d = np.diff(woe)
    assert np.all(d > 0) if trend == "ascending" else np.all(d < 0)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(300, 3000), trend=st.sampled_from(["ascending", "descending"]))
def test_points_monotone_where_declared(seed, n, trend):
    xf, y = _data(seed, n, 1.0, "linear")
    card = Scorecard(binner=WoEBinner(features=(FeatureSpec(name="x", trend=trend),)), min_iv=0.0).fit(xf, y)
    if not card.selected_:
        return
    k = card.binner_.bins_["x"].k
    pts = card.bin_points_["x"][:k]
    d = np.diff(pts)
    # higher bad rate -> fewer points
    assert np.all(d < 0) if trend == "ascending" else np.all(d > 0)
    # points of a sorted x are monotone too
    grid = pl.DataFrame({"x": np.linspace(-4, 4, 200)})
    p = card.predict_points(grid)
    assert np.all(np.diff(p) <= 1e-12) if trend == "ascending" else np.all(np.diff(p) >= -1e-12)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    trend=st.sampled_from(["peak", "valley"]),
    max_bins=st.integers(2, 8),
    min_bin_size=st.floats(0.01, 0.2),
)
def test_peak_and_valley_trends_are_unimodal(seed, trend, max_bins, min_bin_size):
    xf, y = _data(seed, 3000, 1.0, "peak")
    spec = FeatureSpec(name="x", trend=trend)
    b = WoEBinner(features=(spec,), max_bins=max_bins, min_bin_size=min_bin_size).fit(xf, y)
    woe = np.asarray(b.bins_["x"].woe) * (1.0 if trend == "peak" else -1.0)
    top = int(np.argmax(woe))
    assert np.all(np.diff(woe[: top + 1]) >= 0)
    assert np.all(np.diff(woe[top:]) <= 0)


def test_min_bin_size_and_events_hold(german_xy):
    xf, y = german_xy
    b = WoEBinner(assume_consent=True, min_bin_size=0.08, min_bin_events=12).fit(xf, y)
    for f, bins in b.bins_.items():
        total = sum(bins.n)
        if bins.k > 1:
            assert min(bins.n) >= np.ceil(0.08 * total), f
            assert min(bins.n_event) >= 12, f


def test_trend_report_flags_a_feature_that_cannot_meet_its_trend():
    rng = np.random.default_rng(3)
    x = rng.normal(size=5000)
    y = (rng.random(5000) < 1 / (1 + np.exp(-(x - 1.0)))).astype(int)  # truly ascending
    b = WoEBinner(features=(FeatureSpec(name="x", trend="descending"),)).fit(pl.DataFrame({"x": x}), y)
    row = b.trend_report_.row(0, named=True)
    assert row["meets_trend"] is False
    assert row["iv"] < 0.5 * row["iv_unconstrained"]
    ok = WoEBinner(features=(FeatureSpec(name="x", trend="ascending"),)).fit(pl.DataFrame({"x": x}), y)
    assert ok.trend_report_.row(0, named=True)["meets_trend"] is True


def test_missing_and_special_bins():
    rng = np.random.default_rng(0)
    x = rng.normal(size=3000)
    x[:300] = np.nan
    x[300:500] = -1.0
    y = (rng.random(3000) < np.where(np.isnan(x), 0.6, np.where(x == -1.0, 0.05, 0.2))).astype(int)
    b = WoEBinner(features=(FeatureSpec(name="x", special_values=(-1.0,)),)).fit(pl.DataFrame({"x": x}), y)
    bins = b.bins_["x"]
    assert bins.missing_n == 300
    assert bins.special_n == [200]
    assert bins.missing_woe > 1.0  # bad rate 0.6 vs 0.2 overall
    assert bins.special_woe[0] < -1.0
    w = b.transform(pl.DataFrame({"x": [np.nan, -1.0]}))[:, 0]
    assert w[0] == pytest.approx(bins.missing_woe)
    assert w[1] == pytest.approx(bins.special_woe[0])


def test_categorical_with_declared_order_and_json_round_trip(german_xy):
    xf, y = german_xy
    order = ("unemployed", "... < 1 year", "1 <= ... < 4 years", "4 <= ... < 7 years", "... >= 7 years")
    spec = FeatureSpec(name="present_employment_since", trend="descending", order=order)
    b = WoEBinner(features=(spec,), assume_consent=True).fit(xf, y)
    bins = b.bins_["present_employment_since"]
    assert np.all(np.diff(bins.woe) < 0)
    first_bin = [bins.cat_to_bin[c] for c in order]
    assert first_bin == sorted(first_bin)  # bins follow the declared order
    b2 = WoEBinner.from_json(b.to_json())
    np.testing.assert_array_equal(b2.transform(xf), b.transform(xf))
    table = b.binning_table()
    assert set(table.columns) >= {"feature", "bin", "label", "n", "n_event", "woe", "iv"}
    assert json.loads(b.to_json())["features"] == list(b.features_)


def test_unseen_category_is_neutral_with_warning_or_an_error(german_xy):
    xf, y = german_xy
    b = WoEBinner(assume_consent=True).fit(xf, y)
    new = xf.head(3).with_columns(pl.lit("space travel").alias("purpose"))
    with pytest.warns(UserWarning, match="not seen in fit"):
        w = b.transform(new)
    assert np.all(w[:, list(b.features_).index("purpose")] == 0.0)
    strict = WoEBinner(assume_consent=True, handle_unknown="error").fit(xf, y)
    with pytest.raises(DataError, match="not seen in fit"):
        strict.transform(new)


def test_all_missing_column_scores_neutral_and_is_dropped_with_a_record():
    rng = np.random.default_rng(1)
    xf = pl.DataFrame({"x": rng.normal(size=500), "empty": pl.Series([None] * 500, dtype=pl.Float64)})
    y = (rng.random(500) < 1 / (1 + np.exp(-2 * xf["x"].to_numpy()))).astype(int)
    card = Scorecard().fit(xf, y)
    assert "empty" not in card.selected_
    assert "all values missing" in card.binner_.bins_["empty"].note
    assert any(r.get("feature") == "empty" and "IV" in r.get("reason", "") for r in card.manifest_["iterations"])
    assert np.all(card.binner_.transform(xf)[:, 1] == 0.0)


def test_missing_category_is_the_missing_bin_not_unseen():
    rng = np.random.default_rng(4)
    region = pl.Series(rng.choice(["a", "b", "c", ""], 2000)).replace("", None)
    y = (rng.random(2000) < np.where(region.is_null().to_numpy(), 0.5, 0.2)).astype(int)
    b = WoEBinner().fit(pl.DataFrame({"region": region}), y)
    bins = b.bins_["region"]
    assert bins.missing_n == region.null_count()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = b.transform(pl.DataFrame({"region": pl.Series([None, "a"], dtype=pl.String)}))
    assert w[0, 0] == pytest.approx(bins.missing_woe)
    assert bins.missing_woe > 0.5
