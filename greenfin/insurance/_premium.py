"""Premium principles on an aggregate loss distribution and the Chinese gross-up with loads.

Principles (reference §2.11; Kaas et al., *Modern Actuarial Risk Theory*, ch. 5): expected value
``(1 + theta) E S``; standard deviation ``E S + alpha sd S``; variance ``E S + beta Var S``; Esscher
``E[S e^{hS}]/E[e^{hS}]``; exponential utility ``(1/a) ln E[e^{aS}]``; cost of capital
``E S + CoC (VaR_99.5 - E S)``. On a lattice the Esscher and exponential principles use the truncated
lattice (heavy tails such as lognormal or Pareto have no moment generating function: the result then
depends on the truncation point, which is reported).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import logsumexp

from greenfin.errors import param_error
from greenfin.insurance._aggregate import AggregateResult, LatticeDistribution
from greenfin.insurance._params import param_table

__all__ = ["Loadings", "PrincipleName", "gross_premium", "risk_premium"]

PrincipleName = Literal["expected_value", "std_dev", "variance", "esscher", "exponential_utility", "cost_of_capital"]

_PARAM_OF: dict[str, str] = {
    "expected_value": "theta",
    "std_dev": "alpha",
    "variance": "beta",
    "esscher": "h",
    "exponential_utility": "a",
    "cost_of_capital": "rate",
}


def risk_premium(result: AggregateResult, principle: PrincipleName, value: float) -> float:
    """Risk premium of an aggregate loss by a premium principle.

    Parameters
    ----------
    result : AggregateResult
        The aggregate loss distribution (any method).
    principle : {"expected_value", "std_dev", "variance", "esscher", "exponential_utility", "cost_of_capital"}
        The principle.
    value : float
        Its parameter: theta, alpha, beta, h, a (all >= 0; h and a > 0) or the cost-of-capital rate.

    Returns
    -------
    float
        The premium, in the unit of the losses.

    Raises
    ------
    SpecError
        If the principle is unknown or the parameter is out of range.

    Examples
    --------
    >>> from greenfin.insurance import DiscreteSeverity, Poisson, aggregate
    >>> r = aggregate(Poisson(lam=2.0), DiscreteSeverity(values=(1.0,), probs=(1.0,)), method="panjer", nodes=64)
    >>> round(risk_premium(r, "expected_value", 0.2), 6)
    2.4
    >>> round(risk_premium(r, "exponential_utility", 0.5), 6)  # (lam/a)(e^a - 1)
    2.594885
    """
    if principle not in _PARAM_OF:
        raise param_error("risk_premium", "principle", f"one of {sorted(_PARAM_OF)}", principle, "Pick one of those.")
    if not math.isfinite(value) or value < 0 or (principle in ("esscher", "exponential_utility") and value == 0):
        raise param_error(
            "risk_premium",
            _PARAM_OF[principle],
            "a finite number >= 0 (> 0 for esscher and exponential_utility)",
            value,
            "Use e.g. theta=0.2, alpha=0.5, beta=0.01, h=0.01, a=0.01, rate=0.06.",
        )
    dist = result.central
    mean = dist.mean()
    if principle == "expected_value":
        return (1.0 + value) * mean
    if principle == "std_dev":
        return mean + value * math.sqrt(dist.variance())
    if principle == "variance":
        return mean + value * dist.variance()
    if principle == "cost_of_capital":
        q = float(param_table("premium").value("capital_quantile"))
        return mean + value * max(dist.quantile(q) - mean, 0.0)
    if isinstance(dist, LatticeDistribution):
        x, w = dist.x, dist.pmf
    else:
        x, w = dist.samples, np.full(dist.samples.size, 1.0 / dist.samples.size)
    pos = w > 0
    x, logw = x[pos], np.log(w[pos])
    if principle == "exponential_utility":
        return float(logsumexp(logw + value * x) / value)
    lw = logw + value * x
    weights = np.exp(lw - lw.max())
    return float((weights @ x) / weights.sum())


class Loadings(BaseModel):
    """Loads that turn a risk premium into a gross premium: ``(risk + cat) / (1 - expense - profit)``.

    Examples
    --------
    >>> Loadings(expense_ratio=0.10, profit_margin=0.05, cat_load_cny=0.0, policy=True).gross_factor
    1.1764705882352942
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    expense_ratio: float = Field(ge=0.0, lt=1.0, description="Expenses as a fraction of gross premium.")
    profit_margin: float = Field(ge=0.0, lt=1.0, description="Profit / safety margin as a fraction of gross premium.")
    cat_load_cny: float = Field(ge=0.0, description="Catastrophe (capital) load added to the risk premium, yuan.")
    policy: bool = Field(
        description="Policy (政策性) agricultural insurance: the expense ratio must not exceed the cap (≤ 20 %)."
    )

    @property
    def gross_factor(self) -> float:
        """``1 / (1 - expense_ratio - profit_margin)``."""
        return 1.0 / (1.0 - self.expense_ratio - self.profit_margin)


def gross_premium(risk_premium_cny: float, loadings: Loadings) -> float:
    """Gross premium ``(risk premium + cat load) / (1 - expense ratio - profit margin)`` (reference §2.11).

    Parameters
    ----------
    risk_premium_cny : float
        Risk (pure) premium, yuan.
    loadings : Loadings
        Expense, profit and cat loads.

    Returns
    -------
    float
        Gross premium, yuan.

    Raises
    ------
    SpecError
        If expense + profit >= 1, or a policy product's expense ratio exceeds the 保本微利 cap.

    Examples
    --------
    >>> gross_premium(80.0, Loadings(expense_ratio=0.15, profit_margin=0.05, cat_load_cny=0.0, policy=True))
    100.0
    >>> gross_premium(80.0, Loadings(expense_ratio=0.25, profit_margin=0.0, cat_load_cny=0.0, policy=True))
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: The 'expense_ratio' parameter of Loadings must be <= 0.2 ...
    """
    cap = float(param_table("premium").value("policy_expense_ratio_max"))
    if loadings.policy and loadings.expense_ratio > cap + 1e-12:
        raise param_error(
            "Loadings",
            "expense_ratio",
            f"<= {cap:g} for policy agricultural insurance (保本微利)",
            loadings.expense_ratio,
            "Lower the expense ratio or set policy=False for a commercial product.",
        )
    if loadings.expense_ratio + loadings.profit_margin >= 1.0:
        raise param_error(
            "Loadings",
            "expense_ratio + profit_margin",
            "< 1",
            loadings.expense_ratio + loadings.profit_margin,
            "Use fractions, e.g. 0.10 and 0.05.",
        )
    if risk_premium_cny < 0 or not math.isfinite(risk_premium_cny):
        raise param_error("gross_premium", "risk_premium_cny", "a finite number >= 0", risk_premium_cny, "Check it.")
    return (risk_premium_cny + loadings.cat_load_cny) * loadings.gross_factor
