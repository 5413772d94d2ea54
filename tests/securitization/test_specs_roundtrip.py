"""Every spec round-trips through JSON unchanged."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from greenfin.datasets import load_sample
from greenfin.securitization import (
    CarbonSinkIncome,
    CleanUpCall,
    DealSpec,
    DefaultSpec,
    ForestryIncome,
    HydroIncome,
    OpenPeriod,
    PoolAssumptions,
    PrepaySpec,
    Scenario,
    ShortfallSupport,
    TourismIncome,
    WaterSupplyIncome,
)

SPECS: list[BaseModel] = [
    DealSpec.model_validate(load_sample("deal_eco_loans")),
    DealSpec.model_validate(load_sample("deal_hydro")),
    PoolAssumptions(
        prepay=PrepaySpec(kind="abs", value=0.015),
        default=DefaultSpec(kind="cdr", vector=(0.01, 0.02)),
        lag_months=6,
        severity=0.4,
        advancing=False,
        seasonal_weights=(1,) * 12,
        first_payment_month=3,
    ),
    Scenario(name="s", default_multiple=2.0, downgrade_period=4),
    CleanUpCall(threshold_share=0.1),
    OpenPeriod(period=12, tranches=("A",), coupon_reset=0.03, put_funded_by="originator"),
    ShortfallSupport(name="p", rating="AA", cap_cny=1e6),
    TourismIncome(
        visitors_per_year=5e5,
        monthly_profile=(1,) * 12,
        ticket_price_cny=60,
        price_growth_per_year=0.02,
        visitor_cv=0.2,
        shock_prob_per_year=0.05,
        shock_loss_share=0.8,
        shock_months=3,
        opex_cny_per_month=1e5,
    ),
    ForestryIncome(
        harvest_m3_per_year=8000,
        harvest_profile=(0,) * 9 + (1, 1, 1),
        price_cny_per_m3=1100,
        price_vol_per_year=0.15,
        shock_prob_per_year=0.03,
        shock_loss_share=0.5,
        opex_cny_per_month=5e4,
    ),
    CarbonSinkIncome(
        sequestration_tco2e_per_year=20000,
        verification_months=12,
        issuance_lag_months=6,
        price_cny_per_tco2e=60,
        price_drift_per_year=0.05,
        price_vol_per_year=0.3,
        reversal_prob_per_year=0.02,
        reversal_share=0.5,
        opex_cny_per_month=2e4,
    ),
    WaterSupplyIncome(
        volume_m3_per_month=(1e5,) * 12,
        volume_cv=0.05,
        tariff_cny_per_m3=2.1,
        review_every_months=36,
        review_step=0.05,
        collection_rate=0.96,
        opex_cny_per_month=6e4,
    ),
    HydroIncome(
        capacity_kw=1e4,
        kwh_per_m3=0.09,
        inflow_mean_m3=(1e7,) * 12,
        inflow_cv=0.3,
        inflow_ar1=0.5,
        tariff_cny_per_kwh=0.3,
        curtailment_share=0.0,
        opex_cny_per_month=1e5,
    ),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: type(s).__name__)
def test_json_roundtrip(spec: BaseModel) -> None:
    again = type(spec).model_validate_json(spec.model_dump_json())
    assert again == spec
    assert again.model_dump_json() == spec.model_dump_json()
