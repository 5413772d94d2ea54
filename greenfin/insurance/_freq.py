"""Claim-count (frequency) models: the (a,b,0) class and its zero-modified (a,b,1) versions.

The models are frozen data; the kernels (:func:`pgf`, :func:`pmf`, :func:`thin`, ...) are functions of
them. Parameterisation follows Klugman, Panjer & Willmot, *Loss Models*, Appendix B, with the negative
binomial in scipy's ``(r, p)`` form, ``p = 1/(1 + beta)``.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, TypeAlias

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import special, stats

from greenfin._typing import FloatArray
from greenfin.errors import param_error

__all__ = [
    "Binomial",
    "Frequency",
    "NegativeBinomial",
    "Poisson",
    "ZeroModified",
    "abk",
    "log_pgf_at",
    "pgf",
    "pmf",
    "sample_counts",
    "thin",
]


class Poisson(BaseModel):
    """Poisson claim count, ``P(z) = exp(lam (z - 1))``; (a, b) = (0, lam).

    Examples
    --------
    >>> Poisson(lam=3.0).mean
    3.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["poisson"] = Field(default="poisson", description="Family tag.")
    lam: float = Field(ge=0.0, allow_inf_nan=False, description="Expected number of claims per period (>= 0).")

    @property
    def mean(self) -> float:
        """Expected claim count."""
        return self.lam

    @property
    def variance(self) -> float:
        """Variance of the claim count."""
        return self.lam


class NegativeBinomial(BaseModel):
    """Negative binomial claim count in scipy's form: ``P(z) = (p / (1 - (1 - p) z))^r``.

    ``beta = (1 - p)/p``; (a, b) = (1 - p, (r - 1)(1 - p)). ``r`` need not be an integer.

    Examples
    --------
    >>> round(NegativeBinomial(r=2.0, p=0.4).mean, 9)
    3.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["negbin"] = Field(default="negbin", description="Family tag.")
    r: float = Field(gt=0.0, allow_inf_nan=False, description="Size parameter r > 0 (not necessarily integer).")
    p: float = Field(gt=0.0, le=1.0, description="Success probability p in (0, 1]; p = 1/(1 + beta).")

    @property
    def mean(self) -> float:
        """Expected claim count r (1 - p) / p."""
        return self.r * (1.0 - self.p) / self.p

    @property
    def variance(self) -> float:
        """Variance r (1 - p) / p^2."""
        return self.r * (1.0 - self.p) / self.p**2


class Binomial(BaseModel):
    """Binomial claim count ``P(z) = (1 - q + q z)^m``; (a, b) = (-q/(1-q), (m+1) q/(1-q)).

    Examples
    --------
    >>> Binomial(m=10, q=0.1).variance
    0.9
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["binomial"] = Field(default="binomial", description="Family tag.")
    m: int = Field(ge=1, description="Number of exposure units (risks), an integer >= 1.")
    q: float = Field(ge=0.0, le=1.0, description="Claim probability per unit in [0, 1].")

    @property
    def mean(self) -> float:
        """Expected claim count m q."""
        return self.m * self.q

    @property
    def variance(self) -> float:
        """Variance m q (1 - q)."""
        return self.m * self.q * (1.0 - self.q)


BaseFrequency: TypeAlias = Annotated[Poisson | NegativeBinomial | Binomial, Field(discriminator="kind")]


class ZeroModified(BaseModel):
    """Zero-modified (a,b,1) claim count: ``P(N = 0) = p0``, other masses in proportion to ``base``.

    ``p0 = 0`` gives the zero-truncated distribution. ``p_k = (1 - p0)/(1 - base_p0) * base_p_k`` for
    k >= 1, so the recursion ``p_k = (a + b/k) p_{k-1}`` holds from k = 2 (Loss Models, §6.6).

    Examples
    --------
    >>> round(ZeroModified(base=Poisson(lam=2.0), p0=0.0).mean, 6)
    2.313035
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["zm"] = Field(default="zm", description="Family tag.")
    base: BaseFrequency = Field(description="The (a,b,0) distribution being modified.")
    p0: float = Field(ge=0.0, lt=1.0, description="Probability of no claim, in [0, 1); 0 = zero-truncated.")

    @property
    def scale(self) -> float:
        """Factor ``(1 - p0)/(1 - base_p0)`` applied to the base masses at k >= 1."""
        base_p0 = float(np.exp(log_pgf_at(self.base, 0.0)))
        if base_p0 >= 1.0:
            raise param_error(
                "ZeroModified", "base", "a distribution with P(N=0) < 1", self.base, "Use a positive mean."
            )
        return (1.0 - self.p0) / (1.0 - base_p0)

    @property
    def mean(self) -> float:
        """Expected claim count."""
        return self.scale * self.base.mean

    @property
    def variance(self) -> float:
        """Variance of the claim count."""
        second = self.scale * (self.base.variance + self.base.mean**2)
        return second - self.mean**2


Frequency: TypeAlias = Annotated[Poisson | NegativeBinomial | Binomial | ZeroModified, Field(discriminator="kind")]


def abk(freq: Poisson | NegativeBinomial | Binomial) -> tuple[float, float]:
    """The (a, b) pair of an (a,b,0) distribution.

    Parameters
    ----------
    freq : Poisson, NegativeBinomial or Binomial
        The distribution.

    Returns
    -------
    tuple of float
        ``(a, b)`` with ``p_k = (a + b/k) p_{k-1}``.
    """
    if isinstance(freq, Poisson):
        return 0.0, freq.lam
    if isinstance(freq, NegativeBinomial):
        return 1.0 - freq.p, (freq.r - 1.0) * (1.0 - freq.p)
    if freq.q >= 1.0:
        raise param_error("Binomial", "q", "< 1 for the Panjer recursion", freq.q, "Use q < 1 or method='fft'.")
    return -freq.q / (1.0 - freq.q), (freq.m + 1) * freq.q / (1.0 - freq.q)


def log_pgf_at(freq: Poisson | NegativeBinomial | Binomial, z: float) -> float:
    """``log P_N(z)`` for real ``z`` in [0, 1], computed without underflow.

    Parameters
    ----------
    freq : Poisson, NegativeBinomial or Binomial
        The distribution.
    z : float
        Argument.

    Returns
    -------
    float
        The log of the probability generating function (``-inf`` when it is 0).
    """
    if isinstance(freq, Poisson):
        return freq.lam * (z - 1.0)
    if isinstance(freq, NegativeBinomial):
        return freq.r * (math.log(freq.p) - math.log1p(-(1.0 - freq.p) * z))
    inner = 1.0 - freq.q + freq.q * z
    return -math.inf if inner <= 0.0 else freq.m * math.log(inner)


def pgf(freq: Poisson | NegativeBinomial | Binomial | ZeroModified, z: np.ndarray) -> np.ndarray:
    """Probability generating function at complex or real points ``z`` (``|z| <= 1``).

    Parameters
    ----------
    freq : Frequency
        The distribution.
    z : numpy.ndarray
        Points (complex for the FFT).

    Returns
    -------
    numpy.ndarray
        ``E[z^N]``.
    """
    if isinstance(freq, ZeroModified):
        base_p0 = float(np.exp(log_pgf_at(freq.base, 0.0)))
        out: np.ndarray = freq.p0 + freq.scale * (pgf(freq.base, z) - base_p0)
        return out
    if isinstance(freq, Poisson):
        res: np.ndarray = np.exp(freq.lam * (z - 1.0))
        return res
    if isinstance(freq, NegativeBinomial):
        res = np.exp(freq.r * (np.log(freq.p) - np.log(1.0 - (1.0 - freq.p) * z)))
        return res
    res = (1.0 - freq.q + freq.q * z) ** freq.m
    return res


def pmf(freq: Poisson | NegativeBinomial | Binomial | ZeroModified, k: np.ndarray) -> FloatArray:
    """Probability mass ``P(N = k)``.

    Parameters
    ----------
    freq : Frequency
        The distribution.
    k : numpy.ndarray of int
        Counts.

    Returns
    -------
    numpy.ndarray of float64
        Masses.
    """
    kk = np.asarray(k)
    if isinstance(freq, ZeroModified):
        base = pmf(freq.base, kk)
        out: FloatArray = np.where(kk == 0, freq.p0, freq.scale * base).astype(np.float64)
        return out
    if isinstance(freq, Poisson):
        res: FloatArray = stats.poisson.pmf(kk, freq.lam).astype(np.float64)
    elif isinstance(freq, NegativeBinomial):
        res = np.exp(
            special.gammaln(kk + freq.r)
            - special.gammaln(freq.r)
            - special.gammaln(kk + 1.0)
            + freq.r * np.log(freq.p)
            + special.xlog1py(kk, -freq.p)
        ).astype(np.float64)
    else:
        res = stats.binom.pmf(kk, freq.m, freq.q).astype(np.float64)
    return res


def thin(
    freq: Poisson | NegativeBinomial | Binomial | ZeroModified, prob: float
) -> Poisson | NegativeBinomial | Binomial | ZeroModified:
    """Count of claims that pass a per-claim deductible, each independently with probability ``prob``.

    Poisson ``lam -> lam prob``; negative binomial ``beta -> beta prob`` (r unchanged); binomial
    ``q -> q prob`` (m unchanged); a zero-modified count keeps its family with the thinned base and
    ``p0* = p0 + (1 - p0)(P_base(1 - prob) - base_p0)/(1 - base_p0)`` (Loss Models, §8.6, Table 8.3).

    Parameters
    ----------
    freq : Frequency
        Ground-up claim count.
    prob : float
        Probability ``S_X(d)`` that a claim exceeds the deductible, in [0, 1].

    Returns
    -------
    Frequency
        The count of paying claims, same family.

    Raises
    ------
    SpecError
        If ``prob`` is outside [0, 1].

    Examples
    --------
    >>> round(thin(NegativeBinomial(r=2.0, p=0.4), 0.5).mean, 9)
    1.5
    """
    if not 0.0 <= prob <= 1.0:
        raise param_error("thin", "prob", "a probability in [0, 1]", prob, "Pass S_X(d) of the severity.")
    if isinstance(freq, Poisson):
        return Poisson(lam=freq.lam * prob)
    if isinstance(freq, NegativeBinomial):
        beta = (1.0 - freq.p) / freq.p * prob
        return NegativeBinomial(r=freq.r, p=1.0 / (1.0 + beta))
    if isinstance(freq, Binomial):
        return Binomial(m=freq.m, q=freq.q * prob)
    base = thin(freq.base, prob)
    assert not isinstance(base, ZeroModified)  # the base of a zero-modified count is (a,b,0)
    old_base_p0 = float(np.exp(log_pgf_at(freq.base, 0.0)))
    reach = float(np.exp(log_pgf_at(freq.base, 1.0 - prob)))
    p0_star = freq.p0 + (1.0 - freq.p0) * (reach - old_base_p0) / (1.0 - old_base_p0)
    return ZeroModified(base=base, p0=min(max(p0_star, 0.0), 1.0 - 1e-15))


def sample_counts(
    freq: Poisson | NegativeBinomial | Binomial | ZeroModified, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``n`` claim counts.

    Parameters
    ----------
    freq : Frequency
        The distribution.
    n : int
        Number of draws.
    rng : numpy.random.Generator
        Seeded generator.

    Returns
    -------
    numpy.ndarray of int64
        Counts.
    """
    if isinstance(freq, Poisson):
        return rng.poisson(freq.lam, n).astype(np.int64)
    if isinstance(freq, NegativeBinomial):
        if freq.p >= 1.0:
            return np.zeros(n, dtype=np.int64)
        return rng.negative_binomial(freq.r, freq.p, n).astype(np.int64)
    if isinstance(freq, Binomial):
        return rng.binomial(freq.m, freq.q, n).astype(np.int64)
    # zero-modified: inverse transform on the pmf table up to a far quantile
    top = int(freq.base.mean + 40.0 * math.sqrt(freq.base.variance) + 50)
    table = np.cumsum(pmf(freq, np.arange(top + 1)))
    table /= table[-1]
    return np.searchsorted(table, rng.random(n), side="right").astype(np.int64)
