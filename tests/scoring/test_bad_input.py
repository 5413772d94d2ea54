"""Bad input: each case gets a clear error or a documented, tested fallback."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from greenfin.errors import DataError
from greenfin.scoring import BoostedPD, Scorecard


@pytest.mark.parametrize("model", [Scorecard, BoostedPD])
def test_target_not_binary(model):
    xf = pl.DataFrame({"x": np.arange(30.0)})
    with pytest.raises(DataError, match=r"Only binary classification is supported.*3 classes"):
        model().fit(xf, np.arange(30) % 3)
    with pytest.raises(ValueError, match="Unknown label type"):
        model().fit(xf, np.linspace(0, 1, 30))


@pytest.mark.parametrize("model", [Scorecard, BoostedPD])
def test_single_class(model):
    with pytest.raises(DataError, match="only one class"):
        model().fit(pl.DataFrame({"x": np.arange(30.0)}), np.zeros(30))


def test_columns_missing_at_apply_time(county_xy):
    xf, y = county_xy
    card = Scorecard().fit(xf, y)
    with pytest.raises(DataError, match=r"columns \['eco_points'\].*missing"):
        card.explain(xf.drop("eco_points"))


def test_bad_value_in_numeric_column_at_apply_time(county_xy):
    xf, y = county_xy
    card = Scorecard().fit(xf, y)
    bad = xf.head(3).with_columns(pl.Series("eco_points", ["12", "lots", None]))
    with pytest.raises(DataError, match=r"column eco_points, row 2.*not a number"):
        card.predict_points(bad)


def test_missing_values_at_apply_time_score_as_missing(county_xy):
    xf, y = county_xy
    card = Scorecard().fit(xf, y)
    empty = xf.head(2).with_columns(pl.lit(None, dtype=pl.Float64).alias("eco_points"))
    pts = card.predict_points(empty)  # missing bin (neutral WOE when no missing value was seen in fit)
    assert np.all(np.isfinite(pts))


def test_bad_label_not_in_classes(german):
    xf = german.select("duration_in_month")
    with pytest.raises(DataError, match="bad_label 'terrible'"):
        Scorecard(bad_label="terrible").fit(xf, german["creditability"])
