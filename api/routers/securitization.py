"""Securitization: project an ABS loan pool month by month (SF default recursion)."""

from __future__ import annotations

import polars as pl
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import BankDep
from api.errors import PROBLEM_RESPONSES
from api.routers._common import finite_row
from api.routing import TransactionalRoute
from greenfin.securitization import PoolAssumptions, PoolLine, project_pool

__all__ = ["router"]

router = APIRouter(
    route_class=TransactionalRoute, prefix="/v1/securitization", tags=["securitization"], responses=PROBLEM_RESPONSES
)


class PoolProjectionRequest(BaseModel):
    """A loan pool (representative lines) and its performance assumptions (greenfin.securitization specs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lines: tuple[PoolLine, ...] = Field(min_length=1, max_length=2_000, description="Loans or representative lines.")
    assumptions: PoolAssumptions = Field(description="Prepayment, default, lag, severity, advancing.")


class PoolMonth(BaseModel):
    """One month of the pool projection (``POOL_COLUMNS``), CNY."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    month: int = Field(description="Month number, 1-based.")
    perf_bal_cny: float | None = Field(description="Performing balance at month end.")
    new_def_cny: float | None = Field(description="New defaults.")
    fcl_cny: float | None = Field(description="Balance in foreclosure.")
    sched_factor: float | None = Field(description="Scheduled balance factor.")
    exp_am_cny: float | None = Field(description="Expected amortisation.")
    vol_prepay_cny: float | None = Field(description="Voluntary prepayments.")
    am_def_cny: float | None = Field(description="Amortisation from defaulted loans.")
    act_am_cny: float | None = Field(description="Actual amortisation.")
    exp_int_cny: float | None = Field(description="Expected interest.")
    int_lost_cny: float | None = Field(description="Interest lost.")
    act_int_cny: float | None = Field(description="Actual interest.")
    recov_cny: float | None = Field(description="Recoveries.")
    loss_cny: float | None = Field(description="Losses.")
    adb_cny: float | None = Field(description="Amortised defaulted balance.")
    servicing_cny: float | None = Field(description="Servicing strip.")
    cash_flow_cny: float | None = Field(description="Principal received + net interest received.")


class PoolProjectionPublic(BaseModel):
    """The monthly projection and its totals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    months: tuple[PoolMonth, ...] = Field(description="Month by month.")
    total_cash_flow_cny: float = Field(description="Sum of cash_flow_cny.")
    total_loss_cny: float = Field(description="Sum of loss_cny.")


@router.post("/pool-projections", operation_id="project_pool", response_model=PoolProjectionPublic)
def project_pool_route(req: PoolProjectionRequest, _bank: BankDep) -> PoolProjectionPublic:
    """Project a loan pool month by month (banks structuring an ABS)."""
    tape = pl.DataFrame([line.model_dump() for line in req.lines])
    table = project_pool(tape, req.assumptions, source="request body.lines")
    assert isinstance(table, pl.DataFrame)
    return PoolProjectionPublic(
        months=tuple(PoolMonth.model_validate(finite_row(r)) for r in table.to_dicts()),
        total_cash_flow_cny=float(table["cash_flow_cny"].fill_nan(0.0).sum()),
        total_loss_cny=float(table["loss_cny"].fill_nan(0.0).sum()),
    )
