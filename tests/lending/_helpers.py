"""Builders of small application tables for the lending tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

AS_OF = dt.date(2026, 6, 30)

BASE: dict[str, Any] = {
    "application_id": "A1",
    "borrower_id": "B00001",
    "borrower_type": "family_farm",
    "purpose": "crop_production",
    "product_id": "cainong-xindaitong-2022",
    "amount_cny": 300_000.0,
    "tenor_months": 24,
    "county_id": "369901",
    "sector": "rice",
    "consent_credit_assessment": True,
    "consent_cash_flow": True,
    "net_cash_flow_cny_per_year": 400_000.0,
    "existing_debt_service_cny_per_year": 0.0,
    "request_human_review": False,
    "age_years": 40.0,
    "eco_points": None,
    "eco_points_age_years": None,
    "pd": 0.01,
    "points": 650.0,
    "grade": "A",
    "collateral_right_type": None,
    "collateral_value_cny": None,
    "collateral_haircut": None,
    "collateral_remaining_term_years": None,
}

SCHEMA = {
    "eco_points": pl.Float64,
    "eco_points_age_years": pl.Float64,
    "collateral_right_type": pl.String,
    "collateral_value_cny": pl.Float64,
    "collateral_haircut": pl.Float64,
    "collateral_remaining_term_years": pl.Float64,
    "pd": pl.Float64,
    "net_cash_flow_cny_per_year": pl.Float64,
    "existing_debt_service_cny_per_year": pl.Float64,
}


def apps(*rows: dict[str, Any]) -> pl.DataFrame:
    """One application per dict, each a change of BASE; ids A1, A2, ... unless given."""
    out = []
    for i, row in enumerate(rows or ({},)):
        r = {**BASE, "application_id": f"A{i + 1}", **row}
        out.append(r)
    return pl.DataFrame(out, schema_overrides=SCHEMA)


def eco_right(**changes: Any) -> dict[str, Any]:
    """A jinxi 生态通 application pledging a forest right."""
    return {
        "product_id": "jinxi-shengtaitong",
        "collateral_right_type": "forest_right",
        "collateral_value_cny": 1_000_000.0,
        "collateral_haircut": 0.5,
        "collateral_remaining_term_years": 10.0,
        **changes,
    }
