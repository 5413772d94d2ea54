"""Lending benchmarks: decide 100,000 applications; fund Monte Carlo of 100,000 loans × 10,000 scenarios.

Run: ``python -m benchmarks.lending [--quick]``. Targets from issue 5: decide in under 20 s; the fund
simulation in under 30 s (scenarios drawn in chunks of 100, so memory stays bounded). No peer library
does 生态信贷通 underwriting or a fund copula, so there is no peer case.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from benchmarks._harness import emit, machine, measure
from greenfin import evolve
from greenfin.datasets import load_sample
from greenfin.lending import approved_loans, decide, load_fund_spec, loan_schedules, simulate_fund

AS_OF = dt.date(2026, 6, 30)


def applications(n: int) -> pl.DataFrame:
    """The 4,000-row sample tiled to ``n`` rows with fresh application ids."""
    base = load_sample("county_applications")
    reps = -(-n // base.height)
    big = pl.concat([base] * reps).head(n)
    return big.with_columns(pl.Series("application_id", [f"A{i:07d}" for i in range(n)]))


def portfolio(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "loan_id": [f"L{i:07d}" for i in range(n)],
            "ead_cny": rng.lognormal(np.log(2e5), 0.6, n),
            "pd": np.clip(rng.lognormal(np.log(0.03), 0.6, n), 1e-4, 0.5),
            "lgd": rng.uniform(0.2, 0.6, n),
            "county_id": rng.choice([f"3699{i:02d}" for i in range(1, 11)], n),
            "sector": rng.choice(["rice", "tea", "oil_tea", "navel_orange", "hogs", "forestry"], n),
        }
    )


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float, int, float]:
    """measure() plus the process CPU seconds of the last run (the machine is shared: CPU time is steadier)."""
    cpu: list[float] = []

    def wrapped() -> Any:
        start = time.process_time()
        out = fn()
        cpu.append(time.process_time() - start)
        return out

    result, seconds, peak = measure(wrapped, repeat=repeat)
    return result, seconds, peak, cpu[-1]


def main(quick: bool = False) -> None:
    emit("machine", **machine())
    n_apps = 10_000 if quick else 100_000
    apps = applications(n_apps)
    decisions, seconds, peak, cpu = timed(lambda: decide(apps, as_of=AS_OF), repeat=1 if quick else 2)
    emit(
        "decide",
        applications=n_apps,
        seconds=round(seconds, 3),
        cpu_seconds=round(cpu, 3),
        per_second=round(n_apps / seconds),
        peak_mib=round(peak / 2**20, 1),
        approved=int((decisions["outcome"] == "approve").sum()),
        target_seconds=20,
    )
    loans = approved_loans(decisions)
    _, seconds, peak = measure(lambda: loan_schedules(loans, start=AS_OF, method="annuity"))
    emit("schedules", loans=loans.height, seconds=round(seconds, 3), peak_mib=round(peak / 2**20, 1))

    n_loans, n_scen = (10_000, 1_000) if quick else (100_000, 10_000)
    spec = load_fund_spec(load_sample("fund_spec"))
    one_year = evolve(spec, horizon_years=1)
    book = portfolio(n_loans)
    result, seconds, peak, cpu = timed(lambda: simulate_fund(book, one_year, n_scenarios=n_scen, seed=20260630))
    emit(
        "fund_monte_carlo",
        loans=n_loans,
        scenarios=n_scen,
        horizon_years=1,
        chunk_scenarios=100,
        seconds=round(seconds, 3),
        cpu_seconds=round(cpu, 3),
        threads=2,
        loan_scenarios_per_second=round(n_loans * n_scen / seconds),
        peak_mib=round(peak / 2**20, 1),
        expected_loss_cny=round(result.summary["expected_loss_cny"]),
        target_seconds=30,
    )


if __name__ == "__main__":
    emit("load_average", one_minute=__import__("os").getloadavg()[0])
    main(quick="--quick" in sys.argv)
