"""Loan pools: scheduled amortisation, prepayment and default speeds, and the SF default recursion.

The recursion follows the Bond Market Association's *Uniform Practices / Standard Formulas*, chapter
SF (02/01/99), section C.3 (SF-18/19), exactly: age comes from the WAM (``age = M0 - WAM``), voluntary
prepayment is taken on the prior performing balance times ``S(i)/S(i-1)`` (new defaults not netted),
actual amortisation nets new defaults, the amortised defaulted balance (ADB) is scaled by the schedule
under P&I advancing, the loss is ``min(severity x amount at default, ADB)`` and no loan defaults in the
last ``L`` months of its term. Everything is float64 (>= 10 significant digits); nothing is rounded.

Loans (or representative lines, or scenarios) are rows of a vector; Python loops only over months.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from greenfin._typing import FloatArray, IntArray
from greenfin._validation import ColumnSpec, validate_frame
from greenfin.errors import SpecError, param_error
from greenfin.securitization._params import pvalue

__all__ = [
    "AMORTISATION_TYPES",
    "POOL_COLUMNS",
    "DefaultSpec",
    "PoolAssumptions",
    "PrepaySpec",
    "cdr_to_mdr",
    "cpr_to_smm",
    "prepayment_from_factors",
    "project_pool",
    "psa_cpr",
    "scheduled_factor",
    "sda_cdr",
    "smm_to_cpr",
]

AMORTISATION_TYPES: tuple[str, ...] = ("level", "equal_principal", "interest_only", "seasonal")
"""Amortisation types: level pay (等额本息), equal principal (等额本金), interest-only with balloon, seasonal."""

POOL_COLUMNS: tuple[str, ...] = (
    "month",
    "perf_bal_cny",
    "new_def_cny",
    "fcl_cny",
    "sched_factor",
    "exp_am_cny",
    "vol_prepay_cny",
    "am_def_cny",
    "act_am_cny",
    "exp_int_cny",
    "int_lost_cny",
    "act_int_cny",
    "recov_cny",
    "loss_cny",
    "adb_cny",
    "servicing_cny",
    "cash_flow_cny",
)
"""Columns of :func:`project_pool`'s monthly table (the SF quantities, in yuan)."""

_TAPE_COLUMNS = (
    ColumnSpec(name="balance_cny", ge=0.0, description="current principal balance in yuan"),
    ColumnSpec(name="gross_rate", ge=0.0, lt=1.0, description="gross coupon (WAC) as a fraction, e.g. 0.08"),
    ColumnSpec(name="net_rate", ge=0.0, lt=1.0, required=False, nullable=True, description="net coupon fraction"),
    ColumnSpec(name="original_term_months", kind="int", gt=0, description="original term M0 in months"),
    ColumnSpec(name="remaining_term_months", kind="int", gt=0, description="remaining term (WAM) in months"),
    ColumnSpec(
        name="amortisation",
        kind="str",
        required=False,
        nullable=True,
        allowed=AMORTISATION_TYPES,
        description="level, equal_principal, interest_only or seasonal",
    ),
)


def smm_to_cpr(smm: FloatArray | float) -> FloatArray:
    """Annual CPR from monthly SMM: ``CPR = 1 - (1 - SMM)^12`` [SF-8].

    Parameters
    ----------
    smm : float or ndarray
        Single monthly mortality, a fraction.

    Returns
    -------
    ndarray
        CPR, a fraction.

    Examples
    --------
    >>> round(float(smm_to_cpr(0.01)), 10)
    0.1136151283
    """
    return np.asarray(1.0 - (1.0 - np.asarray(smm, dtype=np.float64)) ** 12, dtype=np.float64)


def cpr_to_smm(cpr: FloatArray | float) -> FloatArray:
    """Monthly SMM from annual CPR: ``SMM = 1 - (1 - CPR)^(1/12)`` [SF-8].

    Parameters
    ----------
    cpr : float or ndarray
        Conditional prepayment rate, a fraction.

    Returns
    -------
    ndarray
        SMM, a fraction.
    """
    return np.asarray(1.0 - (1.0 - np.asarray(cpr, dtype=np.float64)) ** (1.0 / 12.0), dtype=np.float64)


def cdr_to_mdr(cdr: FloatArray | float) -> FloatArray:
    """Monthly default rate from the annual CDR: ``MDR = 1 - (1 - CDR)^(1/12)``.

    Parameters
    ----------
    cdr : float or ndarray
        Constant default rate, a fraction.

    Returns
    -------
    ndarray
        MDR, a fraction.
    """
    return cpr_to_smm(cdr)


def psa_cpr(month: FloatArray | IntArray | int, psa: float) -> FloatArray:
    """CPR of the PSA curve at loan age ``month``: ``min(PSA/100 x 0.2 % x min(max(month,1),30), 1)``.

    Parameters
    ----------
    month : int or ndarray
        Loan age after the month (the first month after origination is 1).
    psa : float
        Speed as a percentage of the PSA curve (100 = 100 PSA).

    Returns
    -------
    ndarray
        CPR, a fraction.

    Examples
    --------
    >>> psa_cpr(np.array([1, 15, 30, 200]), 100.0).round(6).tolist()
    [0.002, 0.03, 0.06, 0.06]
    """
    m = np.clip(np.asarray(month, dtype=np.float64), 1.0, pvalue("psa_plateau_month"))
    return np.asarray(np.minimum(psa / 100.0 * pvalue("psa_cpr_step") * m, 1.0), dtype=np.float64)


def sda_cdr(month: FloatArray | IntArray | int, sda: float) -> FloatArray:
    """Annual CDR of the SDA curve at loan age ``month`` (before the zero-default tail).

    Parameters
    ----------
    month : int or ndarray
        Loan age after the month.
    sda : float
        Speed as a percentage of the SDA curve (100 = 100 SDA).

    Returns
    -------
    ndarray
        CDR, a fraction.

    Examples
    --------
    >>> sda_cdr(np.array([1, 30, 45, 61, 120, 200]), 100.0).round(6).tolist()
    [0.0002, 0.006, 0.006, 0.005905, 0.0003, 0.0003]
    """
    m = np.asarray(month, dtype=np.float64)
    peak_m, end_m, tail_m = pvalue("sda_peak_month"), pvalue("sda_plateau_end_month"), pvalue("sda_tail_month")
    peak = pvalue("sda_cdr_step") * peak_m
    cdr = np.where(
        m <= peak_m,
        pvalue("sda_cdr_step") * np.maximum(m, 1.0),
        np.where(
            m <= end_m,
            peak,
            np.where(m <= tail_m, peak - pvalue("sda_decline_per_month") * (m - end_m), pvalue("sda_tail_cdr")),
        ),
    )
    return np.asarray(cdr * sda / 100.0, dtype=np.float64)


class PrepaySpec(BaseModel):
    """Voluntary prepayment assumption.

    Examples
    --------
    >>> PrepaySpec(kind="psa", value=150.0).kind
    'psa'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["smm", "cpr", "psa", "abs"] = Field(
        description="smm/cpr as fractions; psa as % of the PSA curve (150 = 150 PSA); abs as a fraction of the "
        "original number of loans per month (absolute prepayment speed, SF-14)."
    )
    value: float | None = Field(default=None, ge=0.0, description="Constant speed (in the unit of `kind`).")
    vector: tuple[float, ...] | None = Field(
        default=None, description="Speeds by projection month (last value repeats); smm or cpr kinds only."
    )

    @model_validator(mode="after")
    def _check(self) -> PrepaySpec:
        if (self.value is None) == (self.vector is None):
            raise ValueError("give exactly one of value or vector")
        values = self.vector if self.vector is not None else (self.value or 0.0,)
        if any(v < 0 for v in values):
            raise ValueError("prepayment speeds must be >= 0")
        if self.kind in ("smm", "cpr", "abs") and any(v > 1.0 for v in values):
            raise ValueError(f"{self.kind} above 100 % (1.0): rates are fractions, e.g. 0.06 for 6 %")
        if self.vector is not None and self.kind not in ("smm", "cpr"):
            raise ValueError("vectors are given as smm or cpr")
        return self


class DefaultSpec(BaseModel):
    """Default assumption (MDR/CDR fractions, or SDA as % of the SDA curve).

    Examples
    --------
    >>> DefaultSpec(kind="sda", value=100.0).value
    100.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["mdr", "cdr", "sda"] = Field(description="mdr/cdr as fractions; sda as % of the SDA curve.")
    value: float | None = Field(default=None, ge=0.0, description="Constant rate (in the unit of `kind`).")
    vector: tuple[float, ...] | None = Field(
        default=None, description="Rates by projection month (last value repeats); mdr or cdr kinds only."
    )

    @model_validator(mode="after")
    def _check(self) -> DefaultSpec:
        if (self.value is None) == (self.vector is None):
            raise ValueError("give exactly one of value or vector")
        values = self.vector if self.vector is not None else (self.value or 0.0,)
        if any(v < 0 for v in values):
            raise ValueError("default rates must be >= 0")
        if self.kind in ("mdr", "cdr") and any(v > 1.0 for v in values):
            raise ValueError(f"{self.kind} above 100 % (1.0): rates are fractions, e.g. 0.02 for 2 %")
        if self.vector is not None and self.kind not in ("mdr", "cdr"):
            raise ValueError("vectors are given as mdr or cdr")
        return self


class PoolAssumptions(BaseModel):
    """Performance assumptions of a loan pool.

    Examples
    --------
    >>> a = PoolAssumptions(prepay=PrepaySpec(kind="smm", value=0.01), default=DefaultSpec(kind="mdr", value=0.01),
    ...                     lag_months=12, severity=0.2, advancing=True)
    >>> a.lag_months
    12
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prepay: PrepaySpec = Field(description="Voluntary prepayment speed.")
    default: DefaultSpec = Field(description="Default rate.")
    lag_months: int = Field(ge=0, le=120, description="Liquidation lag L in months (default to liquidation).")
    severity: float = Field(ge=0.0, le=1.0, description="Loss severity: fraction of the amount at default.")
    advancing: bool = Field(description="Whether the servicer advances P&I on defaulted loans until liquidation.")
    seasonal_weights: tuple[float, ...] | None = Field(
        default=None,
        description="12 principal weights by calendar month (Jan..Dec) for seasonal loans, e.g. harvest months.",
    )
    first_payment_month: int = Field(
        default=1, ge=1, le=12, description="Calendar month (1-12) of the first projected payment (seasonal loans)."
    )

    @model_validator(mode="after")
    def _check(self) -> PoolAssumptions:
        if self.seasonal_weights is not None:
            w = self.seasonal_weights
            if len(w) != 12 or any(x < 0 for x in w) or sum(w) <= 0:
                raise ValueError("seasonal_weights needs 12 non-negative weights (Jan..Dec) with a positive sum")
        return self


def scheduled_factor(
    age: IntArray | FloatArray,
    term: IntArray | FloatArray,
    rate: FloatArray,
    kind: str = "level",
    *,
    seasonal_weights: tuple[float, ...] | None = None,
    first_month_index: IntArray | None = None,
) -> FloatArray:
    """Scheduled balance factor ``S(age)`` (no prepayment, no default) of loans with original term ``term``.

    Level pay: ``S(i) = [1 - (1+c)^-(M0-i)] / [1 - (1+c)^-M0]`` with ``c`` the gross monthly rate
    [SF-4]; equal principal (等额本金): ``1 - i/M0``; interest-only: 1 until the balloon at ``M0``;
    seasonal: principal paid in proportion to calendar-month weights.

    Parameters
    ----------
    age : ndarray
        Loan age in months (0 = origination).
    term : ndarray
        Original term M0 in months.
    rate : ndarray
        Gross annual coupon, a fraction.
    kind : str, default "level"
        One of :data:`AMORTISATION_TYPES`.
    seasonal_weights : tuple of float or None
        12 weights, for ``kind="seasonal"``.
    first_month_index : ndarray of int or None
        0-based calendar month of each loan's first payment (age 1), for ``kind="seasonal"``.

    Returns
    -------
    ndarray
        ``S(age)``, 0 from ``age >= M0``.

    Raises
    ------
    SpecError
        If ``kind`` is unknown or seasonal weights are missing.

    Examples
    --------
    >>> float(scheduled_factor(np.array([1]), np.array([360]), np.array([0.08]))[0])  # doctest: +NUMBER
    0.99932902
    """
    a = np.asarray(age, dtype=np.float64)
    m0 = np.asarray(term, dtype=np.float64)
    c = np.asarray(rate, dtype=np.float64) / 12.0
    if kind == "level":
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(
                c > 0,
                (1.0 - (1.0 + c) ** (-(m0 - a))) / (1.0 - (1.0 + c) ** (-m0)),
                1.0 - a / m0,
            )
    elif kind == "equal_principal":
        s = 1.0 - a / m0
    elif kind == "interest_only":
        s = np.ones_like(a * m0)
    elif kind == "seasonal":
        if seasonal_weights is None:
            raise SpecError("seasonal amortisation needs seasonal_weights (12 weights, Jan..Dec).")
        w = np.asarray(seasonal_weights, dtype=np.float64)
        first = np.zeros(np.broadcast(a, m0).shape, dtype=np.int64) if first_month_index is None else first_month_index
        s = 1.0 - _seasonal_cum(a, first, w) / _seasonal_cum(m0, first, w)
    else:
        raise SpecError(f"Unknown amortisation {kind!r}; use one of {', '.join(AMORTISATION_TYPES)}.")
    out: FloatArray = np.where(a >= m0, 0.0, np.clip(s, 0.0, 1.0))
    return out


def _seasonal_cum(months: FloatArray, first: IntArray, w: FloatArray) -> FloatArray:
    """Sum of the weights of payment months 1..``months`` for loans whose first payment is in month ``first``."""
    cw = np.concatenate([[0.0], np.cumsum(np.tile(w, 2))])
    m = np.asarray(months, dtype=np.int64)
    full, part = np.divmod(m, 12)
    out: FloatArray = full * w.sum() + cw[first + part] - cw[first]
    return out


def _speed_table(kind: str, value: float | None, max_age: int) -> FloatArray:
    """Monthly rate (SMM or MDR) by integer loan age 0..max_age for a constant-speed assumption."""
    month = np.arange(max_age + 1, dtype=np.float64)
    val = float(value or 0.0)
    if kind in ("smm", "mdr"):
        return np.full(month.shape, val)
    if kind in ("cpr", "cdr"):
        return np.full(month.shape, float(cpr_to_smm(val)))
    if kind == "psa":
        return cpr_to_smm(psa_cpr(month, val))
    if kind == "sda":
        return cdr_to_mdr(sda_cdr(month, val))
    # ABS speed [SF-14]: SMM = ABS / (1 - ABS x (MONTH - 1)), capped at 100 %.
    denom = 1.0 - val * (month - 1.0)
    out: FloatArray = np.where(denom > val, val / np.maximum(denom, 1e-300), 1.0)
    return out


def _vector_rate(kind: str, vector: tuple[float, ...], k: int) -> float:
    v = float(vector[min(k, len(vector)) - 1])
    return v if kind in ("smm", "mdr") else float(cpr_to_smm(v))


def _lower_tape(tape: pl.DataFrame, source: str) -> dict[str, np.ndarray]:
    frame = validate_frame(tape, _TAPE_COLUMNS, source=source)
    bad = frame["remaining_term_months"] > frame["original_term_months"]
    if bad.any():
        row = int(bad.arg_true()[0]) + 1
        from greenfin.errors import DataError

        raise DataError(
            "remaining_term_months exceeds original_term_months; the age M0 - WAM would be negative. "
            "Fix the terms of that loan.",
            source=source,
            column="remaining_term_months",
            row=row,
        )
    gross = frame["gross_rate"].to_numpy().astype(np.float64)
    net = frame["net_rate"].to_numpy().astype(np.float64) if frame["net_rate"].null_count() < frame.height else gross
    net = np.where(np.isnan(net), gross, net)
    kinds = frame["amortisation"].fill_null("level").to_numpy().astype(str)
    return {
        "balance": frame["balance_cny"].to_numpy().astype(np.float64),
        "gross": gross,
        "net": net,
        "term": frame["original_term_months"].to_numpy().astype(np.int64),
        "wam": frame["remaining_term_months"].to_numpy().astype(np.int64),
        "kind": kinds,
    }


class _Schedule:
    """Scheduled factors ``S(age)`` per row, stepped one month at a time (level pay incrementally)."""

    def __init__(self, age0: FloatArray, term: FloatArray, gross: FloatArray, kinds: np.ndarray, a: PoolAssumptions):
        self.term = term
        self.gross = gross
        self.a = a
        self.masks = {str(k): kinds == k for k in np.unique(kinds)}
        n = age0.size
        first = (np.full(n, a.first_payment_month - 1, dtype=np.int64) - age0.astype(np.int64) % 12) % 12
        self.first = first
        c = gross / 12.0
        self.growth = 1.0 + c
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            d0 = self.growth ** (-term)
            self.inv = np.where(c > 0, 1.0 / (1.0 - d0), 0.0)
            self.u = self.growth ** (-(term - age0))  # (1+c)^-(M0 - age), stepped by x(1+c) each month
        self.level_zero = c <= 0
        self.any_zero = bool(np.any(self.level_zero))

    def factor(self, age: FloatArray, *, step: bool) -> FloatArray:
        """``S(age)``; with ``step`` the level-pay state advances one month first."""
        if step:
            self.u = self.u * self.growth
        out = np.empty(age.shape)
        for kind, mask in self.masks.items():
            if kind == "level":
                lvl = (1.0 - self.u) * self.inv
                if self.any_zero:
                    lvl = np.where(self.level_zero, 1.0 - age / self.term, lvl)
                vals = lvl if mask.all() else lvl[mask]
            else:
                sub = slice(None) if mask.all() else mask
                vals = scheduled_factor(
                    age[sub],
                    self.term[sub],
                    self.gross[sub],
                    kind,
                    seasonal_weights=self.a.seasonal_weights,
                    first_month_index=self.first[sub],
                )
            if mask.all():
                out = vals
            else:
                out[mask] = vals
        np.clip(out, 0.0, 1.0, out=out)
        out[age >= self.term] = 0.0
        return out


def project_pool(
    tape: pl.DataFrame,
    assumptions: PoolAssumptions,
    *,
    by_row: bool = False,
    source: str = "loan tape",
) -> pl.DataFrame | dict[str, FloatArray]:
    """Project a loan pool month by month with the SF default recursion (SF-18/19).

    Each row of ``tape`` is a loan or a representative line; rows are projected together as one vector
    and summed by month. With ``by_row=True`` the per-row arrays (shape ``(rows, months)``) are
    returned instead, which the deal engine uses to run one row per scenario.

    Parameters
    ----------
    tape : polars.DataFrame
        Columns ``balance_cny``, ``gross_rate`` (WAC, fraction), optional ``net_rate`` (net coupon;
        the difference is the servicing strip), ``original_term_months`` (M0),
        ``remaining_term_months`` (WAM; age = M0 - WAM) and optional ``amortisation``.
    assumptions : PoolAssumptions
        Prepayment, default, lag, severity, advancing.
    by_row : bool, default False
        Return per-row arrays instead of the monthly pool table.
    source : str
        Name of the tape for error messages.

    Returns
    -------
    polars.DataFrame or dict of ndarray
        The monthly table with :data:`POOL_COLUMNS`, or the per-row arrays keyed by the column names
        without ``_cny``. ``cash_flow_cny`` is what the holder receives: voluntary prepayments + recoveries
        + actual amortisation + actual interest; under P&I advancing the holder receives all expected
        amortisation and expected interest regardless of defaults (SF-16), i.e. ``AM_DEF`` and the lost
        interest are advanced.

    Raises
    ------
    DataError
        If the tape is invalid (negative balance, rate not a fraction, WAM > M0 ...).

    References
    ----------
    The Bond Market Association, Uniform Practices/Standard Formulas, ch. SF (02/01/99), C.3, SF-18/19.

    Examples
    --------
    >>> tape = pl.DataFrame({"balance_cny": [100e6], "gross_rate": [0.08], "original_term_months": [360],
    ...                      "remaining_term_months": [360]})
    >>> a = PoolAssumptions(prepay=PrepaySpec(kind="smm", value=0.01), default=DefaultSpec(kind="mdr", value=0.01),
    ...                     lag_months=12, severity=0.2, advancing=True)
    >>> out = project_pool(tape, a)
    >>> round(out["perf_bal_cny"][0]), round(out["adb_cny"][12])  # SF-19 month 1 and month 13
    (97934244, 991646)
    """
    t = _lower_tape(tape, source)
    if by_row:
        return _project(t, assumptions, by_row=True)
    n = t["balance"].size
    horizon = int(t["wam"].max()) if n else 0
    sums = {key: np.zeros(horizon) for key in (c.removesuffix("_cny") for c in POOL_COLUMNS[1:])}
    for lo in range(0, n, _CHUNK_ROWS):  # cache-sized chunks of rows: the same sums, several times faster
        part = {key: v[lo : lo + _CHUNK_ROWS] for key, v in t.items()}
        chunk = _project(part, assumptions, by_row=False)
        for key, v in chunk.items():
            sums[key][: v.size] += v
    total = float(t["balance"].sum())
    sums["sched_factor"] = sums["sched_factor"] / total if total > 0 else sums["sched_factor"]
    frame = pl.DataFrame({"month": np.arange(1, horizon + 1, dtype=np.int64)})
    return frame.with_columns([pl.Series(col, sums[col.removesuffix("_cny")]) for col in POOL_COLUMNS[1:]])


_CHUNK_ROWS = 8192


def _scale_annual(rate: FloatArray | float, multiple: FloatArray | None) -> FloatArray | float:
    """Scale a monthly rate by ``multiple`` in annual terms (as PSA/SDA percentages scale CPR/CDR)."""
    if multiple is None:
        return rate
    annual = np.minimum((1.0 - (1.0 - np.asarray(rate)) ** 12) * multiple, 1.0)
    out: FloatArray = 1.0 - (1.0 - annual) ** (1.0 / 12.0)
    return out


def _project(  # one SF recursion; splitting it would hide the formulas' order
    t: dict[str, np.ndarray],
    a: PoolAssumptions,
    *,
    by_row: bool,
    prepay_multiple: FloatArray | None = None,
    default_multiple: FloatArray | None = None,
    severity: FloatArray | None = None,
    groups: int | None = None,
) -> dict[str, FloatArray]:
    """Per-row arrays ``(rows, months)`` (``by_row``) or month sums (``sched_factor`` balance-weighted, unscaled)."""
    bal0 = np.asarray(t["balance"], dtype=np.float64)
    gross = np.asarray(t["gross"], dtype=np.float64)
    net = np.asarray(t["net"], dtype=np.float64)
    term = np.asarray(t["term"], dtype=np.float64)
    wam = np.asarray(t["wam"], dtype=np.int64)
    age0 = term - wam
    n = bal0.size
    horizon = int(wam.max()) if n else 0
    lag = a.lag_months
    r_net = net / 12.0
    strip = (gross - net) / 12.0
    sched = _Schedule(age0, term, gross, np.asarray(t["kind"]), a)
    max_age = int(term.max()) + 1 if n else 1
    smm_table = None if a.prepay.vector is not None else _speed_table(a.prepay.kind, a.prepay.value, max_age)
    mdr_table = None if a.default.vector is not None else _speed_table(a.default.kind, a.default.value, max_age)
    age0_int = age0.astype(np.int64)
    term_int = term.astype(np.int64)
    tail_start = term_int - lag
    s_start = sched.factor(age0, step=False)
    s_prev = s_start
    inv_start = np.where(s_start > 0, 1.0 / np.where(s_start > 0, s_start, 1.0), 0.0)
    perf = bal0.copy()
    fcl = np.zeros(n)
    zeros = np.zeros(n)
    ring_x = np.zeros((lag + 1, n))  # NEW_DEF(j)/S(j-1) under advancing, else NEW_DEF(j); slot j mod (L+1)
    ring_nd = np.zeros((lag + 1, n))
    names = [c.removesuffix("_cny") for c in POOL_COLUMNS[1:]]
    rows_out = groups if groups is not None else n
    store: dict[str, FloatArray] = {key: np.zeros((rows_out, horizon) if by_row else horizon) for key in names}
    sev = a.severity if severity is None else severity
    if prepay_multiple is not None and np.all(prepay_multiple == 1.0):
        prepay_multiple = None
    if default_multiple is not None and np.all(default_multiple == 1.0):
        default_multiple = None
    for k in range(1, horizon + 1):
        month_int = age0_int + k
        month = month_int.astype(np.float64)
        s_now = sched.factor(month, step=True)
        alive = s_prev > 0
        q = np.divide(s_now, s_prev, out=np.zeros(n), where=alive)
        smm = (
            smm_table[np.minimum(month_int, max_age)]
            if smm_table is not None
            else _vector_rate(a.prepay.kind, a.prepay.vector or (0.0,), k)
        )
        mdr_raw = (
            mdr_table[np.minimum(month_int, max_age)]
            if mdr_table is not None
            else _vector_rate(a.default.kind, a.default.vector or (0.0,), k)
        )
        smm = _scale_annual(smm, prepay_multiple)
        mdr_raw = _scale_annual(mdr_raw, default_multiple)
        mdr = np.where(month_int > tail_start, 0.0, mdr_raw)  # zero-default tail: last L months [SF-19]
        new_def = perf * mdr
        vol = perf * q * smm
        one_q = 1.0 - q
        act_am = (perf - new_def) * one_q
        slot = k % (lag + 1)
        if k > lag:
            old = (k - lag) % (lag + 1)
            nd_lag = ring_nd[old]
            adb = ring_x[old] * s_prev if a.advancing else nd_lag
        else:
            nd_lag = zeros
            adb = zeros
        exp_am = (perf + fcl - adb) * one_q
        am_def = (new_def + fcl - adb) * one_q if a.advancing else zeros
        exp_int = (perf + fcl) * r_net
        lost = (new_def + fcl) * r_net
        act_int = exp_int - lost
        loss = np.minimum(nd_lag * sev, adb)
        recov = np.maximum(adb - loss, 0.0)
        servicing = ((perf + fcl) if a.advancing else (perf - new_def)) * strip
        cash = act_am + am_def + vol + recov + (exp_int if a.advancing else act_int)
        fcl = new_def + fcl - adb - am_def
        perf = perf - new_def - vol - act_am
        if a.advancing:
            np.divide(new_def, s_prev, out=ring_x[slot], where=alive)
            ring_x[slot][~alive] = 0.0
        else:
            ring_x[slot] = new_def
        ring_nd[slot] = new_def
        values = {
            "perf_bal": perf,
            "new_def": new_def,
            "fcl": fcl,
            "sched_factor": s_now * inv_start,
            "exp_am": exp_am,
            "vol_prepay": vol,
            "am_def": am_def,
            "act_am": act_am,
            "exp_int": exp_int,
            "int_lost": lost,
            "act_int": act_int,
            "recov": recov,
            "loss": loss,
            "adb": adb,
            "servicing": servicing,
            "cash_flow": cash,
        }
        if by_row and groups is not None:
            for key, v in values.items():
                store[key][:, k - 1] = v.reshape(groups, -1).sum(axis=1)
        elif by_row:
            for key, v in values.items():
                store[key][:, k - 1] = v
        else:
            for key, v in values.items():
                if key == "sched_factor":
                    store[key][k - 1] = float(bal0 @ v)
                else:
                    store[key][k - 1] = float(v.sum())
        s_prev = s_now
    return store


def check_rate(owner: str, name: str, value: float, *, upper: float = 1.0) -> float:
    """Validate a rate given as a fraction.

    Parameters
    ----------
    owner : str
        Who takes the rate.
    name : str
        Field name.
    value : float
        The rate.
    upper : float
        Largest allowed value.

    Returns
    -------
    float
        The rate.

    Raises
    ------
    SpecError
        If the rate is outside ``[0, upper]``.
    """
    if not (0.0 <= value <= upper) or not np.isfinite(value):
        raise param_error(owner, name, f"a fraction in [0, {upper}]", value, "Rates are fractions, e.g. 0.08 for 8 %.")
    return value


def prepayment_from_factors(
    f1: float,
    f2: float,
    *,
    gross_rate: float,
    original_term_months: int,
    remaining_term_months: int,
    month: int | None = None,
) -> dict[str, float]:
    """Back out one month's SMM, CPR and PSA from two pool factors (SF-7/8).

    ``F_sched = F1 x BAL2 / BAL1`` is the factor had nobody prepaid; ``SMM = 1 - F2 / F_sched``; CPR follows
    from SMM and PSA from CPR at the month's age.

    Parameters
    ----------
    f1, f2 : float
        Pool factors at the start and the end of the month.
    gross_rate : float
        Gross WAC as a fraction.
    original_term_months : int
        Original term M0.
    remaining_term_months : int
        Remaining term at the start of the month (``BAL1 = BAL(remaining)``, ``BAL2 = BAL(remaining - 1)``).
    month : int or None
        MONTH for the PSA conversion; by default from the WAM, ``M0 - remaining + 1``.

    Returns
    -------
    dict
        ``smm``, ``cpr``, ``psa`` (PSA as a percentage of the curve), ``scheduled_factor`` (F_sched).

    Raises
    ------
    SpecError
        If a factor is not in (0, 1] or the terms are inconsistent.

    References
    ----------
    The Bond Market Association, Uniform Practices/Standard Formulas, ch. SF (02/01/99), SF-7/8.

    Examples
    --------
    >>> r = prepayment_from_factors(0.85150625, 0.84732282, gross_rate=0.095, original_term_months=359,
    ...                             remaining_term_months=344, month=17)
    >>> round(r["smm"] * 100, 6), round(r["cpr"] * 100, 4), round(r["psa"], 2)
    (0.43527, 5.1, 150.0)
    """
    if not (0 < f2 <= f1 <= 1):
        raise SpecError(f"Factors must satisfy 0 < f2 <= f1 <= 1; got f1={f1}, f2={f2}.")
    if not 0 < remaining_term_months <= original_term_months:
        raise SpecError(
            f"remaining_term_months must be in 1..original_term_months; got {remaining_term_months} and "
            f"{original_term_months}."
        )
    age = np.array([original_term_months - remaining_term_months, original_term_months - remaining_term_months + 1])
    bal = scheduled_factor(age, np.full(2, original_term_months), np.full(2, gross_rate))
    f_sched = f1 * bal[1] / bal[0]
    smm = 1.0 - f2 / f_sched
    cpr = float(smm_to_cpr(smm))
    m = (original_term_months - remaining_term_months + 1) if month is None else month
    base = float(psa_cpr(np.array([m]), 100.0)[0])
    return {"smm": float(smm), "cpr": cpr, "psa": 100.0 * cpr / base, "scheduled_factor": float(f_sched)}
