"""Input handling shared by the estimators: numpy, pandas or polars ``X`` to named columns; binary ``y``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import polars as pl
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from greenfin._typing import BoolArray, FloatArray
from greenfin.errors import DataError

Column: TypeAlias = "FloatArray | pl.Series"
"""A numeric column (float64, NaN = missing) or a categorical one (polars String, null = missing)."""

SMALL_ROWS = 64
"""Inputs of at most this many rows take the per-row Python branch of the scoring path.

A polars query has a fixed cost of about 0.1 ms, which is all of the work for the one borrower of an API
request; up to this many rows the shared functions (bin lookup, consent, reasons, counterfactuals) use dict
lookups and ``str`` formatting instead, with identical results. Read it through :func:`small` so that tests
can move it.
"""


def small(n_rows: int) -> bool:
    """Whether ``n_rows`` rows take the per-row Python branch (see :data:`SMALL_ROWS`)."""
    return n_rows <= SMALL_ROWS


_NUMERIC = (
    pl.Float32,
    pl.Float64,
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
    pl.Boolean,
)


class _LazyColumns(dict[str, Column]):
    """Columns of a polars frame, converted on first access (scoring reads only the model's columns)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        super().__init__()
        self._frame = frame

    def __missing__(self, name: str) -> Column:
        col, _ = _polars_column(self._frame[name])
        self[name] = col
        return col


class Ingested:
    """Columns of one ``X`` by name, with the category order of ordered (Enum) columns."""

    def __init__(
        self,
        names: list[str],
        columns: dict[str, Column],
        orders: dict[str, tuple[str, ...]],
        n_rows: int | None = None,
    ) -> None:
        self.names = names
        self.columns = columns
        self.orders = orders
        self.n_rows = n_rows if n_rows is not None else (0 if not names else len(columns[names[0]]))


def _object_column(col: np.ndarray[Any, Any]) -> Column:
    if col.dtype.kind in "fiub":
        return np.asarray(col, dtype=np.float64)
    try:
        return np.asarray(col, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    values = [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in col.tolist()]
    return pl.Series(values=values, dtype=pl.String)


def _polars_column(s: pl.Series) -> tuple[Column, tuple[str, ...] | None]:
    if isinstance(s.dtype, pl.Enum):
        return s.cast(pl.String), tuple(s.dtype.categories.to_list())
    if isinstance(s.dtype, _NUMERIC):
        return s.cast(pl.Float64).to_numpy().astype(np.float64, copy=False), None  # nulls become NaN
    if s.dtype == pl.Null:
        return np.full(s.len(), np.nan), None
    return s.cast(pl.String), None


def ingest(est: Any, x_in: Any, *, reset: bool, y: Any = None) -> Ingested:
    """Validate ``x_in`` in sklearn's way and split it into named columns.

    Polars frames are read column by column (Enum columns keep their order); numpy and pandas go
    through ``sklearn.utils.validation.validate_data`` so that the sklearn contract holds exactly.
    At predict time (``reset=False``) a polars frame is matched by column name; extra columns are
    ignored and missing ones raise a :class:`DataError` naming them.
    """
    if isinstance(x_in, pl.LazyFrame):
        x_in = x_in.collect()
    if isinstance(x_in, pl.DataFrame):
        if reset:
            if x_in.height == 0:
                raise ValueError(f"Found array with 0 sample(s) (shape={x_in.shape}) while a minimum of 1 is required.")
            if x_in.width == 0:
                raise ValueError("Found array with 0 feature(s) while a minimum of 1 is required.")
            est.feature_names_in_ = np.asarray(x_in.columns, dtype=object)
            est.n_features_in_ = x_in.width
            names = list(x_in.columns)
        else:
            names = [str(n) for n in getattr(est, "feature_names_in_", [f"x{i}" for i in range(est.n_features_in_)])]
            missing = [n for n in names if n not in x_in.columns]
            if missing:
                raise DataError(
                    f"columns {missing} used when the model was fitted are missing. Add them (empty values are "
                    "allowed and score as missing) or refit the model without them.",
                    source="x_in",
                )
        orders: dict[str, tuple[str, ...]] = {}
        for n in names:
            dtype = x_in[n].dtype
            if isinstance(dtype, pl.Enum):
                orders[n] = tuple(dtype.categories.to_list())
        return Ingested(names, _LazyColumns(x_in), orders, n_rows=x_in.height)
    arr = validate_data(est, x_in, dtype=None, ensure_all_finite="allow-nan", reset=reset)
    if arr.dtype.kind not in "fiubO":
        arr = arr.astype(object)
    names = [str(n) for n in getattr(est, "feature_names_in_", [f"x{i}" for i in range(arr.shape[1])])]
    cols = {name: _object_column(arr[:, j]) for j, name in enumerate(names)}
    return Ingested(names, cols, {})


def ingest_record(names: Sequence[str], record: Mapping[str, Any], kinds: Mapping[str, str]) -> Ingested:
    """One validated record as the columns :func:`ingest` gives for its one-row typed frame, without polars.

    ``record`` holds the values of ``names`` as the input schema returns them (``numeric``: float or None,
    ``categorical``: str or None, ``consent``: bool); ``kinds`` names the kind of each column. The columns
    equal those of a one-row frame with Float64, String and Boolean columns: NaN for a missing number, a
    String series for a category, 1.0 / 0.0 for a consent flag.
    """
    cols: dict[str, Column] = {}
    for name in names:
        value, kind = record[name], kinds[name]
        if kind == "categorical":
            cols[name] = pl.Series(name, [value], dtype=pl.String)
        elif kind in ("numeric", "consent"):
            cols[name] = np.asarray([np.nan if value is None else float(value)], dtype=np.float64)
        else:
            raise ValueError(f"column {name!r} has no record kind ({kind!r}); score it through a frame.")
    return Ingested(list(names), cols, {}, n_rows=1)


def binary_target(y: Any, bad_label: Any, owner: str) -> tuple[np.ndarray[Any, Any], BoolArray, int]:
    """Check that ``y`` is binary and return (classes, event mask, index of the bad class in classes).

    Raises
    ------
    ValueError
        sklearn's "Unknown label type" for a continuous target, or a :class:`DataError` for a target
        with one class or more than two classes, or a ``bad_label`` not among the classes.
    """
    if y is None:
        raise ValueError(f"This {owner} estimator requires y to be passed, but the target y is None.")
    if isinstance(y, pl.Series):
        y = y.to_numpy()
    y = column_or_1d(y, warn=True)
    if y.dtype == object and any(v is None for v in y.tolist()):
        raise DataError("the target has missing values; drop those rows or fill them.", column="target")
    check_classification_targets(y)
    classes = np.unique(y)
    if classes.size < 2:
        raise DataError(
            f"the target has only one class ({classes.tolist()}; 1 class present). A default model needs both "
            "good and bad outcomes: add rows of the other class."
        )
    if classes.size > 2:
        shown = classes.tolist()[:8]
        raise DataError(
            f"Only binary classification is supported. The target has {classes.size} classes: {shown}. Recode it "
            "to 0/1 or two labels and name the bad one (bad_label / --bad-label)."
        )
    if bad_label is None:
        bad_index = 1
    else:
        matches = [i for i, c in enumerate(classes.tolist()) if c == bad_label or str(c) == str(bad_label)]
        if not matches:
            raise DataError(
                f"bad_label {bad_label!r} is not one of the target's classes {classes.tolist()}; pass one of them."
            )
        bad_index = matches[0]
    event = np.asarray(y == classes[bad_index], dtype=bool)
    return classes, event, bad_index


def data_sha256(data: Ingested, event: BoolArray | None = None) -> str:
    """SHA-256 of the training columns (and target), recorded in the manifest."""
    h = hashlib.sha256()
    for name in data.names:
        h.update(name.encode())
        col = data.columns[name]
        if isinstance(col, pl.Series):
            h.update(col.fill_null("\x00").str.join("\x1f").item().encode())
        else:
            h.update(np.ascontiguousarray(col).tobytes())
    if event is not None:
        h.update(np.ascontiguousarray(event).tobytes())
    return h.hexdigest()


def select_rows(data: Ingested, mask: np.ndarray[Any, Any], names: Sequence[str] | None = None) -> Ingested:
    """A row subset of ``data`` (optionally of some columns only)."""
    keep = list(names) if names is not None else data.names
    cols: dict[str, Column] = {}
    idx = np.flatnonzero(mask) if mask.dtype == bool else mask
    few = small(len(idx))
    for n in keep:
        c = data.columns[n]
        if isinstance(c, pl.Series) and few:  # a few rows: pick the Python values, no polars query
            values = c.to_list()
            cols[n] = pl.Series(c.name, [values[i] for i in idx.tolist()], dtype=c.dtype)
        else:
            cols[n] = c.gather(idx) if isinstance(c, pl.Series) else c[idx]
    return Ingested(keep, cols, {k: v for k, v in data.orders.items() if k in keep})
