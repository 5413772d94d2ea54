"""Collateral benchmark: value, haircut and stress one million rights of every type.

Run: ``python -m benchmarks.collateral [n_rights]``. One JSON line per case (rows, seconds, peak memory).
No peer: no installable open-source library values eco-product rights.
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
from greenfin.collateral import RIGHT_TYPES, assess_collateral, list_scenarios, stress_collateral
from greenfin.datasets import load_sample

AS_OF = dt.date(2026, 6, 30)
SPECIES = ("chinese_fir", "masson_pine", "broadleaf", "bamboo", "oil_tea")


def portfolio(n: int, seed: int = 7) -> pl.DataFrame:
    """A synthetic portfolio of ``n`` rights, all types mixed, every type's columns filled."""
    rng = np.random.default_rng(seed)
    days = rng.integers(200, 40 * 365, size=n)
    return pl.DataFrame(
        {
            "right_id": pl.int_range(n, eager=True).cast(pl.String),
            "borrower_id": pl.Series(rng.integers(1, 100_000, size=n)).cast(pl.String),
            "right_type": pl.Series(np.asarray(RIGHT_TYPES)[rng.integers(0, len(RIGHT_TYPES), size=n)]),
            "term_end": pl.Series(np.datetime64(AS_OF, "D") + days.astype("timedelta64[D]")),
            "registry": pl.Series(np.asarray(["real_estate", "movable_unified", "none"])[rng.integers(0, 3, n)]),
            "policy_tier": pl.Series(np.asarray(["normal", "exchange"])[rng.integers(0, 2, n)]),
            "insured": rng.random(n) < 0.5,
            "storage_agency": rng.random(n) < 0.3,
            "area_ha": rng.uniform(0.5, 20.0, n),
            "species_group": pl.Series(np.asarray(SPECIES)[rng.integers(0, 5, n)]),
            "stand_age_years": rng.uniform(1.0, 60.0, n).round(0),
            "allowance_tco2e": rng.uniform(1e3, 1e5, n),
            "price_series": ["cea"] * n,
            "permit_quantity_per_year": rng.uniform(10.0, 1e6, n),
            "unit_price_cny": rng.uniform(0.1, 100.0, n),
            "rent_cny_per_ha_per_year": rng.uniform(5000.0, 12000.0, n),
            "transferred": rng.random(n) < 0.5,
            "realisable_cash_flow_cny_per_year": rng.uniform(1e4, 1e6, n),
            "visitors_per_year": rng.uniform(1e3, 1e6, n),
            "ticket_price_cny": rng.uniform(10.0, 100.0, n),
        }
    ).with_columns(
        pl.when(pl.col("right_type") == "carbon_allowance")
        .then(None)
        .otherwise(pl.col("unit_price_cny"))
        .alias("unit_price_cny")
    )


def timed(fn: Callable[[], Any]) -> tuple[Any, float, int, float]:
    """measure() plus the process CPU seconds (all threads): wall time is noisy on a shared machine."""
    start = time.process_time()
    result, seconds, peak = measure(fn)
    return result, seconds, peak, time.process_time() - start


def main(n: int) -> None:
    rights = portfolio(n)
    prices = load_sample("cea_prices")
    emit("machine", **machine())

    def value() -> pl.DataFrame:
        return assess_collateral(rights, as_of=AS_OF, prices=prices, on_refusal="flag")

    assessed, seconds, peak, cpu = timed(value)
    emit("value+haircut", rows=n, seconds=round(seconds, 3), cpu_seconds=round(cpu, 3), peak_mib=round(peak / 2**20, 1))

    def stress_all() -> int:
        return sum(int(stress_collateral(assessed, name).loans["breach"].sum()) for name in list_scenarios())

    breaches, seconds_s, peak_s, cpu_s = timed(stress_all)
    emit(
        "stress x4 scenarios",
        rows=n,
        seconds=round(seconds_s, 3),
        cpu_seconds=round(cpu_s, 3),
        peak_mib=round(peak_s / 2**20, 1),
        breaches=breaches,
    )

    def both() -> int:
        out = assess_collateral(rights, as_of=AS_OF, prices=prices, on_refusal="flag")
        return int(stress_collateral(out, "cea-2024-25").loans.height)

    _, seconds_b, peak_b, cpu_b = timed(both)
    emit(
        "value+stress (one scenario)",
        rows=n,
        seconds=round(seconds_b, 3),
        cpu_seconds=round(cpu_b, 3),
        peak_mib=round(peak_b / 2**20, 1),
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
