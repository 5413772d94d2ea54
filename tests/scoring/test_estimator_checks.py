from __future__ import annotations

import os
import subprocess
import sys

from sklearn.utils.estimator_checks import parametrize_with_checks

from greenfin.scoring import BoostedPD, Scorecard, SegmentedScorecard, WoEBinner

ESTIMATORS = [WoEBinner(), Scorecard(), BoostedPD(), SegmentedScorecard()]


def _without_array_api(mark):  # type: ignore[no-untyped-def]
    """sklearn's array-API checks skip unless SCIPY_ARRAY_API is set before scipy is imported; run them below."""
    params = [p for p in mark.args[1] if "check_array_api" not in str(p.id if hasattr(p, "id") else p)]
    return mark.__class__(mark.name, (mark.args[0], params), mark.kwargs)


_contract = parametrize_with_checks(ESTIMATORS)
_contract.mark = _without_array_api(_contract.mark)


@_contract
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
