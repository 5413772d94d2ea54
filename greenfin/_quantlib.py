"""The one QuantLib adapter: only this module imports QuantLib (ruff TID251 bans it elsewhere).

It converts dates, calendars and day counters in and out; no QuantLib type appears in a public
signature elsewhere. QuantLib's evaluation date is a process-wide singleton, so it is set only
through :func:`evaluation_date`, which holds a lock for the whole computation.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import QuantLib as ql

from greenfin.dates import _table
from greenfin.errors import SpecError

__all__ = [
    "QL_LOCK",
    "amortizing_bond_balances",
    "day_counter",
    "evaluation_date",
    "from_ql_date",
    "greenfin_calendar",
    "leg_measures",
    "leg_z_spread",
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


_FREQUENCIES: dict[str, Any] = {
    "annual": ql.Annual,
    "semiannual": ql.Semiannual,
    "quarterly": ql.Quarterly,
    "monthly": ql.Monthly,
}


def _frequency(name: str) -> Any:
    try:
        return _FREQUENCIES[name]
    except KeyError:
        raise SpecError(f"Unknown compounding frequency {name!r}; use one of {', '.join(_FREQUENCIES)}.") from None


def _leg(amounts: Sequence[float], dates: Sequence[dt.date]) -> Any:
    return ql.Leg([ql.SimpleCashFlow(float(a), to_ql_date(d)) for a, d in zip(amounts, dates, strict=True)])


def leg_measures(
    amounts: Sequence[float],
    dates: Sequence[dt.date],
    full_price: float,
    settle: dt.date,
    *,
    day_count: str = "30/360",
    frequency: str = "semiannual",
) -> dict[str, float]:
    """Yield, Macaulay and modified duration and convexity of a leg of fixed cash flows, by QuantLib.

    Parameters
    ----------
    amounts : sequence of float
        Cash flow amounts.
    dates : sequence of datetime.date
        Receipt dates (payment delay included).
    full_price : float
        Full (dirty) price in the same money unit as the amounts.
    settle : datetime.date
        Settlement date.
    day_count : str, default "30/360"
        Day count of the times (``30/360`` bond basis or ``ACT/365``).
    frequency : str, default "semiannual"
        Compounding frequency of the yield (``annual``, ``semiannual`` ...).

    Returns
    -------
    dict
        ``yield``, ``macaulay``, ``modified``, ``convexity`` and ``npv`` (at the yield).

    Examples
    --------
    >>> m = leg_measures([105.0], [dt.date(2027, 1, 1)], 100.0, dt.date(2026, 1, 1), frequency="annual")
    >>> round(m["yield"], 10), round(m["macaulay"], 10)
    (0.05, 1.0)
    """
    dc = day_counter(day_count)
    freq = _frequency(frequency)
    with evaluation_date(settle):
        leg = _leg(amounts, dates)
        d = to_ql_date(settle)
        y = ql.CashFlows.yieldRate(leg, float(full_price), dc, ql.Compounded, freq, False, d, d, 1.0e-12, 1000, 0.05)
        mac = ql.CashFlows.duration(leg, y, dc, ql.Compounded, freq, ql.Duration.Macaulay, False, d, d)
        mod = ql.CashFlows.duration(leg, y, dc, ql.Compounded, freq, ql.Duration.Modified, False, d, d)
        cvx = ql.CashFlows.convexity(leg, y, dc, ql.Compounded, freq, False, d, d)
        npv = ql.CashFlows.npv(leg, ql.InterestRate(y, dc, ql.Compounded, freq), False, d)
    return {
        "yield": float(y),
        "macaulay": float(mac),
        "modified": float(mod),
        "convexity": float(cvx),
        "npv": float(npv),
    }


def leg_z_spread(
    amounts: Sequence[float],
    dates: Sequence[dt.date],
    full_price: float,
    settle: dt.date,
    curve_dates: Sequence[dt.date],
    zero_rates: Sequence[float],
    *,
    day_count: str = "ACT/365",
    frequency: str = "annual",
    extrapolate: bool = False,
) -> float:
    """Z-spread of a leg over a zero curve (linear in continuously compounded zero rates), by QuantLib.

    Parameters
    ----------
    amounts : sequence of float
        Cash flow amounts.
    dates : sequence of datetime.date
        Receipt dates.
    full_price : float
        Full price in the amounts' unit.
    settle : datetime.date
        Settlement date (also the curve's reference date).
    curve_dates : sequence of datetime.date
        Curve node dates, the first equal to ``settle``.
    zero_rates : sequence of float
        Continuously compounded zero rates at the nodes (fractions).
    day_count : str, default "ACT/365"
        Day count of the curve and spread.
    frequency : str, default "annual"
        Compounding frequency of the spread.
    extrapolate : bool, default False
        Allow cash flows after the last node (flat-forward extrapolation); off unless asked.

    Returns
    -------
    float
        The spread (a fraction).

    Raises
    ------
    SpecError
        If a cash flow falls after the last curve node and ``extrapolate`` is False.
    """
    dc = day_counter(day_count)
    if not extrapolate and max(dates) > max(curve_dates):
        raise SpecError(
            f"Cash flow on {max(dates)} is after the last curve node {max(curve_dates)}; extend the curve to the "
            "legal final maturity or pass extrapolate=True deliberately."
        )
    with evaluation_date(settle):
        curve = ql.ZeroCurve([to_ql_date(d) for d in curve_dates], [float(r) for r in zero_rates], dc)
        if extrapolate:
            curve.enableExtrapolation()
        leg = _leg(amounts, dates)
        d = to_ql_date(settle)
        z = ql.CashFlows.zSpread(
            leg, float(full_price), curve, dc, ql.Compounded, _frequency(frequency), False, d, d, 1.0e-12, 1000, 0.0
        )
    return float(z)


def amortizing_bond_balances(face: float, rate: float, months: int, start: dt.date) -> list[float]:
    """Outstanding notional after each month of a level-pay (French) amortizing bond, by QuantLib.

    Builds ``AmortizingFixedRateBond`` on ``sinkingSchedule``/``sinkingNotionals`` (monthly, 30/360) and
    reads the balance from its redemption flows; used to cross-check greenfin's scheduled factors.

    Parameters
    ----------
    face : float
        Initial notional.
    rate : float
        Annual coupon (fraction).
    months : int
        Term in months.
    start : datetime.date
        Start (accrual) date.

    Returns
    -------
    list of float
        Balance after months 1..``months``.

    Examples
    --------
    >>> round(amortizing_bond_balances(100.0, 0.08, 360, dt.date(2026, 1, 1))[0], 8)
    99.93290209
    """
    period = ql.Period(int(months), ql.Months)
    schedule = ql.sinkingSchedule(to_ql_date(start), period, ql.Monthly, ql.NullCalendar())
    notionals = ql.sinkingNotionals(period, ql.Monthly, float(rate), float(face))
    bond = ql.AmortizingFixedRateBond(0, notionals, schedule, [float(rate)], ql.Thirty360(ql.Thirty360.BondBasis))
    balance = float(face)
    out: list[float] = []
    for cf in bond.cashflows():
        if ql.as_coupon(cf) is None:  # a redemption flow
            balance -= cf.amount()
            out.append(balance)
    return out
