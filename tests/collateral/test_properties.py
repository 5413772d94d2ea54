"""Property tests: values non-negative, haircuts in [0, 1], caps respected, max loan monotone in haircut."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.collateral import RIGHT_TYPES, assess_collateral, volatility_drawdown

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


SPECIES = ("chinese_fir", "masson_pine", "broadleaf", "bamboo", "oil_tea")


@st.composite
def rights_row(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(RIGHT_TYPES))
    years = draw(st.floats(0.05, 60.0))
    row = right(kind, term_end=str(AS_OF + dt.timedelta(days=int(years * 365.25) + 1)))
    row.update(
        registry=draw(st.sampled_from(("real_estate", "movable_unified", "carbon_registry", "none"))),
        policy_tier=draw(st.sampled_from(("normal", "exchange"))),
        insured=draw(st.booleans()),
        storage_agency=draw(st.booleans()),
        area_ha=draw(st.floats(0.0, 500.0)),
        species_group=draw(st.sampled_from(SPECIES)),
        stand_age_years=draw(st.floats(0.0, 120.0)),
        allowance_tco2e=draw(st.floats(0.0, 1e6)),
        unit_price_cny=draw(st.floats(0.01, 1e5)),
        permit_quantity_per_year=draw(st.floats(0.0, 1e9)),
        price_term_years=draw(st.one_of(st.none(), st.floats(0.5, 30.0))),
        rent_cny_per_ha_per_year=draw(st.floats(0.0, 5e4)),
        transferred=draw(st.booleans()),
        realisable_cash_flow_cny_per_year=draw(st.floats(0.0, 1e8)),
        cash_flow_growth_per_year=draw(st.floats(-0.5, 0.5)),
        visitors_per_year=draw(st.floats(0.0, 5e6)),
        ticket_price_cny=draw(st.floats(0.0, 500.0)),
    )
    if kind == "carbon_sink_income" and draw(st.booleans()):
        row["annual_sink_tco2e"] = draw(st.floats(0.0, 1e5))
    return row


@settings(max_examples=60, deadline=None)
@given(st.lists(rights_row(), min_size=1, max_size=12))
def test_invariants_over_random_portfolios(rows: list[dict[str, Any]]) -> None:
    for i, row in enumerate(rows):
        row["right_id"] = f"R{i}"
    schema = {"price_term_years": pl.Float64, "annual_sink_tco2e": pl.Float64}
    rights = pl.DataFrame(rows, infer_schema_length=None, schema_overrides=schema)
    out = assess_collateral(rights, as_of=AS_OF, on_refusal="flag")
    value = out["value_cny"].to_numpy()
    haircut = out["haircut"].to_numpy()
    assert np.isfinite(value).all()
    assert (value >= 0).all()
    assert ((haircut >= 0) & (haircut <= 1)).all()
    for name in ("h_price", "h_liquidity", "h_legal", "h_physical", "haircut_model"):
        h = out[name].to_numpy()
        assert ((h >= 0) & (h <= 1)).all(), name
    rate = out["advance_rate"].to_numpy()
    assert (rate <= out["policy_cap"].to_numpy() + 1e-12).all()
    assert (rate <= out["hard_cap"].to_numpy() + 1e-12).all()
    assert (rate <= out["model_advance_rate"].to_numpy() + 1e-12).all()
    assert np.allclose(out["max_loan_cny"].to_numpy(), value * (1 - haircut))
    assert (out["max_tenor_years"].to_numpy() <= out["remaining_term_years"].to_numpy() + 1e-12).all()
    assert set(out["binding_bound"].unique().to_list()) <= {
        "model",
        "policy_cap",
        "hard_cap",
        "not_accepted",
        "refused",
    }


@settings(max_examples=50, deadline=None)
@given(value=st.floats(0.0, 1e10), h1=st.floats(0.0, 1.0), h2=st.floats(0.0, 1.0))
def test_max_loan_is_monotone_in_haircut_through_the_model(value: float, h1: float, h2: float) -> None:
    # vary the model's legal haircut through the registry: none (extra legal haircut) never lends more
    base = right("water_right", permit_quantity_per_year=max(value, 0.0), unit_price_cny=1.0, term_end="2040-01-01")
    rows = [dict(base, right_id="a", registry="movable_unified"), dict(base, right_id="b", registry="none")]
    out = assess_collateral(pl.DataFrame(rows), as_of=AS_OF)
    assert out["haircut"][1] >= out["haircut"][0]
    assert out["max_loan_cny"][1] <= out["max_loan_cny"][0] + 1e-6
    lo, hi = sorted((h1, h2))
    assert value * (1 - hi) <= value * (1 - lo)


@settings(max_examples=50, deadline=None)
@given(
    sigma=st.floats(0.0, 2.0),
    days=st.floats(1.0, 500.0),
    more=st.floats(0.0, 1.0),
    q=st.floats(0.5, 0.999),
)
def test_volatility_haircut_in_unit_interval_and_monotone(sigma: float, days: float, more: float, q: float) -> None:
    h = volatility_drawdown(np.array([sigma, sigma + more, sigma]), np.array([days, days, days + 10 * more]), q)
    assert ((h >= 0) & (h < 1)).all()
    assert h[1] >= h[0] - 1e-15
    assert h[2] >= h[0] - 1e-15
