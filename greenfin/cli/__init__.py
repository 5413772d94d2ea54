"""The ``greenfin`` command: one sub-command group per domain, plus ``demo`` and ``version``.

Each ``greenfin/cli/<name>.py`` (not starting with ``_``) defines ``NAME`` and a typer ``app`` and is
registered here automatically. Command modules import heavy libraries inside the command functions so
that ``greenfin --help`` stays fast. A user mistake prints one line and exits 2, never a traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from greenfin.cli._common import emit, err_console, progress_bar
from greenfin.errors import GreenfinError

__all__ = ["app", "main"]

app = typer.Typer(
    name="greenfin",
    help="Green-finance risk and product engine for Jiangxi eco-product value realisation (生态产品价值实现).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def version(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Print greenfin's version and the versions of the libraries it computes with."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    import greenfin
    from greenfin.dates import calendar_coverage

    libs = {}
    for name in (
        "numpy",
        "polars",
        "pandas",
        "scikit-learn",
        "lightgbm",
        "QuantLib",
        "pydantic",
        "SQLAlchemy",
    ):
        try:
            libs[name] = dist_version(name)
        except PackageNotFoundError:
            libs[name] = "not installed"
    first, last = calendar_coverage()
    result = {
        "greenfin": greenfin.__version__,
        "python": sys.version.split()[0],
        **libs,
        "holiday_table": f"CN-IB {first}-{last}",
    }
    emit(result, as_json=as_json, title="greenfin version")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Report folder (replaced if it exists).")] = Path(
        "greenfin-demo-report"
    ),
    seed: Annotated[int, typer.Option(help="Seed of every random draw.")] = 20260630,
    as_of: Annotated[str, typer.Option("--as-of", help="Valuation date YYYY-MM-DD.")] = "2026-06-30",
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this stage (repeatable), e.g. --only gep.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary instead of tables.")] = False,
) -> None:
    """Run the whole chain on the bundled sample Jiangxi county and write a report folder.

    The folder holds index.html (with plots), report.xlsx, tables/ (CSV and Parquet) and plots/.
    """
    from greenfin.dates import parse_date
    from greenfin.report.demo import demo_stages, run_demo

    as_of_date = parse_date(as_of, field="--as-of")
    keys = [m.KEY for m in demo_stages()]
    unknown = sorted(set(only or ()) - set(keys))
    if unknown:
        raise GreenfinError(f"Unknown stage(s) {unknown} for --only; stages: {', '.join(keys)}.")
    start = time.perf_counter()
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("Starting · 开始", total=len(only or keys) + 1)

        def step(key: str, label: str, index: int, total: int) -> None:
            bar.update(task, completed=index, description=f"{label}")

        result = run_demo(out, seed=seed, as_of=as_of_date, only=tuple(only or ()), progress=step)
        bar.update(task, completed=len(only or keys) + 1, description="Done · 完成")
    elapsed = time.perf_counter() - start
    summary: dict[str, object] = {
        "report": str(result.out_dir / "index.html"),
        "workbook": str(result.out_dir / "report.xlsx"),
        "seconds": round(elapsed, 2),
    }
    for section in result.sections:
        for kf in section.key_figures[:4]:
            summary[f"{section.key}: {kf.label_en}"] = kf.value
    emit(summary, as_json=as_json, title="greenfin demo · 示例")


def _register_groups() -> None:
    import greenfin.cli as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"greenfin.cli.{info.name}")
        app.add_typer(module.app, name=module.NAME)


_register_groups()


def main() -> None:
    """Entry point of the ``greenfin`` command: run the app, turning greenfin errors into one clear line."""
    try:
        app()
    except GreenfinError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        err_console.print(f"[bold red]error:[/] {exc.strerror}: {exc.filename}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing was written for the step in progress.")
        raise SystemExit(130) from None
