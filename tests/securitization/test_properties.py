"""Property tests over random deals and scenarios: cash conservation, balances, sequential order, latching."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenfin.datasets import load_sample
from greenfin.securitization import DealSpec, Scenario, load_deal, run_deal

_BASE: dict[str, Any] = load_sample("deal_eco_loans")
_HYDRO: dict[str, Any] = load_sample("deal_hydro")


@st.composite
def loan_deals(draw: st.DrawFn) -> DealSpec:
    raw = {**_BASE}
    pool = raw["initial_pool_cny"]
    a_share = draw(st.floats(0.55, 0.9))
    b_share = draw(st.floats(0.0, min(0.15, 0.94 - a_share)))
    b_share = max(b_share, 0.001)
    sub = pool * (1 - a_share - b_share)
    raw["tranches"] = [
        {**raw["tranches"][0], "balance_cny": pool * a_share, "coupon": draw(st.floats(0.01, 0.06))},
        {**raw["tranches"][1], "balance_cny": pool * b_share, "coupon": draw(st.floats(0.01, 0.08))},
        {**raw["tranches"][2], "balance_cny": sub, "retained_cny": sub},
    ]
    raw["accounts"] = [{**raw["accounts"][0], "initial_cny": draw(st.floats(0.0, 0.03)) * pool}]
    trig = [dict(t) for t in raw["triggers"]]
    trig[0]["threshold"] = draw(st.floats(0.005, 0.2))
    raw["triggers"] = trig
    raw["sweep_lag_periods"] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        raw["cleanup_call"] = None
    return load_deal(raw)


scenarios = st.builds(
    Scenario,
    name=st.just("random"),
    prepay_multiple=st.floats(0.0, 4.0),
    default_multiple=st.floats(0.0, 30.0),
    severity=st.one_of(st.none(), st.floats(0.0, 1.0)),
    cash_haircut=st.floats(0.0, 0.6),
    delay_periods=st.integers(0, 3),
    downgrade_period=st.one_of(st.none(), st.integers(1, 20)),
)


def _check(deal: DealSpec, scen: list[Scenario]) -> None:
    res = run_deal(deal, scen)  # raises CashConservationError if any period loses half a fen
    a = res.arrays
    bal = a["balance"]
    assert np.all(bal >= -1e-6)
    prev = np.concatenate([a["balance_open"][:, :1], bal[:, :-1]], axis=1)
    assert np.all(bal <= prev + 1e-6)  # never increases
    assert np.all(a["acct"] >= -1e-6)
    for s in range(len(scen)):
        rep = res.distribution_report(s)
        src = rep.filter(rep["side"] == "source")["amount_fen"].sum()
        use = rep.filter(rep["side"] == "use")["amount_fen"].sum()
        assert src == use
    flags = a["flags"]
    for g, trig in enumerate(deal.triggers):
        if not trig.curable:
            assert np.all(np.diff(flags[:, :, g], axis=1) >= 0)  # latched: never switches back off


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deal=loan_deals(), scen=st.lists(scenarios, min_size=1, max_size=3))
def test_random_loan_deals_conserve_cash_and_pay_in_order(deal: DealSpec, scen: list[Scenario]) -> None:
    _check(deal, scen)
    res = run_deal(deal, scen)
    a = res.arrays
    # sequential: B and Sub receive principal only once every class above them is retired
    for j in (1, 2):
        paid = a["prin_paid"][:, :, j] > 1e-6
        senior_left = a["balance"][:, :, :j].sum(axis=2) > 1e-6
        assert not np.any(paid & senior_left)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    haircut=st.floats(0.0, 0.8),
    delay=st.integers(0, 4),
    put=st.floats(0.0, 1.0),
    cap_share=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_random_income_scenarios_conserve_cash(
    haircut: float, delay: int, put: float, cap_share: float, seed: int
) -> None:
    raw = {**_HYDRO, "support": {**_HYDRO["support"], "cap_cny": cap_share * 2e7}}
    deal = load_deal(raw)
    scen = [Scenario(name="r", cash_haircut=haircut, delay_periods=delay, put_share=put)]
    _check(deal, scen)
    res = run_deal(deal, scen, stochastic=True, seed=seed)
    assert res.arrays["draw_support"].sum() <= raw["support"]["cap_cny"] + 1e-6
