"""Validation at the boundary: read a user's table once, check it, and say exactly what is wrong.

:func:`read_table` reads CSV, Parquet, Excel or JSON into a polars DataFrame; :func:`validate_frame`
checks it against a tuple of :class:`ColumnSpec` and raises a :class:`~greenfin.errors.DataError`
naming the file, column, first bad row (1-based, header not counted) and the fix. :func:`evolve`
makes a changed copy of a frozen spec and validates it again (``model_copy`` would not).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from greenfin._typing import PathLikeStr
from greenfin.errors import DataError, SpecError

__all__ = ["ColumnSpec", "evolve", "read_table", "validate_frame", "validate_record", "write_atomically"]

SpecT = TypeVar("SpecT", bound=BaseModel)

ColumnKind = Literal["float", "int", "str", "bool", "date"]

_POLARS_KIND: dict[ColumnKind, pl.DataType] = {
    "float": pl.Float64(),
    "int": pl.Int64(),
    "str": pl.String(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
}


def evolve(spec: SpecT, **changes: Any) -> SpecT:
    """Return a copy of a frozen pydantic spec with ``changes`` applied, validated again.

    Parameters
    ----------
    spec : pydantic.BaseModel
        The spec to change.
    **changes
        Field values to replace.

    Returns
    -------
    pydantic.BaseModel
        A new, validated spec of the same type.

    Raises
    ------
    SpecError
        If the changed spec does not validate; the message names the field.

    Examples
    --------
    >>> from greenfin.conventions import get_convention
    >>> evolve(get_convention("cn-ib-abs"), frequency_months=1).frequency_months
    1
    >>> evolve(get_convention("cn-ib-abs"), frequency_months=0)
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: Convention.frequency_months: Input should be greater than or equal to 1 ...
    """
    data = spec.model_dump()
    unknown = set(changes) - set(type(spec).model_fields)
    if unknown:
        raise SpecError(f"{type(spec).__name__} has no field(s) {sorted(unknown)}; known: {sorted(data)}.")
    data.update(changes)
    try:
        return type(spec).model_validate(data)
    except ValidationError as exc:
        raise spec_error_from(exc, type(spec).__name__) from exc


def spec_error_from(exc: ValidationError, owner: str) -> SpecError:
    """Turn a pydantic ``ValidationError`` into a one-line :class:`SpecError` naming the field.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error.
    owner : str
        The spec's name, for the message.

    Returns
    -------
    SpecError
        The error to raise.
    """
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"]) or "(root)"
        parts.append(f"{owner}.{loc}: {err['msg']} (got {err.get('input')!r})")
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return SpecError("; ".join(parts) + more + ". Fix the field(s) named.")


class ColumnSpec(BaseModel):
    """What one column of an input table must hold.

    Parameters
    ----------
    name : str
        Column name (with its unit suffix, e.g. ``area_ha``).
    kind : {"float", "int", "str", "bool", "date"}
        Value type; the column is cast to it.
    required : bool
        Whether the column must be present.
    nullable : bool
        Whether empty / NaN values are allowed.
    gt, ge, lt, le : float or None
        Bounds for numeric columns.
    allowed : tuple of str or None
        Allowed values of a text column.
    description : str
        What the column means, shown in errors and ``--help``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: ColumnKind = "float"
    required: bool = True
    nullable: bool = False
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    allowed: tuple[str, ...] | None = None
    description: str = ""


def read_table(path: PathLikeStr, *, sheet: str | None = None) -> pl.DataFrame:
    """Read a CSV, Parquet, Excel (.xlsx) or JSON (records) file into a polars DataFrame.

    Parameters
    ----------
    path : str or path-like
        The file.
    sheet : str or None
        Sheet name for Excel files (default: the first sheet).

    Returns
    -------
    polars.DataFrame
        The table, columns as read (validate it with :func:`validate_frame`).

    Raises
    ------
    DataError
        If the file is missing, of an unsupported type, or cannot be parsed.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError("file not found; check the path.", source=str(p))
    suffix = p.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return pl.read_csv(p, infer_schema_length=10_000, null_values=["", "NA", "NaN", "nan", "null"])
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(p)
        if suffix in (".xlsx", ".xlsm"):
            return _read_excel(p, sheet)
        if suffix == ".json":
            return pl.read_json(p)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"could not be read as {suffix[1:]}: {exc}. Save it as UTF-8 CSV or Parquet.", source=str(p)
        ) from exc
    raise DataError(f"unsupported file type {suffix!r}; use .csv, .parquet, .xlsx or .json.", source=str(p))


def _read_excel(path: Path, sheet: str | None) -> pl.DataFrame:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise DataError(f"has no sheet {sheet!r}; sheets: {book.sheetnames}.", source=str(path))
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        raise DataError("the sheet is empty; put column names in the first row.", source=str(path))
    header = [str(h).strip() if h is not None else f"column_{i}" for i, h in enumerate(rows[0])]
    columns = {name: [r[i] if i < len(r) else None for r in rows[1:]] for i, name in enumerate(header)}
    return pl.DataFrame(columns, strict=False)


def _first_bad_row(mask: pl.Series) -> int:
    return int(mask.arg_true()[0]) + 1


_BOUNDS: tuple[tuple[str, str, Callable[[Any, float], Any]], ...] = (
    ("gt", ">", operator.le),
    ("ge", ">=", operator.lt),
    ("lt", "<", operator.ge),
    ("le", "<=", operator.gt),
)
"""Each numeric bound of a ColumnSpec: field, how it reads, and the comparison that breaks it. The one
table serves a polars Series, a polars expression and a Python number alike."""


def _broken_bounds(value: Any, spec: ColumnSpec) -> list[tuple[Any, str, float]]:
    """``(value breaks it, op, bound)`` for each bound ``spec`` sets, in the order of :data:`_BOUNDS`."""
    bounds = ((getattr(spec, field), op, breaks) for field, op, breaks in _BOUNDS)
    return [(breaks(value, bound), op, bound) for bound, op, breaks in bounds if bound is not None]


def _bound_fail(col: pl.Series, spec: ColumnSpec) -> tuple[pl.Series, str] | None:
    for bad, op, bound in _broken_bounds(col, spec):
        bad = bad.fill_null(False)
        if bad.any():
            return bad, f"{op} {bound}"
    return None


def _cast_column(raw: pl.Series, spec: ColumnSpec, source: str) -> pl.Series:
    try:
        cast = raw.to_frame("v").select(_cast_expr(evolve(spec, name="v"), raw.dtype))["v"]
    except pl.exceptions.PolarsError:  # a cast polars cannot do at all (e.g. a list into a number)
        cast = pl.Series(spec.name, [None] * raw.len(), dtype=_POLARS_KIND[spec.kind])
    failed = cast.is_null() & raw.is_not_null()
    if spec.kind == "float" and raw.dtype.is_float():
        failed = failed & raw.is_not_nan()  # NaN reads as missing, not as a bad value (as in the fast path)
    if failed.any():
        row = _first_bad_row(failed)
        kind_hint = "YYYY-MM-DD" if spec.kind == "date" else spec.kind
        raise DataError(
            f"value {raw.slice(row - 1, 1).to_list()[0]!r} is not a valid {kind_hint}; fix or remove it.",
            source=source,
            column=spec.name,
            row=row,
        )
    return cast


def _checked_column(raw: pl.Series, spec: ColumnSpec, source: str) -> pl.Series:
    cast = _cast_column(raw, spec, source)
    if not spec.nullable and cast.is_null().any():
        raise DataError(
            f"has a missing value (empty, NA or NaN); every row needs {spec.name} ({spec.description}).",
            source=source,
            column=spec.name,
            row=_first_bad_row(cast.is_null()),
        )
    if spec.kind in ("float", "int"):
        found = _bound_fail(cast, spec)
        if found is not None:
            bad, text = found
            row = _first_bad_row(bad)
            raise DataError(
                f"must be {text}; got {cast[row - 1]!r}. Fix the value or the unit ({spec.description}).",
                source=source,
                column=spec.name,
                row=row,
            )
    if spec.allowed is not None:
        bad = ~cast.is_in(list(spec.allowed)) & cast.is_not_null()
        if bad.any():
            row = _first_bad_row(bad)
            raise DataError(
                f"value {cast[row - 1]!r} is not allowed; use one of {list(spec.allowed)}.",
                source=source,
                column=spec.name,
                row=row,
            )
    return cast


_BOOL_TEXT: dict[str, bool] = {"true": True, "false": False}


def _cast_expr(spec: ColumnSpec, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(spec.name)
    if spec.kind == "str":
        return col.cast(pl.String)
    if spec.kind == "date" and dtype == pl.String:
        return col.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if spec.kind == "bool" and dtype == pl.String:  # CSV text: true/false in any case; anything else is bad
        return col.str.to_lowercase().replace_strict(_BOOL_TEXT, default=None, return_dtype=pl.Boolean)
    cast = col.cast(_POLARS_KIND[spec.kind], strict=False)
    return cast.fill_nan(None) if spec.kind == "float" else cast


def _failure_exprs(spec: ColumnSpec, dtype: pl.DataType) -> list[pl.Expr]:
    """One boolean 'any row fails' expression per check of ``spec`` (same checks as :func:`_checked_column`)."""
    cast = _cast_expr(spec, dtype)
    raw = pl.col(spec.name)
    nan_ok = spec.kind == "float" and dtype.is_float()  # NaN reads as missing for floats, not as a bad value
    checks = [cast.is_null() & raw.is_not_null() & (raw.is_not_nan() if nan_ok else pl.lit(True))]
    if not spec.nullable:
        checks.append(cast.is_null())
    if spec.kind in ("float", "int"):
        checks.extend(bad for bad, _op, _bound in _broken_bounds(cast, spec))
    if spec.allowed is not None:
        checks.append(~cast.is_in(list(spec.allowed)) & cast.is_not_null())
    return [c.fill_null(False).any() for c in checks]


@lru_cache(maxsize=256)
def _fast_plan(
    columns: tuple[ColumnSpec, ...], schema: tuple[tuple[str, pl.DataType], ...]
) -> tuple[list[pl.Expr], list[pl.Expr]] | None:
    """The check and cast expressions for one (specs, input schema) pair, built once and reused."""
    dtypes = dict(schema)
    if any(spec.required and spec.name not in dtypes for spec in columns):
        return None
    checked = [spec for spec in columns if spec.name in dtypes]
    checks = [e for spec in checked for e in _failure_exprs(spec, dtypes[spec.name])]
    casts = [_cast_expr(s, dtypes[s.name]).alias(s.name) for s in checked] + [
        pl.lit(None, dtype=_POLARS_KIND[s.kind]).alias(s.name) for s in columns if s.name not in dtypes
    ]
    return [e.alias(f"check_{i}") for i, e in enumerate(checks)], casts


def _validate_fast(frame: pl.DataFrame, columns: Sequence[ColumnSpec]) -> pl.DataFrame | None:
    """Every check of every column in one polars pass; None when anything fails or a required column is missing.

    On a clean table (the usual case) this costs one query instead of several per column, which matters both
    for one-row API requests and for tables of millions of rows. On failure the caller re-runs the checks
    column by column to name the first bad column and row.
    """
    plan = _fast_plan(tuple(columns), tuple(frame.schema.items()))
    if plan is None:
        return None
    checks, casts = plan
    try:
        if checks and any(frame.select(checks).row(0)):
            return None
        return frame.with_columns(casts)
    except pl.exceptions.PolarsError:  # a column polars cannot cast at all: the slow path names it
        return None


def validate_frame(
    frame: pl.DataFrame,
    columns: Sequence[ColumnSpec],
    *,
    source: str = "input table",
    extra: Literal["keep", "drop"] = "keep",
) -> pl.DataFrame:
    """Check and cast a table against column specs, failing on the first problem with a precise message.

    Parameters
    ----------
    frame : polars.DataFrame
        The table as read.
    columns : sequence of ColumnSpec
        What each column must hold.
    source : str, default "input table"
        File name or table name for messages.
    extra : {"keep", "drop"}, default "keep"
        Keep or drop columns not named in ``columns``.

    Returns
    -------
    polars.DataFrame
        The table with each named column cast to its kind (optional missing columns are added as null).

    Raises
    ------
    DataError
        Naming the file, column, first bad row and the fix: a missing column (with the closest
        name present), a value that cannot be cast, a missing value, a bound broken, a value not allowed.

    Examples
    --------
    >>> df = pl.DataFrame({"parcel_id": ["a", "b"], "area_ha": [1.5, -2.0]})
    >>> validate_frame(df, [ColumnSpec(name="parcel_id", kind="str"), ColumnSpec(name="area_ha", gt=0)],
    ...                source="parcels.csv")
    Traceback (most recent call last):
    ...
    greenfin.errors.DataError: parcels.csv, column area_ha, row 2: must be > 0.0; got -2.0. ...
    """
    present = set(frame.columns)
    fast = _validate_fast(frame, columns)
    if fast is not None:
        return fast.select([c.name for c in columns]) if extra == "drop" else fast
    out = frame  # a check failed (or a column is missing): the column-by-column path names the first problem
    for spec in columns:
        if spec.name not in present:
            if spec.required:
                close = difflib.get_close_matches(spec.name, list(present), n=1)
                hint = f" Did you mean {close[0]!r}? Rename it." if close else f" Columns present: {sorted(present)}."
                raise DataError(f"required column {spec.name!r} is missing ({spec.description}).{hint}", source=source)
            out = out.with_columns(pl.lit(None, dtype=_POLARS_KIND[spec.kind]).alias(spec.name))
            continue
        out = out.with_columns(_checked_column(out[spec.name], spec, source).alias(spec.name))
    if extra == "drop":
        out = out.select([c.name for c in columns])
    return out


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _record_number(value: Any, spec: ColumnSpec) -> tuple[bool, Any]:
    """:func:`_record_value` for a float or int column: plain numbers inside the bounds pass."""
    if (
        isinstance(value, bool)
        or not isinstance(value, float | int)
        or (spec.kind == "int" and isinstance(value, float))
    ):
        return False, None
    number: float | int = float(value) if spec.kind == "float" else value
    if isinstance(number, float) and math.isnan(number):
        return spec.nullable, None
    return not any(bad for bad, _op, _bound in _broken_bounds(number, spec)), number


def _record_value(value: Any, spec: ColumnSpec) -> tuple[bool, Any]:
    """``(ok, typed value)`` of one record value for ``spec``; ``ok`` False sends the record to the frame path.

    Deliberately narrower than the frame path: it accepts only values whose meaning is plain (a float or an
    int for a number, a str for text, a bool for a flag, a date or an ISO ``YYYY-MM-DD`` string for a date)
    and anything else, valid or not, is left to :func:`validate_frame`, which casts it or names the problem.
    """
    if value is None:
        return spec.nullable, None
    kind = spec.kind
    if kind in ("float", "int"):
        return _record_number(value, spec)
    if kind == "str":
        if not isinstance(value, str):
            return False, None
        return spec.allowed is None or value in spec.allowed, value
    if kind == "bool":
        return isinstance(value, bool), value
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        return False, None
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            return False, None
        try:
            return True, dt.date.fromisoformat(value)
        except ValueError:
            return False, None
    return True, value


def validate_record(
    record: Mapping[str, Any], columns: Sequence[ColumnSpec], *, source: str = "input record"
) -> dict[str, Any]:
    """Check and type one record (a row given as a mapping) against column specs, without building a table.

    The same contract as :func:`validate_frame` on a one-row table, at a fraction of its cost (no polars
    query), for single-record calls such as one API request. Plain values are checked in Python; anything
    else, and every failure, goes through :func:`validate_frame`, so the error is the frame path's own
    message (row 1) and a value the frame path would cast is cast the same way.

    Parameters
    ----------
    record : Mapping
        Column name -> value (None for missing).
    columns : sequence of ColumnSpec
        What each column must hold.
    source : str, default "input record"
        Name of the input for messages.

    Returns
    -------
    dict
        Every column of ``columns`` (missing optional ones as None), typed (float, int, str, bool,
        datetime.date), followed by the record's other keys unchanged.

    Raises
    ------
    DataError
        As :func:`validate_frame` (naming the column, row 1 and the fix).

    Examples
    --------
    >>> spec = [ColumnSpec(name="parcel_id", kind="str"), ColumnSpec(name="area_ha", gt=0)]
    >>> validate_record({"parcel_id": "a", "area_ha": 2}, spec)
    {'parcel_id': 'a', 'area_ha': 2.0}
    >>> validate_record({"parcel_id": "a", "area_ha": -2.0}, spec, source="request")
    Traceback (most recent call last):
    ...
    greenfin.errors.DataError: request, column area_ha, row 1: must be > 0.0; got -2.0. ...
    """
    out: dict[str, Any] = {}
    for spec in columns:
        if spec.name in record:
            ok, typed = _record_value(record[spec.name], spec)
        else:
            ok, typed = not spec.required, None
        if not ok:
            frame = validate_frame(pl.DataFrame([dict(record)]), columns, source=source)
            return frame.row(0, named=True)
        out[spec.name] = typed
    for key, value in record.items():
        out.setdefault(key, value)
    return out


def write_atomically(path: PathLikeStr, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so a failure leaves nothing half written.

    Parameters
    ----------
    path : str or path-like
        Destination file.
    data : bytes
        Content.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(dest)
