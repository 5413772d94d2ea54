"""Securitization benchmarks: loan-level SF projection, Monte Carlo waterfall, schedules vs QuantLib.

Run: ``python -m benchmarks.securitization``. One JSON line per case (seconds, peak memory, sizes; for the
QuantLib peer its time in the same run and the ratio).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
import polars as pl

from benchmarks._harness import emit, machine, measure
from greenfin import _quantlib
from greenfin.datasets import load_sample
from greenfin.securitization import (
    DefaultSpec,
    PoolAssumptions,
    PrepaySpec,
    load_deal,
    monte_carlo_el,
    project_pool,
    scheduled_factor,
)


def _cpu(fn: Any) -> float:
    """CPU seconds of one call (less sensitive than wall time to other processes on a shared machine)."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def _tape(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "balance_cny": rng.uniform(5e4, 2e6, n),
            "gross_rate": rng.uniform(0.03, 0.08, n),
            "net_rate": rng.uniform(0.025, 0.03, n),
            "original_term_months": np.full(n, 360),
            "remaining_term_months": rng.integers(240, 361, n),
        }
    )


def bench_pool(n: int = 100_000) -> None:
    tape = _tape(n)
    a = PoolAssumptions(
        prepay=PrepaySpec(kind="psa", value=150.0),
        default=DefaultSpec(kind="sda", value=100.0),
        lag_months=12,
        severity=0.35,
        advancing=True,
    )
    out, seconds, peak = measure(lambda: project_pool(tape, a), repeat=3)
    assert isinstance(out, pl.DataFrame)
    emit(
        "pool_loan_level_sf_recursion",
        loans=n,
        months=out.height,
        seconds=round(seconds, 3),
        cpu_seconds=round(_cpu(lambda: project_pool(tape, a)), 3),
        peak_mb=round(peak / 2**20, 1),
        target_seconds=2.0,
    )


def _four_tranche_deal() -> Any:
    raw: dict[str, Any] = load_sample("deal_eco_loans")
    raw["name"] = "benchmark 4-tranche monthly deal"
    raw["payment_frequency_months"] = 1
    raw["first_payment_date"] = "2026-08-26"
    raw["collateral"]["lines"] = [
        {
            "balance_cny": 1.2e8,
            "gross_rate": 0.055,
            "net_rate": 0.052,
            "original_term_months": 120,
            "remaining_term_months": 120,
            "amortisation": "level",
        },
        {
            "balance_cny": 0.8e8,
            "gross_rate": 0.05,
            "net_rate": 0.047,
            "original_term_months": 60,
            "remaining_term_months": 54,
            "amortisation": "equal_principal",
        },
        {
            "balance_cny": 0.5e8,
            "gross_rate": 0.06,
            "net_rate": 0.057,
            "original_term_months": 36,
            "remaining_term_months": 30,
            "amortisation": "level",
        },
        {
            "balance_cny": 0.3e8,
            "gross_rate": 0.045,
            "net_rate": 0.042,
            "original_term_months": 120,
            "remaining_term_months": 110,
            "amortisation": "seasonal",
        },
    ]
    pool = 2.8e8
    sizes = {"A": 0.75, "B": 0.08, "C": 0.05, "Sub": 0.12}
    tranches = []
    for name, share in sizes.items():
        kind = {"A": "senior", "B": "mezzanine", "C": "mezzanine", "Sub": "subordinated"}[name]
        t = {
            "name": name,
            "kind": kind,
            "balance_cny": pool * share,
            "coupon": {"A": 0.028, "B": 0.034, "C": 0.04, "Sub": 0.0}[name],
            "legal_final_period": 120,
        }
        if name == "Sub":
            t["retained_cny"] = pool * share
        tranches.append(t)
    raw["tranches"] = tranches
    raw["initial_pool_cny"] = pool
    for state in raw["waterfalls"].values():
        for step in state:
            if step["kind"] == "pay_interest" and step["tranches"] == ["B"]:
                step["tranches"] = ["B", "C"]
            if step["kind"] == "pay_principal":
                step["tranches"] = (
                    ["A", "B", "C", "Sub"]
                    if step["tranches"][0] == "A" and len(step["tranches"]) > 1
                    else (["B", "C", "Sub"] if step["tranches"][0] == "B" else step["tranches"])
                )
    return load_deal(raw)


def bench_monte_carlo(n: int = 10_000) -> None:
    spec = _four_tranche_deal()
    el, seconds, peak = measure(lambda: monte_carlo_el(spec, n_scenarios=n, seed=1), repeat=1)
    emit(
        "deal_monte_carlo_4_tranches_triggers_reserve",
        scenarios=n,
        periods=120,
        tranches=len(spec.tranches),
        triggers=len(spec.triggers),
        seconds=round(seconds, 3),
        cpu_seconds=round(_cpu(lambda: monte_carlo_el(spec, n_scenarios=n, seed=1)), 3),
        peak_mb=round(peak / 2**20, 1),
        target_seconds=10.0,
        expected_loss={r["tranche"]: round(r["expected_loss_share"], 6) for r in el.iter_rows(named=True)},
    )


def bench_schedules_vs_quantlib(n: int = 2000) -> None:
    rng = np.random.default_rng(3)
    rates = rng.uniform(0.03, 0.08, n)
    term = 360
    ages = np.arange(1, term + 1)

    def ours() -> np.ndarray:
        out: np.ndarray = 100.0 * scheduled_factor(ages[None, :], np.full((n, 1), term), rates[:, None])
        return out

    def peer() -> np.ndarray:
        start = dt.date(2026, 1, 1)
        return np.array([_quantlib.amortizing_bond_balances(100.0, float(r), term, start) for r in rates])

    a, t_ours, m_ours = measure(ours, repeat=3)
    b, t_ql, m_ql = measure(peer, repeat=1)
    emit(
        "per_loan_schedules_vs_quantlib_amortizing_fixed_rate_bond",
        loans=n,
        months=term,
        greenfin_seconds=round(t_ours, 4),
        quantlib_seconds=round(t_ql, 3),
        quantlib_version=_quantlib.ql_version(),
        ratio_quantlib_over_greenfin=round(t_ql / t_ours, 1),
        max_abs_diff_per_100=float(np.max(np.abs(a - b))),
        greenfin_peak_mb=round(m_ours / 2**20, 1),
        quantlib_peak_mb=round(m_ql / 2**20, 1),
    )


def main() -> None:
    emit("machine", **machine())
    bench_pool()
    bench_monte_carlo()
    bench_schedules_vs_quantlib()


if __name__ == "__main__":
    main()
