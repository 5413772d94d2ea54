"""Dates and business-day calendars: China interbank (CN-IB) and exchange (CN-SSE).

The calendars read greenfin's maintained holiday table (``greenfin/data/calendar_cn_ib.json``), which
is checked day by day against QuantLib's ``China(IB)`` for the years both cover. A date in a year past
the table's last year raises a :class:`~greenfin.errors.SpecError` unless the caller explicitly asks
for ``past_end="weekends"`` (weekends only, no public holidays: a projection, marked as such).

The interbank market (银行间市场) opens on the weekend make-up working days (调休); the exchanges
never open on weekends. Library code never calls ``date.today()``: every valuation takes ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from greenfin.errors import SpecError

__all__ = [
    "CALENDARS",
    "BusinessDayRule",
    "Calendar",
    "PastEnd",
    "add_months",
    "calendar_coverage",
    "get_calendar",
    "holidays_in",
    "parse_date",
]

BusinessDayRule = Literal["following", "modified_following", "preceding", "unadjusted"]
PastEnd = Literal["raise", "weekends"]
CALENDARS: tuple[str, ...] = ("CN-IB", "CN-SSE", "weekends")


@dataclass(frozen=True)
class _Table:
    first_year: int
    last_year: int
    holidays: frozenset[dt.date]
    working_weekends: frozenset[dt.date]
    exchange_only: frozenset[dt.date]
    source: str


@lru_cache(maxsize=1)
def _table() -> _Table:
    text = resources.files("greenfin").joinpath("data/calendar_cn_ib.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    years = sorted(int(y) for y in raw["years"])
    holidays = {dt.date.fromisoformat(d) for y in raw["years"].values() for d in y["holidays"]}
    working = {dt.date.fromisoformat(d) for y in raw["years"].values() for d in y["working_weekends"]}
    exchange = {dt.date.fromisoformat(d) for y in raw["years"].values() for d in y.get("exchange_only_holidays", [])}
    if years != list(range(years[0], years[-1] + 1)):
        raise SpecError("calendar_cn_ib.json has a gap in its years; every year from first to last must be present.")
    return _Table(years[0], years[-1], frozenset(holidays), frozenset(working), frozenset(exchange), str(raw["source"]))


def calendar_coverage() -> tuple[int, int]:
    """First and last year of the maintained China holiday table.

    Returns
    -------
    tuple of int
        ``(first_year, last_year)``.

    Examples
    --------
    >>> calendar_coverage()[1] >= 2026
    True
    """
    t = _table()
    return t.first_year, t.last_year


def parse_date(value: str | dt.date, *, field: str = "date") -> dt.date:
    """Parse an ISO date (``YYYY-MM-DD``) or pass a ``date`` through, with an error naming the field.

    Parameters
    ----------
    value : str or datetime.date
        The date.
    field : str, default "date"
        Field name for the error message.

    Returns
    -------
    datetime.date
        The date.

    Raises
    ------
    SpecError
        If the text is not an ISO date.

    Examples
    --------
    >>> parse_date("2026-10-08")
    datetime.date(2026, 10, 8)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SpecError(f"{field} must be an ISO date YYYY-MM-DD; got {value!r}.") from None


def add_months(day: dt.date, months: int) -> dt.date:
    """Add calendar months, clipping to the month's last day (Jan 31 + 1 month = Feb 28/29).

    Parameters
    ----------
    day : datetime.date
        Start date.
    months : int
        Months to add (may be negative).

    Returns
    -------
    datetime.date
        The shifted date.

    Examples
    --------
    >>> add_months(dt.date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_first - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


@dataclass(frozen=True)
class Calendar:
    """A business-day calendar with a loud end.

    Parameters
    ----------
    name : str
        ``"CN-IB"`` (interbank: opens on 调休 weekend days), ``"CN-SSE"`` (exchange) or ``"weekends"``.
    past_end : {"raise", "weekends"}
        What to do for a date past the holiday table's last year: raise (default) or treat only
        weekends as holidays (a projection; say so in any report that uses it).

    Examples
    --------
    >>> ib = get_calendar("CN-IB")
    >>> ib.is_business_day(dt.date(2026, 10, 1)), ib.is_business_day(dt.date(2026, 10, 10))
    (False, True)
    >>> get_calendar("CN-SSE").is_business_day(dt.date(2026, 10, 10))
    False
    >>> ib.adjust(dt.date(2026, 10, 1))
    datetime.date(2026, 10, 8)
    """

    name: str
    past_end: PastEnd = "raise"

    def _check_year(self, day: dt.date) -> bool:
        """Return True when the table covers ``day``; raise or return False past its end."""
        if self.name == "weekends":
            return False
        t = _table()
        if t.first_year <= day.year <= t.last_year:
            return True
        if day.year < t.first_year:
            raise SpecError(
                f"{day.isoformat()} is before the {self.name} holiday table ({t.first_year}-{t.last_year}); "
                "use a date inside it."
            )
        if self.past_end == "weekends":
            return False
        raise SpecError(
            f"{day.isoformat()} is past the end of the {self.name} holiday table, which runs to "
            f"{t.last_year}-12-31. Add the State Council holiday notice for {day.year} to "
            "greenfin/data/calendar_cn_ib.json, or pass past_end='weekends' to project with weekends only."
        )

    def is_business_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a business day.

        Parameters
        ----------
        day : datetime.date
            The date.

        Returns
        -------
        bool
            True on a business day.

        Raises
        ------
        SpecError
            If ``day`` is outside the table and ``past_end="raise"``.
        """
        covered = self._check_year(day)
        weekend = day.weekday() >= 5
        if not covered:
            return not weekend
        t = _table()
        if day in t.holidays or (self.name == "CN-SSE" and day in t.exchange_only):
            return False
        if weekend:
            return self.name == "CN-IB" and day in t.working_weekends
        return True

    def adjust(self, day: dt.date, rule: BusinessDayRule = "following") -> dt.date:
        """Roll ``day`` to a business day by ``rule``.

        Parameters
        ----------
        day : datetime.date
            The date.
        rule : {"following", "modified_following", "preceding", "unadjusted"}
            Business-day rule.

        Returns
        -------
        datetime.date
            The adjusted date.

        Raises
        ------
        SpecError
            If the rule is unknown or the date is past the table's end.
        """
        if rule == "unadjusted":
            return day
        if rule not in ("following", "modified_following", "preceding"):
            raise SpecError(
                f"Unknown business-day rule {rule!r}; use following, modified_following, preceding or unadjusted."
            )
        step = -1 if rule == "preceding" else 1
        out = day
        while not self.is_business_day(out):
            out += dt.timedelta(days=step)
        if rule == "modified_following" and out.month != day.month:
            out = day
            while not self.is_business_day(out):
                out -= dt.timedelta(days=1)
        return out

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        """Move ``n`` business days forward (or back when negative).

        Parameters
        ----------
        day : datetime.date
            Start date.
        n : int
            Business days to move.

        Returns
        -------
        datetime.date
            The date ``n`` business days away.
        """
        step = 1 if n >= 0 else -1
        out = day
        remaining = abs(n)
        while remaining:
            out += dt.timedelta(days=step)
            if self.is_business_day(out):
                remaining -= 1
        return out

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Count business days in ``(start, end]``.

        Parameters
        ----------
        start, end : datetime.date
            The interval; ``end`` must not be before ``start``.

        Returns
        -------
        int
            The count.

        Raises
        ------
        SpecError
            If ``end`` is before ``start``.
        """
        if end < start:
            raise SpecError(f"business_days_between needs end >= start; got {start} > {end}.")
        return sum(self.is_business_day(start + dt.timedelta(days=k)) for k in range(1, (end - start).days + 1))

    def schedule(
        self,
        start: dt.date,
        periods: int,
        *,
        months: int = 1,
        rule: BusinessDayRule = "following",
    ) -> list[dt.date]:
        """Payment dates: ``periods`` dates every ``months`` months after ``start``, adjusted by ``rule``.

        Parameters
        ----------
        start : datetime.date
            The unadjusted anchor date (e.g. the first interest accrual date).
        periods : int
            Number of dates, at least 1.
        months : int, default 1
            Months between dates.
        rule : str, default "following"
            Business-day rule.

        Returns
        -------
        list of datetime.date
            The adjusted dates.

        Raises
        ------
        SpecError
            If ``periods`` or ``months`` is not positive, or a date falls past the table's end.

        Examples
        --------
        >>> get_calendar("CN-IB").schedule(dt.date(2026, 8, 1), 3, months=1)
        [datetime.date(2026, 9, 1), datetime.date(2026, 10, 8), datetime.date(2026, 11, 2)]
        """
        if periods < 1 or months < 1:
            raise SpecError(f"schedule needs periods >= 1 and months >= 1; got periods={periods}, months={months}.")
        return [self.adjust(add_months(start, months * k), rule) for k in range(1, periods + 1)]

    def business_days(self, days: Iterable[dt.date]) -> list[bool]:
        """Vector form of :meth:`is_business_day`.

        Parameters
        ----------
        days : iterable of datetime.date
            Dates.

        Returns
        -------
        list of bool
            One flag per date.
        """
        return [self.is_business_day(d) for d in days]


def get_calendar(name: str = "CN-IB", *, past_end: PastEnd = "raise") -> Calendar:
    """Return a named calendar.

    Parameters
    ----------
    name : str, default "CN-IB"
        One of ``CN-IB``, ``CN-SSE``, ``weekends``.
    past_end : {"raise", "weekends"}, default "raise"
        Behaviour past the holiday table's last year.

    Returns
    -------
    Calendar
        The calendar.

    Raises
    ------
    SpecError
        If the name or ``past_end`` is unknown.

    Examples
    --------
    >>> get_calendar("CN-IB").name
    'CN-IB'
    """
    if name not in CALENDARS:
        raise SpecError(f"Unknown calendar {name!r}; use one of {', '.join(CALENDARS)}.")
    if past_end not in ("raise", "weekends"):
        raise SpecError(f"past_end must be 'raise' or 'weekends'; got {past_end!r}.")
    return Calendar(name, past_end)


def holidays_in(year: int, name: str = "CN-IB") -> Sequence[dt.date]:
    """Sorted weekday holidays of ``year`` in the maintained table.

    Parameters
    ----------
    year : int
        Calendar year inside the table.
    name : str, default "CN-IB"
        Calendar name (CN-IB and CN-SSE share public holidays).

    Returns
    -------
    list of datetime.date
        The holidays.

    Raises
    ------
    SpecError
        If ``year`` is outside the table.
    """
    get_calendar(name)._check_year(dt.date(year, 1, 1))
    return sorted(d for d in _table().holidays if d.year == year)
