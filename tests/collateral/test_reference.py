"""Reference tests: worked cases and figures printed in shared/reference/assessment.md §8 (cited per test)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

from greenfin.collateral import assess_collateral, drawdown_quantile, load_scenario, stress_collateral
from greenfin.collateral._params import fval

pytestmark = pytest.mark.reference

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


def test_yunxi_water_right_pledged_at_half() -> None:
    """Yunxi (Hubei): 1.36亿 m3/yr x 0.15 元/m3 ≈ 2,000万 value, 50% pledge rate -> 1,000万 (assessment.md §8.2).

    Printed precision: "≈ 2,000万" and "1,000万" (two significant figures): tolerance 5%.
    """
    rights = frame(
        right(
            "water_right",
            permit_quantity_per_year=1.36e8,
            unit_price_cny=0.15,
            registry="movable_unified",
            term_end="2036-06-30",
        )
    )
    out = assess_collateral(rights, as_of=AS_OF)
    assert out["value_cny"][0] == pytest.approx(2.0e7, rel=0.05)
    assert out["max_loan_cny"][0] == pytest.approx(1.0e7, rel=0.05)
    assert out["advance_rate"][0] == 0.5
    assert out["binding_bound"][0] == "policy_cap"


def test_pingluo_land_rule_own_and_transferred() -> None:
    """Pingluo (Ningxia): loan = price x area x remaining term x 1/2; transferred land: one year of rights
    (assessment.md §8.2, shoulawyer.com). Exact formula: tolerance 1 fen."""
    years = 10.0
    term_end = AS_OF.replace(year=AS_OF.year + 10)
    rent, area = 9000.0, 4.0
    rights = frame(
        right(
            "land_management_right",
            right_id="own",
            area_ha=area,
            rent_cny_per_ha_per_year=rent,
            transferred=False,
            registry="movable_unified",
            term_end=str(term_end),
        ),
        right(
            "land_management_right",
            right_id="moved",
            area_ha=area,
            rent_cny_per_ha_per_year=rent,
            transferred=True,
            registry="movable_unified",
            term_end=str(term_end),
        ),
    )
    out = assess_collateral(rights, as_of=AS_OF)
    remaining = out["remaining_term_years"][0]
    assert remaining == pytest.approx(years, abs=0.01)
    assert out["value_cny"][0] == pytest.approx(rent * area * remaining, abs=0.01)
    assert out["max_loan_cny"][0] == pytest.approx(rent * area * remaining * 0.5, abs=0.01)
    assert out["value_cny"][1] == pytest.approx(rent * area * 1.0, abs=0.01)
    assert out["max_loan_cny"][1] == pytest.approx(rent * area * 0.5, abs=0.01)
    assert out["binding_bound"].to_list() == ["policy_cap", "policy_cap"]


@pytest.mark.parametrize(("initial", "printed"), [(0.50, 0.84), (0.55, 0.92), (0.60, 1.01), (0.70, 1.18)])
def test_cea_stress_table(initial: float, printed: float) -> None:
    """CEA stress table: start at 97.49, fall to 57.97; LTV at the trough (assessment.md §8.4, whole percent)."""
    value = 1_000_000.0
    assessed = pl.DataFrame(
        {
            "right_id": ["C1"],
            "borrower_id": ["B1"],
            "right_type": ["carbon_allowance"],
            "value_cny": [value],
            "max_loan_cny": [value * 0.5],
            "loan_cny": [value * initial],
            "insured": [False],
            "eligible": [True],
        }
    )
    result = stress_collateral(assessed, load_scenario("cea-2024-25"))
    assert result.loans["ltv_final"][0] == pytest.approx(printed, abs=0.005)
    assert result.loans["ltv_initial"][0] == pytest.approx(initial)
    underwater = result.loans["ltv_final"][0] > 1.0
    assert underwater == (printed > 1.0)


def test_cea_peak_to_trough_drawdowns() -> None:
    """Peak-to-trough 2024-11 -> 2025-09 = -45.1%; -36.1% within about 6.5 months (assessment.md §8.3)."""
    anchors = np.array([105.66, 97.49, 67.51, 57.97])
    assert drawdown_quantile(anchors, 3, 0.999999) == pytest.approx(0.451, abs=0.0005)
    assert drawdown_quantile(anchors[:3], 2, 0.999999) == pytest.approx(0.361, abs=0.0005)


def test_cea_from_the_peak_half_ltv_ends_at_91pct() -> None:
    """Starting at the 105.66 peak, a 50% LTV ends at 91% (assessment.md §8.4), on the bundled price history."""
    from greenfin.datasets import load_sample

    prices = load_sample("cea_prices").with_columns(pl.col("date").cast(pl.String).str.to_date())
    rights = frame(right("carbon_allowance", allowance_tco2e=10_000.0, registry="carbon_registry"))
    peak = assess_collateral(rights, as_of=_d("2024-11-13"), prices=prices)
    trough = assess_collateral(rights, as_of=_d("2025-09-30"), prices=prices)
    ltv = 0.5 * peak["value_cny"][0] / trough["value_cny"][0]
    assert ltv == pytest.approx(0.91, abs=0.005)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_eco_income_cap_is_shangyou_ratio() -> None:
    """上犹 VEP pledge: 2亿 loan on 18.77亿 realisable VEP = 10.7% of realisable (assessment.md §8.2, 0.1%)."""
    assert fval("policy_caps", "eco_income_right.normal") == pytest.approx(2.0 / 18.77, abs=0.0005)
    rights = frame(
        right(
            "eco_income_right",
            realisable_cash_flow_cny_per_year=1.0e6,
            registry="movable_unified",
            payer="county_government",
        )
    )
    out = assess_collateral(rights, as_of=AS_OF)
    assert out["max_loan_cny"][0] == pytest.approx(0.107 * out["value_cny"][0])
    assert out["binding_bound"][0] == "policy_cap"


@pytest.mark.parametrize(
    ("age", "tier", "cap"),
    [
        (5.0, "normal", 0.0),  # young timber: normally not accepted
        (5.0, "exchange", 0.30),
        (15.0, "normal", 0.40),  # middle-aged
        (23.0, "exchange", 0.50),  # near-mature with exchange
        (30.0, "normal", 0.50),  # mature
        (40.0, "exchange", 0.60),  # over-mature with exchange
    ],
)
def test_forest_right_tiers(age: float, tier: str, cap: float) -> None:
    """林权 tiers 30/40/50/60% by stand class, hard cap 60% (assessment.md §8.2 tier table)."""
    rights = frame(
        right(
            "forest_right",
            area_ha=10.0,
            species_group="chinese_fir",
            stand_age_years=age,
            policy_tier=tier,
            registry="real_estate",
            insured=True,
            storage_agency=True,
            forest_category="commercial",
        )
    )
    out = assess_collateral(rights, as_of=AS_OF)
    assert out["policy_cap"][0] == cap
    assert out["hard_cap"][0] == 0.60
    assert out["advance_rate"][0] <= min(cap, 0.60)
    if cap == 0.0:
        assert out["binding_bound"][0] == "not_accepted"
        assert out["max_loan_cny"][0] == 0.0


def test_land_expectation_value_worked_examples() -> None:
    """林地期望价 (Faustmann) worked examples of a 森林经理学 exam bank, printed to 0.1 yuan.

    (1) Larch, u=30, Au=30000, thinnings 1000 at 20 and 2000 at 25, C=1000, v=300, p=6% -> SEV 1055.4
        (睦霖题库, www.274949.com/2911/t31487816.html).
    (2) Larch, u=40, Au=54760, thinnings 2310/3120/3830 at 25/30/35, C=1280, v=300, p=6% -> annual land
        income SEV x p ≈ 73.8 (m.274949.com/9323/t31487814.html; its intermediate 1229.275 used a rounded
        denominator, so the printed annual figure is the one compared).
    """
    from greenfin.collateral._valuation import land_expectation_value

    one = land_expectation_value(30000.0, 1000.0, 300.0, 0.06, 30.0, ((20.0, 1000.0), (25.0, 2000.0)))
    assert float(one) == pytest.approx(1055.4, abs=0.05)
    two = land_expectation_value(54760.0, 1280.0, 300.0, 0.06, 40.0, ((25.0, 2310.0), (30.0, 3120.0), (35.0, 3830.0)))
    assert float(two) * 0.06 == pytest.approx(73.8, abs=0.05)
