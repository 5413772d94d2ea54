"""greenfin.insurance: loss models, premium principles and Jiangxi insurance products (see DESIGN.md)."""

from greenfin.insurance._aggregate import (
    AggregateResult,
    LatticeDistribution,
    SampleDistribution,
    aggregate,
    aggregate_moments,
    panjer_exact,
)
from greenfin.insurance._freq import Binomial, NegativeBinomial, Poisson, ZeroModified, thin
from greenfin.insurance._sev import (
    DiscreteSeverity,
    Empirical,
    Excess,
    Exponential,
    Gamma,
    LogNormal,
    Pareto,
    Weibull,
    discretize,
    with_deductible,
)

__all__ = [
    "AggregateResult",
    "Binomial",
    "DiscreteSeverity",
    "Empirical",
    "Excess",
    "Exponential",
    "Gamma",
    "LatticeDistribution",
    "LogNormal",
    "NegativeBinomial",
    "Pareto",
    "Poisson",
    "SampleDistribution",
    "Weibull",
    "ZeroModified",
    "aggregate",
    "aggregate_moments",
    "discretize",
    "panjer_exact",
    "thin",
    "with_deductible",
]
