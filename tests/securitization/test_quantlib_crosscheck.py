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


def _gnma_flows() -> tuple[np.ndarray, np.ndarray]:
    import polars as pl

    from greenfin.securitization import DefaultSpec, PoolAssumptions, PrepaySpec, project_pool

    tape = pl.DataFrame(
        {
            "balance_cny": [100.0],
            "gross_rate": [0.095],
            "net_rate": [0.09],
            "original_term_months": [360],
            "remaining_term_months": [360],
        }
    )
    a = PoolAssumptions(
        prepay=PrepaySpec(kind="psa", value=150.0),
        default=DefaultSpec(kind="mdr", value=0.0),
        lag_months=0,
        severity=0.0,
        advancing=True,
    )
    out = project_pool(tape, a)
    assert isinstance(out, pl.DataFrame)
    return out["cash_flow_cny"].to_numpy(), (out["act_am_cny"] + out["vol_prepay_cny"]).to_numpy()


@pytest.mark.reference
def test_sf_gnma_yield_example() -> None:
    """SF yield example (section G.1, SF-48 ff.): new GNMA I 9 % (9.5 % gross) at 150 % PSA, 14-day actual delay,
    price 100 at issue: yield 9.10675 %, mortgage yield 8.93863 %, average life 9.77844 y, duration 5.73147 y,
    modified duration 5.48186 y, cash-flow convexity 0.544326 (printed as CX/100). Settling 7 days later at a full
    price of 100.1750 gives 9.10644 %. Tolerances are half a unit of the last printed digit."""
    cf, pr = _gnma_flows()
    m = measure_cashflows(
        cf, pr, price=100.0, face=100.0, settle=dt.date(2026, 3, 1), first_pay=dt.date(2026, 4, 1), delay_days=14
    )
    assert m.yield_ * 100 == pytest.approx(9.10675, abs=0.5e-5)
    assert m.mortgage_yield * 100 == pytest.approx(8.93863, abs=0.5e-5)
    assert m.average_life_years == pytest.approx(9.77844, abs=0.5e-5)
    assert m.macaulay_duration_years == pytest.approx(5.73147, abs=0.5e-5)
    assert m.modified_duration_years == pytest.approx(5.48186, abs=0.5e-5)
    assert m.convexity / 100 == pytest.approx(0.544326, abs=0.5e-6)
    later = measure_cashflows(
        cf, pr, price=100.175, face=100.0, settle=dt.date(2026, 3, 8), first_pay=dt.date(2026, 4, 1), delay_days=14
    )
    assert later.yield_ * 100 == pytest.approx(9.10644, abs=0.5e-5)
