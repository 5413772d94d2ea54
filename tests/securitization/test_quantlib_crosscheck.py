"""QuantLib cross-checks of greenfin's schedules, yields, durations, convexity and Z-spread."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from greenfin import _quantlib
from greenfin.securitization import measure_cashflows, price_at_yield, scheduled_factor, z_spread
from greenfin.securitization._analytics import cash_flow_times


@pytest.mark.reference
@pytest.mark.parametrize(("rate", "term"), [(0.08, 360), (0.045, 120), (0.0385, 36)])
def test_level_pay_factors_match_quantlib_amortizing_bond(rate: float, term: int) -> None:
    ql_bal = np.array(_quantlib.amortizing_bond_balances(100.0, rate, term, dt.date(2026, 1, 1)))
    ours = 100.0 * scheduled_factor(np.arange(1, term + 1), np.full(term, term), np.full(term, rate))
    np.testing.assert_allclose(ours, ql_bal, rtol=1e-10, atol=1e-9)


def _flows() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    principal = rng.uniform(5.0, 15.0, 60)
    principal *= 100.0 / principal.sum()
    balance = 100.0 - np.concatenate([[0.0], np.cumsum(principal)[:-1]])
    return principal + balance * 0.06 / 12, principal


@pytest.mark.reference
@pytest.mark.parametrize(
    ("day_count", "compounding"), [("30/360", "semiannual"), ("ACT/365", "annual"), ("30/360", "annual")]
)
def test_yield_duration_convexity_match_quantlib(day_count: str, compounding: str) -> None:
    cf, pr = _flows()
    settle, first = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    m = measure_cashflows(
        cf,
        pr,
        price=99.25,
        face=100.0,
        settle=settle,
        first_pay=first,
        delay_days=24,
        day_count=day_count,
        compounding=compounding,
    )  # type: ignore[arg-type]
    _, receipt = cash_flow_times(settle, first, cf.size, delay_days=24, day_count=day_count)  # type: ignore[arg-type]
    q = _quantlib.leg_measures(list(cf), receipt, 99.25, settle, day_count=day_count, frequency=compounding)
    assert m.yield_ == pytest.approx(q["yield"], abs=1e-10)
    assert m.macaulay_duration_years == pytest.approx(q["macaulay"], rel=1e-8)
    assert m.modified_duration_years == pytest.approx(q["modified"], rel=1e-8)
    assert m.convexity == pytest.approx(q["convexity"], rel=1e-8)


def test_price_at_yield_inverts_yield() -> None:
    cf, pr = _flows()
    kw = {"face": 100.0, "settle": dt.date(2026, 3, 1), "first_pay": dt.date(2026, 4, 1), "delay_days": 24}
    m = measure_cashflows(cf, pr, price=101.5, **kw)  # type: ignore[arg-type]
    assert price_at_yield(cf, yield_=m.yield_, **kw) == pytest.approx(101.5, abs=1e-9)  # type: ignore[arg-type]


def test_sf_timing_example_and_mortgage_yield() -> None:
    """SF timing: settling on the first accrual day with delay d, flow k arrives (30k + d)/360 years out."""
    t, _ = cash_flow_times(dt.date(2026, 3, 1), dt.date(2026, 4, 1), 3, delay_days=19)
    np.testing.assert_allclose(t * 360, [49, 79, 109])
    m = measure_cashflows(
        np.array([104.0]),
        np.array([100.0]),
        price=100.0,
        face=100.0,
        settle=dt.date(2026, 1, 1),
        first_pay=dt.date(2026, 7, 1),
    )
    # one coupon period: 4 % per half year -> 8 % bond-equivalent; mortgage yield 1200[(1.04)^(1/6) - 1] / 100
    assert m.yield_ == pytest.approx(0.08, abs=1e-12)
    assert m.mortgage_yield == pytest.approx(12 * (1.04 ** (1 / 6) - 1), abs=1e-12)
    assert m.average_life_years == pytest.approx(0.5)


def test_z_spread_is_zero_at_the_curve_and_positive_below_it() -> None:
    cf, _ = _flows()
    settle, first = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    _, receipt = cash_flow_times(settle, first, cf.size, day_count="ACT/365")
    t = np.array([(d - settle).days / 365.0 for d in receipt])
    r = 0.025
    fair = float(np.sum(cf * np.exp(-r * t)))
    nodes = [settle, dt.date(2031, 12, 31)]
    z0 = z_spread(cf, price=fair, face=100.0, settle=settle, first_pay=first, curve_dates=nodes, zero_rates=[r, r])
    assert z0 == pytest.approx(0.0, abs=1e-8)
    z = z_spread(cf, price=fair - 2.0, face=100.0, settle=settle, first_pay=first, curve_dates=nodes, zero_rates=[r, r])
    assert z > 0.005


def test_z_spread_refuses_flows_past_the_curve() -> None:
    cf, _ = _flows()
    from greenfin.errors import SpecError

    with pytest.raises(SpecError, match="after the last curve node"):
        z_spread(
            cf,
            price=95.0,
            face=100.0,
            settle=dt.date(2026, 3, 1),
            first_pay=dt.date(2026, 4, 1),
            curve_dates=[dt.date(2026, 3, 1), dt.date(2027, 3, 1)],
            zero_rates=[0.02, 0.02],
        )
