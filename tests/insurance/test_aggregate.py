"""Aggregate loss engine: closed forms, exact Panjer, agreement of Panjer / FFT / Monte Carlo, bad input."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from greenfin.errors import SpecError
from greenfin.insurance import (
    Binomial,
    DiscreteSeverity,
    Exponential,
    Gamma,
    LogNormal,
    NegativeBinomial,
    Pareto,
    Poisson,
    Weibull,
    ZeroModified,
    aggregate,
    aggregate_moments,
    discretize,
    panjer_exact,
    thin,
    with_deductible,
)
from greenfin.insurance._freq import pmf as count_pmf


def _cp_exp_cdf(lam: float, x: float) -> float:
    """Compound Poisson(lam) with Exponential(1) claims: F(x) = p0 + sum p_n P(n, x) (reference §2.7)."""
    n = np.arange(1, 400)
    return float(math.exp(-lam) + np.sum(stats.poisson.pmf(n, lam) * special.gammainc(n, x)))


def _cp_exp_stop_loss(lam: float, d: float) -> float:
    """E[(S - d)^+] = sum p_n [n Q(n+1, d) - d Q(n, d)] (reference §2.7)."""
    n = np.arange(1, 400)
    return float(np.sum(stats.poisson.pmf(n, lam) * (n * special.gammaincc(n + 1, d) - d * special.gammaincc(n, d))))


def _cp_exp_var(lam: float, q: float) -> float:
    from scipy.optimize import brentq

    return float(brentq(lambda x: _cp_exp_cdf(lam, x) - q, 1e-9, 200.0, xtol=1e-12))


@pytest.mark.reference
@pytest.mark.parametrize("method", ["fft", "panjer"])
def test_compound_poisson_exponential_closed_form(method: str) -> None:
    """Analytic compound Poisson–exponential case (reference §2.7): VaR and stop loss inside the bracket."""
    lam = 3.0
    nodes = 1 << 14 if method == "fft" else 1 << 12
    res = aggregate(Poisson(lam=lam), Exponential(mean=1.0), method=method, nodes=nodes, step=40.0 / nodes)
    out = res.summary(quantiles=(0.99, 0.995), retentions=(1.0, 3.0, 8.0))
    for q, tag in ((0.99, "99"), (0.995, "995")):
        exact = _cp_exp_var(lam, q)
        lo, hi = out["bracket"][f"var_{tag}"]
        assert lo - 1e-9 <= exact <= hi + res.central.step
        assert abs(out[f"var_{tag}"] - exact) <= res.central.step
    for d in (1.0, 3.0, 8.0):
        exact = _cp_exp_stop_loss(lam, d)
        lo, hi = out["bracket"]["stop_loss"][f"{d:g}"]
        assert lo <= exact <= hi
        assert out["stop_loss"][f"{d:g}"] == pytest.approx(exact, rel=2e-3)


@pytest.mark.reference
def test_local_moments_keep_the_mean_and_match_the_closed_form_closely() -> None:
    lam = 3.0
    res = aggregate(
        Poisson(lam=lam),
        Exponential(mean=1.0),
        method="fft",
        nodes=1 << 14,
        step=40.0 / (1 << 14),
        discretization="local_moments",
    )
    assert res.central.mean() == pytest.approx(3.0, rel=1e-9)
    assert res.central.variance() == pytest.approx(6.0, rel=1e-4)
    assert res.central.stop_loss(3.0) == pytest.approx(_cp_exp_stop_loss(lam, 3.0), rel=1e-5)


def _brute_force(freq, f: list[Fraction], n: int, probs: list[Fraction]) -> list[Fraction]:
    """P(S = s) = sum_k P(N = k) f^{*k}(s), by explicit convolution (independent of Panjer)."""
    out = [Fraction(0)] * n
    conv = [Fraction(1)] + [Fraction(0)] * (n - 1)
    for k, pk in enumerate(probs):
        for s in range(n):
            out[s] += pk * conv[s]
        new = [Fraction(0)] * n
        for s in range(n):
            if conv[s]:
                for j, fj in enumerate(f):
                    if s + j < n:
                        new[s + j] += conv[s] * fj
        conv = new
        del k
    return out


@pytest.mark.reference
def test_panjer_exact_binomial_with_mass_at_zero() -> None:
    """Binomial(m=3, q=1/2) with f0 = 1/4 > 0 (the case where GEMAct's Panjer loses mass, reference §3.4)."""
    f = [Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)]
    q = Fraction(1, 2)
    probs = [Fraction(math.comb(3, k)) * q**k * (1 - q) ** (3 - k) for k in range(4)]
    exact = _brute_force(None, f, 8, probs)
    assert panjer_exact(Binomial(m=3, q=0.5), f, 8) == exact
    assert sum(exact[:7]) == 1  # max claim 2 x 3 claims = 6


@pytest.mark.reference
def test_panjer_exact_negative_binomial_integer_r() -> None:
    f = [Fraction(1, 5), Fraction(2, 5), Fraction(2, 5)]
    p = Fraction(1, 2)
    probs = [Fraction(math.comb(k + 1, k)) * p**2 * (1 - p) ** k for k in range(60)]  # r = 2
    exact = _brute_force(None, f, 10, probs)
    got = panjer_exact(NegativeBinomial(r=2, p=0.5), f, 10)
    assert all(abs(a - b) < Fraction(1, 10**15) for a, b in zip(got, exact, strict=True))


@pytest.mark.reference
def test_panjer_exact_zero_modified_ab1() -> None:
    """(a,b,1) recursion with the p1 - (a+b) p0 term, against the mixture definition."""
    f = [Fraction(1, 4), Fraction(3, 4)]
    base = Binomial(m=4, q=0.5)
    zm = ZeroModified(base=base, p0=0.25)
    q = Fraction(1, 2)
    bp = [Fraction(math.comb(4, k)) * q**4 for k in range(5)]
    c = (1 - Fraction(1, 4)) / (1 - bp[0])
    probs = [Fraction(1, 4)] + [c * v for v in bp[1:]]
    assert sum(probs) == 1
    assert panjer_exact(zm, f, 6) == _brute_force(None, f, 6, probs)


@pytest.mark.parametrize(
    "freq",
    [NegativeBinomial(r=2.5, p=0.4), Binomial(m=10, q=0.3), ZeroModified(base=Poisson(lam=2.0), p0=0.3)],
)
def test_float_panjer_and_fft_equal_exact_recursion(freq) -> None:
    sev = DiscreteSeverity(values=(0.0, 1.0, 2.0, 3.0), probs=(0.2, 0.3, 0.3, 0.2))
    exact = panjer_exact(freq, [Fraction(x).limit_denominator(1000) for x in sev.probs], 40)
    for method in ("panjer", "fft"):
        got = aggregate(freq, sev, method=method, nodes=40).central.pmf
        np.testing.assert_allclose(got, [float(v) for v in exact], atol=1e-12)


def test_negative_binomial_with_mass_at_zero_keeps_mass_and_mean() -> None:
    """The GEMAct defect case: NB with f0 > 0 from rounding. Mass sums to 1, mean is exact."""
    freq, sev = NegativeBinomial(r=3.0, p=0.3), Gamma(shape=2.0, scale=1.0)
    res = aggregate(freq, sev, method="panjer", nodes=2048, step=0.5, discretization="local_moments", bracket=False)
    assert res.central.mass_on_grid == pytest.approx(1.0, abs=1e-9)
    assert res.central.mean() == pytest.approx(aggregate_moments(freq, sev)[0], rel=1e-6)


def test_panjer_is_stable_for_large_frequency() -> None:
    """lambda = 2000: exp(-lambda) underflows; the scaled recursion must still match the FFT."""
    sev = DiscreteSeverity(values=(1.0, 2.0), probs=(0.5, 0.5))
    pj = aggregate(Poisson(lam=2000.0), sev, method="panjer", nodes=5000)
    ff = aggregate(Poisson(lam=2000.0), sev, method="fft", nodes=5000)
    assert pj.central.mass_on_grid == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(pj.central.pmf, ff.central.pmf, atol=1e-12)
    assert pj.central.mean() == pytest.approx(3000.0, rel=1e-9)


@pytest.mark.parametrize(
    ("freq", "sev"),
    [
        (Poisson(lam=3.0), LogNormal(mu=0.0, sigma=1.0)),
        (NegativeBinomial(r=2.0, p=0.4), Gamma(shape=2.0, scale=1.5)),
        (Binomial(m=10, q=0.1), Weibull(shape=1.5, scale=2.0)),
    ],
)
def test_panjer_fft_mc_agree_within_stated_error(freq, sev) -> None:
    pj = aggregate(freq, sev, method="panjer", nodes=2048)
    ff = aggregate(freq, sev, method="fft", nodes=2048)
    mc = aggregate(freq, sev, method="mc", paths=200_000, seed=7)
    s_pj, s_ff = pj.summary(retentions=(5.0,)), ff.summary(retentions=(5.0,))
    s_mc = mc.summary(retentions=(5.0,))
    np.testing.assert_allclose(pj.central.pmf, ff.central.pmf, atol=1e-10)
    for key in ("var_99", "tvar_99", "var_995"):
        lo, hi = s_ff["bracket"][key]
        assert lo <= s_ff[key] <= hi
        assert abs(s_mc[key] - s_ff[key]) <= 4.0 * s_mc["standard_error"][key] + (hi - lo)
    lo, hi = s_pj["bracket"]["stop_loss"]["5"]
    assert lo - 4 * s_mc["standard_error"]["stop_loss"]["5"] <= s_mc["stop_loss"]["5"]
    assert s_mc["stop_loss"]["5"] <= hi + 4 * s_mc["standard_error"]["stop_loss"]["5"]
    assert abs(s_mc["mean"] - s_ff["mean_exact"]) <= 4.0 * s_mc["standard_error"]["mean"]


def test_monte_carlo_is_reproducible_by_seed() -> None:
    a = aggregate(Poisson(lam=3.0), Pareto(alpha=3.0, theta=2.0), method="mc", paths=10_000, seed=1)
    b = aggregate(Poisson(lam=3.0), Pareto(alpha=3.0, theta=2.0), method="mc", paths=10_000, seed=1)
    np.testing.assert_array_equal(a.central.samples, b.central.samples)


def test_deductible_thinning_gives_the_ground_up_layer() -> None:
    """Thinned count x excess severity has the same aggregate as sum (X_i - d)^+ (Loss Models §8.6)."""
    freq, sev, d = NegativeBinomial(r=2.0, p=0.5), Exponential(mean=2.0), 1.0
    f2, s2 = with_deductible(freq, sev, d)
    assert isinstance(f2, NegativeBinomial)
    assert f2.mean == pytest.approx(freq.mean * math.exp(-0.5))
    res = aggregate(f2, s2, method="fft", nodes=8192, step=0.02, discretization="local_moments")
    expected_mean = freq.mean * 2.0 * math.exp(-0.5)
    assert res.central.mean() == pytest.approx(expected_mean, rel=1e-6)


def test_thinning_zero_modified_keeps_pgf() -> None:
    zm = ZeroModified(base=NegativeBinomial(r=1.5, p=0.3), p0=0.2)
    t = thin(zm, 0.4)
    k = np.arange(0, 80)
    # direct: P(N* = j) = sum_k P(N = k) C(k, j) 0.4^j 0.6^(k-j)
    big = np.arange(0, 600)
    pk = count_pmf(zm, big)
    direct = np.array([np.sum(pk * stats.binom.pmf(j, big, 0.4)) for j in k])
    np.testing.assert_allclose(count_pmf(t, k), direct, atol=1e-12)


def test_discretisations_bound_each_other() -> None:
    sev = LogNormal(mu=0.0, sigma=0.8)
    lo, up = discretize(sev, 0.1, 2000, "lower"), discretize(sev, 0.1, 2000, "upper")
    assert np.all(np.cumsum(lo.pmf) >= np.cumsum(up.pmf) - 1e-12)


def test_grid_too_short_says_what_to_change() -> None:
    res = aggregate(Poisson(lam=3.0), Exponential(mean=1.0), method="fft", nodes=64, step=0.05, bracket=False)
    with pytest.raises(SpecError, match=r"too short.*Increase --nodes or --step"):
        res.summary()


def test_grid_too_coarse_says_what_to_change() -> None:
    res = aggregate(Poisson(lam=3.0), Exponential(mean=1.0), method="fft", nodes=64, step=2.0, bracket=False)
    with pytest.raises(SpecError, match=r"too coarse.*--step"):
        res.summary()


def test_parameters_out_of_range_are_rejected() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        NegativeBinomial(r=2.0, p=1.5)
    with pytest.raises(ValueError, match="greater than 0"):
        LogNormal(mu=0.0, sigma=-1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        DiscreteSeverity(values=(1.0, 2.0), probs=(0.5, 0.6))
    with pytest.raises(SpecError, match="common divisor"):
        aggregate(Poisson(lam=1.0), DiscreteSeverity(values=(1.0, 2.5), probs=(0.5, 0.5)), step=1.0)


@settings(max_examples=25, deadline=None)
@given(
    lam=st.floats(0.2, 6.0),
    d=st.lists(st.floats(0.0, 20.0), min_size=3, max_size=3, unique=True),
)
def test_stop_loss_is_decreasing_and_convex_in_the_retention(lam: float, d: list[float]) -> None:
    res = aggregate(Poisson(lam=lam), Gamma(shape=2.0, scale=1.0), method="fft", nodes=1024, step=0.05, bracket=False)
    a, b, c = sorted(d)
    sa, sb, sc = (res.central.stop_loss(x) for x in (a, b, c))
    assert sa >= sb - 1e-12 >= sc - 2e-12
    # convexity: the chord lies above the function
    w = (c - b) / (c - a)
    assert sb <= w * sa + (1 - w) * sc + 1e-9


@pytest.mark.reference
def test_compound_poisson_textbook_example() -> None:
    """Compound Poisson, lambda = 0.8, claim sizes 1, 2, 3 w.p. 0.25, 0.375, 0.375: f_S(0..6).

    The textbook case of the compound Poisson recursion f(x) = (lambda/x) sum_j j p(j) f(x - j) (Bowers et al.,
    *Actuarial Mathematics*, 2nd ed., 1997, ch. 12; six decimals as printed there). The printed page was not
    available when this test was written, so the first three values are pinned from the formula by hand
    (e^-0.8 = 0.449329, 0.2 e^-0.8 = 0.089866, 0.4 (0.25 f1 + 0.75 f0) = 0.143785) and the rest against it.
    """
    lam, p = 0.8, {1: 0.25, 2: 0.375, 3: 0.375}
    f = [math.exp(-lam)]
    for x in range(1, 7):
        f.append(lam / x * sum(j * pj * f[x - j] for j, pj in p.items() if x - j >= 0))
    sev = DiscreteSeverity(values=(1.0, 2.0, 3.0), probs=(0.25, 0.375, 0.375))
    got = aggregate(Poisson(lam=lam), sev, method="panjer", nodes=7).central.pmf
    assert f[0] == pytest.approx(0.449329, abs=5e-7)
    assert f[1] == pytest.approx(0.089866, abs=5e-7)
    assert f[2] == pytest.approx(0.143785, abs=5e-7)
    np.testing.assert_allclose(got, f, atol=5e-7)


def test_layer_cost_is_the_difference_of_stop_losses_and_mc_agrees() -> None:
    freq, sev = Poisson(lam=2.0), Gamma(shape=2.0, scale=1.0)
    lat = aggregate(freq, sev, method="fft", nodes=4096, step=0.02, bracket=False).central
    mc = aggregate(freq, sev, method="mc", paths=200_000, seed=3).central
    d, width = 4.0, 3.0
    assert lat.layer_cost(d, width) == pytest.approx(lat.stop_loss(d) - lat.stop_loss(d + width))
    se = np.clip(mc.samples - d, 0, width).std() / math.sqrt(mc.paths)
    assert abs(mc.layer_cost(d, width) - lat.layer_cost(d, width)) < 4 * se + 1e-3


def test_zero_truncated_count_has_no_zero_claims() -> None:
    zt = ZeroModified(base=NegativeBinomial(r=2.0, p=0.5), p0=0.0)
    sev = DiscreteSeverity(values=(1.0,), probs=(1.0,))
    pmf = aggregate(zt, sev, method="panjer", nodes=200).central.pmf
    assert pmf[0] == pytest.approx(0.0, abs=1e-15)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert float(np.arange(200) @ pmf) == pytest.approx(zt.mean, rel=1e-9)
