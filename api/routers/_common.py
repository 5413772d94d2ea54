"""Helpers shared by the domain routers."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["finite", "finite_row"]


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
