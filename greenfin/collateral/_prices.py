"""Price histories: validation (gaps, non-positive prices), marks to market and the price haircut."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Final

import numpy as np
import polars as pl
from scipy.stats import norm

from greenfin._typing import FloatArray
from greenfin._validation import ColumnSpec, validate_frame
from greenfin.collateral._params import fval
from greenfin.errors import DataError, SpecError, param_error

__all__ = ["PRICE_COLUMNS", "drawdown_quantile", "last_price", "validate_prices", "volatility_drawdown"]

PRICE_COLUMNS: Final[tuple[ColumnSpec, ...]] = (
    ColumnSpec(name="series", kind="str", description="series name, e.g. cea"),
    ColumnSpec(name="date", kind="date", description="trading day"),
    ColumnSpec(name="price_cny", description="close price in CNY per unit"),
)


def validate_prices(prices: pl.DataFrame, *, source: str = "price table") -> pl.DataFrame:
    """Check a long price table (series, date, price_cny): positive prices, unique dates, no gaps.

    Parameters
    ----------
    prices : polars.DataFrame
        Columns ``series``, ``date`` (YYYY-MM-DD) and ``price_cny``.
    source : str, default "price table"
        File name for messages.

    Returns
    -------
    polars.DataFrame
        The table sorted by series and date.

    Raises
    ------
    DataError
        A non-positive or missing price, a repeated date, or a gap longer than ``max_price_gap_days``
        (data/haircuts.json) between two observations of a series.

    Examples
    --------
    >>> df = pl.DataFrame({"series": ["cea"] * 3, "date": ["2025-01-02", "2025-01-03", "2025-03-03"],
    ...                    "price_cny": [90.0, 91.0, 92.0]})
    >>> validate_prices(df, source="prices.csv")
    Traceback (most recent call last):
    ...
    greenfin.errors.DataError: prices.csv, column date, row 3: series 'cea' has a gap of 59 days ...
    """
    frame = validate_frame(prices, PRICE_COLUMNS, source=source).with_row_index("_row", offset=1)
    bad = frame.filter(pl.col("price_cny") <= 0.0)
    if bad.height:
        raise DataError(
            f"price {bad['price_cny'][0]!r} is not positive; a price must be > 0 (remove the row or fix the unit).",
            source=source,
            column="price_cny",
            row=int(bad["_row"][0]),
        )
    frame = frame.sort("series", "date")
    max_gap = fval("haircuts", "max_price_gap_days")
    checked = frame.with_columns(
        (pl.col("date") - pl.col("date").shift(1)).dt.total_days().over("series").alias("_gap"),
        pl.col("date").shift(1).over("series").alias("_prev"),
    )
    dup = checked.filter(pl.col("_gap") == 0)
    if dup.height:
        raise DataError(
            f"series {dup['series'][0]!r} has two prices on {dup['date'][0]}; keep one close per day.",
            source=source,
            column="date",
            row=int(dup["_row"][0]),
        )
    gap = checked.filter(pl.col("_gap") > max_gap)
    if gap.height:
        raise DataError(
            f"series {gap['series'][0]!r} has a gap of {gap['_gap'][0]} days between {gap['_prev'][0]} and"
            f" {gap['date'][0]} (more than {max_gap:g}); fill the missing closes or cut the series after the gap.",
            source=source,
            column="date",
            row=int(gap["_row"][0]),
        )
    return frame.drop("_row")


def last_price(prices: pl.DataFrame, series: str, as_of: dt.date) -> tuple[float, dt.date]:
    """The last close of ``series`` on or before ``as_of``, refusing a stale mark.

    Parameters
    ----------
    prices : polars.DataFrame
        A validated price table.
    series : str
        Series name.
    as_of : datetime.date
        Valuation date.

    Returns
    -------
    tuple
        ``(price_cny, date)``.

    Raises
    ------
    DataError
        If the series is absent, starts after ``as_of``, or its last close is older than the allowed gap.
    """
    sub = prices.filter((pl.col("series") == series) & (pl.col("date") <= as_of))
    if sub.height == 0:
        known = sorted(prices["series"].unique().to_list())
        raise DataError(
            f"no price of series {series!r} on or before {as_of}; series present: {known}."
            " Pass a price history that covers the valuation date.",
            column="series",
        )
    day = sub["date"][-1]
    if (as_of - day).days > fval("haircuts", "max_price_gap_days"):
        raise DataError(
            f"the last {series!r} close is {day}, stale at {as_of}; extend the price history to the valuation date.",
            column="date",
        )
    return float(sub["price_cny"][-1]), day


def drawdown_quantile(prices: FloatArray, horizon_days: int, quantile: float) -> float:
    """Quantile of the worst fall from a start day within the next ``horizon_days`` observations.

    For each start day ``i`` the drawdown is ``1 - min(p[i+1 .. i+T]) / p[i]`` (0 when the price only
    rises); the result is the ``quantile`` of those drawdowns over every start day in the history.

    Parameters
    ----------
    prices : numpy.ndarray
        Daily closes, oldest first, all > 0.
    horizon_days : int
        Liquidation horizon T in observations (trading days).
    quantile : float
        q in (0, 1), e.g. 0.95.

    Returns
    -------
    float
        The drawdown quantile, a fraction in [0, 1).

    Raises
    ------
    SpecError
        If the history is shorter than T + 1 days or q is outside (0, 1).

    Examples
    --------
    >>> round(drawdown_quantile(np.array([100.0, 90.0, 80.0, 85.0, 100.0]), 2, 1.0 - 1e-9), 4)
    0.2
    """
    if not 0.0 < quantile < 1.0:
        raise param_error("drawdown_quantile", "quantile", "a float in (0, 1)", quantile, "Use e.g. 0.95.")
    p = np.asarray(prices, dtype=np.float64)
    if p.size < horizon_days + 1 or horizon_days < 1:
        raise SpecError(
            f"A price history of {p.size} days is too short for a {horizon_days}-day liquidation horizon;"
            " pass at least horizon + 1 closes, or a stated volatility instead of a history."
        )
    windows = np.lib.stride_tricks.sliding_window_view(p, horizon_days + 1)
    worst = windows[:, 1:].min(axis=1)
    dd = np.maximum(1.0 - worst / windows[:, 0], 0.0)
    return float(np.quantile(dd, quantile))


@lru_cache(maxsize=64)
def _reflected_z(quantile: float) -> float:
    """``Phi^{-1}((1+q)/2)``, computed once per quantile (a scipy call costs more than the whole haircut)."""
    return float(norm.ppf(0.5 * (1.0 + quantile)))


def volatility_drawdown(volatility: FloatArray, horizon_days: FloatArray, quantile: float) -> FloatArray:
    """Drawdown quantile over a horizon for a driftless lognormal price with a stated annual volatility.

    By the reflection principle ``P(min_{s<=T} W_s <= -a) = 2 P(W_T <= -a)``, so the ``q``-quantile of the
    running minimum of log price is ``sigma sqrt(T) z`` with ``z = Phi^{-1}((1+q)/2)``; the haircut is
    ``1 - exp(-sigma sqrt(T) z)``.

    Parameters
    ----------
    volatility : numpy.ndarray
        Annual volatility sigma (fraction per sqrt(year)).
    horizon_days : numpy.ndarray
        Liquidation horizon in trading days.
    quantile : float
        q in (0, 1).

    Returns
    -------
    numpy.ndarray
        Price haircut in [0, 1).

    Examples
    --------
    >>> round(float(volatility_drawdown(np.array([0.35]), np.array([20.0]), 0.95)[0]), 3)
    0.178
    """
    z = _reflected_z(quantile)
    years = np.asarray(horizon_days, dtype=np.float64) / fval("haircuts", "trading_days_per_year")
    sigma = np.asarray(volatility, dtype=np.float64)
    return np.asarray(1.0 - np.exp(-sigma * np.sqrt(years) * z), dtype=np.float64)
