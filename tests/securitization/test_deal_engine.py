"""Deal spec validation, the waterfall engine, conservation and the fen distribution report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

from greenfin import evolve
from greenfin.datasets import load_sample
from greenfin.errors import DataError, SpecError
from greenfin.securitization import (
    CashConservationError,
    DealSpec,
    PoolAssumptions,
    Scenario,
    _engine,
    deal_collections,
    load_deal,
    project_pool,
    run_deal,
    run_waterfall,
)


def _raw(name: str = "deal_eco_loans") -> dict[str, Any]:
    raw: dict[str, Any] = load_sample(name)
    return raw


def test_risk_retention_and_sizes(eco_deal: DealSpec, hydro_deal: DealSpec) -> None:
    for deal in (eco_deal, hydro_deal):
        r = deal.risk_retention()
        assert r["ok"] is True
        assert float(r["share"]) >= 0.05


def test_retention_below_five_percent_is_rejected() -> None:
    raw = _raw()
    raw["tranches"][2]["retained_cny"] = raw["tranches"][2]["balance_cny"] * 0.2
    with pytest.raises(SpecError, match="risk retention"):
        load_deal(raw)


def test_unknown_account_in_waterfall_is_named() -> None:
    raw = _raw()
    raw["waterfalls"]["normal"][0]["sources"] = ["distribution", "no_such_reserve"]
    with pytest.raises(SpecError, match=r"waterfalls\.normal\[0\].*unknown account 'no_such_reserve'"):
        load_deal(raw)


def test_call_date_before_issue_is_named() -> None:
    raw = _raw()
    raw["cleanup_call"]["earliest_date"] = "2025-01-01"
    with pytest.raises(SpecError, match=r"cleanup_call\.earliest_date"):
        load_deal(raw)


def test_cleanup_call_above_ten_percent_is_rejected() -> None:
    raw = _raw()
    raw["cleanup_call"]["threshold_share"] = 0.2
    with pytest.raises(SpecError, match="threshold_share"):
        load_deal(raw)


def test_year_past_holiday_table_fails_loudly_unless_chosen() -> None:
    raw = _raw()
    raw["past_end"] = "raise"
    spec = load_deal(raw)
    with pytest.raises(SpecError, match=r"past_end.*holiday table"):
        run_deal(spec)
    res = run_deal(load_deal(_raw()))
    assert res.past_end == "weekends"


def test_bad_pool_inputs_name_the_field() -> None:
    with pytest.raises(ValueError, match="smm above 100"):
        PoolAssumptions.model_validate(
            {
                "prepay": {"kind": "smm", "value": 1.5},
                "default": {"kind": "mdr", "value": 0.0},
                "lag_months": 0,
                "severity": 0.0,
                "advancing": True,
            }
        )
    tape = pl.DataFrame(
        {"balance_cny": [-5.0], "gross_rate": [0.05], "original_term_months": [12], "remaining_term_months": [12]}
    )
    a = PoolAssumptions.model_validate(
        {
            "prepay": {"kind": "cpr", "value": 0.05},
            "default": {"kind": "cdr", "value": 0.01},
            "lag_months": 0,
            "severity": 0.3,
            "advancing": False,
        }
    )
    with pytest.raises(DataError, match="balance_cny"):
        project_pool(tape, a)
    with pytest.raises(DataError, match="remaining_term_months"):
        project_pool(tape.with_columns(pl.lit(5.0).alias("balance_cny"), pl.lit(24).alias("remaining_term_months")), a)


def test_sources_equal_uses_to_the_fen(eco_deal: DealSpec, hydro_deal: DealSpec) -> None:
    for deal in (eco_deal, hydro_deal):
        res = run_deal(deal, [Scenario(), Scenario(name="stress", default_multiple=5.0, cash_haircut=0.2)])
        for s in range(2):
            rep = res.distribution_report(s)
            per = (
                rep.group_by("period", "side")
                .agg(pl.col("amount_fen").sum())
                .pivot(on="side", index="period", values="amount_fen")
            )
            assert (per["source"] == per["use"]).all()
        # every tranche's principal received adds up to what it was owed, less what it still owes
        a = res.arrays
        init = np.array([t.balance_cny for t in deal.tranches])
        np.testing.assert_allclose(a["prin_paid"][0].sum(axis=0) + a["balance"][0, -1], init, atol=1e-4)


def test_a_deal_that_loses_a_cent_fails_loudly(eco_deal: DealSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    original = _engine._draw

    def leaky(run: Any, need: Any, sources: Any, led: Any) -> Any:
        paid = original(run, need, sources, led)
        return paid + np.where(paid > 0, 0.01, 0.0)  # pays a cent it never took

    monkeypatch.setattr(_engine, "_draw", leaky)
    with pytest.raises(CashConservationError, match="sources"):
        run_deal(eco_deal)


def test_triggers_switch_state_and_latch(eco_deal: DealSpec) -> None:
    res = run_deal(eco_deal, [Scenario(), Scenario(name="bad", default_multiple=6.0, downgrade_period=3)])
    periods = res.deal_periods(1)
    assert "accelerated" in periods["state"].to_list() or "enforcement" in periods["state"].to_list()
    flags = periods["trigger_cum_default_5pct"].to_numpy()
    assert flags.any()
    first = int(np.argmax(flags))
    assert flags[first:].all()  # non-curable: latched
    assert periods["fast_sweep"].to_numpy()[2:].all()  # downgrade in period 3 -> 加速归集 from then on
    assert not res.deal_periods(0)["trigger_cum_default_5pct"].any()


def test_cleanup_call_pays_everything_off(eco_deal: DealSpec) -> None:
    res = run_deal(eco_deal)
    a = res.arrays
    called = np.flatnonzero(a["call"][0] > 0)
    assert called.size == 1
    p = int(called[0])
    assert a["pool_balance"][0, p] == 0.0
    assert np.all(a["balance"][0, p] < 0.01)
    # pool was at or below 10 % of the initial pool when called
    col = deal_collections(eco_deal)
    assert col.pool_balance[0, p] <= 0.10 * eco_deal.initial_pool_cny


def test_support_and_open_period(hydro_deal: DealSpec) -> None:
    res = run_deal(hydro_deal, [Scenario(name="haircut", cash_haircut=0.35, put_share=0.5)])
    a = res.arrays
    assert a["draw_support"][0].sum() <= hydro_deal.support.cap_cny + 1e-6  # type: ignore[union-attr]
    assert a["draw_support"][0].sum() > 0
    op = hydro_deal.open_periods[0]
    assert a["put_funding"][0, op.period - 1] > 0
    j = [t.name for t in hydro_deal.tranches].index(op.tranches[0])
    assert a["int_due"][0, op.period, j] / a["balance_open"][0, op.period, j] == pytest.approx(
        op.coupon_reset * (res.dates[op.period] - res.dates[op.period - 1]).days / 365.0  # type: ignore[operator]
    )


def test_sequential_pay_in_order(eco_deal: DealSpec) -> None:
    res = run_deal(eco_deal, [Scenario(), Scenario(default_multiple=3.0)])
    a = res.arrays
    for s in range(2):
        for p in range(a["balance"].shape[1]):
            if a["prin_paid"][s, p, 1] > 1e-6:  # B paid principal only once A is retired
                assert a["balance"][s, p, 0] < 1e-6


def test_evolve_revalidates(eco_deal: DealSpec) -> None:
    with pytest.raises(SpecError):
        evolve(eco_deal, sweep_lag_periods=9)
    assert evolve(eco_deal, sweep_lag_periods=1).sweep_lag_periods == 1


def test_run_waterfall_checks_scenario_count(eco_deal: DealSpec) -> None:
    col = deal_collections(eco_deal, [Scenario(), Scenario(name="x")])
    with pytest.raises(SpecError, match="scenarios"):
        run_waterfall(eco_deal, col, [Scenario(), Scenario(), Scenario()])


def test_payment_dates_roll_on_the_calendar(hydro_deal: DealSpec) -> None:
    res = run_deal(hydro_deal)
    assert all(d.weekday() < 5 for d in res.dates)
    assert res.dates[0] == dt.date(2026, 10, 15)


def test_issuer_call_at_open_period_redeems_the_open_classes(hydro_deal: DealSpec) -> None:
    res = run_deal(hydro_deal, [Scenario(name="call", call_at_open=True)])
    a = res.arrays
    op = hydro_deal.open_periods[0]
    idx = [[t.name for t in hydro_deal.tranches].index(n) for n in op.tranches]
    assert np.all(a["balance"][0, op.period - 1, idx] < 1e-6)
    assert a["put_funding"][0, op.period - 1] == pytest.approx(a["balance_open"][0, op.period - 1, idx].sum())


def test_excess_spread_is_reported(eco_deal: DealSpec) -> None:
    periods = run_deal(eco_deal).deal_periods(0)
    assert float(periods["excess_spread_cny"][0]) > 0


def test_sweep_lag_and_accelerated_sweep(hydro_deal: DealSpec) -> None:
    res = run_deal(hydro_deal, [Scenario(), Scenario(name="downgrade", downgrade_period=1)])
    swept = res.arrays["swept"]
    col = deal_collections(hydro_deal)
    assert swept[0, 0] == 0.0  # normal: one quarter in the supervised account (监管账户)
    assert swept[0, 1] == pytest.approx(col.total[0, 0])
    assert swept[1, 0] == pytest.approx(col.total[0, 0])  # 加速归集: swept at once after the downgrade
    assert res.arrays["fast_sweep"][1].all()


def test_pro_rata_principal_splits_by_balance() -> None:
    raw = _raw()
    for step in raw["waterfalls"]["normal"]:
        if step["kind"] == "pay_principal":
            step["mode"] = "pro_rata"
    res = run_deal(load_deal(raw))
    a = res.arrays
    paid = a["prin_paid"][0, 0]
    opening = a["balance_open"][0, 0]
    assert paid[0] > 0
    assert paid[1] > 0
    np.testing.assert_allclose(paid / opening, paid[0] / opening[0], rtol=1e-9)
