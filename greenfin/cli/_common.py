"""What every command shares: JSON output, rich tables, error handling, progress bars."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["console", "emit", "err_console", "progress_bar", "to_jsonable"]

console = Console()
err_console = Console(stderr=True)


def to_jsonable(obj: Any) -> Any:
    """Convert results (dates, paths, numpy scalars, polars frames, NaN) into JSON-ready values.

    Parameters
    ----------
    obj : Any
        The result.

    Returns
    -------
    Any
        Plain dicts, lists, strings, numbers and None.
    """
    import numpy as np
    import polars as pl

    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, pl.DataFrame):
        return to_jsonable(obj.to_dicts())
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dt.date | Path):
        return str(obj)
    if hasattr(obj, "model_dump"):
        return to_jsonable(obj.model_dump(mode="json"))
    return obj


def emit(result: Mapping[str, Any], *, as_json: bool, title: str = "") -> None:
    """Print a result: JSON on stdout with ``--json``, else a two-column rich table.

    Parameters
    ----------
    result : mapping
        Flat or nested result.
    as_json : bool
        Machine-readable output.
    title : str
        Table title for humans.
    """
    if as_json:
        typer.echo(json.dumps(to_jsonable(result), ensure_ascii=False, indent=2))
        return
    table = Table(title=title or None, show_header=False)
    table.add_column("item", style="bold")
    table.add_column("value")
    for key, value in result.items():
        shown = to_jsonable(value)
        if isinstance(shown, float):
            text = f"{shown:,.6g}"
        elif isinstance(shown, dict | list):
            text = json.dumps(shown, ensure_ascii=False)[:200]
        else:
            text = str(shown)
        table.add_row(str(key), text)
    console.print(table)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Progress]:
    """A rich progress bar on stderr (silent when ``enabled`` is False, e.g. with ``--json``).

    Parameters
    ----------
    enabled : bool
        Show the bar.

    Yields
    ------
    rich.progress.Progress
        The progress object.
    """
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=not enabled,
        transient=False,
    )
    with progress:
        yield progress
