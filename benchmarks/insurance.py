"""Insurance benchmark: aggregate loss by FFT, Panjer and Monte Carlo against GEMAct, and forest pricing at scale.

Run: ``python -m benchmarks.insurance``. Each case prints one JSON line (seconds, peak memory, error against
the reference, and GEMAct's figures from the same run with the speed ratio). References: compound
Poisson–exponential in closed form (reference §2.7); other models a 2^20-node local-moments FFT whose
lower/upper bracket is printed. Errors: |mean - E S| (exact), |VaR 99.5 % - reference|, |stop loss(d) - reference|.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import sys
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from benchmarks._harness import emit, machine, measure
from greenfin.insurance import (
    Exponential,
    Gamma,
    LogNormal,
    NegativeBinomial,
    Poisson,
    aggregate,
    aggregate_moments,
)

Q = 0.995
SEED = 20260630


def _exp_closed_form(lam: float, d: float) -> tuple[float, float]:
    n = np.arange(1, 400)
    pn = stats.poisson.pmf(n, lam)

    def cdf(x: float) -> float:
        return float(math.exp(-lam) + np.sum(pn * special.gammainc(n, x)))

    var = float(optimize.brentq(lambda x: cdf(x) - Q, 1e-9, 200.0, xtol=1e-12))
    sl = float(np.sum(pn * (n * special.gammaincc(n + 1, d) - d * special.gammaincc(n, d))))
    return var, sl


MODELS: dict[str, dict[str, Any]] = {
    "poisson3_exponential1": {
        "ours": (Poisson(lam=3.0), Exponential(mean=1.0)),
        "gemact": ({"dist": "poisson", "par": {"mu": 3}}, {"dist": "exponential", "par": {"theta": 1}}),
        "top": 40.0,
        "retention": 5.0,
    },
    "negbin_r2_p04_gamma2": {
        "ours": (NegativeBinomial(r=2.0, p=0.4), Gamma(shape=2.0, scale=1.0)),
        "gemact": ({"dist": "nbinom", "par": {"n": 2, "p": 0.4}}, {"dist": "gamma", "par": {"a": 2, "scale": 1}}),
        "top": 120.0,
        "retention": 10.0,
    },
    "poisson3_lognormal01": {
        "ours": (Poisson(lam=3.0), LogNormal(mu=0.0, sigma=1.0)),
        "gemact": ({"dist": "poisson", "par": {"mu": 3}}, {"dist": "lognormal", "par": {"scale": 1, "shape": 1}}),
        "top": 400.0,
        "retention": 10.0,
    },
}


def _reference(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    freq, sev = spec["ours"]
    d = spec["retention"]
    mean, _ = aggregate_moments(freq, sev)
    if name == "poisson3_exponential1":
        var, sl = _exp_closed_form(3.0, d)
        return {"mean": mean, "var": var, "stop_loss": sl, "kind": "closed form"}
    n = 1 << 20
    r = aggregate(freq, sev, method="fft", nodes=n, step=spec["top"] / n, discretization="local_moments")
    s = r.summary(quantiles=(Q,), retentions=(d,))
    return {
        "mean": mean,
        "var": s["var_995"],
        "stop_loss": s["stop_loss"][f"{d:g}"],
        "kind": "FFT 2^20 local moments",
        "var_bracket": s["bracket"]["var_995"],
    }


FFT_REPEAT = 7  # best of 7 on both sides: a 2^20 FFT takes ~50 ms, where scheduler noise is large


def _ours(spec: dict[str, Any], method: str, nodes: int, paths: int) -> dict[str, Any]:
    freq, sev = spec["ours"]
    d = spec["retention"]

    def run() -> Any:
        if method == "mc":
            return aggregate(freq, sev, method="mc", paths=paths, seed=SEED)
        return aggregate(
            freq,
            sev,
            method=method,
            nodes=nodes,
            step=spec["top"] / nodes,
            discretization="local_moments",
            bracket=False,
        )

    res, sec, mem = measure(
        run, repeat=FFT_REPEAT if method == "fft" else 3 if method != "panjer" or nodes <= 4096 else 1
    )
    return {
        "seconds": sec,
        "peak_mb": mem / 2**20,
        "mean": res.central.mean(),
        "var": res.central.quantile(Q),
        "stop_loss": res.central.stop_loss(d),
    }


def _gemact(spec: dict[str, Any], method: str, nodes: int, paths: int) -> dict[str, Any]:
    from gemact import Frequency, LossModel, Severity

    fq, sv = spec["gemact"]
    d = spec["retention"]
    kw: dict[str, Any] = {"aggr_loss_dist_method": {"panjer": "recursion"}.get(method, method), "random_state": SEED}
    if method == "mc":
        kw["n_sim"] = paths
    else:
        kw.update(
            n_aggr_dist_nodes=nodes,
            sev_discr_step=spec["top"] / nodes,
            n_sev_discr_nodes=nodes,
            sev_discr_method="localmoments",
        )

    def run() -> Any:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return LossModel(frequency=Frequency(**fq), severity=Severity(**sv), **kw)

    lm, sec, mem = measure(
        run,
        repeat=FFT_REPEAT if method == "fft" else 1 if method == "mc" or (method == "panjer" and nodes > 4096) else 3,
    )
    dist = lm.dist[0]
    x, p = np.asarray(dist.nodes), np.asarray(dist.pmf)
    return {
        "seconds": sec,
        "peak_mb": mem / 2**20,
        "mean": float(lm.mean()),
        "var": float(lm.ppf(Q)),
        "stop_loss": float(np.maximum(x - d, 0.0) @ p),
        "mass": float(p.sum()),
    }


def _errors(got: dict[str, Any], ref: dict[str, Any]) -> dict[str, float]:
    return {
        "err_mean": abs(got["mean"] - ref["mean"]),
        "err_var995": abs(got["var"] - ref["var"]),
        "err_stop_loss": abs(got["stop_loss"] - ref["stop_loss"]),
    }


def aggregate_cases(gemact_ok: bool) -> None:
    cases = [("fft", 1 << 14), ("fft", 1 << 20), ("panjer", 1 << 12), ("panjer", 1 << 14), ("mc", 1_000_000)]
    for name, spec in MODELS.items():
        ref = _reference(name, spec)
        emit(f"reference/{name}", **ref)
        for method, size in cases:
            nodes = size if method != "mc" else 0
            ours = _ours(spec, method, nodes, size)
            row: dict[str, Any] = {
                "model": name,
                "method": method,
                "nodes_or_paths": size,
                "seconds": round(ours["seconds"], 4),
                "peak_mb": round(ours["peak_mb"], 1),
                **{k: float(f"{v:.3g}") for k, v in _errors(ours, ref).items()},
            }
            if gemact_ok:
                try:
                    peer = _gemact(spec, method, nodes, size)
                    row["gemact_seconds"] = round(peer["seconds"], 4)
                    row["gemact_mass"] = round(peer["mass"], 8)
                    row.update({f"gemact_{k}": float(f"{v:.3g}") for k, v in _errors(peer, ref).items()})
                    row["speedup"] = round(peer["seconds"] / ours["seconds"], 1)
                except Exception as exc:  # a peer failure is a result to report, not a crash
                    row["gemact_error"] = f"{type(exc).__name__}: {exc}"[:200]
            emit(f"aggregate/{name}/{method}", **row)


def fft_target() -> None:
    n = 1 << 20

    def run() -> Any:
        return aggregate(
            Poisson(lam=3.0), LogNormal(mu=0.0, sigma=1.0), method="fft", nodes=n, step=400.0 / n, bracket=False
        )

    _, sec, mem = measure(run, repeat=3)
    emit("fft_2^20_nodes", seconds=round(sec, 4), peak_mb=round(mem / 2**20, 1), target_seconds=0.5)

    def run_bracket() -> Any:
        return aggregate(Poisson(lam=3.0), LogNormal(mu=0.0, sigma=1.0), method="fft", nodes=n, step=400.0 / n)

    _, sec, mem = measure(run_bracket, repeat=1)
    emit("fft_2^20_nodes_with_lower_upper_bracket", seconds=round(sec, 4), peak_mb=round(mem / 2**20, 1))


def forest_portfolio(n: int = 1_000_000) -> None:
    import polars as pl

    from greenfin.insurance import price_forest

    rng = np.random.default_rng(1)
    parcels = pl.DataFrame(
        {
            "parcel_id": np.char.add("P", np.arange(n).astype(str)),
            "area_ha": rng.lognormal(0.7, 0.8, n),
            "species_group": rng.choice(["chinese_fir", "masson_pine", "broadleaf", "bamboo", "oil_tea"], n),
            "forest_category": rng.choice(["public_welfare", "commercial"], n),
        }
    )
    res, sec, mem = measure(lambda: price_forest(parcels), repeat=1)
    emit(
        "forest_portfolio_pricing",
        parcels=n,
        seconds=round(sec, 3),
        peak_mb=round(mem / 2**20, 1),
        target_seconds=10,
        premium_cny=round(res.summary["premium_cny"], 2),
        gross_rate=res.summary["gross_rate"],
    )


def main() -> None:
    logging.disable(logging.CRITICAL)
    emit("machine", **machine(), loadavg=os.getloadavg())
    try:
        import gemact

        gemact_ok = True
        emit("peer", gemact=gemact.__version__)
    except Exception as exc:
        gemact_ok = False
        emit("peer", gemact=f"not installed: {exc}")
    which = sys.argv[1:] or ["fft", "aggregate", "forest"]
    if "fft" in which:
        fft_target()
    if "aggregate" in which:
        aggregate_cases(gemact_ok)
    if "forest" in which:
        forest_portfolio()


if __name__ == "__main__":
    main()
