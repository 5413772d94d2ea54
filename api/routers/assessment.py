"""Assessment: score banks' green-finance performance under a rulebook (finance office only).

The finance office is the one role that sees figures across banks, and only here: it sends the
bank-quarter panel (``greenfin assess`` builds it from the banks' loan files) and gets scores and ranks.
"""

from __future__ import annotations

from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import FinanceOfficeDep
from api.errors import PROBLEM_RESPONSES
from api.routers._common import finite_row
from api.routing import TransactionalRoute
from greenfin.assessment import load_rulebook, score_banks

__all__ = ["router"]

router = APIRouter(
    route_class=TransactionalRoute, prefix="/v1/assessment", tags=["assessment"], responses=PROBLEM_RESPONSES
)

RulebookId = Literal["chongqing-2023", "jiangxi-evr", "pboc-2018", "pboc-2021"]
Money = Annotated[float, Field(ge=0.0, le=1e16, allow_inf_nan=False)]


class PanelRow(BaseModel):
    """One bank and quarter of the panel (``greenfin.assessment.bank_quarter_panel`` output)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bank_code: str = Field(min_length=1, max_length=32, description="Bank code.")
    quarter: str = Field(pattern=r"^\d{4}Q[1-4]$", description="Quarter, e.g. '2025Q2'.")
    n_loans: int = Field(ge=0, description="Loans outstanding.")
    n_green_loans: int = Field(ge=0, description="Green loans outstanding.")
    total_loans_cny: Money = Field(description="Loan balance, CNY.")
    green_loans_cny: Money = Field(description="Green loan balance, CNY.")
    green_npl_cny: Money = Field(description="Non-performing green loans, CNY.")
    eco_green_loans_cny: Money = Field(description="Eco-product (生态产品) green loans, CNY.")
    green_rate_x_balance_cny: Money = Field(description="Sum of rate x balance over rated green loans.")
    green_rated_balance_cny: Money = Field(description="Balance of green loans with a rate, CNY.")
    green_loan_rate: float | None = Field(default=None, ge=0.0, le=1.0, description="Average green loan rate.")
    green_bonds_held_cny: Money = Field(description="Green bonds held, CNY.")
    green_bond_default_cny: Money = Field(description="Defaulted green bonds, CNY.")
    denominator_total_business_cny: float | None = Field(
        default=None, ge=0.0, le=1e16, allow_inf_nan=False, description="Total business (denominator), CNY."
    )
    qualitative_a: float | None = Field(default=None, ge=0.0, le=100.0, description="Qualitative points A.")
    qualitative_b: float | None = Field(default=None, ge=0.0, le=100.0, description="Qualitative points B.")
    qualitative_c: float | None = Field(default=None, ge=0.0, le=100.0, description="Qualitative points C.")
    peer_group: str = Field(min_length=1, max_length=64, description="Peer group.")
    q_index: int = Field(ge=0, le=100_000, description="Quarter index (consecutive quarters differ by one).")


class BankScoreRequest(BaseModel):
    """The panel, the rulebook and the quarter(s) to score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    panel: tuple[PanelRow, ...] = Field(min_length=1, max_length=20_000, description="Bank-quarter panel.")
    rulebook: RulebookId = Field(description="Scoring scheme, e.g. 'pboc-2021'.")
    quarters: tuple[str, ...] = Field(min_length=1, max_length=8, description="Quarters to score, e.g. ['2025Q2'].")


class BankScoresPublic(BaseModel):
    """Scores, ranks and the warnings of the computation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rulebook: str = Field(description="Rulebook id.")
    scores: tuple[dict[str, str | float | int | None], ...] = Field(
        description="One row per bank and quarter: indicator points, quantitative, qualitative, total, rank, grade."
    )
    warnings: tuple[dict[str, str | None], ...] = Field(description="Data issues per bank and quarter.")


@router.post("/bank-scores", operation_id="score_banks", response_model=BankScoresPublic)
def score_banks_route(req: BankScoreRequest, _office: FinanceOfficeDep) -> BankScoresPublic:
    """Score every bank of the panel in the quarters asked for (finance office)."""
    panel = pl.DataFrame([row.model_dump() for row in req.panel])
    result = score_banks(panel, load_rulebook(req.rulebook), req.quarters)
    return BankScoresPublic(
        rulebook=result.rulebook_id,
        scores=tuple(finite_row(r) for r in result.scores.to_dicts()),
        warnings=tuple({k: None if v is None else str(v) for k, v in r.items()} for r in result.warnings.to_dicts()),
    )
