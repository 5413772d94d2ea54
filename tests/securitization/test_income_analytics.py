"""Project-income pools and tranche analytics (break-even, Monte Carlo EL, subordination, regulator pack)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from greenfin.datasets import load_sample
from greenfin.errors import DataError, SpecError
from greenfin.securitization import (
    CarbonSinkIncome,
    DealSpec,
    ForestryIncome,
    TourismIncome,
    WaterSupplyIncome,
    break_even,
    hydro_from_history,
    monte_carlo_el,
    rating_from_el,
    regulator_pack,
    simulate_income,
    solve_subordination,
    stress_grid,
)


def test_hydro_calibration_and_seasonality() -> None:
    hist = load_sample("hydro_station")
    model = hydro_from_history(
        hist,
        capacity_kw=2e4,
        kwh_per_m3=0.0927,
        tariff_cny_per_kwh=0.33,
        curtailment_share=0.03,
        opex_cny_per_month=9e5,
    )
    assert model.inflow_mean_m3[5] > 2 * model.inflow_mean_m3[11]  # wet June vs dry December
    det = simulate_income(model, months=24, start_month=1, deterministic=True)[0]
    assert det[5] > det[11]
    sims = simulate_income(model, months=24, n_scenarios=4000, seed=1, start_month=1)
    # lognormal mean-one multipliers: the simulated mean sits near the expected path except where capacity caps it
    assert abs(sims[:, 11].mean() / det[11] - 1.0) < 0.05
    again = simulate_income(model, months=24, n_scenarios=4000, seed=1, start_month=1)
    np.testing.assert_array_equal(sims, again)
    with pytest.raises(DataError, match="3 years"):
        hydro_from_history(
            hist.head(24), capacity_kw=1, kwh_per_m3=1, tariff_cny_per_kwh=1, curtailment_share=0, opex_cny_per_month=0
        )


def test_other_income_models() -> None:
    water = WaterSupplyIncome(
        volume_m3_per_month=(1e5,) * 12,
        volume_cv=0.0,
        tariff_cny_per_m3=2.0,
        review_every_months=12,
        review_step=0.1,
        collection_rate=1.0,
        opex_cny_per_month=0,
    )
    path = simulate_income(water, months=25, deterministic=True)[0]
    assert path[0] == pytest.approx(2e5)
    assert path[12] == pytest.approx(2.2e5)  # tariff review after 12 months
    assert path[24] == pytest.approx(2.42e5)
    carbon = CarbonSinkIncome(
        sequestration_tco2e_per_year=12000,
        verification_months=12,
        issuance_lag_months=6,
        price_cny_per_tco2e=50,
        price_drift_per_year=0.0,
        price_vol_per_year=0.0,
        reversal_prob_per_year=0.0,
        reversal_share=0.0,
        opex_cny_per_month=0,
    )
    c = simulate_income(carbon, months=36, deterministic=True)[0]
    assert np.flatnonzero(c).tolist() == [17, 29]  # issued 6 months after each annual verification
    assert c[17] == pytest.approx(12000 * 50)
    tour = TourismIncome(
        visitors_per_year=1.2e6,
        monthly_profile=(1,) * 12,
        ticket_price_cny=50,
        price_growth_per_year=0.0,
        visitor_cv=0.0,
        shock_prob_per_year=1.0,
        shock_loss_share=1.0,
        shock_months=2,
        opex_cny_per_month=0,
    )
    assert simulate_income(tour, months=12, deterministic=True)[0][0] == pytest.approx(5e6)
    shocked = simulate_income(tour, months=120, n_scenarios=50, seed=3)
    assert (shocked == 0).any()  # closures happen
    forest = ForestryIncome(
        harvest_m3_per_year=1200,
        harvest_profile=(0,) * 11 + (1,),
        price_cny_per_m3=1000,
        price_vol_per_year=0.0,
        shock_prob_per_year=0.0,
        shock_loss_share=0.0,
        opex_cny_per_month=0,
    )
    f = simulate_income(forest, months=12, deterministic=True)[0]
    assert f[11] == pytest.approx(1.2e6)
    assert f[:11].sum() == 0
    with pytest.raises(SpecError):
        simulate_income(forest, months=0)


def test_break_even_orders_by_seniority(eco_deal: DealSpec) -> None:
    be = break_even(eco_deal, "default_multiple", points=21).table
    values = be["break_even"].to_list()
    assert values[0] >= values[1] >= values[2] > 0
    assert "break_even_cdr" in be.columns
    delay = break_even(eco_deal, "delay_periods", upper=4).table
    assert delay.height == 3
    with pytest.raises(SpecError):
        break_even(eco_deal, "nonsense")


def test_monte_carlo_el_is_seeded_and_ordered(eco_deal: DealSpec) -> None:
    a = monte_carlo_el(eco_deal, n_scenarios=200, seed=5, default_sigma=1.2)
    b = monte_carlo_el(eco_deal, n_scenarios=200, seed=5, default_sigma=1.2)
    assert a.equals(b)
    el = a["expected_loss_share"].to_list()
    assert el[0] <= el[1] <= el[2]
    assert rating_from_el([0.0, 0.001, 0.5]) == ["AAA", "BBB", "C"]


def test_subordination_solver_meets_the_target(eco_deal: DealSpec) -> None:
    out = solve_subordination(eco_deal, senior="A", absorber="Sub", target_el=0.0005, n_scenarios=200, seed=2)
    assert out["metric"] <= 0.0005
    assert 0.0 < out["subordination_share"] < 1.0
    with pytest.raises(SpecError):
        solve_subordination(eco_deal, senior="A", absorber="Sub")


def test_stress_grid_and_regulator_pack(hydro_deal: DealSpec, tmp_path: Path) -> None:
    grid = stress_grid(hydro_deal)
    assert {"base", "cash_-40pct", "combined"} <= set(grid["scenario"].to_list())
    tables = regulator_pack(hydro_deal, tmp_path / "pack")
    for name in ("forecast", "coverage", "stress_grid", "break_even", "parameters"):
        written = pl.read_csv(tmp_path / "pack" / f"{name}.csv")
        assert written.height == tables[name].height
    assert (tmp_path / "pack" / "regulator_pack.xlsx").stat().st_size > 0
    deal_meta = pl.read_csv(tmp_path / "pack" / "deal.csv")
    assert "weekends" in deal_meta["value"].to_list()  # the holiday-table choice is recorded


def test_carbon_sink_price_from_the_gep_rule_set() -> None:
    from greenfin.gep import load_rules
    from greenfin.securitization import carbon_sink_from_gep

    m = carbon_sink_from_gep(
        "national-2022",
        year=2025,
        sequestration_tco2e_per_year=1e4,
        verification_months=12,
        issuance_lag_months=6,
        price_drift_per_year=0.0,
        price_vol_per_year=0.0,
        reversal_prob_per_year=0.0,
        reversal_share=0.0,
        opex_cny_per_month=0.0,
    )
    assert m.price_cny_per_tco2e == pytest.approx(
        load_rules("national-2022").price("carbon_sequestration.carbon_price", 2025)
    )


def test_subordination_solver_for_a_coverage_target(hydro_deal: DealSpec) -> None:
    out = solve_subordination(hydro_deal, senior="A1", absorber="Sub", target_coverage=2.5)
    assert out["metric"] >= 2.5
    assert out["senior_cny"] < hydro_deal.tranches[0].balance_cny
    total = hydro_deal.tranches[0].balance_cny + hydro_deal.tranches[-1].balance_cny
    assert out["senior_cny"] + out["absorber_cny"] == pytest.approx(total)
