"""Insurance: the aggregate loss distribution of a frequency and a severity (premium inputs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import InsurerDep
from api.errors import PROBLEM_RESPONSES
from api.routers._common import finite
from api.routing import TransactionalRoute
from greenfin.insurance import (
    Binomial,
    DiscreteSeverity,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    NegativeBinomial,
    Pareto,
    Poisson,
    Weibull,
    aggregate,
)

__all__ = ["router"]

router = APIRouter(
    route_class=TransactionalRoute, prefix="/v1/insurance", tags=["insurance"], responses=PROBLEM_RESPONSES
)

Frequency = Annotated[Poisson | NegativeBinomial | Binomial, Field(discriminator="kind")]
Severity = Annotated[
    LogNormal | Gamma | Pareto | Exponential | Weibull | DiscreteSeverity | Empirical, Field(discriminator="kind")
]


class AggregateRequest(BaseModel):
    """Claim count and claim size distributions, and how to compute their sum (bounded for the server)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    frequency: Frequency = Field(description="Claim count distribution (greenfin.insurance spec).")
    severity: Severity = Field(description="Claim size distribution in CNY (greenfin.insurance spec).")
    method: Literal["fft", "panjer"] = Field(default="fft", description="FFT or Panjer recursion.")
    nodes: int = Field(default=4096, ge=64, le=65_536, description="Lattice nodes (bounded on the server).")
    quantiles: tuple[Annotated[float, Field(gt=0.0, lt=1.0)], ...] = Field(
        default=(0.99, 0.995), min_length=1, max_length=10, description="Levels of VaR and TVaR to report."
    )


class AggregatePublic(BaseModel):
    """Moments and tail measures of the aggregate loss, CNY."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str = Field(description="Method used.")
    mean_cny: float | None = Field(description="Expected aggregate loss (pure premium), CNY.")
    std_cny: float | None = Field(description="Standard deviation, CNY.")
    p_zero: float | None = Field(description="Probability of no loss.")
    var_cny: dict[str, float | None] = Field(description="Value at risk by level, CNY.")
    tvar_cny: dict[str, float | None] = Field(description="Tail value at risk by level, CNY.")
    info: dict[str, Any] = Field(description="Step, nodes, truncation and captured mass.")


@router.post("/aggregate", operation_id="insurance_aggregate", response_model=AggregatePublic)
def insurance_aggregate(req: AggregateRequest, _insurer: InsurerDep) -> AggregatePublic:
    """Aggregate loss distribution: pure premium, VaR and TVaR (insurers)."""
    result = aggregate(req.frequency, req.severity, method=req.method, nodes=req.nodes, bracket=False)
    dist = result.central
    variance = finite(float(dist.variance()))
    return AggregatePublic(
        method=result.method,
        mean_cny=finite(float(dist.mean())),
        std_cny=None if variance is None else max(variance, 0.0) ** 0.5,
        p_zero=finite(float(dist.cdf(0.0))),
        var_cny={f"{q:g}": finite(float(dist.quantile(q))) for q in req.quantiles},
        tvar_cny={f"{q:g}": finite(float(dist.tvar(q))) for q in req.quantiles},
        info={k: finite(v) for k, v in result.info.items() if isinstance(v, int | float | str)},
    )
