"""Unit tests of the valuation kernels and the advance-rate build-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

from greenfin.collateral import assess_collateral, margin_action, value_rights, volatility_drawdown
from greenfin.collateral._params import fval, tval
from greenfin.collateral._rights import SPECIES_CODE
from greenfin.collateral._valuation import METHOD_KEYS, forest_values

AS_OF = dt.date(2026, 6, 30)


def right(right_type: str, **cols: Any) -> dict[str, Any]:
    """One rights-table row with defaults for the always-required columns."""
    row: dict[str, Any] = {
        "right_id": cols.pop("right_id", "R1"),
        "borrower_id": cols.pop("borrower_id", "B00001"),
        "right_type": right_type,
        "term_end": cols.pop("term_end", "2040-12-31"),
    }
    row.update(cols)
    return row


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    """A rights table from rows (columns united; missing values null)."""
    return pl.DataFrame(list(rows), infer_schema_length=None)


def _fir(age: float, remaining: float = 50.0) -> float:
    value, _, _ = forest_values(
        np.array([SPECIES_CODE["chinese_fir"]]), np.array([age]), np.array([1.0]), np.array([remaining])
    )
    return float(value[0])


def test_replacement_cost_of_a_young_stand_by_hand() -> None:
    p = fval("forest", "investment_return_rate")
    est = fval("forest", "chinese_fir.establishment_cost_cny_per_ha")
    ann = fval("forest", "chinese_fir.annual_cost_cny_per_ha")
    k = fval("forest", "adjustment_factor_k")
    age = 6.0
    expected = k * (est * (1 + p) ** age + ann * ((1 + p) ** age - 1) / p)
    assert _fir(age) == pytest.approx(expected)


def test_mature_stand_is_stumpage_times_volume_by_hand() -> None:
    a = fval("forest", "chinese_fir.yield_a_m3_per_ha")
    kk = fval("forest", "chinese_fir.yield_k_per_year")
    c = fval("forest", "chinese_fir.yield_c")
    w = fval("forest", "chinese_fir.timber_price_cny_per_m3")
    cost = fval("forest", "chinese_fir.harvest_cost_cny_per_m3")
    out = fval("forest", "chinese_fir.outturn_rate")
    f = fval("forest", "profit_rate")
    age = 30.0
    volume = a * (1 - np.exp(-kk * age)) ** c
    assert _fir(age) == pytest.approx(volume * out * (w - cost - f * w))


def test_harvest_value_meets_market_value_at_rotation_age() -> None:
    near_max = tval("forest", "chinese_fir.age_classes_years")[2]
    rotation = near_max + 1.0
    assert _fir(rotation - 1e-9) == pytest.approx(_fir(rotation), rel=1e-6)


def test_growing_stand_gains_value_with_age_and_short_term_cuts_it() -> None:
    assert _fir(12.0) < _fir(18.0) < _fir(24.0)
    # a right ending before rotation forces harvest at term end: never worth more than waiting
    for age in (12.0, 15.0, 20.0, 24.0):
        for remaining in (0.5, 3.0, 8.0):
            assert _fir(age, remaining=remaining) <= _fir(age, remaining=50.0) + 1e-9


def test_economic_forest_income_method_and_pre_production() -> None:
    sp = np.array([SPECIES_CODE[s] for s in ("oil_tea", "oil_tea", "bamboo")])
    value, klass, method = forest_values(sp, np.array([3.0, 20.0, 20.0]), np.ones(3), np.array([30.0, 30.0, 30.0]))
    assert [METHOD_KEYS[m] for m in method] == ["replacement_cost", "income_method", "income_method"]
    assert klass.tolist() == [5, 7, 7]
    assert (value > 0).all()
    short, _, _ = forest_values(sp[1:2], np.array([20.0]), np.ones(1), np.array([5.0]))
    assert short[0] < value[1]


def test_every_type_gets_its_method_and_a_positive_value() -> None:
    rights = frame(
        right("forest_right", right_id="a", area_ha=2.0, species_group="masson_pine", stand_age_years=25.0),
        right("carbon_allowance", right_id="b", allowance_tco2e=1000.0, unit_price_cny=60.0),
        right("carbon_sink_income", right_id="c", annual_sink_tco2e=500.0),
        right("carbon_sink_income", right_id="c2", area_ha=10.0, species_group="chinese_fir", stand_age_years=8.0),
        right(
            "discharge_right",
            right_id="d",
            permit_quantity_per_year=10.0,
            unit_price_cny=15000.0,
            price_term_years=5.0,
            term_end="2028-06-30",
        ),
        right("water_right", right_id="e", permit_quantity_per_year=1e6, unit_price_cny=0.15),
        right("energy_use_right", right_id="f", permit_quantity_per_year=100.0, unit_price_cny=120.0),
        right("land_management_right", right_id="g", area_ha=1.0, rent_cny_per_ha_per_year=9000.0),
        right("eco_income_right", right_id="h", realisable_cash_flow_cny_per_year=1e5),
        right("scenic_fee_right", right_id="i", visitors_per_year=1e4, ticket_price_cny=50.0),
    )
    out = value_rights(rights, as_of=AS_OF)
    assert out["method"].to_list() == [
        "harvest_present_value",
        "mark_to_market",
        "issued_credit_receivable",
        "issued_credit_receivable",
        "volume_x_price",
        "volume_x_price",
        "volume_x_price",
        "rent_x_area_x_term",
        "realisable_npv",
        "seasonal_ticket_npv",
    ]
    assert (out["value_cny"] > 0).all()
    # discharge right: 2 of the 5 years the price covers remain
    assert out["value_cny"][4] == pytest.approx(10 * 15000.0 * 2.0 / 5.0, rel=0.01)
    # CEA: quantity x price less the sale cost
    assert out["value_cny"][1] == pytest.approx(1000 * 60.0 * (1 - fval("valuation", "cea_sale_cost")))


def test_sink_income_counts_only_issuance_within_the_term() -> None:
    lag = fval("valuation", "sink_issuance_lag_years")
    short = frame(right("carbon_sink_income", annual_sink_tco2e=100.0, term_end=str(AS_OF.replace(year=2028))))
    assert lag >= 2.0
    assert value_rights(short, as_of=AS_OF)["value_cny"][0] == 0.0
    longer = frame(right("carbon_sink_income", annual_sink_tco2e=100.0, term_end="2036-06-30"))
    p = fval("valuation", "sink_issuance_probability")
    price = fval("valuation", "ccer_price_cny_per_tco2e")
    r = fval("valuation", "sink_discount_rate")
    years = range(1, int(10 - lag) + 1)
    expected = sum(p * 100.0 * price / (1 + r) ** (y + lag) for y in years)
    assert value_rights(longer, as_of=AS_OF)["value_cny"][0] == pytest.approx(expected, rel=1e-6)


def test_eco_income_is_npv_of_realisable_flows_and_ignores_gep() -> None:
    base = right("eco_income_right", realisable_cash_flow_cny_per_year=1e5, term_end="2036-06-30")
    with_gep = dict(base, gep_cny=5e9)
    a = value_rights(frame(base), as_of=AS_OF)["value_cny"][0]
    b = value_rights(frame(with_gep), as_of=AS_OF)["value_cny"][0]
    assert a == b
    r = fval("valuation", "eco_income_discount_rate")
    assert a == pytest.approx(sum(1e5 / (1 + r) ** t for t in range(1, 11)), rel=1e-3)


def test_scenic_shock_and_seasonality_lower_value_below_plain_annuity() -> None:
    out = value_rights(
        frame(right("scenic_fee_right", visitors_per_year=1e4, ticket_price_cny=50.0, term_end="2036-06-30")),
        as_of=AS_OF,
    )
    plain = sum(5e5 / 1.0**t for t in range(10))
    assert 0 < out["value_cny"][0] < plain


def test_insurance_storage_and_registry_move_the_haircut() -> None:
    base = right(
        "forest_right",
        area_ha=5.0,
        species_group="chinese_fir",
        stand_age_years=30.0,
        registry="real_estate",
        policy_tier="exchange",
    )
    rows = [
        dict(base, right_id="plain", insured=False, storage_agency=False),
        dict(base, right_id="insured", insured=True, storage_agency=False),
        dict(base, right_id="both", insured=True, storage_agency=True),
        dict(base, right_id="unregistered", insured=False, storage_agency=False, registry="none"),
    ]
    out = assess_collateral(frame(*rows), as_of=AS_OF).sort("right_id")
    h = dict(zip(out["right_id"].to_list(), out["haircut_model"].to_list(), strict=True))
    assert h["insured"] < h["plain"]
    assert h["both"] < h["insured"]
    assert h["unregistered"] > h["plain"]
    phys = dict(zip(out["right_id"].to_list(), out["h_physical"].to_list(), strict=True))
    assert phys["insured"] == fval("haircuts", "forest_right.h_physical_insured")


def test_haircut_build_up_formula() -> None:
    out = assess_collateral(frame(right("water_right", permit_quantity_per_year=1e6, unit_price_cny=0.2)), as_of=AS_OF)
    row = out.row(0, named=True)
    expected = 1 - (1 - row["h_price"]) * (1 - row["h_liquidity"]) * (1 - row["h_legal"]) * (1 - row["h_physical"])
    assert row["haircut_model"] == pytest.approx(expected)
    q = fval("haircuts", "drawdown_quantile")
    vol = np.array([fval("haircuts", "water_right.price_volatility_per_year")])
    days = np.array([fval("haircuts", "water_right.liquidation_horizon_days")])
    assert row["h_price"] == pytest.approx(float(volatility_drawdown(vol, days, q)[0]))
    assert row["price_basis"] == "volatility"


def test_price_history_drives_the_cea_price_haircut() -> None:
    days = pl.date_range(dt.date(2025, 1, 1), dt.date(2025, 6, 30), "1d", eager=True)
    rng = np.random.default_rng(1)
    prices = pl.DataFrame(
        {"series": "cea", "date": days, "price_cny": 80 * np.exp(np.cumsum(rng.normal(0, 0.02, days.len())))}
    )
    rights = frame(right("carbon_allowance", allowance_tco2e=1000.0, registry="carbon_registry"))
    out = assess_collateral(rights, as_of=dt.date(2025, 6, 30), prices=prices)
    assert out["price_basis"][0] == "history:cea"
    assert out["value_cny"][0] == pytest.approx(
        1000 * prices["price_cny"][-1] * (1 - fval("valuation", "cea_sale_cost"))
    )
    assert 0 < out["h_price"][0] < 1


def test_binding_bound_model_when_model_is_stricter() -> None:
    rights = frame(right("discharge_right", permit_quantity_per_year=10.0, unit_price_cny=15000.0, registry="none"))
    out = assess_collateral(rights, as_of=AS_OF)
    assert out["model_advance_rate"][0] < out["policy_cap"][0]
    assert out["binding_bound"][0] == "model"
    assert out["advance_rate"][0] == pytest.approx(out["model_advance_rate"][0])


def test_tenor_capped_by_remaining_term_and_forest_rule() -> None:
    rights = frame(
        right("water_right", right_id="w", permit_quantity_per_year=1.0, unit_price_cny=1.0, term_end="2029-06-30"),
        right("forest_right", right_id="f", area_ha=1.0, species_group="broadleaf", stand_age_years=45.0),
    )
    out = assess_collateral(rights, as_of=AS_OF)
    assert out["max_tenor_years"][0] == pytest.approx(3.0, abs=0.01)
    assert out["max_tenor_years"][1] == fval("policy_caps", "forest_right.max_tenor_years")


def test_margin_lines() -> None:
    types = np.array(["water_right", "water_right", "water_right"])
    warn = 1 / fval("margins", "warning_coverage")
    dispose = 1 / fval("margins", "disposal_coverage")
    got = margin_action(np.array([warn - 0.01, warn, dispose]), types).tolist()
    assert got == ["ok", "top_up", "dispose"]


def test_current_ltv_and_margin_action_when_a_loan_is_given() -> None:
    rights = frame(
        right("water_right", right_id="a", permit_quantity_per_year=1e6, unit_price_cny=1.0),
        right("water_right", right_id="b", permit_quantity_per_year=1e6, unit_price_cny=1.0, loan_cny=7e5),
        right("water_right", right_id="c", permit_quantity_per_year=1e6, unit_price_cny=1.0, loan_cny=2e5),
    )
    out = assess_collateral(rights, as_of=AS_OF)
    assert out["current_ltv"].to_list()[0] is None
    assert out["current_ltv"].to_list()[1:] == pytest.approx([0.7, 0.2])
    assert out["margin_action"].to_list() == [None, "top_up", "ok"]


def test_realisable_cash_flows_drop_non_realisable_gep() -> None:
    from greenfin.collateral import realisable_cash_flows
    from greenfin.gep import realisable_split

    gep = pl.DataFrame(
        {
            "right_id": ["E1", "E1", "E2"],
            "indicator": ["recreation", "climate_regulation", "water_supply"],
            "value_cny": [2.0e6, 9.0e6, 1.0e6],
        }
    )
    out = realisable_cash_flows(gep)
    expected = realisable_split(gep).group_by("right_id").agg(pl.col("realisable_cny").sum()).sort("right_id")
    assert out["realisable_cash_flow_cny_per_year"].to_list() == pytest.approx(expected["realisable_cny"].to_list())
    assert out["gep_cny"].to_list() == [11.0e6, 1.0e6]
    assert (out["realisable_cash_flow_cny_per_year"] <= out["gep_cny"]).all()
    # climate regulation has no payer: it never reaches the cash flow
    only_climate = realisable_cash_flows(gep.filter(pl.col("indicator") == "climate_regulation"))
    assert only_climate["realisable_cash_flow_cny_per_year"][0] == 0.0
    rights = frame(
        right(
            "eco_income_right",
            right_id="E1",
            realisable_cash_flow_cny_per_year=out["realisable_cash_flow_cny_per_year"][0],
        )
    )
    assert value_rights(rights, as_of=AS_OF)["value_cny"][0] > 0


def test_stated_volatility_overrides_the_type_default() -> None:
    base = right("water_right", permit_quantity_per_year=1e6, unit_price_cny=1.0)
    out = assess_collateral(
        frame(dict(base, right_id="a"), dict(base, right_id="b", price_volatility_per_year=0.6)), as_of=AS_OF
    )
    q = fval("haircuts", "drawdown_quantile")
    days = np.array([fval("haircuts", "water_right.liquidation_horizon_days")])
    assert out["h_price"][1] == pytest.approx(float(volatility_drawdown(np.array([0.6]), days, q)[0]))
    assert out["h_price"][1] > out["h_price"][0]
    assert out["max_loan_cny"][1] <= out["max_loan_cny"][0]


def test_bare_forest_land_by_rent_or_land_expectation_value() -> None:
    from greenfin.collateral._valuation import _species_sev

    base = right(
        "forest_right",
        area_ha=10.0,
        species_group="chinese_fir",
        stand_age_years=0.0,
        land_only=True,
        registry="real_estate",
        term_end="2036-06-30",
    )
    rights = frame(dict(base, right_id="sev"), dict(base, right_id="rent", rent_cny_per_ha_per_year=300.0))
    out = assess_collateral(rights, as_of=AS_OF)
    p = fval("forest", "investment_return_rate")
    share = 1 - (1 + p) ** -out["remaining_term_years"][0]
    assert out["method"].to_list() == ["land_expectation_value", "rent_capitalisation"]
    assert out["stand_class"].to_list() == ["forest_land", "forest_land"]
    assert out["value_cny"][0] == pytest.approx(10.0 * max(_species_sev("chinese_fir"), 0.0) * share)
    assert out["value_cny"][1] == pytest.approx(10.0 * 300.0 / p * share)
    assert out["policy_cap"].to_list() == [0.5, 0.5]
