"""Collateral: value one eco-product right, and register, pledge and release rights in the pledge registry.

A bank sees and changes only the rights it registered through the API (and their pledges); another
bank's right answers 404, exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
import polars as pl
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import AuditedWriteDep, BankDep, StoreDep, WriteDep, require_owner
from api.errors import PROBLEM_RESPONSES, problem_doc
from api.routers._common import finite_row, model_from_columns
from api.routing import TransactionalRoute
from greenfin.collateral import RIGHTS_COLUMNS, assess_right
from greenfin.money import fen_to_yuan, yuan_to_fen
from greenfin.store import PledgeRegistry
from greenfin.store._access import Principal, actor_of
from greenfin.store._models_collateral import Right

__all__ = ["router"]

router = APIRouter(route_class=TransactionalRoute, prefix="/v1", tags=["collateral"], responses=PROBLEM_RESPONSES)
_NOT_FOUND = problem_doc(404, "No such right for this tenant.")
_CONFLICT = problem_doc(409, "Conflicts with the registry (e.g. the right already has an active pledge).")

RightType = Literal[
    "forest_right",
    "carbon_allowance",
    "carbon_sink_income",
    "discharge_right",
    "water_right",
    "energy_use_right",
    "land_management_right",
    "eco_income_right",
    "scenic_fee_right",
]
RightId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="Right id.")]


if TYPE_CHECKING:
    RightIn = BaseModel
else:
    RightIn = model_from_columns(
        "RightIn", "One eco-product right to value (columns of greenfin.collateral.RIGHTS_COLUMNS).", RIGHTS_COLUMNS
    )


class ValuationRequest(BaseModel):
    """Value one right at a date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    right: RightIn = Field(description="The right.")
    as_of: dt.date = Field(description="Valuation date.")


class ValuationPublic(BaseModel):
    """Value, haircut build-up, policy caps and maximum loan of one right (``ASSESSMENT_SCHEMA``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    right_id: str = Field(description="Right id.")
    borrower_id: str = Field(description="Borrower id.")
    right_type: str = Field(description="Right type.")
    parcel_id: str | None = Field(description="Forest parcel id (forest and sink rights).")
    method: str = Field(description="Valuation method key.")
    stand_class: str | None = Field(description="Stand class of forest rights (龄组 / 产期).")
    value_cny: float = Field(description="Appraised value at as_of, CNY (0 when expired).")
    remaining_term_years: float = Field(description="Years to term_end.")
    price_basis: str = Field(description="'history:<series>' or 'volatility'.")
    h_price: float = Field(description="Price haircut (fraction).")
    h_liquidity: float = Field(description="Forced-sale discount (fraction).")
    h_legal: float = Field(description="Enforceability haircut (fraction).")
    h_physical: float = Field(description="Uninsured physical-loss haircut (fraction).")
    haircut_model: float = Field(description="1-(1-H_price)(1-H_liquidity)(1-H_legal)(1-H_physical).")
    model_advance_rate: float = Field(description="1 - haircut_model.")
    policy_cap: float = Field(description="Policy cap of type, stand class and tier.")
    hard_cap: float = Field(description="Hard cap (林权 60%; 1 for types without one).")
    advance_rate: float = Field(description="min(model, policy, hard cap); 0 when refused.")
    haircut: float = Field(description="1 - advance_rate (the effective haircut).")
    max_loan_cny: float = Field(description="value_cny x advance_rate, CNY.")
    binding_bound: str = Field(description="Which bound binds.")
    max_tenor_years: float = Field(description="min(remaining term, tenor cap of the type).")
    eligible: bool = Field(description="False when refused.")
    refusal_reason: str | None = Field(description="Why refused, else null.")
    insured: bool | None = Field(description="Insurance in force.")
    loan_cny: float | None = Field(description="Outstanding loan from the input.")
    current_ltv: float | None = Field(default=None, description="loan_cny / value_cny when a loan is given.")
    margin_action: str | None = Field(default=None, description="Margin action for the current LTV, if any.")


@router.post("/collateral/valuations", operation_id="value_right", response_model=ValuationPublic)
def value_right(req: ValuationRequest, _bank: BankDep) -> ValuationPublic:
    """Value one right: appraised value, haircuts, caps, maximum loan and tenor (refusals are flagged)."""
    row = assess_right(
        req.right.model_dump(exclude_none=True), as_of=req.as_of, on_refusal="flag", source="request body.right"
    )
    return ValuationPublic.model_validate({k: v for k, v in finite_row(row).items() if k in _VALUATION_FIELDS})


_VALUATION_FIELDS = frozenset(ValuationPublic.model_fields)


class RightRegistration(BaseModel):
    """A right to register in the pledge registry (owned by the caller's bank from then on)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    right_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="Right id.")
    owner_id: str = Field(min_length=1, max_length=64, description="Owner / borrower id.")
    right_type: RightType = Field(description="Eco-product right type.")
    certificate_no: str = Field(min_length=1, max_length=100, description="Certificate or permit number.")
    registry: Literal["real_estate", "movable_unified", "carbon_registry", "none"] = Field(
        description="Where the security is registered."
    )
    term_end: dt.date = Field(description="Last day of the right.")
    term_start: dt.date | None = Field(default=None, description="First day of the right.")
    owner_name: str | None = Field(default=None, max_length=200, description="Owner name as on the certificate.")
    parcel_id: str | None = Field(default=None, max_length=64, description="Forest parcel id where applicable.")


class RightPublic(BaseModel):
    """A registered right."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    right_id: str = Field(description="Right id.")
    owner_id: str = Field(description="Owner / borrower id.")
    right_type: str = Field(description="Right type.")
    certificate_no: str = Field(description="Certificate or permit number.")
    registry: str = Field(description="Where the security is registered.")
    term_start: dt.date | None = Field(description="First day of the right.")
    term_end: dt.date = Field(description="Last day of the right.")
    parcel_id: str | None = Field(description="Forest parcel id.")


class PledgeRequest(BaseModel):
    """Pledge a right for a loan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    loan_ref: str = Field(min_length=1, max_length=64, description="Loan reference / contract number.")
    amount_cny: float = Field(gt=0.0, le=1e13, allow_inf_nan=False, description="Secured amount, CNY.")
    start: dt.date = Field(description="First day of the pledge.")
    end: dt.date = Field(description="Last day of the pledge (not past the right's term).")
    lender: str | None = Field(default=None, max_length=200, description="Pledgee (the bank's name).")


class ReleaseRequest(BaseModel):
    """Release a right's active pledge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: dt.date = Field(description="Release date.")
    reason: str = Field(min_length=1, max_length=500, description="Why: repaid, substituted, disposed, ...")


class PledgePublic(BaseModel):
    """A pledge of a right (released pledges are kept as history)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pledge_id: int = Field(description="Pledge id.")
    right_id: str = Field(description="The pledged right.")
    loan_ref: str = Field(description="Loan reference.")
    lender: str | None = Field(description="Pledgee.")
    amount_cny: float = Field(description="Secured amount, CNY.")
    start_date: dt.date = Field(description="First day.")
    end_date: dt.date = Field(description="Last day.")
    status: Literal["active", "released"] = Field(description="active or released.")
    released_on: dt.date | None = Field(description="Release date.")
    release_reason: str | None = Field(description="Why released.")


def _registry(session: Session, principal: Principal) -> PledgeRegistry:
    """The pledge registry inside the request's transaction, recording ``principal`` as its audit actor.

    The registry's change, its own audit entry and the API's rows (audit entry, owner, idempotency record)
    commit together when the route returns, or not at all.
    """
    return PledgeRegistry.in_session(session, actor=actor_of(principal))


def _pledge_row(registry: PledgeRegistry, right_id: str, pledge_id: int) -> PledgePublic:
    frame = registry.pledges(right_id=right_id).filter(pl.col("pledge_id") == pledge_id)
    return PledgePublic.model_validate(frame.row(0, named=True))


@router.post("/rights", operation_id="register_right", response_model=RightPublic, status_code=201, responses=_CONFLICT)
def register_right(req: RightRegistration, bank: BankDep, w: WriteDep) -> RightPublic:
    """Register a right in the pledge registry; the caller's bank owns it from then on."""
    _registry(w.session, bank).add_right(**req.model_dump())
    return w.created(
        RightPublic(**req.model_dump(exclude={"owner_name"})),
        action="right.register",
        resource_type="right",
        resource_id=req.right_id,
    )


@router.get("/rights/{right_id}", operation_id="get_right", response_model=RightPublic, responses=_NOT_FOUND)
def get_right(right_id: RightId, bank: BankDep, session: StoreDep) -> RightPublic:
    """A right the caller's bank registered."""
    require_owner(session, bank, "right", right_id)
    row = session.scalars(select(Right).where(Right.right_id == right_id)).one()
    return RightPublic(
        right_id=row.right_id,
        owner_id=row.owner_id,
        right_type=row.right_type,
        certificate_no=row.certificate_no,
        registry=row.registry_kind,
        term_start=row.term_start,
        term_end=row.term_end,
        parcel_id=row.parcel_id,
    )


@router.get(
    "/rights/{right_id}/pledges",
    operation_id="list_pledges",
    response_model=list[PledgePublic],
    responses=_NOT_FOUND,
)
def list_pledges(right_id: RightId, bank: BankDep, session: StoreDep) -> list[PledgePublic]:
    """Pledges of one of the caller's rights, oldest first (released ones included)."""
    require_owner(session, bank, "right", right_id)
    return [PledgePublic.model_validate(r) for r in _registry(session, bank).pledges(right_id=right_id).to_dicts()]


@router.post(
    "/rights/{right_id}/pledges",
    operation_id="pledge_right",
    response_model=PledgePublic,
    status_code=201,
    responses=_NOT_FOUND | _CONFLICT,
)
def pledge_right(right_id: RightId, req: PledgeRequest, bank: BankDep, w: WriteDep) -> PledgePublic:
    """Pledge one of the caller's rights; 409 if it already has an active pledge (one right, one loan)."""
    require_owner(w.session, bank, "right", right_id)
    pledge_id = _registry(w.session, bank).pledge(right_id, **req.model_dump())
    stored_cny = float(fen_to_yuan(yuan_to_fen(np.array([req.amount_cny])))[0])  # as the registry stores it
    pledge = PledgePublic(
        pledge_id=pledge_id,
        right_id=right_id,
        loan_ref=req.loan_ref,
        lender=req.lender,
        amount_cny=stored_cny,
        start_date=req.start,
        end_date=req.end,
        status="active",
        released_on=None,
        release_reason=None,
    )
    return w.created(
        pledge,
        action="pledge.create",
        resource_type="pledge",
        resource_id=str(pledge_id),
    )


@router.post(
    "/rights/{right_id}/pledges/release",
    operation_id="release_pledge",
    response_model=PledgePublic,
    responses=_NOT_FOUND | _CONFLICT,
)
def release_pledge(right_id: RightId, req: ReleaseRequest, bank: BankDep, w: AuditedWriteDep) -> PledgePublic:
    """Release the active pledge of one of the caller's rights; 409 if it has none."""
    require_owner(w.session, bank, "right", right_id)
    registry = _registry(w.session, bank)
    pledge_id = registry.release(right_id, on=req.on, reason=req.reason)
    w.audit(action="pledge.release", resource_type="pledge", resource_id=str(pledge_id))
    return _pledge_row(registry, right_id, pledge_id)
