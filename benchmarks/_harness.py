"""Timing and peak-memory helpers shared by the benchmark scripts (not tests: nothing here asserts)."""

from __future__ import annotations

import gc
import json
import platform
import resource
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["emit", "machine", "measure"]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def measure(fn: Callable[[], Any], *, repeat: int = 1) -> tuple[Any, float, int]:
    """Run ``fn`` ``repeat`` times; return (last result, best seconds, peak RSS increase in bytes).

    Peak memory is sampled every 5 ms from /proc (it covers numpy, polars and LightGBM allocations,
    which tracemalloc misses).
    """
    best = float("inf")
    result: Any = None
    peak_delta = 0
    for _ in range(repeat):
        gc.collect()
        base = _rss_bytes()
        peak = [base]
        stop = threading.Event()

        def sample(peak: list[int] = peak, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_bytes())
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
        peak[0] = max(peak[0], _rss_bytes())
        best = min(best, elapsed)
        peak_delta = max(peak_delta, peak[0] - base)
    return result, best, peak_delta


def machine() -> dict[str, Any]:
    """Facts about this machine for the record."""
    import os

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def emit(case: str, **fields: Any) -> None:
    """Print one JSON line for a benchmark case."""
    print(json.dumps({"case": case, **fields}, ensure_ascii=False, default=str), flush=True)
