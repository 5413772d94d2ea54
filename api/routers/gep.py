"""GEP (生态系统生产总值) accounts of a region from its quantities, under a named rule set."""

from __future__ import annotations

from typing import Literal

import polars as pl
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PrincipalDep
from api.errors import PROBLEM_RESPONSES
from api.routers._common import finite_row
from api.routing import TransactionalRoute
from greenfin.gep import account_region

__all__ = ["router"]

router = APIRouter(route_class=TransactionalRoute, prefix="/v1/gep", tags=["gep"], responses=PROBLEM_RESPONSES)

RuleSetId = Literal["jiangxi-db36-1402-2021", "national-2022", "rcees-classic"]


class QuantityIn(BaseModel):
    """One region-level quantity (a row of ``greenfin gep value``'s input)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicator: str = Field(min_length=1, max_length=64, description="GEP indicator id, e.g. 'water_conservation'.")
    component: str = Field(min_length=1, max_length=64, description="Component, e.g. 'water_m3' or 'soil_t'.")
    quantity: float = Field(ge=0.0, le=1e18, allow_inf_nan=False, description="Physical quantity (or money).")
    unit: str = Field(min_length=1, max_length=16, description="Unit of the quantity, e.g. 'm3', 't', '万元'.")
    region_id: str | None = Field(default=None, max_length=64, description="Region (county, township) id.")


class GepAccountRequest(BaseModel):
    """Quantities of one or more regions and the rule set to value them with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quantities: tuple[QuantityIn, ...] = Field(min_length=1, max_length=5_000, description="Region quantities.")
    rules: RuleSetId = Field(default="jiangxi-db36-1402-2021", description="GEP rule set id.")
    year: int | None = Field(default=None, ge=1990, le=2100, description="Price year (default: latest deflator).")


class IndicatorValue(BaseModel):
    """Value of one GEP indicator, summed over the regions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str = Field(description="material, regulating or cultural.")
    indicator: str = Field(description="Indicator id.")
    label_en: str = Field(description="English label.")
    label_zh: str = Field(description="Chinese label.")
    quantity: float | None = Field(description="Quantity, in quantity_unit.")
    quantity_unit: str = Field(description="Unit of the quantity.")
    value_cny: float | None = Field(description="Value, CNY at the account's price year.")
    realisable_cny: float | None = Field(description="Part a payer pays for (realisable), CNY.")
    non_realisable_cny: float | None = Field(description="Part no payer pays for, CNY.")
    share: float | None = Field(description="Share of the total GEP (fraction).")
    confidence: str = Field(description="Confidence of the prices and coefficients used.")
    overridden: bool = Field(description="A coefficient was overridden.")


class GepAccountPublic(BaseModel):
    """The GEP account: total, per indicator, flags and the notes a reader must see."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: str = Field(description="Rule set id.")
    rules_version: str = Field(description="Rule set version.")
    year: int = Field(description="Price year.")
    total_cny: float = Field(description="Total GEP, CNY.")
    indicators: tuple[IndicatorValue, ...] = Field(description="Per indicator.")
    flags: tuple[dict[str, str | None], ...] = Field(description="Double counting, exclusions and caps.")
    notes: tuple[str, ...] = Field(description="Assumptions.")


@router.post("/accounts", operation_id="gep_account", response_model=GepAccountPublic)
def gep_account(req: GepAccountRequest, _caller: PrincipalDep) -> GepAccountPublic:
    """GEP account of the regions in the request (any role)."""
    frame = pl.DataFrame([q.model_dump() for q in req.quantities], schema_overrides={"region_id": pl.String})
    account = account_region(frame, rules=req.rules, year=req.year, source="request body.quantities")
    fields = set(IndicatorValue.model_fields)
    return GepAccountPublic(
        rules=account.rules.id,
        rules_version=str(account.rules.version),
        year=account.year,
        total_cny=account.total_cny,
        indicators=tuple(
            IndicatorValue.model_validate({k: v for k, v in finite_row(r).items() if k in fields})
            for r in account.county.to_dicts()
        ),
        flags=tuple(account.flags.to_dicts()),
        notes=tuple(account.notes),
    )
