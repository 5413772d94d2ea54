"""Tranche analytics: SF yield and risk measures, Z-spread, break-even stresses, Monte Carlo EL, sizing, the pack.

Yield measures follow SF-48 ff.: times are years from settlement to the *actual receipt* of each flow
(payment delay included) on 30/360 (bond basis) or ACT/365; ``P = sum CF_k v^(f T_k)`` with
``v = 1 / (1 + y/f)``, ``f`` = 2 (bond-equivalent, semiannual) or 1 (Chinese annual quotes).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy.optimize import brentq

from greenfin import _quantlib
from greenfin._typing import FloatArray, PathLikeStr
from greenfin._validation import evolve, write_atomically
from greenfin.dates import add_months
from greenfin.errors import ConvergenceError, SpecError
from greenfin.securitization._deal import DealSpec, LoanCollateral, Scenario
from greenfin.securitization._engine import DealResult, deal_collections, run_waterfall
from greenfin.securitization._params import params, pvalue

__all__ = [
    "BreakEven",
    "CashflowMeasures",
    "break_even",
    "cash_flow_times",
    "measure_cashflows",
    "monte_carlo_el",
    "price_at_yield",
    "rating_from_el",
    "regulator_pack",
    "solve_subordination",
    "stress_grid",
    "z_spread",
]

DayCount = Literal["30/360", "ACT/365"]
Compounding = Literal["semiannual", "annual"]
_FREQ = {"semiannual": 2.0, "annual": 1.0}
_MC_CHUNK = 1000


def _days_30360(d1: dt.date, d2: dt.date) -> int:
    """30/360 bond-basis days (ISDA 2006 4.16(f))."""
    a = min(d1.day, 30)
    b = 30 if (d2.day == 31 and a == 30) else d2.day
    return 360 * (d2.year - d1.year) + 30 * (d2.month - d1.month) + (b - a)


def cash_flow_times(
    settle: dt.date,
    first_pay: dt.date,
    n: int,
    *,
    delay_days: int = 0,
    day_count: DayCount = "30/360",
    months_between: int = 1,
) -> tuple[FloatArray, list[dt.date]]:
    """Years from settlement to the actual receipt of each of ``n`` periodic flows (SF-48 timing).

    Flow ``k`` is due ``first_pay + k x months_between`` months and received ``delay_days`` later. On
    30/360 the time is ``(days30/360(settle, due) + delay) / 360``; on ACT/365 it is
    ``(due + delay - settle) / 365``.

    Parameters
    ----------
    settle : datetime.date
        Settlement date.
    first_pay : datetime.date
        Due date (end of accrual) of the first flow, before the delay.
    n : int
        Number of flows.
    delay_days : int, default 0
        Payment delay in days.
    day_count : {"30/360", "ACT/365"}
        Day count.
    months_between : int, default 1
        Months between flows.

    Returns
    -------
    tuple
        Times in years (ndarray) and receipt dates.

    Examples
    --------
    >>> t, _ = cash_flow_times(dt.date(2026, 3, 1), dt.date(2026, 4, 1), 2, delay_days=24)
    >>> (t * 360).round(6).tolist()  # (30 + d)/360 then 30/360 further on (SF timing example)
    [54.0, 84.0]
    """
    due = [add_months(first_pay, k * months_between) for k in range(n)]
    receipt = [d + dt.timedelta(days=delay_days) for d in due]
    if day_count == "30/360":
        t = np.array([(_days_30360(settle, d) + delay_days) / 360.0 for d in due])
    elif day_count == "ACT/365":
        t = np.array([(r - settle).days / 365.0 for r in receipt])
    else:
        raise SpecError(f"day_count must be '30/360' or 'ACT/365'; got {day_count!r}.")
    return t, receipt


@dataclass(frozen=True)
class CashflowMeasures:
    """SF yield and risk measures of a cash-flow vector.

    Parameters
    ----------
    yield_ : float
        Yield (fraction) with the stated compounding (bond-equivalent when semiannual).
    mortgage_yield : float
        Monthly-compounded equivalent, ``12 [(1 + y/f)^(f/12) - 1]``.
    average_life_years : float
        SF average life, settlement to receipt, delay included.
    macaulay_duration_years, modified_duration_years : float
        Durations.
    convexity : float
        Cash-flow convexity ``d2P/dy2 / P`` (SF prints it divided by 100).
    price : float
        Full price per 100 of face used.
    day_count, compounding : str
        Conventions used.
    delay_days : int
        Payment delay used.
    """

    yield_: float
    mortgage_yield: float
    average_life_years: float
    macaulay_duration_years: float
    modified_duration_years: float
    convexity: float
    price: float
    day_count: str
    compounding: str
    delay_days: int

    def as_dict(self) -> dict[str, float | str | int]:
        """The measures as a flat dict (yield as ``yield``).

        Returns
        -------
        dict
            Field values.
        """
        return {
            "yield": self.yield_,
            "mortgage_yield": self.mortgage_yield,
            "average_life_years": self.average_life_years,
            "macaulay_duration_years": self.macaulay_duration_years,
            "modified_duration_years": self.modified_duration_years,
            "convexity": self.convexity,
            "price": self.price,
            "day_count": self.day_count,
            "compounding": self.compounding,
            "delay_days": self.delay_days,
        }


def _check_flows(cash_flow: FloatArray, principal: FloatArray) -> None:
    if cash_flow.shape != principal.shape or cash_flow.ndim != 1 or cash_flow.size == 0:
        raise SpecError("cash_flow and principal must be 1-D arrays of the same, non-zero length.")
    if not (np.all(np.isfinite(cash_flow)) and np.all(np.isfinite(principal))):
        raise SpecError("cash_flow and principal must be finite; fill or drop missing values.")


def _pv(y: float, cf: FloatArray, t: FloatArray, f: float) -> float:
    return float(np.sum(cf * (1.0 + y / f) ** (-f * t)))


def measure_cashflows(
    cash_flow: FloatArray,
    principal: FloatArray,
    *,
    price: float,
    face: float,
    settle: dt.date,
    first_pay: dt.date,
    delay_days: int = 0,
    day_count: DayCount = "30/360",
    compounding: Compounding = "semiannual",
    months_between: int = 1,
) -> CashflowMeasures:
    """Yield at a price, SF average life, Macaulay/modified duration and convexity of periodic flows.

    Parameters
    ----------
    cash_flow : ndarray
        Total cash received per period (principal + interest), yuan.
    principal : ndarray
        Principal part of each flow (for the average life).
    price : float
        Full price (accrued included) per 100 of ``face``.
    face : float
        Face the price refers to (e.g. the balance at settlement).
    settle : datetime.date
        Settlement date.
    first_pay : datetime.date
        Due date of the first flow (before the delay).
    delay_days : int, default 0
        Payment delay in days.
    day_count : {"30/360", "ACT/365"}
        30/360 for SIFMA bond-equivalent quotes, ACT/365 for Chinese quotes.
    compounding : {"semiannual", "annual"}
        Yield compounding.
    months_between : int, default 1
        Months between flows.

    Returns
    -------
    CashflowMeasures
        The measures.

    Raises
    ------
    SpecError
        If inputs are inconsistent or the price is not positive.
    ConvergenceError
        If no yield in (-99 %, 1000 %) reproduces the price.

    References
    ----------
    The Bond Market Association, Uniform Practices/Standard Formulas, ch. SF (02/01/99), SF-48 ff.

    Examples
    --------
    >>> m = measure_cashflows(np.array([105.0]), np.array([100.0]), price=100.0, face=100.0,
    ...                       settle=dt.date(2026, 1, 1), first_pay=dt.date(2027, 1, 1), compounding="annual")
    >>> round(m.yield_, 10), round(m.average_life_years, 10)
    (0.05, 1.0)
    """
    cf = np.asarray(cash_flow, dtype=np.float64)
    pr = np.asarray(principal, dtype=np.float64)
    _check_flows(cf, pr)
    if not price > 0 or not face > 0:
        raise SpecError(f"price and face must be > 0; got price={price}, face={face}.")
    if compounding not in _FREQ:
        raise SpecError(f"compounding must be 'semiannual' or 'annual'; got {compounding!r}.")
    f = _FREQ[compounding]
    t, _ = cash_flow_times(
        settle, first_pay, cf.size, delay_days=delay_days, day_count=day_count, months_between=months_between
    )
    keep = t > 0
    cf, pr, t = cf[keep], pr[keep], t[keep]
    target = price / 100.0 * face
    try:
        y = float(brentq(lambda r: _pv(r, cf, t, f) - target, -0.99 * f, 10.0 * f, xtol=1e-14, maxiter=500))
    except ValueError:
        raise ConvergenceError(
            f"No yield reproduces price {price}: the flows' undiscounted sum is {cf.sum():.2f} vs a price amount "
            f"of {target:.2f}. Check the price (per 100 of face) and the face."
        ) from None
    v = (1.0 + y / f) ** (-f * t)
    p = float(np.sum(cf * v))
    mac = float(np.sum(t * cf * v) / p)
    cvx = float((1.0 + y / f) ** -2 * np.sum(t * (t + 1.0 / f) * cf * v) / p)
    al = float(np.sum(t * pr) / pr.sum()) if pr.sum() > 0 else float("nan")
    return CashflowMeasures(
        yield_=y,
        mortgage_yield=12.0 * ((1.0 + y / f) ** (f / 12.0) - 1.0),
        average_life_years=al,
        macaulay_duration_years=mac,
        modified_duration_years=mac / (1.0 + y / f),
        convexity=cvx,
        price=price,
        day_count=day_count,
        compounding=compounding,
        delay_days=delay_days,
    )


def price_at_yield(
    cash_flow: FloatArray,
    *,
    yield_: float,
    face: float,
    settle: dt.date,
    first_pay: dt.date,
    delay_days: int = 0,
    day_count: DayCount = "30/360",
    compounding: Compounding = "semiannual",
    months_between: int = 1,
) -> float:
    """Full price per 100 of ``face`` at a yield (the inverse of :func:`measure_cashflows`).

    Parameters
    ----------
    cash_flow : ndarray
        Cash per period.
    yield_ : float
        Yield (fraction) with the given compounding.
    face : float
        Face the price refers to.
    settle, first_pay : datetime.date
        Settlement and first due date.
    delay_days : int, default 0
        Payment delay in days.
    day_count : {"30/360", "ACT/365"}
        Day count.
    compounding : {"semiannual", "annual"}
        Compounding.
    months_between : int, default 1
        Months between flows.

    Returns
    -------
    float
        Full price per 100.

    Examples
    --------
    >>> round(price_at_yield(np.array([105.0]), yield_=0.05, face=100.0, settle=dt.date(2026, 1, 1),
    ...                      first_pay=dt.date(2027, 1, 1), compounding="annual"), 10)
    100.0
    """
    cf = np.asarray(cash_flow, dtype=np.float64)
    t, _ = cash_flow_times(
        settle, first_pay, cf.size, delay_days=delay_days, day_count=day_count, months_between=months_between
    )
    keep = t > 0
    return _pv(yield_, cf[keep], t[keep], _FREQ[compounding]) / face * 100.0


def z_spread(
    cash_flow: FloatArray,
    *,
    price: float,
    face: float,
    settle: dt.date,
    first_pay: dt.date,
    curve_dates: Sequence[dt.date],
    zero_rates: Sequence[float],
    delay_days: int = 0,
    months_between: int = 1,
    extrapolate: bool = False,
) -> float:
    """Z-spread over a zero curve (e.g. 中债 government curve), through the QuantLib adapter (ACT/365, annual).

    Parameters
    ----------
    cash_flow : ndarray
        Cash per period.
    price : float
        Full price per 100 of ``face``.
    face : float
        Face.
    settle, first_pay : datetime.date
        Settlement and first due date.
    curve_dates : sequence of datetime.date
        Curve nodes (first = settlement).
    zero_rates : sequence of float
        Continuously compounded zero rates at the nodes.
    delay_days : int, default 0
        Payment delay.
    months_between : int, default 1
        Months between flows.
    extrapolate : bool, default False
        Allow flows after the last node (logged in the result's caller; off by default).

    Returns
    -------
    float
        Spread (fraction, annual compounding).
    """
    cf = np.asarray(cash_flow, dtype=np.float64)
    _, receipt = cash_flow_times(
        settle, first_pay, cf.size, delay_days=delay_days, day_count="ACT/365", months_between=months_between
    )
    keep = [i for i, d in enumerate(receipt) if d > settle and cf[i] != 0]
    return _quantlib.leg_z_spread(
        [float(cf[i]) for i in keep],
        [receipt[i] for i in keep],
        price / 100.0 * face,
        settle,
        curve_dates,
        zero_rates,
        day_count="ACT/365",
        frequency="annual",
        extrapolate=extrapolate,
    )


def rating_from_el(expected_loss: FloatArray | float) -> list[str]:
    """Map expected-loss shares to a rating-STYLE label (illustrative scale, marked unverified).

    Parameters
    ----------
    expected_loss : float or ndarray
        Expected loss as a share of the tranche.

    Returns
    -------
    list of str
        Labels AAA..C.

    Examples
    --------
    >>> rating_from_el([0.0, 0.001, 0.5])
    ['AAA', 'BBB', 'C']
    """
    scale = np.asarray(params().value("rating_el_scale"), dtype=np.float64)
    labels = str(params().value("rating_el_labels")).split(",")
    el = np.atleast_1d(np.asarray(expected_loss, dtype=np.float64))
    idx = np.searchsorted(scale, el, side="left")
    return [labels[int(i)] for i in idx]


@dataclass(frozen=True)
class BreakEven:
    """Break-even stress per tranche: the smallest stress at which it first misses interest or principal.

    Parameters
    ----------
    dimension : str
        ``default_multiple``, ``cash_haircut`` or ``delay_periods``.
    table : polars.DataFrame
        tranche, break_even (stress level; inf when never breached within the grid), unit.
    """

    dimension: str
    table: pl.DataFrame


def _scenarios_for(dimension: str, levels: FloatArray) -> list[Scenario]:
    if dimension == "default_multiple":
        return [Scenario(name=f"dm={x:g}", default_multiple=float(x)) for x in levels]
    if dimension == "cash_haircut":
        return [Scenario(name=f"haircut={x:g}", cash_haircut=float(x)) for x in levels]
    if dimension == "delay_periods":
        return [Scenario(name=f"delay={int(x)}", delay_periods=int(x)) for x in levels]
    raise SpecError(f"Unknown stress dimension {dimension!r}; use default_multiple, cash_haircut or delay_periods.")


def _breached(res: DealResult) -> np.ndarray:
    """``(scenarios, tranches)``: tranche ends with unpaid principal or carries an interest shortfall."""
    a = res.arrays
    init = np.array([t.balance_cny for t in res.spec.tranches])
    loss = a["balance"][:, -1, :] > 0.01 + 1e-9 * init
    short = (a["int_short"] > 0.01).any(axis=1)
    out: np.ndarray = loss | short
    return out


def break_even(
    spec: DealSpec, dimension: str = "default_multiple", *, upper: float | None = None, points: int = 41
) -> BreakEven:
    """Break-even stress for each tranche (first missed interest or principal), by a grid then bisection.

    Every grid level is one scenario of a single vectorised engine run; the bracket is refined once
    more on a finer grid.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    dimension : {"default_multiple", "cash_haircut", "delay_periods"}
        Stress: multiple of the base default rate (CDR/SDA scale), share of collections lost, or
        periods of collection delay.
    upper : float or None
        Largest stress tried (defaults: 50x defaults, 100 % haircut, 8 periods).
    points : int, default 41
        Grid points per pass.

    Returns
    -------
    BreakEven
        Per tranche the break-even level (``inf`` when not breached within ``upper``).
    """
    default_upper = {"default_multiple": 50.0, "cash_haircut": 1.0, "delay_periods": 8.0}
    if dimension not in default_upper:
        _scenarios_for(dimension, np.zeros(0))
    hi = default_upper[dimension] if upper is None else upper
    if dimension == "delay_periods":
        levels = np.arange(0, int(hi) + 1, dtype=np.float64)
        res = _run(spec, _scenarios_for(dimension, levels))
        br = _breached(res)
        be = [float(levels[np.argmax(br[:, j])]) if br[:, j].any() else np.inf for j in range(br.shape[1])]
    else:
        levels = np.linspace(0.0, hi, points)
        br = _breached(_run(spec, _scenarios_for(dimension, levels)))
        be = []
        for j in range(br.shape[1]):
            if not br[:, j].any():
                be.append(np.inf)
                continue
            k = int(np.argmax(br[:, j]))
            if k == 0:
                be.append(0.0)
                continue
            fine = np.linspace(levels[k - 1], levels[k], points)
            brf = _breached(_run(spec, _scenarios_for(dimension, fine)))[:, j]
            be.append(float(fine[int(np.argmax(brf))]) if brf.any() else float(levels[k]))
    base_label = dimension
    if dimension == "default_multiple" and isinstance(spec.collateral, LoanCollateral):
        d = spec.collateral.assumptions.default
        base_label = f"multiple of base {d.kind} {d.value if d.value is not None else 'vector'}"
    table = pl.DataFrame(
        {
            "tranche": [t.name for t in spec.tranches],
            "break_even": be,
            "unit": [base_label] * len(spec.tranches),
        }
    )
    if dimension == "default_multiple" and isinstance(spec.collateral, LoanCollateral):
        d = spec.collateral.assumptions.default
        if d.kind == "cdr" and d.value is not None:
            table = table.with_columns((pl.col("break_even") * d.value).clip(upper_bound=1.0).alias("break_even_cdr"))
        elif d.kind == "sda" and d.value is not None:
            table = table.with_columns((pl.col("break_even") * d.value).alias("break_even_sda_pct"))
    return BreakEven(dimension, table)


def _run(spec: DealSpec, scenarios: Sequence[Scenario], *, stochastic: bool = False, seed: int = 0) -> DealResult:
    col = deal_collections(spec, scenarios, stochastic=stochastic, seed=seed)
    return run_waterfall(spec, col, scenarios)


def monte_carlo_el(
    spec: DealSpec, *, n_scenarios: int = 2000, seed: int = 0, default_sigma: float = 0.8
) -> pl.DataFrame:
    """Monte Carlo expected loss per tranche and a rating-style label.

    Loan pools: each scenario scales the base default rate by a mean-one lognormal multiple with log
    standard deviation ``default_sigma`` (a lognormal portfolio-loss approach, in the spirit of the rating
    agencies' lognormal method). Income pools: each scenario draws the physical drivers' randomness.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    n_scenarios : int, default 2000
        Scenarios.
    seed : int, default 0
        Seed.
    default_sigma : float, default 0.8
        Log standard deviation of the default multiple (loan pools).

    Returns
    -------
    polars.DataFrame
        Columns tranche, expected_loss_share, loss_probability, p99_loss_share, expected_wal_years, rating_style.
    """
    if n_scenarios < 1:
        raise SpecError(f"n_scenarios must be >= 1; got {n_scenarios}.")
    rng = np.random.default_rng(seed)
    scen = [Scenario(name="mc")]
    loans = isinstance(spec.collateral, LoanCollateral)
    mult = rng.lognormal(-0.5 * default_sigma**2, default_sigma, n_scenarios) if loans else None
    init = np.array([t.balance_cny for t in spec.tranches])
    losses, wals = [], []
    for k, lo in enumerate(range(0, n_scenarios, _MC_CHUNK)):  # cache-sized chunks: same results, less memory
        hi = min(lo + _MC_CHUNK, n_scenarios)
        if mult is not None:
            col = deal_collections(spec, scen, default_multiples=mult[lo:hi])
        else:
            col = deal_collections(spec, [Scenario(name="mc")] * (hi - lo), stochastic=True, seed=seed + k)
        res = run_waterfall(spec, col, scen)
        a = res.arrays
        losses.append((a["balance"][:, -1, :] + a["int_short"][:, -1, :]) / init)
        t_years = np.array([(d - spec.issue_date).days / 365.0 for d in res.dates])
        prin = a["prin_paid"]
        with np.errstate(invalid="ignore", divide="ignore"):
            wals.append(np.einsum("p,spt->st", t_years, prin) / prin.sum(axis=1))
    loss = np.concatenate(losses)
    wal = np.concatenate(wals)
    el = loss.mean(axis=0)
    return pl.DataFrame(
        {
            "tranche": [t.name for t in spec.tranches],
            "expected_loss_share": el,
            "loss_probability": (loss > 1e-9).mean(axis=0),
            "p99_loss_share": np.quantile(loss, 0.99, axis=0),
            "expected_wal_years": np.nanmean(wal, axis=0),
            "rating_style": rating_from_el(el),
        }
    )


def stress_grid(spec: DealSpec, scenarios: Sequence[Scenario] | None = None) -> pl.DataFrame:
    """Run a grid of named stresses and report per scenario and tranche: loss, shortfall, min coverage, WAL.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    scenarios : sequence of Scenario or None
        The grid; by default ``default_stresses(spec)``: base, 2x/4x/8x defaults (loan pools) or a 40 %
        haircut (income pools), 10/20/30 % cash haircuts, 1- and 2-period delays, a downgrade, a combined stress.

    Returns
    -------
    polars.DataFrame
        Columns scenario, tranche, principal_loss_share, interest_shortfall_cny, min_coverage, wal_years,
        support_drawn_cny, final_state.
    """
    grid = list(scenarios) if scenarios is not None else default_stresses(spec)
    res = _run(spec, grid)
    a = res.arrays
    init = np.array([t.balance_cny for t in spec.tranches])
    t_years = np.array([(d - spec.issue_date).days / 365.0 for d in res.dates])
    rows = []
    for s, sc in enumerate(grid):
        prin = a["prin_paid"][s]
        cov = a["coverage"][s]
        for j, t in enumerate(spec.tranches):
            paid = prin[:, j].sum()
            finite = cov[:, j][np.isfinite(cov[:, j]) & (a["balance_open"][s, :, j] > 0.01)]
            rows.append(
                {
                    "scenario": sc.name,
                    "tranche": t.name,
                    "principal_loss_share": float(a["balance"][s, -1, j] / init[j]),
                    "interest_shortfall_cny": float(a["int_short"][s, -1, j]),
                    "min_coverage": float(finite.min()) if finite.size else float("inf"),
                    "wal_years": float(t_years @ prin[:, j] / paid) if paid > 0 else float("nan"),
                    "support_drawn_cny": float(a["draw_support"][s].sum()),
                    "final_state": ("normal", "accelerated", "enforcement")[int(a["state"][s, -1])],
                }
            )
    return pl.DataFrame(rows)


def default_stresses(spec: DealSpec) -> list[Scenario]:
    """The default stress grid: defaults (loan pools), cash haircuts, delays, a downgrade, a combined stress.

    Parameters
    ----------
    spec : DealSpec
        The deal (loan pools get default stresses, income pools do not).

    Returns
    -------
    list of Scenario
        Named scenarios.
    """
    loans = isinstance(spec.collateral, LoanCollateral)
    defaults = (
        [
            Scenario(name="defaults_x2", default_multiple=2.0),
            Scenario(name="defaults_x4", default_multiple=4.0),
            Scenario(name="defaults_x8", default_multiple=8.0),
        ]
        if loans
        else [Scenario(name="cash_-40pct", cash_haircut=0.40)]
    )
    return [
        Scenario(name="base"),
        *defaults,
        Scenario(name="cash_-10pct", cash_haircut=0.10),
        Scenario(name="cash_-20pct", cash_haircut=0.20),
        Scenario(name="cash_-30pct", cash_haircut=0.30),
        Scenario(name="delay_1", delay_periods=1),
        Scenario(name="delay_2", delay_periods=2),
        Scenario(name="downgrade_p2", downgrade_period=2),
        Scenario(
            name="combined",
            default_multiple=3.0 if loans else 1.0,
            cash_haircut=0.15,
            delay_periods=1,
            downgrade_period=2,
        ),
    ]


def solve_subordination(
    spec: DealSpec,
    *,
    senior: str,
    absorber: str,
    target_coverage: float | None = None,
    target_el: float | None = None,
    n_scenarios: int = 500,
    seed: int = 0,
    tol_share: float = 0.0025,
) -> dict[str, float]:
    """Smallest share of the issue below the senior class that meets a coverage or expected-loss target.

    The senior class is shrunk (or grown) and the ``absorber`` class (the subordinated class, whose
    retained amount follows its size and never falls below the 5 % retention) takes the difference,
    keeping the issue size; bisection on the subordination share.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    senior : str
        Class to size.
    absorber : str
        Class that takes the difference (usually the subordinated class).
    target_coverage : float or None
        Minimum base-case coverage multiple of the senior class over its life.
    target_el : float or None
        Maximum Monte Carlo expected loss share of the senior class.
    n_scenarios : int, default 500
        Monte Carlo scenarios for ``target_el``.
    seed : int, default 0
        Seed.
    tol_share : float, default 0.0025
        Bisection tolerance on the subordination share.

    Returns
    -------
    dict
        ``subordination_share`` (of the issue below ``senior``), ``senior_cny``, ``absorber_cny``, ``metric``.

    Raises
    ------
    SpecError
        If neither or both targets are given, or a class is unknown.
    ConvergenceError
        If even the largest subordination tried fails the target.
    """
    if (target_coverage is None) == (target_el is None):
        raise SpecError("solve_subordination needs exactly one of target_coverage or target_el.")
    names = [t.name for t in spec.tranches]
    if senior not in names or absorber not in names:
        raise SpecError(f"Unknown class {senior!r} or {absorber!r}; classes: {names}.")
    issue = sum(t.balance_cny for t in spec.tranches)
    js, ja = names.index(senior), names.index(absorber)
    above = sum(t.balance_cny for t in spec.tranches[:js])
    pair = spec.tranches[js].balance_cny + spec.tranches[ja].balance_cny
    min_absorber = pvalue("risk_retention_min_share") * issue  # the retained subordinated class stays >= 5 %

    def sized(sub_share: float) -> DealSpec:
        senior_cny = max(issue - above - sub_share * issue, 1.0)
        absorber_cny = max(pair - senior_cny, min_absorber)
        tranches = list(spec.tranches)
        tranches[js] = evolve(tranches[js], balance_cny=senior_cny)
        tranches[ja] = evolve(tranches[ja], balance_cny=absorber_cny, retained_cny=absorber_cny)
        return evolve(spec, tranches=tuple(tranches))

    def metric(s: DealSpec) -> float:
        if target_coverage is not None:
            res = _run(s, [Scenario()])
            cov = res.arrays["coverage"][0, :, js]
            live = res.arrays["balance_open"][0, :, js] > 0.01
            return float(np.min(cov[live])) if live.any() else float("inf")
        el = monte_carlo_el(s, n_scenarios=n_scenarios, seed=seed)
        return float(el["expected_loss_share"][js])

    def ok(m: float) -> bool:
        return m >= target_coverage if target_coverage is not None else m <= (target_el or 0.0)

    lo = (issue - above - pair + min_absorber) / issue
    hi = (issue - above - 1.0) / issue
    if not ok(metric(sized(hi))):
        raise ConvergenceError(
            f"Even {hi:.2%} subordination below {senior} misses the target; relax the target or restructure."
        )
    if ok(metric(sized(lo))):
        hi = lo
    while hi - lo > tol_share:
        mid = 0.5 * (lo + hi)
        if ok(metric(sized(mid))):
            hi = mid
        else:
            lo = mid
    final = sized(hi)
    return {
        "subordination_share": hi,
        "senior_cny": final.tranches[js].balance_cny,
        "absorber_cny": final.tranches[ja].balance_cny,
        "metric": metric(final),
    }


def regulator_pack(
    spec: DealSpec, out_dir: PathLikeStr, *, scenarios: Sequence[Scenario] | None = None
) -> dict[str, pl.DataFrame]:
    """Write the regulator / rating-agency pack: forecast, coverage multiples, stress grid (CSV and Excel).

    Parameters
    ----------
    spec : DealSpec
        The deal.
    out_dir : str or path-like
        Folder for ``forecast.csv``, ``coverage.csv``, ``stress_grid.csv``, ``break_even.csv``,
        ``forecast_basis.csv`` (the driver model or pool assumptions), ``deal.csv`` (retention, support,
        holiday-table choice), ``parameters.csv`` and ``regulator_pack.xlsx`` (written only once everything is
        computed).
    scenarios : sequence of Scenario or None
        Stress grid (default ``default_stresses(spec)``).

    Returns
    -------
    dict of polars.DataFrame
        The tables written.
    """
    from pathlib import Path

    base = _run(spec, [Scenario()])
    forecast = base.deal_periods(0)
    flows = base.tranche_cashflows(0)
    coverage = flows.select("period", "payment_date", "tranche", "coverage").pivot(
        on="tranche", index=["period", "payment_date"], values="coverage"
    )
    grid = stress_grid(spec, scenarios)
    be = break_even(spec, "default_multiple" if isinstance(spec.collateral, LoanCollateral) else "cash_haircut").table
    retention = spec.risk_retention()
    items = {
        "deal": spec.name,
        "issue_date": spec.issue_date.isoformat(),
        "holiday_table_past_end": spec.past_end,
        "risk_retention_share": f"{float(retention['share']):.4f}",
        "risk_retention_ok": str(retention["ok"]),
        "support_provider": spec.support.name if spec.support else "none",
        "support_provider_rating": spec.support.rating if spec.support else "none",
        "support_cap_cny": f"{spec.support.cap_cny:.2f}" if spec.support else "0",
        "sweep_lag_periods": str(spec.sweep_lag_periods),
    }
    meta = pl.DataFrame({"item": list(items), "value": list(items.values())})
    basis = spec.collateral.model_dump(mode="json")
    model = basis.get("model") or basis.get("assumptions") or {}
    forecast_basis = pl.DataFrame(
        {"assumption": [str(k) for k in model], "value": [str(v) for v in model.values()]},
        schema={"assumption": pl.String, "value": pl.String},
    )
    tables = {
        "forecast": forecast,
        "tranche_cashflows": flows,
        "coverage": coverage,
        "stress_grid": grid,
        "break_even": be,
        "forecast_basis": forecast_basis,
        "parameters": params().to_frame(),
        "deal": meta,
    }
    out = Path(out_dir)
    payloads: dict[str, bytes] = {f"{k}.csv": v.write_csv().encode("utf-8") for k, v in tables.items()}
    payloads["regulator_pack.xlsx"] = _excel(tables)
    for name, data in payloads.items():
        write_atomically(out / name, data)
    return tables


def _excel(tables: dict[str, pl.DataFrame]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in tables.items():
        ws = book.create_sheet(name[:31])
        ws.append(frame.columns)
        for row in frame.iter_rows():
            ws.append([v if isinstance(v, int | float | str | bool) or v is None else str(v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
