"""Lending: underwrite one 生态信贷通 application (approve / decline / refer, limit, rate and reasons).

The decision is computed from the application as sent (its own score and collateral columns) and saved
in the append-only decision store under the caller's tenant; a bank lists only its own decisions.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import BankDep, StoreDep, WriteDep
from api.errors import PROBLEM_RESPONSES
from api.routers._common import finite_row, model_from_columns
from api.routing import TransactionalRoute
from greenfin.lending import APPLICATION_COLUMNS, decide
from greenfin.store import DecisionStore
from greenfin.store._access import actor_of

__all__ = ["router"]

router = APIRouter(route_class=TransactionalRoute, prefix="/v1/lending", tags=["lending"], responses=PROBLEM_RESPONSES)

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


class SavedDecision(BaseModel):
    """A saved decision (``greenfin.store.DecisionStore.list``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision_id: str = Field(description="Content id of the saved record.")
    application_id: str = Field(description="Application id.")
    borrower_id: str | None = Field(description="Borrower id.")
    product_id: str | None = Field(description="Product.")
    as_of: dt.date = Field(description="Decision date.")
    outcome: str = Field(description="approve, decline or refer.")
    approved_cny: float | None = Field(description="Approved amount, CNY.")
    limit_cny: float | None = Field(description="Limit, CNY.")
    binding_constraint: str | None = Field(description="The bound that binds.")
    rate: float | None = Field(description="Loan rate (fraction).")
    grade: str | None = Field(description="Grade.")
    recorded_at: dt.datetime = Field(description="When it was saved.")


@router.post("/decisions", operation_id="decide_application", response_model=DecisionPublic, status_code=201)
def decide_application(req: DecisionRequest, bank: BankDep, w: WriteDep) -> DecisionPublic:
    """Underwrite one application and save the decision under the caller's bank."""
    frame = pl.DataFrame([req.application.model_dump()])
    table = decide(frame, as_of=req.as_of, product=req.product_id, source="request body.application")
    meta = {"via": "api", "request_id": w.request_id, "product_id": req.product_id}
    # in the request's transaction: the decisions, their audit entry and the API's rows commit together
    DecisionStore.in_session(w.session).save(table, meta=meta, tenant_id=bank.tenant_id, actor=actor_of(bank))
    row = table.row(0, named=True)
    record: dict[str, Any] = {k: (str(v) if isinstance(v, dt.date) else v) for k, v in finite_row(row).items()}
    core = {k: record.get(k) for k in DecisionPublic.model_fields if k != "record"}
    return w.created(
        DecisionPublic.model_validate({**core, "record": record}),
        action="decision.create",
        resource_type="decision",
        resource_id=str(row["application_id"]),
        claim=False,  # the decision store keeps the tenant of every record itself
    )


@router.get("/decisions", operation_id="list_decisions", response_model=list[SavedDecision])
def list_decisions(
    session: StoreDep,
    bank: BankDep,
    application_id: Annotated[str | None, Query(max_length=64, description="Only this application.")] = None,
) -> list[SavedDecision]:
    """The caller's bank's saved decisions, oldest first."""
    saved = DecisionStore.in_session(session).list(application_id=application_id, tenant_id=bank.tenant_id)
    fields = set(SavedDecision.model_fields)
    return [
        SavedDecision.model_validate({k: v for k, v in finite_row(r).items() if k in fields}) for r in saved.to_dicts()
    ]
