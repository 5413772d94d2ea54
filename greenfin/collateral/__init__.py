"""Eco-product rights as collateral: valuation, haircuts and advance rates, margin levels, stress.

Every right type of DESIGN.md has one method family, vectorised over a portfolio
(:func:`value_rights`): forest rights (林权) by stand age under LY/T 2407-2015, carbon allowances (CEA)
marked to market, carbon-sink income (碳汇收益权) as a discounted future receivable, discharge / water /
energy-use rights (排污权 / 用水权 / 用能权) as volume x price within the permit term, land management
rights (土地经营权) with the annual-rent limitation, eco-income rights (GEP/VEP 收益权, 生态权益证) as the
NPV of realisable cash flows only, and scenic fee rights (景区收费权) with seasonality and a shock.

:func:`assess_collateral` builds the haircut ``1-(1-H_price)(1-H_liquidity)(1-H_legal)(1-H_physical)``,
applies the policy caps of type and tier (林权 30/40/50/60%, hard cap 60%) and names the binding bound
(:func:`assess_right` does the same for one right given as a mapping, for single requests);
:func:`stress_collateral` runs named or user-defined scenarios. Every parameter lives in
``greenfin/collateral/data/*.json`` with value, unit, source and confidence (:func:`collateral_params`).
"""

from __future__ import annotations

import polars as pl

from greenfin.collateral._assess import (
    ASSESSMENT_SCHEMA,
    BINDING_BOUNDS,
    assess_collateral,
    assess_right,
    margin_action,
    value_rights,
)
from greenfin.collateral._gep_link import realisable_cash_flows
from greenfin.collateral._params import param_frame
from greenfin.collateral._prices import drawdown_quantile, validate_prices, volatility_drawdown
from greenfin.collateral._rights import RIGHT_TYPES, RIGHTS_COLUMNS, validate_rights
from greenfin.collateral._stress import (
    ScenarioShock,
    StressResult,
    StressScenario,
    list_scenarios,
    load_scenario,
    stress_collateral,
)
from greenfin.collateral._valuation import land_expectation_value

__all__ = [
    "ASSESSMENT_SCHEMA",
    "BINDING_BOUNDS",
    "RIGHTS_COLUMNS",
    "RIGHT_TYPES",
    "ScenarioShock",
    "StressResult",
    "StressScenario",
    "assess_collateral",
    "assess_right",
    "collateral_params",
    "drawdown_quantile",
    "land_expectation_value",
    "list_scenarios",
    "load_scenario",
    "margin_action",
    "realisable_cash_flows",
    "stress_collateral",
    "validate_prices",
    "validate_rights",
    "value_rights",
    "volatility_drawdown",
]


def collateral_params() -> pl.DataFrame:
    """Every sourced parameter the collateral package uses (for reports: Section.params).

    Returns
    -------
    polars.DataFrame
        One row per parameter: table, parameter, value, unit, price year, confidence, mark, source, note.

    Examples
    --------
    >>> p = collateral_params()
    >>> p.filter(p["parameter"] == "forest_right.hard_cap")["value"][0]
    '0.6'
    """
    return param_frame()
