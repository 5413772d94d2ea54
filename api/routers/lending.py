"""Lending: underwrite one 生态信贷通 application (approve / decline / refer, limit, rate and reasons).

The decision is computed from the application as sent (its own score and collateral columns, or the
bank's stored figures it copied in); nothing is stored, so there is nothing another tenant could read.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import polars as pl
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import BankDep
from api.errors import PROBLEM_RESPONSES
from api.routers._common import finite_row, model_from_columns
from greenfin.lending import APPLICATION_COLUMNS, decide

__all__ = ["router"]

router = APIRouter(prefix="/v1/lending", tags=["lending"], responses=PROBLEM_RESPONSES)

if TYPE_CHECKING:
    ApplicationIn = BaseModel
else:
    ApplicationIn = model_from_columns(
        "ApplicationIn", "One loan application (columns of greenfin.lending.APPLICATION_COLUMNS).", APPLICATION_COLUMNS
    )


class DecisionRequest(BaseModel):
    """Underwrite one application at a date, optionally under a named product."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application: ApplicationIn = Field(description="The application.")
    as_of: dt.date = Field(description="Decision date (selects the LPR).")
    product_id: str | None = Field(default=None, max_length=64, description="Product to apply (default: its own).")


class DecisionPublic(BaseModel):
    """The decision: outcome, limit and the bound that binds, rate build-up and bilingual reasons."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: str = Field(description="Application id.")
    outcome: str = Field(description="approve, decline or refer.")
    outcome_zh: str | None = Field(description="Outcome in Chinese.")
    approved_cny: float | None = Field(description="Approved amount, CNY.")
    limit_cny: float | None = Field(description="Limit: the smallest of the four bounds, CNY.")
    binding_constraint: str | None = Field(description="policy_cap, collateral, repayment or score.")
    rate: float | None = Field(description="Loan rate (fraction).")
    all_in_rate: float | None = Field(description="Rate plus guarantee fee (fraction).")
    reason_codes: str | None = Field(description="Reason codes.")
    reasons_en: str | None = Field(description="Reasons in English.")
    reasons_zh: str | None = Field(description="Reasons in Chinese.")
    record: dict[str, str | float | int | bool | None] = Field(
        description="Every column of the decision record (greenfin.lending.decide), non-finite numbers as null."
    )


@router.post("/decisions", operation_id="decide_application", response_model=DecisionPublic)
def decide_application(req: DecisionRequest, _bank: BankDep) -> DecisionPublic:
    """Underwrite one application (banks)."""
    frame = pl.DataFrame([req.application.model_dump()])
    row = decide(frame, as_of=req.as_of, product=req.product_id, source="request body.application").row(0, named=True)
    record: dict[str, Any] = {k: (str(v) if isinstance(v, dt.date) else v) for k, v in finite_row(row).items()}
    core = {k: record.get(k) for k in DecisionPublic.model_fields if k != "record"}
    return DecisionPublic.model_validate({**core, "record": record})
