"""Amortisation schedules in whole fen: 等额本息, 等额本金, interest-only with balloon, seasonal.

The kernel works on int64 fen, vectorised over loans that share a tenor and start date (a Python
loop runs over months only). Interest each month is the opening balance × annual rate / 12, rounded
half-up to the fen through :mod:`greenfin.money`; principal parts are whole fen that add up to the
principal exactly, so every schedule repays the loan to the fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl

from greenfin._typing import FloatArray, IntArray
from greenfin.conventions import Convention, get_convention
from greenfin.dates import PastEnd, add_months, get_calendar
from greenfin.errors import SpecError, param_error
from greenfin.lending._products import crop_calendars
from greenfin.money import fen_to_yuan, yuan_to_fen

__all__ = ["METHODS", "amortisation_schedule", "loan_schedules"]

Method = Literal["annuity", "equal_principal", "interest_only", "seasonal"]
METHODS: tuple[str, ...] = ("annuity", "equal_principal", "interest_only", "seasonal")
"""Repayment methods: 等额本息 (annuity), 等额本金 (equal principal), 先息后本 (interest-only with
balloon), and seasonal principal matched to a harvest calendar (按收获季节还本)."""


def _allocate_rows(total_fen: IntArray, weights: FloatArray) -> IntArray:
    """Split each total into ``len(weights)`` whole-fen parts by largest remainder (ties: earlier first).

    The same rule as :func:`greenfin.money.allocate_fen`, vectorised over rows.
    """
    w = weights / weights.sum()
    exact = total_fen[:, None].astype(np.float64) * w[None, :]
    floors = np.floor(exact).astype(np.int64)
    leftover = total_fen - floors.sum(axis=1)
    order = np.argsort(-(exact - floors), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(w.size)[None, :].repeat(total_fen.size, axis=0), axis=1)
    parts: IntArray = floors + (ranks < leftover[:, None]).astype(np.int64)
    return parts


def _harvest_weights(start: dt.date, n_months: int, crop: str | None, weights: Sequence[float] | None) -> FloatArray:
    if weights is None:
        calendars = crop_calendars()
        if crop is None or crop not in calendars:
            raise param_error(
                "amortisation_schedule",
                "crop",
                f"one of {sorted(calendars)} for method='seasonal'",
                crop,
                "Name the crop whose harvest pays the loan, or pass harvest_weights (12 monthly shares, Jan..Dec).",
            )
        weights = calendars[crop]
    monthly = np.asarray(weights, dtype=np.float64)
    if monthly.shape != (12,) or np.any(~np.isfinite(monthly)) or np.any(monthly < 0) or monthly.sum() <= 0:
        raise param_error(
            "amortisation_schedule",
            "harvest_weights",
            "12 non-negative monthly shares (Jan..Dec), not all zero",
            weights,
            "Give one share of the year's income per calendar month.",
        )
    # Period k pays at the end of month k+1 after the start: its calendar month decides the weight.
    months = np.array([(add_months(start, k + 1).month - 1) for k in range(n_months)])
    w: FloatArray = monthly[months]
    if w.sum() <= 0:  # no harvest inside the tenor: the whole principal falls due at maturity
        w = np.zeros(n_months)
        w[-1] = 1.0
    return w


def _schedule_fen(
    principal_fen: IntArray,
    annual_rate: FloatArray,
    n_months: int,
    method: Method,
    weights: FloatArray | None,
) -> tuple[IntArray, IntArray, IntArray]:
    """(interest, principal, opening) in fen, each of shape (n_loans, n_months)."""
    m = principal_fen.size
    r = annual_rate / 12.0
    interest = np.zeros((m, n_months), dtype=np.int64)
    principal = np.zeros((m, n_months), dtype=np.int64)
    opening = np.zeros((m, n_months), dtype=np.int64)
    if method == "equal_principal":
        planned = _allocate_rows(principal_fen, np.ones(n_months))
    elif method == "seasonal":
        assert weights is not None
        planned = _allocate_rows(principal_fen, weights)
    elif method == "interest_only":
        planned = np.zeros((m, n_months), dtype=np.int64)
        planned[:, -1] = principal_fen
    else:
        p_yuan = fen_to_yuan(principal_fen)
        with np.errstate(divide="ignore", invalid="ignore"):
            level = np.where(r > 1e-12, p_yuan * r / (1.0 - (1.0 + r) ** -n_months), p_yuan / n_months)
        payment_fen = yuan_to_fen(level)
        planned = np.zeros((m, n_months), dtype=np.int64)
    balance = principal_fen.copy()
    for k in range(n_months):  # loop over time only
        opening[:, k] = balance
        interest[:, k] = yuan_to_fen(fen_to_yuan(balance) * r)
        if method == "annuity":
            part = np.clip(payment_fen - interest[:, k], 0, balance)
        else:
            part = np.minimum(planned[:, k], balance)
        if k == n_months - 1:
            part = balance.copy()
        principal[:, k] = part
        balance = balance - part
    return interest, principal, opening


def _payment_dates(start: dt.date, n_months: int, conv: Convention, past_end: PastEnd) -> list[dt.date]:
    step = 1  # instalments are monthly; conv.frequency_months documents the convention's own frequency
    dates = [add_months(start, step * (k + 1)) for k in range(n_months)]
    if conv.business_day_rule == "unadjusted":
        return dates
    cal = get_calendar(conv.calendar, past_end=past_end)
    return [cal.adjust(d, conv.business_day_rule) for d in dates]


def _check(principal_cny: float, annual_rate: float, n_months: int, method: str) -> None:
    if method not in METHODS:
        raise param_error("amortisation_schedule", "method", f"one of {list(METHODS)}", method, "Pick a method.")
    if not np.isfinite(principal_cny) or principal_cny <= 0:
        raise param_error(
            "amortisation_schedule", "principal_cny", "a positive amount in yuan", principal_cny, "Pass e.g. 300000."
        )
    if not 0.0 <= annual_rate < 1.0:
        raise param_error(
            "amortisation_schedule",
            "annual_rate",
            "a fraction in [0, 1)",
            annual_rate,
            "Rates are fractions: 4.15% is 0.0415.",
        )
    if not 1 <= n_months <= 600:
        raise param_error("amortisation_schedule", "n_months", "an integer in 1..600", n_months, "Pass e.g. 36.")


def amortisation_schedule(
    principal_cny: float,
    annual_rate: float,
    n_months: int,
    *,
    method: Method = "annuity",
    start: dt.date,
    crop: str | None = None,
    harvest_weights: Sequence[float] | None = None,
    convention: str | Convention = "cn-bank-loan",
    past_end: PastEnd = "raise",
) -> pl.DataFrame:
    """A loan's repayment schedule in whole fen (and yuan), repaying the principal exactly.

    Parameters
    ----------
    principal_cny : float
        Principal in yuan (rounded half-up to the fen).
    annual_rate : float
        Annual rate as a fraction (0.0415); monthly interest = balance × rate / 12.
    n_months : int
        Number of monthly instalments.
    method : {"annuity", "equal_principal", "interest_only", "seasonal"}
        等额本息, 等额本金, interest-only with a balloon at maturity, or principal paid in harvest months.
    start : datetime.date
        Drawdown date; instalment k falls k months later.
    crop : str or None
        For ``seasonal``: a bundled harvest calendar (``rice``, ``tea``, ``oil_tea``, ``navel_orange``,
        ``chinese_fir``, ``hogs``).
    harvest_weights : sequence of float or None
        For ``seasonal``: twelve monthly income shares (Jan..Dec) instead of ``crop``.
    convention : str or Convention, default "cn-bank-loan"
        Convention bundle whose business-day rule and calendar adjust the payment dates.
    past_end : {"raise", "weekends"}
        Behaviour for adjusted dates past the holiday table (see :mod:`greenfin.dates`).

    Returns
    -------
    polars.DataFrame
        Columns period, payment_date, opening_fen, interest_fen, principal_fen, payment_fen, closing_fen and the
        same amounts in yuan (``*_cny``). ``principal_fen`` sums to the principal exactly.

    Raises
    ------
    SpecError
        If an argument is out of range or ``seasonal`` lacks a calendar.

    Examples
    --------
    >>> s = amortisation_schedule(100000, 0.0415, 12, method="annuity", start=dt.date(2026, 6, 30))
    >>> int(s["principal_fen"].sum()), s["payment_fen"][0], s["payment_date"][1]
    (10000000, 852185, datetime.date(2026, 8, 30))
    >>> s = amortisation_schedule(100000, 0.04, 12, method="seasonal", crop="oil_tea", start=dt.date(2026, 1, 1))
    >>> s.filter(pl.col("principal_fen") > 0)["payment_date"].dt.month().to_list()
    [10, 11, 12]
    """
    _check(principal_cny, annual_rate, n_months, method)
    conv = get_convention(convention)
    weights = _harvest_weights(start, n_months, crop, harvest_weights) if method == "seasonal" else None
    principal_fen = yuan_to_fen(np.array([principal_cny]))
    interest, principal, opening = _schedule_fen(principal_fen, np.array([annual_rate]), n_months, method, weights)
    return _frame(interest[0], principal[0], opening[0], _payment_dates(start, n_months, conv, past_end))


def _frame(interest: IntArray, principal: IntArray, opening: IntArray, dates: list[dt.date]) -> pl.DataFrame:
    payment = interest + principal
    closing = opening - principal
    out = pl.DataFrame(
        {
            "period": np.arange(1, interest.size + 1, dtype=np.int64),
            "payment_date": dates,
            "opening_fen": opening,
            "interest_fen": interest,
            "principal_fen": principal,
            "payment_fen": payment,
            "closing_fen": closing,
        }
    )
    return out.with_columns(
        [
            (pl.col(f"{c}_fen").cast(pl.Float64) / 100.0).alias(f"{c}_cny")
            for c in ("opening", "interest", "principal", "payment", "closing")
        ]
    )


def loan_schedules(
    loans: pl.DataFrame,
    *,
    start: dt.date,
    method: Method = "annuity",
    crop: str | None = None,
    convention: str | Convention = "cn-bank-loan",
    past_end: PastEnd = "raise",
) -> pl.DataFrame:
    """Schedules of many loans at once (long format), vectorised over loans of the same tenor.

    Parameters
    ----------
    loans : polars.DataFrame
        loan_id, principal_cny, rate, tenor_months (e.g. :func:`greenfin.lending.approved_loans`).
    start : datetime.date
        Common drawdown date.
    method : {"annuity", "equal_principal", "interest_only", "seasonal"}
        Repayment method for every loan.
    crop : str or None
        Harvest calendar for ``seasonal``.
    convention : str or Convention, default "cn-bank-loan"
        Date convention.
    past_end : {"raise", "weekends"}
        Behaviour past the holiday table.

    Returns
    -------
    polars.DataFrame
        Column loan_id plus the columns of :func:`amortisation_schedule`, one row per loan and month.

    Raises
    ------
    SpecError
        If a column is missing or a value is out of range.
    """
    missing = {"loan_id", "principal_cny", "rate", "tenor_months"} - set(loans.columns)
    if missing:
        raise SpecError(f"loan_schedules needs columns {sorted(missing)}; pass the approved-loans table.")
    conv = get_convention(convention)
    parts: list[pl.DataFrame] = []
    for (tenor,), group in loans.group_by(["tenor_months"], maintain_order=True):  # loop over tenors, not loans
        n = int(str(tenor))
        _check(float(group["principal_cny"].min()), float(group["rate"].max()), n, method)  # type: ignore[arg-type]
        if float(group["rate"].min()) < 0:  # type: ignore[arg-type]
            raise SpecError("loan_schedules: rates must be fractions >= 0.")
        weights = _harvest_weights(start, n, crop, None) if method == "seasonal" else None
        principal_fen = yuan_to_fen(group["principal_cny"].to_numpy())
        interest, principal, opening = _schedule_fen(
            principal_fen, group["rate"].to_numpy().astype(np.float64), n, method, weights
        )
        dates = _payment_dates(start, n, conv, past_end)
        m = principal_fen.size
        frame = _frame(interest.ravel(), principal.ravel(), opening.ravel(), dates * m)
        frame = frame.with_columns(
            pl.Series("loan_id", np.repeat(group["loan_id"].to_numpy(), n)),
            pl.Series("period", np.tile(np.arange(1, n + 1, dtype=np.int64), m)),
        )
        parts.append(frame.select("loan_id", *[c for c in frame.columns if c != "loan_id"]))
    if not parts:
        return _frame(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), []).with_columns(
            pl.lit("").alias("loan_id")
        )
    return pl.concat(parts)
