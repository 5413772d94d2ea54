"""The one QuantLib adapter: only this module imports QuantLib (ruff TID251 bans it elsewhere).

It converts dates, calendars and day counters in and out; no QuantLib type appears in a public
signature elsewhere. QuantLib's evaluation date is a process-wide singleton, so it is set only
through :func:`evaluation_date`, which holds a lock for the whole computation.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import QuantLib as ql

from greenfin.dates import _table
from greenfin.errors import SpecError

__all__ = [
    "QL_LOCK",
    "day_counter",
    "evaluation_date",
    "from_ql_date",
    "greenfin_calendar",
    "ql_version",
    "to_ql_date",
]

QL_LOCK = threading.RLock()
"""Held for the whole of any QuantLib computation that depends on the evaluation date."""

_DAY_COUNTERS: dict[str, Any] = {
    "ACT/365": ql.Actual365Fixed(),
    "ACT/365F": ql.Actual365Fixed(),
    "ACT/360": ql.Actual360(),
    "ACT/ACT": ql.ActualActual(ql.ActualActual.ISDA),
    "30/360": ql.Thirty360(ql.Thirty360.BondBasis),
}


def ql_version() -> str:
    """QuantLib's version string, for manifests and reports.

    Returns
    -------
    str
        The version, e.g. ``"1.44"``.
    """
    return str(ql.__version__)


def to_ql_date(day: dt.date) -> Any:
    """Convert a ``datetime.date`` to ``QuantLib.Date``.

    Parameters
    ----------
    day : datetime.date
        The date.

    Returns
    -------
    QuantLib.Date
        The same date.
    """
    return ql.Date(day.day, day.month, day.year)


def from_ql_date(day: Any) -> dt.date:
    """Convert a ``QuantLib.Date`` to ``datetime.date``.

    Parameters
    ----------
    day : QuantLib.Date
        The date.

    Returns
    -------
    datetime.date
        The same date.

    Examples
    --------
    >>> from_ql_date(to_ql_date(dt.date(2026, 2, 28)))
    datetime.date(2026, 2, 28)
    """
    return dt.date(day.year(), day.month(), day.dayOfMonth())


def day_counter(name: str) -> Any:
    """QuantLib day counter for a convention name (``ACT/365``, ``ACT/360``, ``ACT/ACT``, ``30/360``).

    Parameters
    ----------
    name : str
        Day-count name.

    Returns
    -------
    QuantLib.DayCounter
        The day counter.

    Raises
    ------
    SpecError
        If the name is unknown.
    """
    try:
        return _DAY_COUNTERS[name.upper()]
    except KeyError:
        raise SpecError(f"Unknown day count {name!r}; use one of {', '.join(_DAY_COUNTERS)}.") from None


@lru_cache(maxsize=4)
def greenfin_calendar(name: str = "CN-IB") -> Any:
    """A QuantLib ``BespokeCalendar`` built from greenfin's maintained China holiday table.

    QuantLib's own ``China`` calendars stop at 2026 and mutating them with ``addHoliday`` changes every
    instance process-wide, so greenfin builds its own bespoke calendar once. Dates past the table are
    not guarded here: generate schedules with :mod:`greenfin.dates`, which raises past the table's end.

    Parameters
    ----------
    name : {"CN-IB", "CN-SSE"}
        Interbank (opens on 调休 weekend days) or exchange.

    Returns
    -------
    QuantLib.Calendar
        The calendar.

    Raises
    ------
    SpecError
        If the name is unknown.

    Examples
    --------
    >>> greenfin_calendar("CN-IB").isBusinessDay(to_ql_date(dt.date(2026, 10, 10)))
    True
    """
    if name not in ("CN-IB", "CN-SSE"):
        raise SpecError(f"Unknown QuantLib calendar {name!r}; use CN-IB or CN-SSE.")
    table = _table()
    cal = ql.BespokeCalendar(f"greenfin {name}")
    cal.addWeekend(ql.Saturday)
    cal.addWeekend(ql.Sunday)
    for day in table.holidays:
        cal.addHoliday(to_ql_date(day))
    if name == "CN-SSE":
        for day in table.exchange_only:
            cal.addHoliday(to_ql_date(day))
    if name == "CN-IB":
        for day in table.working_weekends:
            cal.removeHoliday(to_ql_date(day))
    return cal


@contextmanager
def evaluation_date(as_of: dt.date) -> Iterator[None]:
    """Set QuantLib's global evaluation date for the duration of a block, under a lock.

    Parameters
    ----------
    as_of : datetime.date
        The valuation date.

    Yields
    ------
    None
        Control, with the evaluation date set; the previous date is restored on exit.

    Examples
    --------
    >>> with evaluation_date(dt.date(2026, 3, 16)):
    ...     from_ql_date(ql.Settings.instance().evaluationDate)
    datetime.date(2026, 3, 16)
    """
    with QL_LOCK:
        settings = ql.Settings.instance()
        previous = settings.evaluationDate
        settings.evaluationDate = to_ql_date(as_of)
        try:
            yield
        finally:
            settings.evaluationDate = previous
