"""Aggregate loss ``S = X_1 + ... + X_N``: Panjer recursion, FFT and seeded Monte Carlo.

Lattice methods (Panjer, FFT) work on a discretised severity and report the §2.16 metadata of the
reference (span, nodes, truncation point, captured mass, discretisation) and a rigorous lower/upper
bracket from the ``lower``/``upper`` discretisations (Loss Models §9.6.1: ``S_low <=_st S <=_st S_up``).
Monte Carlo reports the seed, the number of paths and the standard error of every estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from greenfin._typing import FloatArray
from greenfin.errors import SpecError, param_error
from greenfin.insurance._freq import (
    Binomial,
    NegativeBinomial,
    Poisson,
    ZeroModified,
    abk,
    log_pgf_at,
    pgf,
    sample_counts,
)
from greenfin.insurance._sev import (
    DiscreteSeverity,
    DiscretizationMethod,
    Empirical,
    SeverityT,
    discretize,
    sample_severity,
    sev_cdf,
    sev_moments,
    sev_quantile,
)

__all__ = [
    "AggregateResult",
    "LatticeDistribution",
    "SampleDistribution",
    "aggregate",
    "aggregate_moments",
    "panjer_exact",
]

FrequencyT = Poisson | NegativeBinomial | Binomial | ZeroModified
Method = Literal["panjer", "fft", "mc"]

_RESCALE = 1e250
_ALIAS_TOL = 1e-8  # unpadded FFT kept only if the top eighth of the grid holds less mass (wrap-around <~ 1e-8)
_FFT_TILT = 20.0  # total tilt theta * fft_size: wrapped mass is damped by exp(-20) ~ 2e-9


@dataclass(frozen=True)
class LatticeDistribution:
    """A (possibly defective) distribution on ``0, h, ..., (n - 1) h``.

    Parameters
    ----------
    pmf : numpy.ndarray
        Masses; their sum is the mass captured on the grid (1 minus what lies beyond).
    step : float
        Span h.
    """

    pmf: FloatArray
    step: float

    @property
    def x(self) -> FloatArray:
        """The lattice points."""
        return self.step * np.arange(self.pmf.size, dtype=np.float64)

    @property
    def mass_on_grid(self) -> float:
        """Total mass on the grid (1 minus the mass that falls beyond it)."""
        return float(self.pmf.sum())

    def mean(self) -> float:
        """Mean of the lattice distribution.

        Returns
        -------
        float
            ``sum x_j g_j``.
        """
        return float(self.x @ self.pmf)

    def variance(self) -> float:
        """Variance of the lattice distribution.

        Returns
        -------
        float
            ``sum x_j^2 g_j - mean^2``.
        """
        mean = self.mean()
        return float(((self.x - mean) ** 2) @ self.pmf)

    def cdf(self, x: float) -> float:
        """``P(S <= x)``.

        Parameters
        ----------
        x : float
            Loss amount.

        Returns
        -------
        float
            The distribution function.
        """
        k = math.floor(x / self.step + 1e-9)
        return 0.0 if k < 0 else float(self.pmf[: k + 1].sum())

    def quantile(self, q: float) -> float:
        """Value at risk ``VaR_q``: the smallest lattice point with ``F >= q``.

        Parameters
        ----------
        q : float
            Level in (0, 1).

        Returns
        -------
        float
            The quantile.

        Raises
        ------
        SpecError
            If the grid does not reach the quantile.
        """
        cum = np.cumsum(self.pmf)
        if cum[-1] < q - 1e-12:
            raise SpecError(
                f"The grid is too short for the {q:.4g} quantile: only {cum[-1]:.6f} of the mass lies within "
                f"{self.x[-1]:g} ({self.pmf.size} nodes x step {self.step:g}). Increase --nodes or --step."
            )
        return float(self.x[int(np.searchsorted(cum, q - 1e-12))])

    def tvar(self, q: float) -> float:
        """Tail value at risk ``TVaR_q``, splitting the atom at VaR (reference §2.7).

        Parameters
        ----------
        q : float
            Level in (0, 1).

        Returns
        -------
        float
            ``TVaR_q``.
        """
        cum = np.cumsum(self.pmf)
        var = self.quantile(q)
        k = round(var / self.step)
        tail = float(self.x[k + 1 :] @ self.pmf[k + 1 :])
        return float((tail + var * (cum[k] - q)) / (1.0 - q))

    def stop_loss(self, retention: float) -> float:
        """Stop-loss premium ``E[(S - d)^+]``.

        Parameters
        ----------
        retention : float
            Retention d >= 0.

        Returns
        -------
        float
            The premium.
        """
        return float(np.maximum(self.x - retention, 0.0) @ self.pmf)

    def layer_cost(self, retention: float, limit: float) -> float:
        """Expected cost of the layer ``limit xs retention``: ``E[min((S - d)^+, L)]``.

        Parameters
        ----------
        retention : float
            Attachment d.
        limit : float
            Layer width L.

        Returns
        -------
        float
            Expected layer loss.
        """
        return self.stop_loss(retention) - self.stop_loss(retention + limit)


@dataclass(frozen=True)
class SampleDistribution:
    """An empirical aggregate distribution from seeded Monte Carlo paths.

    Parameters
    ----------
    samples : numpy.ndarray
        Simulated annual losses, sorted ascending.
    seed : int or None
        Seed of the generator.
    """

    samples: FloatArray
    seed: int | None

    @property
    def paths(self) -> int:
        """Number of simulated paths."""
        return int(self.samples.size)

    def mean(self) -> float:
        """Sample mean.

        Returns
        -------
        float
            The mean.
        """
        return float(self.samples.mean())

    def variance(self) -> float:
        """Sample variance (n - 1 denominator).

        Returns
        -------
        float
            The variance.
        """
        return float(self.samples.var(ddof=1))

    def cdf(self, x: float) -> float:
        """Empirical ``P(S <= x)``.

        Parameters
        ----------
        x : float
            Loss amount.

        Returns
        -------
        float
            The proportion of paths at or below x.
        """
        return float(np.searchsorted(self.samples, x, side="right") / self.samples.size)

    def quantile(self, q: float) -> float:
        """Empirical ``VaR_q`` (inverted empirical distribution function).

        Parameters
        ----------
        q : float
            Level in (0, 1).

        Returns
        -------
        float
            The quantile.
        """
        k = max(math.ceil(q * self.samples.size - 1e-9) - 1, 0)
        return float(self.samples[k])

    def tvar(self, q: float) -> float:
        """Empirical ``TVaR_q = VaR_q + E[(S - VaR_q)^+]/(1 - q)``.

        Parameters
        ----------
        q : float
            Level in (0, 1).

        Returns
        -------
        float
            The tail value at risk.
        """
        var = self.quantile(q)
        return var + float(np.maximum(self.samples - var, 0.0).mean()) / (1.0 - q)

    def stop_loss(self, retention: float) -> float:
        """Empirical stop-loss premium.

        Parameters
        ----------
        retention : float
            Retention d.

        Returns
        -------
        float
            ``mean((S - d)^+)``.
        """
        return float(np.maximum(self.samples - retention, 0.0).mean())

    def layer_cost(self, retention: float, limit: float) -> float:
        """Empirical expected layer loss.

        Parameters
        ----------
        retention : float
            Attachment d.
        limit : float
            Layer width L.

        Returns
        -------
        float
            ``mean(min((S - d)^+, L))``.
        """
        return float(np.clip(self.samples - retention, 0.0, limit).mean())

    def density_at(self, x: float) -> float:
        """Gaussian-kernel density estimate at ``x`` (Silverman bandwidth).

        Parameters
        ----------
        x : float
            Point.

        Returns
        -------
        float
            Estimated density.
        """
        s = self.samples
        n = s.size
        sd = float(s.std())
        iqr = float(s[int(0.75 * (n - 1))] - s[int(0.25 * (n - 1))])
        spread = min(sd, iqr / 1.34) if iqr > 0 else sd
        if spread <= 0:
            return math.inf
        bw = 0.9 * spread * n ** (-0.2)
        lo, hi = np.searchsorted(s, [x - 8 * bw, x + 8 * bw])
        z = (s[lo:hi] - x) / bw
        return float(np.exp(-0.5 * z * z).sum() / (n * bw * math.sqrt(2 * math.pi)))

    def standard_errors(self, quantiles: Sequence[float], retentions: Sequence[float]) -> dict[str, Any]:
        """Standard errors of the mean, P(S=0), VaR, TVaR and stop-loss estimates (reference §2.6).

        VaR: ``sqrt(q(1 - q)/n) / f(VaR)`` with f a kernel density; TVaR: the delta-method error of
        ``VaR + mean((S - VaR)^+)/(1 - q)``; stop loss: ``sd((S - d)^+)/sqrt(n)``.

        Parameters
        ----------
        quantiles : sequence of float
            Levels.
        retentions : sequence of float
            Stop-loss retentions.

        Returns
        -------
        dict
            Standard errors by statistic.
        """
        n = self.samples.size
        p0 = float(np.mean(self.samples == 0.0))
        out: dict[str, Any] = {
            "mean": float(self.samples.std(ddof=1) / math.sqrt(n)),
            "p_zero": math.sqrt(p0 * (1 - p0) / n),
        }
        for q in quantiles:
            var = self.quantile(q)
            dens = self.density_at(var)
            out[f"var_{_tag(q)}"] = math.sqrt(q * (1 - q) / n) / dens if dens > 0 else math.inf
            excess = np.maximum(self.samples - var, 0.0) / (1.0 - q)
            out[f"tvar_{_tag(q)}"] = float(excess.std(ddof=1) / math.sqrt(n))
        out["stop_loss"] = {
            _num(d): float(np.maximum(self.samples - d, 0.0).std(ddof=1) / math.sqrt(n)) for d in retentions
        }
        return out


def _tag(q: float) -> str:
    return f"{q * 100:g}".replace(".", "")


def _num(d: float) -> str:
    return f"{d:g}"


@dataclass(frozen=True)
class AggregateResult:
    """An aggregate loss distribution with how it was computed.

    Parameters
    ----------
    method : str
        ``panjer``, ``fft`` or ``mc``.
    central : LatticeDistribution or SampleDistribution
        The main estimate.
    lower, upper : LatticeDistribution or None
        Lower and upper stochastic bounds (lattice methods with a continuous severity).
    info : dict
        Metadata (reference §2.16): step, nodes, truncation point, captured mass, discretisation,
        seed and paths.
    exact_lattice : bool
        True when the severity sits on the lattice (no discretisation error).
    """

    method: str
    central: LatticeDistribution | SampleDistribution
    lower: LatticeDistribution | None = None
    upper: LatticeDistribution | None = None
    info: dict[str, Any] = field(default_factory=dict)
    exact_lattice: bool = False

    def summary(
        self,
        quantiles: Sequence[float] = (0.99, 0.995),
        retentions: Sequence[float] = (),
        pmf_count: int = 0,
    ) -> dict[str, Any]:
        """Mean, variance, P(S=0), VaR/TVaR, stop-loss premiums, first pmf values and the error measure.

        Parameters
        ----------
        quantiles : sequence of float
            VaR/TVaR levels.
        retentions : sequence of float
            Stop-loss retentions.
        pmf_count : int
            Number of leading pmf values to report (lattice methods).

        Returns
        -------
        dict
            JSON-ready result.

        Raises
        ------
        SpecError
            If the grid is too short or too coarse for a requested quantile; the message says what to change.
        """
        c = self.central
        out: dict[str, Any] = {"method": self.method, **self.info}
        out["mean"] = c.mean()
        out["variance"] = c.variance()
        if isinstance(c, LatticeDistribution):
            out["p_zero"] = self.info.get("p_zero_exact", float(c.pmf[0]))
        else:
            out["p_zero"] = float(np.mean(c.samples == 0.0))
        for q in quantiles:
            var = c.quantile(q)
            if isinstance(c, LatticeDistribution) and not self.exact_lattice and 0 < var / c.step < 10:
                raise SpecError(
                    f"The grid is too coarse for the {q:.4g} quantile: VaR = {var:g} spans only "
                    f"{var / c.step:.0f} lattice steps of {c.step:g}. Use --step <= {var / 100:.3g}."
                )
            out[f"var_{_tag(q)}"] = var
            out[f"tvar_{_tag(q)}"] = c.tvar(q)
        out["stop_loss"] = {_num(d): c.stop_loss(d) for d in retentions}
        if pmf_count > 0:
            if isinstance(c, LatticeDistribution):
                out["pmf"] = [float(v) for v in c.pmf[:pmf_count]]
            elif np.all(c.samples == np.round(c.samples)):
                counts = np.bincount(c.samples.astype(np.int64), minlength=pmf_count)[:pmf_count] / c.paths
                out["pmf"] = [float(v) for v in counts]
            else:
                raise SpecError("--pmf needs integer claim sizes or a lattice method (panjer or fft); drop --pmf.")
        if isinstance(c, SampleDistribution):
            out["standard_error"] = c.standard_errors(quantiles, retentions)
        elif self.lower is not None and self.upper is not None:
            lo, up = self.lower, self.upper
            br: dict[str, Any] = {"mean": [lo.mean(), up.mean()]}
            for q in quantiles:
                br[f"var_{_tag(q)}"] = [lo.quantile(q), up.quantile(q)]
                br[f"tvar_{_tag(q)}"] = [lo.tvar(q), up.tvar(q)]
            br["stop_loss"] = {_num(d): [lo.stop_loss(d), up.stop_loss(d)] for d in retentions}
            out["bracket"] = br
        else:
            out["bracket"] = "exact lattice severity: no discretisation error; see mass_beyond_grid"
        return out


def aggregate_moments(freq: FrequencyT, sev: SeverityT) -> tuple[float, float]:
    """Exact mean and variance of S: ``E N E X`` and ``E N Var X + Var N (E X)^2`` (reference §2.1).

    Parameters
    ----------
    freq : Frequency
        Claim count.
    sev : Severity
        Claim size.

    Returns
    -------
    tuple of float
        ``(E S, Var S)``.

    Examples
    --------
    >>> from greenfin.insurance import Exponential, Poisson
    >>> aggregate_moments(Poisson(lam=3.0), Exponential(mean=2.0))
    (6.0, 24.0)
    """
    mx, vx = sev_moments(sev)
    return freq.mean * mx, freq.mean * vx + freq.variance * mx**2


def _panjer_ab0(freq: Poisson | NegativeBinomial | Binomial, f: FloatArray, n: int) -> FloatArray:
    """(a,b,0) Panjer recursion, scaled so that a start value that underflows (large lambda) still works."""
    a, b = abk(freq)
    f0 = float(f[0])
    denom = 1.0 - a * f0  # inside every step (reference §2.4); GEMAct divides once after the loop
    log_g0 = log_pgf_at(freq, f0)
    nonzero = np.flatnonzero(f)
    m = min(int(nonzero[-1]) + 1 if nonzero.size else 1, n)  # O(n m): only the severity's support counts
    fj = np.ascontiguousarray(f[1:m])
    coef = np.vstack([a * fj, b * np.arange(1, m, dtype=np.float64) * fj])  # rows: a f_j and b j f_j
    # g is kept reversed in `rev` (rev[n - 1 - s] = g_s) so that g_{s-1}, ..., g_{s-k} is a contiguous slice
    # and each step is one BLAS matrix-vector product.
    rev = np.zeros(n)
    log_scale = 0.0
    if log_g0 > -700.0:
        rev[n - 1] = math.exp(log_g0)
    else:
        rev[n - 1], log_scale = 1.0, log_g0
    if m <= 1:  # all claims are zero: S = 0
        rev[n - 1] = 1.0
        return rev[::-1].copy()
    inv_denom = 1.0 / denom
    for s in range(1, n):
        k = s if s < m else m - 1
        start = n - s
        parts = coef[:, :k] @ rev[start : start + k]
        val = (parts[0] + parts[1] / s) * inv_denom
        rev[start - 1] = val
        if abs(val) > _RESCALE:
            rev[start - 1 :] /= _RESCALE
            log_scale += math.log(_RESCALE)
    g = rev[::-1].copy()
    if log_scale != 0.0:
        with np.errstate(divide="ignore"):
            g = np.sign(g) * np.exp(np.log(np.abs(g)) + log_scale)
    out: FloatArray = np.maximum(g, 0.0)
    return out


def _panjer(freq: FrequencyT, f: FloatArray, n: int) -> FloatArray:
    if isinstance(freq, ZeroModified):
        # S^M = p0 δ0 + c (S_base - base_p0 δ0): the (a,b,1) recursion written through the base, so the scaled
        # (underflow-proof) (a,b,0) recursion is reused. panjer_exact checks it against the direct (a,b,1) form.
        g = freq.scale * _panjer_ab0(freq.base, f, n)
        base_p0 = math.exp(log_pgf_at(freq.base, 0.0))
        g[0] += freq.p0 - freq.scale * base_p0
        out: FloatArray = np.maximum(g, 0.0)
        return out
    return _panjer_ab0(freq, f, n)


def _fft_once(freq: FrequencyT, f: FloatArray, n: int, size: int, tilt: bool) -> FloatArray:
    fp = np.zeros(size)
    fp[: f.size] = f
    theta = _FFT_TILT / size if tilt else 0.0
    if theta:
        fp *= np.exp(-theta * np.arange(size))
    # numpy's pocketfft (vectorised in numpy 2) is about 1.5x faster than scipy.fft on one long real transform
    phi = np.fft.rfft(fp)
    g: FloatArray = np.fft.irfft(pgf(freq, phi), size)[:n]
    if theta:
        g *= np.exp(theta * np.arange(n))
    return g


def _fft(freq: FrequencyT, f: FloatArray, n: int, pad: int | None, tilt: bool) -> tuple[FloatArray, int, bool]:
    """FFT aggregate; ``pad=None`` first tries no padding and keeps it only if the top eighth of the grid is empty.

    Mass of S beyond the grid wraps around onto its low nodes. Without padding the result is kept only when the
    top eighth of the grid holds less than 1e-8 of mass (the tail has died out well inside the grid); otherwise
    the transform is redone on a 2x zero-padded, exponentially tilted grid (wrapped mass damped by e^-20).
    """
    base = 1 << math.ceil(math.log2(max(n, f.size, 2)))
    if pad is None:
        g = _fft_once(freq, f, n, base, False)
        if float(np.abs(g[n - max(n // 8, 1) :]).sum()) < _ALIAS_TOL and float(g.min()) > -1e-12:
            return np.maximum(g, 0.0), base, False
        pad = 2
    size = 1 << math.ceil(math.log2(max(pad * n, f.size, 2)))
    return np.maximum(_fft_once(freq, f, n, size, tilt), 0.0), size, tilt


def panjer_exact(
    freq: FrequencyT,
    severity_pmf: Sequence[Fraction | int],
    n: int,
) -> list[Fraction]:
    """Panjer recursion in exact rational arithmetic, in the general (a,b,1) form.

    ``g_s = [(p_1 - (a + b) p_0) f_s + sum_j (a + b j/s) f_j g_{s-j}] / (1 - a f_0)`` (Loss Models,
    Theorem 9.8). For an (a,b,0) count the first term vanishes. Parameters of ``freq`` are turned into
    fractions with ``Fraction(str(x))`` so decimal inputs stay exact.

    Parameters
    ----------
    freq : Poisson, NegativeBinomial, Binomial or ZeroModified
        Claim count. For a Poisson count ``g_0`` involves ``exp`` and is only as exact as a float.
    severity_pmf : sequence of Fraction
        Claim-size masses on 0, 1, 2, ... (a unit lattice).
    n : int
        Number of aggregate masses to compute.

    Returns
    -------
    list of Fraction
        ``P(S = 0), ..., P(S = n - 1)``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from greenfin.insurance import Binomial
    >>> panjer_exact(Binomial(m=2, q=0.5), [F(0), F(1, 2), F(1, 2)], 5)
    [Fraction(1, 4), Fraction(1, 4), Fraction(5, 16), Fraction(1, 8), Fraction(1, 16)]
    """
    f = [Fraction(v) for v in severity_pmf]
    base = freq.base if isinstance(freq, ZeroModified) else freq
    if isinstance(base, Poisson):
        a, b = Fraction(0), Fraction(str(base.lam))
    elif isinstance(base, NegativeBinomial):
        pp = Fraction(str(base.p))
        a, b = 1 - pp, (Fraction(str(base.r)) - 1) * (1 - pp)
    else:
        qq = Fraction(str(base.q))
        a, b = -qq / (1 - qq), (base.m + 1) * qq / (1 - qq)

    def base_pgf(z: Fraction) -> Fraction:
        if isinstance(base, NegativeBinomial):
            pp = Fraction(str(base.p))
            ratio = pp / (1 - (1 - pp) * z)
            r = Fraction(str(base.r))
            if r.denominator == 1:
                return ratio ** int(r)
            return Fraction(float(ratio) ** float(r))
        if isinstance(base, Binomial):
            qq = Fraction(str(base.q))
            return (1 - qq + qq * z) ** base.m
        return Fraction(math.exp(float(Fraction(str(base.lam)) * (z - 1))))

    f0 = f[0]
    if isinstance(freq, ZeroModified):
        zm_p0 = Fraction(str(freq.p0))
        bp0 = base_pgf(Fraction(0))
        c = (1 - zm_p0) / (1 - bp0)
        q1 = c * (a + b) * bp0
        g0 = zm_p0 + c * (base_pgf(f0) - bp0)
        lead = q1 - (a + b) * zm_p0
    else:
        g0 = base_pgf(f0)
        lead = Fraction(0)
    g = [g0]
    denom = 1 - a * f0
    for s in range(1, n):
        acc = lead * (f[s] if s < len(f) else 0)
        for j in range(1, min(s, len(f) - 1) + 1):
            acc += (a + b * Fraction(j, s)) * f[j] * g[s - j]
        g.append(acc / denom)
    return g


def _default_step(freq: FrequencyT, sev: SeverityT, nodes: int) -> float:
    if isinstance(sev, DiscreteSeverity | Empirical):
        vals = np.asarray(sev.values, dtype=np.float64)
        if np.all(vals == np.round(vals)):
            ints = [int(v) for v in vals if v > 0]
            return float(math.gcd(*ints)) if ints else 1.0
        raise SpecError(
            "The claim sizes are not integers, so no lattice step can be inferred; pass --step (a common divisor "
            "of the claim sizes)."
        )
    mean, var = aggregate_moments(freq, sev)
    top = mean + 20.0 * math.sqrt(var) if math.isfinite(var) else 0.0
    top = max(top, sev_quantile(sev, 1.0 - 1e-9) * max(1.0, freq.mean))
    if not math.isfinite(top) or top <= 0:
        raise SpecError("Cannot choose a lattice step for this severity; pass --step and --nodes explicitly.")
    return top / nodes


def aggregate(
    freq: FrequencyT,
    sev: SeverityT,
    *,
    method: Method = "fft",
    step: float | None = None,
    nodes: int = 1 << 14,
    discretization: DiscretizationMethod = "rounding",
    bracket: bool = True,
    paths: int = 1_000_000,
    seed: int | None = 20260630,
    pad: int | None = None,
    tilt: bool = True,
) -> AggregateResult:
    """Aggregate loss distribution by Panjer recursion, FFT or seeded Monte Carlo.

    Parameters
    ----------
    freq : Frequency
        Claim count (Poisson, NegativeBinomial, Binomial, ZeroModified).
    sev : Severity
        Claim size.
    method : {"fft", "panjer", "mc"}
        FFT (default), Panjer recursion (exact for lattice severities) or Monte Carlo.
    step : float or None
        Lattice span h (default: the gcd of integer claim sizes, else about a far quantile / nodes).
    nodes : int
        Lattice nodes n kept for S (the FFT works on ``pad x n`` padded nodes).
    discretization : {"rounding", "local_moments", "lower", "upper"}
        Severity discretisation for the central estimate.
    bracket : bool
        Also compute the lower/upper-bound distributions (lattice methods, continuous severity).
    paths : int
        Monte Carlo paths.
    seed : int or None
        Monte Carlo seed.
    pad : int or None
        FFT zero-padding factor (>= 1); None (default) pads 2x with tilting unless the unpadded result shows
        the tail has died out inside the grid (top eighth below 1e-8).
    tilt : bool
        Exponential tilting against wrap-around in the FFT.

    Returns
    -------
    AggregateResult
        The distribution, bounds and metadata.

    Raises
    ------
    SpecError
        On parameters out of range, or a lattice that cannot hold the severity.

    Examples
    --------
    >>> from greenfin.insurance import DiscreteSeverity, Poisson
    >>> sev = DiscreteSeverity(values=(1, 2, 3), probs=(0.25, 0.375, 0.375))
    >>> r = aggregate(Poisson(lam=3.0), sev, method="panjer", nodes=64)
    >>> round(float(r.central.pmf[0]), 6), round(r.central.mean(), 6)
    (0.049787, 6.375)
    """
    if method not in ("panjer", "fft", "mc"):
        raise param_error("aggregate", "method", "one of panjer, fft, mc", method, "Use --method fft.")
    if method == "mc":
        if paths < 2:
            raise param_error("aggregate", "paths", "an integer >= 2", paths, "Use e.g. 1000000 paths.")
        rng = np.random.default_rng(seed)
        counts = sample_counts(freq, paths, rng)
        claims = sample_severity(sev, int(counts.sum()), rng)
        cum = np.concatenate([[0.0], np.cumsum(claims)])
        ends = np.cumsum(counts)
        totals = cum[ends] - cum[ends - counts]
        totals[counts == 0] = 0.0
        totals.sort()
        return AggregateResult(
            method="mc",
            central=SampleDistribution(totals, seed),
            info={"seed": seed, "paths": paths},
        )
    if nodes < 2 or nodes > 1 << 26:
        raise param_error("aggregate", "nodes", "an integer in [2, 2^26]", nodes, "Use a power of two, e.g. 16384.")
    if pad is not None and pad < 1:
        raise param_error("aggregate", "pad", "an integer >= 1", pad, "Use pad=2.")
    h = _default_step(freq, sev, nodes) if step is None else float(step)

    fft_used: dict[str, Any] = {}

    def run(disc: DiscretizationMethod) -> tuple[LatticeDistribution, Any]:
        d = discretize(sev, h, nodes, disc)
        if method == "panjer":
            return LatticeDistribution(_panjer(freq, d.pmf, nodes), h), d
        g, size, tilted = _fft(freq, d.pmf, nodes, pad, tilt)
        fft_used.setdefault("fft_size", size)
        fft_used.setdefault("tilt", _FFT_TILT if tilted else 0.0)
        return LatticeDistribution(g, h), d

    central, d = run(discretization)
    exact = d.method == "exact"
    lower = upper = None
    if bracket and not exact:
        lower, _ = run("lower")
        upper, _ = run("upper")
    f0 = float(sev_cdf(sev, np.array([0.0]))[0])
    p_zero = float(np.real(pgf(freq, np.array([f0]))[0]))
    mean, var = aggregate_moments(freq, sev)
    info: dict[str, Any] = {
        "step": h,
        "nodes": nodes,
        "truncation_point": d.truncation_point,
        "severity_mass_beyond_truncation": d.tail_mass,
        "discretization": d.method,
        "mass_beyond_grid": max(0.0, 1.0 - central.mass_on_grid),
        "mean_exact": mean,
        "variance_exact": var,
        "p_zero_exact": p_zero,
    }
    if method == "fft":
        info.update(fft_used)
        info["fft_padding"] = "none (top eighth of the grid empty)" if fft_used["fft_size"] <= nodes else "2x + tilt"
    return AggregateResult(method=method, central=central, lower=lower, upper=upper, info=info, exact_lattice=exact)
