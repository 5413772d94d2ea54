"""Typed column access to validated rights, from a polars table (a portfolio) or from records (one request).

The valuation and haircut kernels read their inputs through :class:`Columns` as numpy arrays, so one code
path serves both a million-right portfolio (:class:`FrameColumns`, a few polars conversions) and a single
API request (:class:`RecordColumns`, plain Python, no polars query: each polars query costs ~0.1 ms, and a
one-right assessment used to run thirty of them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import polars as pl

from greenfin._typing import BoolArray, FloatArray

__all__ = ["Columns", "FrameColumns", "RecordColumns", "codes"]

SMALL = 64
"""Up to this many rows a string column is coded by a dict lookup rather than a polars query."""


def codes(series: pl.Series, names: Mapping[str, int]) -> np.ndarray:
    """Integer codes of a string column (-1 for null or unknown): a dict lookup for a few rows, else polars.

    Parameters
    ----------
    series : polars.Series
        Strings.
    names : Mapping
        Code of each name.

    Returns
    -------
    numpy.ndarray
        int16 codes.
    """
    if series.len() <= SMALL:  # a few rows (one API request): a dict lookup beats building a polars query
        values = series.cast(pl.String).to_list()
        return np.fromiter((names.get(v, -1) if v is not None else -1 for v in values), dtype=np.int16)
    out = series.replace_strict(dict(names), default=-1, return_dtype=pl.Int16).fill_null(-1)
    return np.asarray(out.to_numpy(), dtype=np.int16)


class Columns(Protocol):
    """Read-only typed columns of a validated rights table (every column of ``RIGHTS_COLUMNS`` present)."""

    height: int

    def num(self, name: str) -> FloatArray:
        """A numeric column as float64 (NaN where missing)."""
        ...

    def flag(self, name: str) -> BoolArray:
        """A boolean column (missing reads as False)."""
        ...

    def present(self, name: str) -> BoolArray:
        """Where a column holds a value."""
        ...

    def code(self, name: str, names: Mapping[str, int], fill: str | None = None) -> np.ndarray:
        """Integer codes of a text column (``fill`` replaces missing; -1 for missing or unknown)."""
        ...

    def labels(self, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
        """Codes of a text column against its own sorted distinct values (-1 where missing)."""
        ...

    def days_from(self, name: str, as_of: dt.date) -> FloatArray:
        """Days from ``as_of`` to each date of a date column."""
        ...

    def value(self, name: str, row: int) -> Any:
        """One value, as a Python object (for messages)."""
        ...


class FrameColumns:
    """:class:`Columns` over a validated polars table.

    Parameters
    ----------
    frame : polars.DataFrame
        Output of ``validate_rights``.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self.height = frame.height

    def num(self, name: str) -> FloatArray:
        """A numeric column as float64 (NaN where missing)."""
        return np.asarray(self.frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)

    def flag(self, name: str) -> BoolArray:
        """A boolean column (missing reads as False)."""
        return np.asarray(self.frame[name].fill_null(False).to_numpy(), dtype=bool)

    def present(self, name: str) -> BoolArray:
        """Where a column holds a value."""
        return np.asarray(self.frame[name].is_not_null().to_numpy(), dtype=bool)

    def code(self, name: str, names: Mapping[str, int], fill: str | None = None) -> np.ndarray:
        """Integer codes of a text column (``fill`` replaces missing; -1 for missing or unknown)."""
        series = self.frame[name].cast(pl.String)
        return codes(series if fill is None else series.fill_null(fill), names)

    def labels(self, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
        """Codes of a text column against its own sorted distinct values (-1 where missing)."""
        distinct = tuple(sorted(str(v) for v in self.frame[name].drop_nulls().unique().to_list()))
        return self.code(name, {v: i for i, v in enumerate(distinct)}), distinct

    def days_from(self, name: str, as_of: dt.date) -> FloatArray:
        """Days from ``as_of`` to each date of a date column."""
        ends = self.frame[name].cast(pl.Date).to_numpy().astype("datetime64[D]")
        return np.asarray((ends - np.datetime64(as_of, "D")).astype(np.float64), dtype=np.float64)

    def value(self, name: str, row: int) -> Any:
        """One value, as a Python object (for messages)."""
        return self.frame[name][row]


class RecordColumns:
    """:class:`Columns` over validated records (dicts with every column present, typed).

    Parameters
    ----------
    records : sequence of Mapping
        Validated rights (``validate_record`` output), one mapping per right.
    """

    def __init__(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.records = records
        self.height = len(records)

    def _values(self, name: str) -> list[Any]:
        return [r.get(name) for r in self.records]

    def num(self, name: str) -> FloatArray:
        """A numeric column as float64 (NaN where missing)."""
        return np.array([np.nan if v is None else float(v) for v in self._values(name)], dtype=np.float64)

    def flag(self, name: str) -> BoolArray:
        """A boolean column (missing reads as False)."""
        return np.array([bool(v) for v in self._values(name)], dtype=bool)

    def present(self, name: str) -> BoolArray:
        """Where a column holds a value."""
        return np.array([v is not None for v in self._values(name)], dtype=bool)

    def code(self, name: str, names: Mapping[str, int], fill: str | None = None) -> np.ndarray:
        """Integer codes of a text column (``fill`` replaces missing; -1 for missing or unknown)."""
        values = [fill if v is None else v for v in self._values(name)]
        return np.array([names.get(v, -1) if v is not None else -1 for v in values], dtype=np.int16)

    def labels(self, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
        """Codes of a text column against its own sorted distinct values (-1 where missing)."""
        distinct = tuple(sorted({str(v) for v in self._values(name) if v is not None}))
        return self.code(name, {v: i for i, v in enumerate(distinct)}), distinct

    def days_from(self, name: str, as_of: dt.date) -> FloatArray:
        """Days from ``as_of`` to each date of a date column."""
        return np.array([float((d - as_of).days) for d in self._values(name)], dtype=np.float64)

    def value(self, name: str, row: int) -> Any:
        """One value, as a Python object (for messages)."""
        return self.records[row].get(name)
