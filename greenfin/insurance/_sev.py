"""Claim-size (severity) models and their discretisation on a lattice of span h.

Discretisation methods (Klugman, Panjer & Willmot, *Loss Models*, §9.6; R ``actuar::discretize``):
``rounding`` (mass dispersal), ``local_moments`` (order-1 local moment matching, computed from tail
integrals of the survival function, not from differences of limited expected values), ``lower`` and
``upper`` (stochastic lower and upper bounds). The support is truncated at ``(n - 1) h``; the mass
beyond is put on the last node and reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeAlias

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special, stats

from greenfin._typing import FloatArray
from greenfin.errors import SpecError, param_error

__all__ = [
    "DiscreteSeverity",
    "DiscretizedSeverity",
    "Empirical",
    "Excess",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Pareto",
    "Severity",
    "Weibull",
    "discretize",
    "sample_severity",
    "sev_cdf",
    "sev_moments",
    "sev_quantile",
    "sev_sf",
    "with_deductible",
]

DiscretizationMethod = Literal["rounding", "local_moments", "lower", "upper"]


class LogNormal(BaseModel):
    """Lognormal claim size: ``ln X ~ Normal(mu, sigma^2)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["lognormal"] = Field(default="lognormal", description="Family tag.")
    mu: float = Field(allow_inf_nan=False, description="Mean of ln X.")
    sigma: float = Field(gt=0.0, allow_inf_nan=False, description="Standard deviation of ln X (> 0).")


class Gamma(BaseModel):
    """Gamma claim size with ``shape`` alpha and ``scale`` theta (mean alpha theta)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["gamma"] = Field(default="gamma", description="Family tag.")
    shape: float = Field(gt=0.0, allow_inf_nan=False, description="Shape alpha > 0.")
    scale: float = Field(gt=0.0, allow_inf_nan=False, description="Scale theta > 0.")


class Weibull(BaseModel):
    """Weibull claim size ``F(x) = 1 - exp(-(x/scale)^shape)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["weibull"] = Field(default="weibull", description="Family tag.")
    shape: float = Field(gt=0.0, allow_inf_nan=False, description="Shape tau > 0.")
    scale: float = Field(gt=0.0, allow_inf_nan=False, description="Scale theta > 0.")


class Pareto(BaseModel):
    """Pareto (Lomax, Pareto II) claim size ``F(x) = 1 - (theta/(x + theta))^alpha`` (Loss Models, App. A)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["pareto"] = Field(default="pareto", description="Family tag.")
    alpha: float = Field(gt=0.0, allow_inf_nan=False, description="Tail index alpha > 0 (mean finite if > 1).")
    theta: float = Field(gt=0.0, allow_inf_nan=False, description="Scale theta > 0.")


class Exponential(BaseModel):
    """Exponential claim size with the given mean."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["exponential"] = Field(default="exponential", description="Family tag.")
    mean: float = Field(gt=0.0, allow_inf_nan=False, description="Mean claim size (> 0).")


class Empirical(BaseModel):
    """Empirical claim size: the observed claims, each with equal weight."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["empirical"] = Field(default="empirical", description="Family tag.")
    values: tuple[float, ...] = Field(min_length=1, description="Observed claim sizes (>= 0).")

    @model_validator(mode="after")
    def _check(self) -> Empirical:
        arr = np.asarray(self.values)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError("empirical claim sizes must be finite and >= 0; drop negative or missing claims")
        return self


class DiscreteSeverity(BaseModel):
    """Discrete claim size: values and their probabilities (summing to 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["discrete"] = Field(default="discrete", description="Family tag.")
    values: tuple[float, ...] = Field(min_length=1, description="Claim sizes (>= 0).")
    probs: tuple[float, ...] = Field(min_length=1, description="Their probabilities, summing to 1.")

    @model_validator(mode="after")
    def _check(self) -> DiscreteSeverity:
        v, p = np.asarray(self.values), np.asarray(self.probs)
        if v.size != p.size:
            raise ValueError(f"{v.size} values but {p.size} probabilities; give one probability per value")
        if not np.all(np.isfinite(v)) or np.any(v < 0):
            raise ValueError("claim sizes must be finite and >= 0")
        if np.any(p < 0) or abs(float(p.sum()) - 1.0) > 1e-9:
            raise ValueError(f"probabilities must be >= 0 and sum to 1 (they sum to {float(p.sum())!r})")
        return self


GroundUp: TypeAlias = Annotated[
    LogNormal | Gamma | Weibull | Pareto | Exponential | Empirical | DiscreteSeverity, Field(discriminator="kind")
]


class Excess(BaseModel):
    """Payment per paying claim under a per-claim deductible d: ``X - d | X > d``.

    Pair it with the thinned count :func:`greenfin.insurance.thin` ``(freq, S_X(d))``; see
    :func:`with_deductible` (Loss Models §8.6).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["excess"] = Field(default="excess", description="Family tag.")
    base: GroundUp = Field(description="Ground-up claim size.")
    deductible: float = Field(ge=0.0, allow_inf_nan=False, description="Per-claim deductible d (>= 0), in yuan.")


Severity: TypeAlias = Annotated[
    LogNormal | Gamma | Weibull | Pareto | Exponential | Empirical | DiscreteSeverity | Excess,
    Field(discriminator="kind"),
]
SeverityT: TypeAlias = LogNormal | Gamma | Weibull | Pareto | Exponential | Empirical | DiscreteSeverity | Excess
BaseT: TypeAlias = LogNormal | Gamma | Weibull | Pareto | Exponential | Empirical | DiscreteSeverity


def _excess_sd(sev: Excess) -> float:
    sd = float(sev_sf(sev.base, np.array([sev.deductible]))[0])
    if sd <= 0.0:
        raise param_error(
            "Excess", "deductible", "below the largest possible claim", sev.deductible, "Lower the deductible."
        )
    return sd


def _frozen(sev: SeverityT) -> stats.rv_continuous | None:
    if isinstance(sev, Excess):
        raise TypeError("Excess has no frozen scipy distribution")  # callers delegate Excess first
    if isinstance(sev, LogNormal):
        return stats.lognorm(sev.sigma, scale=math.exp(sev.mu))
    if isinstance(sev, Gamma):
        return stats.gamma(sev.shape, scale=sev.scale)
    if isinstance(sev, Weibull):
        return stats.weibull_min(sev.shape, scale=sev.scale)
    if isinstance(sev, Pareto):
        return stats.lomax(sev.alpha, scale=sev.theta)
    if isinstance(sev, Exponential):
        return stats.expon(scale=sev.mean)
    return None


def _atoms(sev: Empirical | DiscreteSeverity | Excess) -> tuple[FloatArray, FloatArray]:
    if isinstance(sev, Excess):
        vals, probs = _atoms(sev.base)  # type: ignore[arg-type]
        keep = vals > sev.deductible
        return vals[keep] - sev.deductible, probs[keep] / probs[keep].sum()
    if isinstance(sev, Empirical):
        vals, counts = np.unique(np.asarray(sev.values, dtype=np.float64), return_counts=True)
        return vals, counts / counts.sum()
    v = np.asarray(sev.values, dtype=np.float64)
    p = np.asarray(sev.probs, dtype=np.float64)
    order = np.argsort(v, kind="stable")
    return v[order], p[order] / p.sum()


def _gammainc_pair(a: float, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Regularised ``(P(a, y), Q(a, y))`` with one special-function call per point, not two.

    Below ``y = a`` (about the median) P is computed and Q = 1 - P (Q >= ~1/2 there, no cancellation);
    above it Q is computed and P = 1 - Q. Each tail keeps its full relative precision.
    """
    y = np.asarray(y, dtype=np.float64)
    body = y < a
    p = np.empty_like(y)
    q = np.empty_like(y)
    p[body] = special.gammainc(a, y[body])
    q[body] = 1.0 - p[body]
    tail = ~body
    q[tail] = special.gammaincc(a, y[tail])
    p[tail] = 1.0 - q[tail]
    return p, q


def _fast_cdf_sf(sev: SeverityT, x: FloatArray) -> tuple[FloatArray, FloatArray] | None:
    """``(F(x), S(x))`` from scipy.special for the closed-form families (no rv_frozen overhead)."""
    x = np.asarray(x, dtype=np.float64)
    pos = np.maximum(x, 0.0)
    if isinstance(sev, LogNormal):
        with np.errstate(divide="ignore"):
            z = (np.log(pos) - sev.mu) / sev.sigma
        return special.ndtr(z), special.ndtr(-z)
    if isinstance(sev, Exponential):
        y = pos / sev.mean
        return -np.expm1(-y), np.exp(-y)
    if isinstance(sev, Weibull):
        y = (pos / sev.scale) ** sev.shape
        return -np.expm1(-y), np.exp(-y)
    if isinstance(sev, Gamma):
        return _gammainc_pair(sev.shape, pos / sev.scale)
    if isinstance(sev, Pareto):
        log_s = sev.alpha * (math.log(sev.theta) - np.log(pos + sev.theta))
        return -np.expm1(log_s), np.exp(log_s)
    return None


def sev_cdf(sev: SeverityT, x: FloatArray) -> FloatArray:
    """Distribution function ``F(x) = P(X <= x)``.

    Parameters
    ----------
    sev : Severity
        The claim-size model.
    x : numpy.ndarray
        Points.

    Returns
    -------
    numpy.ndarray of float64
        ``F(x)``.
    """
    fast = _fast_cdf_sf(sev, x)
    if fast is not None:
        return np.where(np.asarray(x) < 0, 0.0, fast[0])
    if isinstance(sev, Excess) and _frozen(sev.base) is not None:
        d = sev.deductible
        return (
            _mass_between(sev.base, np.full_like(np.asarray(x, dtype=np.float64), d), d + np.maximum(x, 0.0))
            / (_excess_sd(sev))
            * (np.asarray(x) >= 0)
        )
    rv = None if isinstance(sev, Excess) else _frozen(sev)
    if rv is not None:
        return np.asarray(rv.cdf(x), dtype=np.float64)
    vals, probs = _atoms(sev)  # type: ignore[arg-type]
    cum = np.concatenate([[0.0], np.cumsum(probs)])
    return np.asarray(np.minimum(cum[np.searchsorted(vals, x, side="right")], 1.0), dtype=np.float64)


def sev_sf(sev: SeverityT, x: FloatArray) -> FloatArray:
    """Survival function ``S(x) = P(X > x)`` (accurate in the far tail).

    Parameters
    ----------
    sev : Severity
        The claim-size model.
    x : numpy.ndarray
        Points.

    Returns
    -------
    numpy.ndarray of float64
        ``S(x)``.
    """
    fast = _fast_cdf_sf(sev, x)
    if fast is not None:
        return np.where(np.asarray(x) < 0, 1.0, fast[1])
    if isinstance(sev, Excess) and _frozen(sev.base) is not None:
        return np.asarray(
            np.where(np.asarray(x) < 0, 1.0, sev_sf(sev.base, sev.deductible + np.maximum(x, 0.0)) / _excess_sd(sev)),
            dtype=np.float64,
        )
    rv = None if isinstance(sev, Excess) else _frozen(sev)
    if rv is not None:
        return np.asarray(rv.sf(x), dtype=np.float64)
    vals, probs = _atoms(sev)  # type: ignore[arg-type]
    tail = np.concatenate([np.cumsum(probs[::-1])[::-1], [0.0]])
    return np.asarray(np.maximum(tail[np.searchsorted(vals, x, side="right")], 0.0), dtype=np.float64)


def sev_moments(sev: SeverityT) -> tuple[float, float]:
    """Mean and variance of the claim size (``inf`` when they do not exist).

    Parameters
    ----------
    sev : Severity
        The claim-size model.

    Returns
    -------
    tuple of float
        ``(E X, Var X)``.
    """
    if isinstance(sev, Excess) and _frozen(sev.base) is not None:
        rv_b = _frozen(sev.base)
        assert rv_b is not None
        d = sev.deductible
        m1 = float(rv_b.expect(lambda t: t - d, lb=d, conditional=True))
        m2 = float(rv_b.expect(lambda t: (t - d) ** 2, lb=d, conditional=True))
        return m1, m2 - m1**2
    if isinstance(sev, Pareto):
        mean = sev.theta / (sev.alpha - 1.0) if sev.alpha > 1 else math.inf
        if sev.alpha <= 2:
            return mean, math.inf
        second = 2.0 * sev.theta**2 / ((sev.alpha - 1.0) * (sev.alpha - 2.0))
        return mean, second - mean**2
    rv = None if isinstance(sev, Excess) else _frozen(sev)
    if rv is not None:
        return float(rv.mean()), float(rv.var())
    vals, probs = _atoms(sev)  # type: ignore[arg-type]
    mean = float(vals @ probs)
    return mean, float(((vals - mean) ** 2) @ probs)


def _first_moment_split(sev: SeverityT, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(∫_0^x t dF, ∫_x^inf t dF)`` for the continuous families, each computed directly (no cancellation)."""
    if isinstance(sev, LogNormal):
        z = (np.log(np.maximum(x, 1e-300)) - sev.mu - sev.sigma**2) / sev.sigma
        m = math.exp(sev.mu + 0.5 * sev.sigma**2)
        return m * special.ndtr(z), m * special.ndtr(-z)
    if isinstance(sev, Gamma):
        m = sev.shape * sev.scale
        p, q = _gammainc_pair(sev.shape + 1.0, x / sev.scale)
        return m * p, m * q
    if isinstance(sev, Exponential):
        y = np.maximum(x, 0.0) / sev.mean
        e = np.exp(-y)
        return sev.mean * (-np.expm1(-y) - y * e), sev.mean * e * (1.0 + y)
    if isinstance(sev, Weibull):
        m = sev.scale * math.gamma(1.0 + 1.0 / sev.shape)
        y = (x / sev.scale) ** sev.shape
        p, q = _gammainc_pair(1.0 + 1.0 / sev.shape, y)
        return m * p, m * q
    assert isinstance(sev, Pareto)
    # ∫_x^inf t f(t) dt = S(x) (x + theta/(alpha-1)) ... valid for alpha > 1
    if sev.alpha <= 1.0:
        raise param_error(
            "discretize",
            "sev",
            "a Pareto with alpha > 1 for local moment matching",
            sev.alpha,
            "Use method='rounding' (the mean is infinite) or a larger alpha.",
        )
    s = (sev.theta / (x + sev.theta)) ** sev.alpha
    upper = s * (x + (x + sev.theta) / (sev.alpha - 1.0))
    mean = sev.theta / (sev.alpha - 1.0)
    return mean - upper, upper


def _tail_integrals(sev: SeverityT, edges: FloatArray) -> FloatArray:
    """``I_j = ∫_{e_j}^{e_{j+1}} S(t) dt`` on consecutive edges, from ``[t S(t)] + ∫ t dF``."""
    if isinstance(sev, Excess) and _frozen(sev.base) is not None:
        return _tail_integrals(sev.base, sev.deductible + edges) / _excess_sd(sev)
    rv = None if isinstance(sev, Excess) else _frozen(sev)
    if rv is None:
        vals, probs = _atoms(sev)  # type: ignore[arg-type]
        # S is a step function: E[X ^ e] = sum_{v <= e} v p + e S(e), exact.
        below = np.concatenate([[0.0], np.cumsum(vals * probs)])[np.searchsorted(vals, edges, side="right")]
        lev = below + edges * sev_sf(sev, edges)
        return np.asarray(np.maximum(np.diff(lev), 0.0), dtype=np.float64)
    if isinstance(sev, Exponential):  # closed form: ∫_a^b e^{-t/m} dt = m e^{-a/m} (1 - e^{-(b-a)/m})
        sa = np.exp(-edges[:-1] / sev.mean)
        expo: FloatArray = sev.mean * sa * -np.expm1(-np.diff(edges) / sev.mean)
        return expo
    lo, hi = _first_moment_split(sev, edges)  # each special function evaluated once per edge
    fast = _fast_cdf_sf(sev, edges)
    f, s = fast if fast is not None else (sev_cdf(sev, edges), sev_sf(sev, edges))
    partial = np.where(f[:-1] > 0.5, hi[:-1] - hi[1:], lo[1:] - lo[:-1])
    xs = edges * s
    out: FloatArray = np.maximum(xs[1:] - xs[:-1] + partial, 0.0)
    return out


def _masses_on_edges(sev: SeverityT, edges: FloatArray) -> FloatArray:
    """``F(e_{j+1}) - F(e_j)`` for consecutive edges, each of F and S evaluated once."""
    fast = _fast_cdf_sf(sev, edges)
    f, s = fast if fast is not None else (sev_cdf(sev, edges), sev_sf(sev, edges))
    out: FloatArray = np.maximum(np.where(f[:-1] > 0.5, s[:-1] - s[1:], f[1:] - f[:-1]), 0.0)
    return out


def _mass_between(sev: SeverityT, a: FloatArray, b: FloatArray) -> FloatArray:
    """``F(b) - F(a)``, computed from the survival function in the upper half (no cancellation)."""
    fa, fb = sev_cdf(sev, a), sev_cdf(sev, b)
    sa, sb = sev_sf(sev, a), sev_sf(sev, b)
    out: FloatArray = np.maximum(np.where(fa > 0.5, sa - sb, fb - fa), 0.0)
    return out


@dataclass(frozen=True)
class DiscretizedSeverity:
    """A claim-size distribution on the lattice ``0, h, 2h, ..., (n-1) h``.

    Parameters
    ----------
    pmf : numpy.ndarray
        Masses on the nodes; the tail beyond the last node is lumped on it.
    step : float
        Span h of the lattice.
    method : str
        Discretisation method.
    tail_mass : float
        Probability ``P(X > (n-1) h)`` that was lumped on the last node.
    """

    pmf: FloatArray
    step: float
    method: str
    tail_mass: float

    @property
    def truncation_point(self) -> float:
        """Largest lattice point ``(n - 1) h``."""
        return float((self.pmf.size - 1) * self.step)


def discretize(
    sev: SeverityT, step: float, nodes: int, method: DiscretizationMethod = "rounding"
) -> DiscretizedSeverity:
    """Discretise a claim-size model on ``nodes`` lattice points of span ``step``.

    Parameters
    ----------
    sev : Severity
        The claim-size model.
    step : float
        Lattice span h > 0.
    nodes : int
        Number of nodes n >= 2; the support is truncated at ``(n - 1) h`` and the rest lumped there.
    method : {"rounding", "local_moments", "lower", "upper"}
        Discretisation (Loss Models §9.6.1; reference §2.3).

    Returns
    -------
    DiscretizedSeverity
        The lattice distribution.

    Raises
    ------
    SpecError
        If ``step`` or ``nodes`` is out of range, a discrete severity does not sit on the lattice, or the
        method is unknown.

    Examples
    --------
    >>> d = discretize(Exponential(mean=1.0), 0.5, 64, "local_moments")
    >>> round(float(d.pmf @ (0.5 * np.arange(64))), 6)  # the mean is kept (up to the tiny truncated tail)
    1.0
    """
    if not (step > 0 and math.isfinite(step)):
        raise param_error("discretize", "step", "a float in (0, inf)", step, "Pass the lattice span, e.g. --step 0.1.")
    if nodes < 2:
        raise param_error("discretize", "nodes", "an integer >= 2", nodes, "Use a power of two, e.g. 4096.")
    if method not in ("rounding", "local_moments", "lower", "upper"):
        raise param_error(
            "discretize", "method", "one of rounding, local_moments, lower, upper", method, "Pick one of those."
        )
    grid = step * np.arange(nodes, dtype=np.float64)
    if isinstance(sev, Empirical | DiscreteSeverity) or (
        isinstance(sev, Excess) and isinstance(sev.base, Empirical | DiscreteSeverity)
    ):
        vals, probs = _atoms(sev)
        idx = vals / step
        on_lattice = np.abs(idx - np.round(idx)) <= 1e-9 * np.maximum(1.0, idx)
        if np.all(on_lattice):
            k = np.round(idx).astype(np.int64)
            pmf = np.zeros(nodes)
            np.add.at(pmf, np.minimum(k, nodes - 1), probs)
            return DiscretizedSeverity(pmf, float(step), "exact", float(probs[k > nodes - 1].sum()))
        if isinstance(sev, DiscreteSeverity):
            raise param_error(
                "discretize",
                "step",
                "a span that divides every claim size of a discrete severity",
                step,
                f"Use --step equal to a common divisor of {list(sev.values)} (e.g. their gcd).",
            )
    if method == "rounding":
        f = np.empty(nodes)
        f[0] = float(sev_cdf(sev, np.array([0.5 * step]))[0])
        f[1:-1] = _masses_on_edges(sev, step * (np.arange(nodes - 1, dtype=np.float64) + 0.5))
        tail = float(sev_sf(sev, np.array([grid[-1] - 0.5 * step]))[0])
    elif method == "lower":
        f = np.empty(nodes)
        f[:-1] = _masses_on_edges(sev, grid)
        f[0] += float(sev_cdf(sev, np.array([0.0]))[0])
        tail = float(sev_sf(sev, np.array([grid[-1]]))[0])
    elif method == "upper":
        f = np.empty(nodes)
        f[0] = float(sev_cdf(sev, np.array([0.0]))[0])
        f[1:-1] = _masses_on_edges(sev, grid[:-1])
        tail = float(sev_sf(sev, np.array([grid[-2]]))[0])
    else:
        integrals = _tail_integrals(sev, grid)  # I_0 .. I_{n-2}
        f = np.empty(nodes)
        f[0] = 1.0 - integrals[0] / step
        f[1:-1] = (integrals[:-1] - integrals[1:]) / step
        tail = float(integrals[-1] / step)
        f = np.maximum(f, 0.0)
    f[-1] = tail
    if tail > 0.5:
        raise SpecError(
            f"The lattice is too short: {tail:.1%} of the claim-size mass lies beyond {grid[-1]:g} "
            f"(step {step:g} x {nodes} nodes). Increase --step or --nodes."
        )
    total = float(f.sum())
    return DiscretizedSeverity(f / total, float(step), method, float(sev_sf(sev, np.array([grid[-1]]))[0]))


def sample_severity(sev: SeverityT, n: int, rng: np.random.Generator) -> FloatArray:
    """Draw ``n`` claim sizes.

    Parameters
    ----------
    sev : Severity
        The claim-size model.
    n : int
        Number of draws.
    rng : numpy.random.Generator
        Seeded generator.

    Returns
    -------
    numpy.ndarray of float64
        Claim sizes.
    """
    if isinstance(sev, Excess) and _frozen(sev.base) is not None:
        rv_b = _frozen(sev.base)
        assert rv_b is not None
        u = rng.random(n) * _excess_sd(sev)
        return np.asarray(rv_b.isf(u) - sev.deductible, dtype=np.float64)
    if isinstance(sev, LogNormal):
        return rng.lognormal(sev.mu, sev.sigma, n)
    if isinstance(sev, Gamma):
        return rng.gamma(sev.shape, sev.scale, n)
    if isinstance(sev, Weibull):
        return sev.scale * rng.weibull(sev.shape, n)
    if isinstance(sev, Pareto):
        return sev.theta * rng.pareto(sev.alpha, n)
    if isinstance(sev, Exponential):
        return rng.exponential(sev.mean, n)
    vals, probs = _atoms(sev)
    cum = np.cumsum(probs)
    cum[-1] = 1.0
    return vals[np.searchsorted(cum, rng.random(n), side="right")]


def sev_quantile(sev: SeverityT, q: float) -> float:
    """Claim-size quantile ``F^{-1}(q)``.

    Parameters
    ----------
    sev : Severity
        The claim-size model.
    q : float
        Level in (0, 1).

    Returns
    -------
    float
        The quantile.
    """
    if isinstance(sev, Excess) and _frozen(sev.base) is not None:
        rv_b = _frozen(sev.base)
        assert rv_b is not None
        return float(rv_b.isf((1.0 - q) * _excess_sd(sev)) - sev.deductible)
    rv = None if isinstance(sev, Excess) else _frozen(sev)
    if rv is not None:
        return float(rv.ppf(q))
    vals, probs = _atoms(sev)  # type: ignore[arg-type]
    k = int(np.searchsorted(np.cumsum(probs), q - 1e-12))
    return float(vals[min(k, vals.size - 1)])


def with_deductible(freq: Any, sev: BaseT, deductible: float) -> tuple[Any, Excess]:
    """Per-claim deductible: the thinned count of paying claims and the excess payment per paying claim.

    Parameters
    ----------
    freq : Frequency
        Ground-up claim count.
    sev : Severity
        Ground-up claim size.
    deductible : float
        Per-claim deductible d >= 0.

    Returns
    -------
    tuple
        ``(thin(freq, S_X(d)), Excess(base=sev, deductible=d))``; the aggregate is unchanged.

    Examples
    --------
    >>> from greenfin.insurance import Poisson
    >>> f, s = with_deductible(Poisson(lam=3.0), Exponential(mean=2.0), 2.0)
    >>> round(f.lam, 6), round(sev_moments(s)[0], 6)
    (1.103638, 2.0)
    """
    from greenfin.insurance._freq import thin

    prob = float(sev_sf(sev, np.array([deductible]))[0])
    return thin(freq, prob), Excess(base=sev, deductible=deductible)
