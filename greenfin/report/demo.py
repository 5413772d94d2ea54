"""The main job: run every stage on the bundled sample county and write one report.

Stages live in :mod:`greenfin.report.stages`, one module per domain, each with ``ORDER`` (int),
``KEY``, ``LABEL`` and ``run(ctx: DemoContext) -> Section``. Later stages read what earlier ones left
in ``ctx.results`` (e.g. lending reads the scores; insurance reads the pledged forest parcels).
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import greenfin.report.stages as stages_pkg
from greenfin._typing import PathLikeStr
from greenfin.report._model import Report, Section
from greenfin.report._writer import write_report

__all__ = ["DEMO_AS_OF", "DEMO_SEED", "DemoContext", "DemoResult", "demo_stages", "run_demo"]

DEMO_AS_OF = dt.date(2026, 6, 30)
"""Valuation date of the bundled sample (the sample's accounts are for calendar year 2025)."""

DEMO_SEED = 20260630
"""Seed of every random draw in the demo."""

ProgressCallback = Callable[[str, str, int, int], None]


@dataclass
class DemoContext:
    """What the demo stages share.

    Parameters
    ----------
    as_of : datetime.date
        Valuation date.
    seed : int
        Seed for every random draw.
    results : dict
        Results left by earlier stages, keyed by stage key.
    timings : dict
        Seconds per stage.
    """

    as_of: dt.date = DEMO_AS_OF
    seed: int = DEMO_SEED
    results: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced.

    Parameters
    ----------
    out_dir : pathlib.Path
        The report folder.
    sections : tuple of Section
        The report's sections.
    timings : dict
        Seconds per stage.
    """

    out_dir: Path
    sections: tuple[Section, ...]
    timings: dict[str, float]


def demo_stages() -> list[ModuleType]:
    """The stage modules, in run order.

    Returns
    -------
    list of module
        Modules with ``ORDER``, ``KEY``, ``LABEL`` and ``run``.
    """
    modules = [
        importlib.import_module(f"{stages_pkg.__name__}.{info.name}")
        for info in pkgutil.iter_modules(stages_pkg.__path__)
        if not info.name.startswith("_")
    ]
    return sorted(modules, key=lambda m: int(m.ORDER))


def run_demo(
    out_dir: PathLikeStr,
    *,
    as_of: dt.date = DEMO_AS_OF,
    seed: int = DEMO_SEED,
    only: tuple[str, ...] = (),
    progress: ProgressCallback | None = None,
) -> DemoResult:
    """Run the chain on the bundled sample county and write the report folder.

    Parameters
    ----------
    out_dir : str or path-like
        Report folder (replaced if it exists, only once every stage has succeeded).
    as_of : datetime.date
        Valuation date.
    seed : int
        Seed for every random draw.
    only : tuple of str
        Run only these stage keys (and nothing that needs a skipped stage's results).
    progress : callable or None
        Called as ``progress(key, label, index, total)`` before each stage.

    Returns
    -------
    DemoResult
        The folder, sections and timings.
    """
    from greenfin import __version__

    ctx = DemoContext(as_of=as_of, seed=seed)
    modules = [m for m in demo_stages() if not only or m.KEY in only]
    sections: list[Section] = []
    for i, module in enumerate(modules):
        if progress is not None:
            progress(module.KEY, module.LABEL, i, len(modules))
        start = time.perf_counter()
        section = module.run(ctx)
        ctx.timings[module.KEY] = time.perf_counter() - start
        sections.append(section)
    if progress is not None:
        progress("report", "Writing the report · 生成报告", len(modules), len(modules))
    report = Report(
        title_en="greenfin demo: sample Jiangxi county",
        title_zh="greenfin 示例：江西样本县",
        sections=tuple(sections),
        meta={
            "as_of 估值日": as_of.isoformat(),
            "seed 随机种子": seed,
            "greenfin": __version__,
            "python": platform.python_version(),
            "stages 环节": ", ".join(f"{k} ({v:.2f} s)" for k, v in ctx.timings.items()),
            "data 数据": "synthetic sample county from greenfin.datasets generators (合成数据, not real data)",
        },
    )
    path = write_report(report, out_dir)
    return DemoResult(path, tuple(sections), dict(ctx.timings))
