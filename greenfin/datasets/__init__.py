"""Bundled sample data: a synthetic Jiangxi county and the reference data sets the tests use.

Every sample is small, documented (``data/<name>.md``) and made by a seeded generator in this package
(``_gen_<domain>.py``); ``python scripts/make_samples.py`` writes them all again, and a test checks the
shipped files equal the generators' output. Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from greenfin.errors import SpecError

__all__ = ["describe_sample", "list_samples", "load_sample", "sample_path"]

_SUFFIXES = (".parquet", ".csv", ".json")


def _data_dir() -> Path:
    return Path(str(resources.files("greenfin.datasets").joinpath("data")))


def list_samples() -> tuple[str, ...]:
    """Names of the bundled samples.

    Returns
    -------
    tuple of str
        Sorted sample names.
    """
    names = {p.stem for p in _data_dir().iterdir() if p.suffix in _SUFFIXES}
    return tuple(sorted(names))


def sample_path(name: str) -> Path:
    """Path of a bundled sample file (to pass to a command that reads files).

    Parameters
    ----------
    name : str
        Sample name, see :func:`list_samples`.

    Returns
    -------
    pathlib.Path
        The file.

    Raises
    ------
    SpecError
        If no sample has that name.
    """
    for suffix in _SUFFIXES:
        candidate = _data_dir() / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    raise SpecError(f"No bundled sample {name!r}; available: {', '.join(list_samples()) or '(none)'}.")


def load_sample(name: str) -> Any:
    """Load a bundled sample: a polars DataFrame for tables, a dict for JSON specs.

    Parameters
    ----------
    name : str
        Sample name, see :func:`list_samples`.

    Returns
    -------
    polars.DataFrame or dict
        The sample.

    Raises
    ------
    SpecError
        If no sample has that name.
    """
    path = sample_path(name)
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema_length=None)
    return json.loads(path.read_text(encoding="utf-8"))


def describe_sample(name: str) -> str:
    """The documentation of a sample (what it is, how it was made, licence and attribution).

    Parameters
    ----------
    name : str
        Sample name.

    Returns
    -------
    str
        Markdown text, or a note that none is written.
    """
    sample_path(name)
    doc = _data_dir() / f"{name}.md"
    return doc.read_text(encoding="utf-8") if doc.is_file() else f"{name}: no description written yet."
