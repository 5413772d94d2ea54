"""One record per call: the library calls behind the API's hot routes, single-record path vs one-row table.

Run: ``python -m benchmarks.single [--calls 200] [--repeats 5]``. For each case, the best of ``repeats``
runs of ``calls`` calls, as microseconds per call, and the ratio table path / record path:

* ``value_right``: ``greenfin.collateral.assess_collateral`` on a one-row table vs ``assess_right``;
* ``score_borrower``: ``greenfin.scoring.score_frame`` on a one-row table vs ``score_record``, for a
  scorecard and a boosted model fitted on the bundled county borrowers.

Both paths give the same result (tests/collateral/test_assess_right.py, tests/scoring/test_score_record.py).
No peer: the question is what one request costs greenfin itself. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import time
from collections.abc import Callable
from typing import Any

import polars as pl

from benchmarks._harness import emit, machine
from greenfin.collateral import assess_collateral, assess_right
from greenfin.datasets import load_sample
from greenfin.scoring import BoostedPD, Scorecard, score_frame, score_record

AS_OF = dt.date(2026, 6, 30)
WATER = {
    "right_id": "W1",
    "borrower_id": "B1",
    "right_type": "water_right",
    "term_end": dt.date(2035, 12, 31),
    "permit_quantity_per_year": 1.36e8,
    "unit_price_cny": 0.15,
    "registry": "movable_unified",
}
FOREST = {
    "right_id": "F1",
    "borrower_id": "B1",
    "right_type": "forest_right",
    "term_end": dt.date(2056, 12, 31),
    "area_ha": 12.0,
    "species_group": "chinese_fir",
    "stand_age_years": 14.0,
    "registry": "real_estate",
    "insured": True,
    "loan_cny": 150_000.0,
}


def _assess_table(right: dict[str, Any]) -> pl.DataFrame:
    return assess_collateral(pl.DataFrame([right]), as_of=AS_OF, on_refusal="flag")


def _score_table(model: Any, record: dict[str, Any]) -> pl.DataFrame:
    return score_frame(model, pl.DataFrame([record]))


def _best_us(fn: Callable[[], Any], calls: int, repeats: int) -> float:
    fn()  # warm caches (parameter tables, schemas)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best * 1e6


def _case(name: str, table: Callable[[], Any], record: Callable[[], Any], calls: int, repeats: int) -> None:
    table_us = _best_us(table, calls, repeats)
    record_us = _best_us(record, calls, repeats)
    emit(name, calls=calls, repeats=repeats, table_us=round(table_us, 1), record_us=round(record_us, 1),
         ratio=round(table_us / record_us, 1))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="Calls per timed run.")
    parser.add_argument("--repeats", type=int, default=5, help="Timed runs; the best is reported.")
    args = parser.parse_args()
    if not (1 <= args.calls <= 10_000 and 1 <= args.repeats <= 50):
        raise SystemExit("keep 1 <= --calls <= 10000 and 1 <= --repeats <= 50")
    emit("machine", **machine())
    for label, right in (("water", WATER), ("forest", FOREST)):
        _case(
            f"value_right.{label}",
            functools.partial(_assess_table, right),
            functools.partial(assess_right, right, as_of=AS_OF, on_refusal="flag"),
            args.calls,
            args.repeats,
        )
    borrowers = load_sample("county_borrowers")
    features = ["past_delinquencies", "eco_points"]
    x, y = borrowers.select(features), borrowers["default_flag"]
    record = x.row(0, named=True)
    models: tuple[tuple[str, Any], ...] = (
        ("scorecard", Scorecard().fit(x, y)),
        ("boosted", BoostedPD(random_state=0).fit(x, y)),
    )
    for label, model in models:
        _case(
            f"score_borrower.{label}",
            functools.partial(_score_table, model, record),
            functools.partial(score_record, model, record),
            args.calls,
            args.repeats,
        )


if __name__ == "__main__":
    main()
