from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from greenfin.scoring import BoostedPD, Scorecard, SegmentedScorecard, WoEBinner


@parametrize_with_checks([WoEBinner(), Scorecard(), BoostedPD(), SegmentedScorecard()])
def test_sklearn_contract(estimator, check):
    check(estimator)
