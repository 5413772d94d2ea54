"""The greenfin error hierarchy: every message names what is wrong and how to fix it.

Callers catch by meaning: :class:`SpecError` for a bad parameter or specification,
:class:`DataError` for a bad table or file, :class:`ConvergenceError` for a numerical
method that did not converge, and :class:`ConflictError` for store state (for example a
second active pledge on one right). sklearn's ``NotFittedError`` is reused for unfitted
estimators.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConflictError",
    "ConvergenceError",
    "DataError",
    "GreenfinError",
    "SpecError",
    "param_error",
]


class GreenfinError(Exception):
    """Base class of every error greenfin raises on purpose."""


class SpecError(GreenfinError, ValueError):
    """A parameter or specification is invalid; the message names the field and the fix."""


class DataError(GreenfinError, ValueError):
    """A table or file is invalid.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    source : str or None
        The file (or table name) the bad data came from.
    column : str or None
        The offending column.
    row : int or None
        The first offending data row, 1-based (the header is not counted).

    Examples
    --------
    >>> str(DataError("area_ha must be > 0; got -3.0.", source="parcels.csv", column="area_ha", row=7))
    'parcels.csv, column area_ha, row 7: area_ha must be > 0; got -3.0.'
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.source = source
        self.column = column
        self.row = row
        self.detail = message
        where = [
            part
            for part in (
                source,
                f"column {column}" if column is not None else None,
                f"row {row}" if row is not None else None,
            )
            if part
        ]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class ConvergenceError(GreenfinError, RuntimeError):
    """A numerical method did not converge; the message says what to change."""


class ConflictError(GreenfinError):
    """The request conflicts with stored state (e.g. a right already under an active pledge)."""


def param_error(owner: str, name: str, expected: str, got: Any, fix: str) -> SpecError:
    """Build a :class:`SpecError` in the one fixed shape greenfin uses for bad parameters.

    Parameters
    ----------
    owner : str
        The class or function the parameter belongs to.
    name : str
        The parameter name.
    expected : str
        The allowed values, e.g. ``"a float in (0, inf)"``.
    got : Any
        The value received.
    fix : str
        One sentence telling the caller what to pass instead.

    Returns
    -------
    SpecError
        The error, ready to raise.

    Examples
    --------
    >>> str(param_error("Scorecard", "pdo", "a float in (0, inf)", -20, "Use e.g. pdo=20."))
    "The 'pdo' parameter of Scorecard must be a float in (0, inf). Got -20 instead. Use e.g. pdo=20."
    """
    return SpecError(f"The {name!r} parameter of {owner} must be {expected}. Got {got!r} instead. {fix}")
