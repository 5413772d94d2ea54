"""Helpers shared by the domain routers."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from greenfin._validation import ColumnSpec

__all__ = ["finite", "finite_row", "model_from_columns"]

_KIND_TYPES: dict[str, Any] = {"float": float, "int": int, "str": str, "bool": bool, "date": dt.date}


def finite(value: Any) -> Any:
    """A JSON-safe number: NaN and infinities become None (JSON has no NaN).

    Parameters
    ----------
    value : Any
        A value from a result table.

    Returns
    -------
    Any
        The value, or None for a non-finite float.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def finite_row(row: dict[str, Any]) -> dict[str, Any]:
    """Apply :func:`finite` to every value of a row.

    Parameters
    ----------
    row : dict
        A row of a result table.

    Returns
    -------
    dict
        The row with JSON-safe numbers.
    """
    return {k: finite(v) for k, v in row.items()}


def model_from_columns(name: str, doc: str, columns: Sequence[ColumnSpec]) -> type[BaseModel]:
    """A frozen request model with one field per column of a domain table schema (``ColumnSpec``).

    The API's schema follows the domain's column specs (names, kinds, bounds, allowed values and
    descriptions), so a column a domain package adds appears in the API without a second definition.

    Parameters
    ----------
    name : str
        Model (and OpenAPI schema) name.
    doc : str
        Docstring / schema description.
    columns : sequence of ColumnSpec
        The table schema.

    Returns
    -------
    type of pydantic.BaseModel
        The model; optional columns default to None; strings are capped at 200 characters.
    """
    fields: dict[str, Any] = {}
    for col in columns:
        kind: Any = Literal[col.allowed] if col.allowed else _KIND_TYPES[col.kind]
        constraints: dict[str, Any] = {"description": col.description or col.name}
        if col.kind in ("float", "int"):
            constraints.update({k: getattr(col, k) for k in ("gt", "ge", "lt", "le") if getattr(col, k) is not None})
            if col.kind == "float":
                constraints["allow_inf_nan"] = False
        if col.kind == "str" and not col.allowed:
            constraints["max_length"] = 200
        if col.required and not col.nullable:
            fields[col.name] = (kind, Field(**constraints))
        else:
            fields[col.name] = (kind | None, Field(default=None, **constraints))
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(frozen=True, extra="forbid"), __doc__=doc, **fields
    )
    return model
