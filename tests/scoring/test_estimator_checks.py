from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

from greenfin.scoring import BoostedPD, Scorecard, SegmentedScorecard, WoEBinner

ESTIMATORS = [WoEBinner(), Scorecard(), BoostedPD(), SegmentedScorecard()]

# sklearn's array-API checks skip unless SCIPY_ARRAY_API is set before scipy is imported; they run below.
CHECKS = [
    pytest.param(est, check, id=f"{type(est).__name__}-{getattr(check, 'func', check).__name__}")
    for base in ESTIMATORS
    for est, check in estimator_checks_generator(base)
    if "check_array_api" not in getattr(check, "func", check).__name__
]


@pytest.mark.parametrize(("estimator", "check"), CHECKS)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_sklearn_array_api_checks_in_a_fresh_process() -> None:
    """The array-API input checks need SCIPY_ARRAY_API=1 at interpreter start, so they run in a child process."""
    code = (
        "from sklearn.utils.estimator_checks import check_array_api_input\n"
        "from greenfin.scoring import BoostedPD, Scorecard, SegmentedScorecard, WoEBinner\n"
        "for est in (WoEBinner(), Scorecard(), BoostedPD(), SegmentedScorecard()):\n"
        "    check_array_api_input(type(est).__name__, est, array_namespace='numpy')\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "SCIPY_ARRAY_API": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
