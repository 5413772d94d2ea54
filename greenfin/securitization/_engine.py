"""The waterfall engine: a pure interpreter of :class:`DealSpec`, vectorised over scenarios.

Python loops over payment periods and waterfall steps only; every quantity is an array over scenarios.
Each period the engine checks that sources equal uses (to half a fen) and raises
:class:`CashConservationError` otherwise; :meth:`DealResult.distribution_report` rounds one scenario's
payments to whole fen through :mod:`greenfin.money` and reconciles them exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from greenfin._typing import BoolArray, FloatArray, IntArray
from greenfin.dates import add_months, get_calendar
from greenfin.errors import GreenfinError, SpecError
from greenfin.money import yuan_to_fen
from greenfin.securitization._deal import (
    DISTRIBUTION,
    DealSpec,
    FundAccount,
    IncomeCollateral,
    LoanCollateral,
    PayFee,
    PayInterest,
    PayPrincipal,
    ReleaseAccount,
    Scenario,
    Step,
)
from greenfin.securitization._income import simulate_income
from greenfin.securitization._pool import _lower_tape, _project

__all__ = [
    "CashConservationError",
    "Collections",
    "DealResult",
    "deal_collections",
    "payment_schedule",
    "run_deal",
    "run_waterfall",
]

_HALF_FEN = 0.005
_STATE_CODE = {"normal": 0, "accelerated": 1, "enforcement": 2}


class CashConservationError(GreenfinError, RuntimeError):
    """Sources did not equal uses in a period: the deal lost (or created) cash."""


@dataclass(frozen=True)
class Collections:
    """Pool cash per scenario and payment period (shape ``(scenarios, periods)``, yuan).

    Parameters
    ----------
    interest : ndarray
        Interest (or net operating income) collected.
    principal : ndarray
        Principal collected (scheduled, prepaid, recovered).
    defaults : ndarray
        New defaults (for the cumulative default trigger).
    losses : ndarray
        Principal losses realised.
    pool_balance : ndarray
        Pool balance (performing + in foreclosure) at period end; zeros for income pools.
    plan : ndarray
        Base-case total collections per period, shape ``(periods,)``.
    """

    interest: FloatArray
    principal: FloatArray
    defaults: FloatArray
    losses: FloatArray
    pool_balance: FloatArray
    plan: FloatArray

    @property
    def total(self) -> FloatArray:
        """Interest plus principal collected."""
        out: FloatArray = self.interest + self.principal
        return out


def payment_schedule(spec: DealSpec, periods: int) -> list[dt.date]:
    """Adjusted payment dates of the deal through ``periods`` payment periods.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    periods : int
        Number of payment dates.

    Returns
    -------
    list of datetime.date
        Payment dates rolled ``following`` on the deal's calendar.

    Raises
    ------
    SpecError
        If a date falls past the holiday table and ``past_end`` is ``"raise"``; the message names the field.
    """
    cal = get_calendar(spec.calendar, past_end=spec.past_end)
    out = []
    for p in range(periods):
        raw = add_months(spec.first_payment_date, spec.payment_frequency_months * p)
        try:
            out.append(cal.adjust(raw, "following"))
        except SpecError as exc:
            raise SpecError(
                f"DealSpec.past_end: payment date {raw.isoformat()} (period {p + 1}) of deal {spec.name!r} is past the "
                f"holiday table. {exc} Set past_end='weekends' in the deal to project with weekends only."
            ) from None
    return out


def _year_fractions(spec: DealSpec, dates: list[dt.date]) -> FloatArray:
    if spec.day_count == "30/360":
        return np.full(len(dates), spec.payment_frequency_months * 30.0 / 360.0)
    prev = [spec.issue_date, *dates[:-1]]
    return np.array([(d - s).days / 365.0 for s, d in zip(prev, dates, strict=True)])


def _horizon(spec: DealSpec, pool_periods: int) -> int:
    return max(pool_periods, max(t.legal_final_period for t in spec.tranches))


def _scenario_arrays(scenarios: Sequence[Scenario]) -> dict[str, np.ndarray]:
    return {
        "prepay": np.array([s.prepay_multiple for s in scenarios]),
        "default": np.array([s.default_multiple for s in scenarios]),
        "severity": np.array([np.nan if s.severity is None else s.severity for s in scenarios]),
        "haircut": np.array([s.cash_haircut for s in scenarios]),
        "delay": np.array([s.delay_periods for s in scenarios], dtype=np.int64),
        "downgrade": np.array([-1 if s.downgrade_period is None else s.downgrade_period for s in scenarios]),
        "put": np.array([1.0 if s.call_at_open else s.put_share for s in scenarios]),
    }


def _to_periods(monthly: FloatArray, freq: int, periods: int) -> FloatArray:
    s, m = monthly.shape
    padded = np.zeros((s, periods * freq))
    padded[:, : min(m, periods * freq)] = monthly[:, : periods * freq]
    out: FloatArray = padded.reshape(s, periods, freq).sum(axis=2)
    return out


def _shift(a: FloatArray, delay: IntArray) -> FloatArray:
    """Delay each row by ``delay`` periods; cash pushed past the horizon lands in the last period."""
    if not np.any(delay):
        return a
    out = np.zeros_like(a)
    p = a.shape[1]
    for d in np.unique(delay):
        rows = delay == d
        if d == 0:
            out[rows] = a[rows]
            continue
        out[rows, d:] = a[rows, : p - d]
        out[rows, p - 1] += a[rows, p - d :].sum(axis=1)
    return out


def deal_collections(
    spec: DealSpec,
    scenarios: Sequence[Scenario] = (Scenario(),),
    *,
    stochastic: bool = False,
    seed: int = 0,
    default_multiples: FloatArray | None = None,
) -> Collections:
    """Project the deal's pool under each scenario and sum it into payment periods.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    scenarios : sequence of Scenario
        One row per scenario.
    stochastic : bool, default False
        Income pools: draw the drivers' randomness (seeded); loans ignore it.
    seed : int, default 0
        Seed of the income draws.
    default_multiples : ndarray or None
        Overrides the scenarios' default multiples (Monte Carlo).

    Returns
    -------
    Collections
        Pool cash by scenario and period.
    """
    sc = _scenario_arrays(scenarios)
    if default_multiples is not None:
        mult = np.asarray(default_multiples, dtype=np.float64)
        if len(scenarios) != 1 and len(scenarios) != mult.size:
            raise SpecError("default_multiples needs one value per scenario, or a single scenario to broadcast.")
        sc = {k: np.resize(v, mult.size) for k, v in sc.items()}
        sc["default"] = mult
    n = sc["default"].size
    freq = spec.payment_frequency_months
    if isinstance(spec.collateral, LoanCollateral):
        interest, principal, defaults, losses, balance, plan = _loan_collections(spec, spec.collateral, sc, n)
    else:
        interest, plan = _income_collections(spec, spec.collateral, n, stochastic, seed)
        zeros = np.zeros_like(interest)
        principal, defaults, losses, balance = zeros, zeros, zeros, zeros
    periods = _horizon(spec, -(-interest.shape[1] // freq))
    interest = _to_periods(interest, freq, periods)
    principal = _to_periods(principal, freq, periods)
    defaults = _to_periods(defaults, freq, periods)
    losses = _to_periods(losses, freq, periods)
    bal_end = np.zeros((n, periods))
    if balance.shape[1]:
        idx = np.minimum(np.arange(1, periods + 1) * freq, balance.shape[1]) - 1
        bal_end = balance[:, idx]
        bal_end[:, np.arange(1, periods + 1) * freq > balance.shape[1]] = 0.0
    plan_p = _to_periods(plan[None, :], freq, periods)[0]
    haircut = (1.0 - sc["haircut"])[:, None]
    interest = _shift(interest * haircut, sc["delay"])
    principal = _shift(principal * haircut, sc["delay"])
    return Collections(interest, principal, defaults, losses, bal_end, plan_p)


def _loan_collections(
    spec: DealSpec, col: LoanCollateral, sc: dict[str, np.ndarray], n: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    tape = pl.DataFrame(
        {
            "balance_cny": [x.balance_cny for x in col.lines],
            "gross_rate": [x.gross_rate for x in col.lines],
            "net_rate": [x.net_rate if x.net_rate is not None else x.gross_rate for x in col.lines],
            "original_term_months": [x.original_term_months for x in col.lines],
            "remaining_term_months": [x.remaining_term_months for x in col.lines],
            "amortisation": [x.amortisation for x in col.lines],
        }
    )
    lines = _lower_tape(tape, f"deal {spec.name} collateral")
    n_lines = len(col.lines)
    rows = {k: np.tile(v, n) for k, v in lines.items()}
    sev = np.where(np.isnan(sc["severity"]), col.assumptions.severity, sc["severity"])
    out = _project(
        rows,
        col.assumptions,
        by_row=True,
        prepay_multiple=np.repeat(sc["prepay"], n_lines),
        default_multiple=np.repeat(sc["default"], n_lines),
        severity=np.repeat(sev, n_lines),
        groups=n,
    )
    principal = out["act_am"] + out["am_def"] + out["vol_prepay"] + out["recov"]
    interest = out["cash_flow"] - principal
    balance = out["perf_bal"] + out["fcl"]
    base = _project(lines, col.assumptions, by_row=True, groups=1)
    plan = base["cash_flow"][0]
    return interest, principal, out["new_def"], out["loss"], balance, plan


def _income_collections(
    spec: DealSpec, col: IncomeCollateral, n: int, stochastic: bool, seed: int
) -> tuple[FloatArray, FloatArray]:
    months = _horizon(spec, 0) * spec.payment_frequency_months
    plan = simulate_income(col.model, months=months, start_month=col.start_month, deterministic=True)[0]
    if stochastic:
        cash = simulate_income(col.model, months=months, n_scenarios=n, seed=seed, start_month=col.start_month)
    else:
        cash = np.broadcast_to(plan, (n, months)).copy()
    return cash, plan


@dataclass
class _Ledger:
    """Per-period draws and payments recorded while the waterfall runs (all ``(scenarios,)`` or ``(S, k)``)."""

    draws_acct: FloatArray
    draw_support: FloatArray
    fund_acct: FloatArray
    release_acct: FloatArray
    fee_paid: FloatArray
    int_paid: FloatArray
    prin_paid: FloatArray
    residual: FloatArray
    int_due: FloatArray
    prin_due: FloatArray
    fee_due: FloatArray


@dataclass(frozen=True)
class DealResult:
    """What :func:`run_waterfall` produced; arrays are ``(scenarios, periods[, items])`` in yuan.

    Parameters
    ----------
    spec : DealSpec
        The deal run.
    scenario_names : tuple of str
        One per scenario row.
    dates : tuple of datetime.date
        Payment dates.
    arrays : dict of ndarray
        Balances, payments, dues, account balances, draws, trigger flags, state, coverage.
    past_end : str
        The holiday-table choice used for the dates (``raise`` or ``weekends``).
    """

    spec: DealSpec
    scenario_names: tuple[str, ...]
    dates: tuple[dt.date, ...]
    arrays: dict[str, np.ndarray] = field(repr=False)
    past_end: str = "raise"

    @property
    def tranche_names(self) -> tuple[str, ...]:
        """Class names in seniority order."""
        return tuple(t.name for t in self.spec.tranches)

    def tranche_cashflows(self, scenario: int = 0) -> pl.DataFrame:
        """Long table of one scenario's tranche cash flows.

        Parameters
        ----------
        scenario : int, default 0
            Scenario row.

        Returns
        -------
        polars.DataFrame
            Columns period, payment_date, tranche, balance_open_cny, interest_due_cny, interest_paid_cny,
            principal_paid_cny, residual_cny, balance_cny, interest_shortfall_cny, coverage.
        """
        a = self.arrays
        rows = []
        periods = len(self.dates)
        for j, name in enumerate(self.tranche_names):
            rows.append(
                pl.DataFrame(
                    {
                        "period": np.arange(1, periods + 1, dtype=np.int64),
                        "payment_date": list(self.dates),
                        "tranche": [name] * periods,
                        "balance_open_cny": a["balance_open"][scenario, :, j],
                        "interest_due_cny": a["int_due"][scenario, :, j],
                        "interest_paid_cny": a["int_paid"][scenario, :, j],
                        "principal_paid_cny": a["prin_paid"][scenario, :, j],
                        "residual_cny": a["residual"][scenario, :, j],
                        "balance_cny": a["balance"][scenario, :, j],
                        "interest_shortfall_cny": a["int_short"][scenario, :, j],
                        "coverage": a["coverage"][scenario, :, j],
                    }
                )
            )
        return pl.concat(rows)

    def deal_periods(self, scenario: int = 0) -> pl.DataFrame:
        """One row per period: collections, state, trigger flags, accounts, support drawn.

        Parameters
        ----------
        scenario : int, default 0
            Scenario row.

        Returns
        -------
        polars.DataFrame
            The period table.
        """
        a = self.arrays
        cols: dict[str, object] = {
            "period": np.arange(1, len(self.dates) + 1, dtype=np.int64),
            "payment_date": list(self.dates),
            "collections_cny": a["swept"][scenario],
            "pool_balance_cny": a["pool_balance"][scenario],
            "excess_spread_cny": a["excess_spread"][scenario],
            "cumulative_default_rate": a["cum_default"][scenario],
            "state": [("normal", "accelerated", "enforcement")[int(x)] for x in a["state"][scenario]],
            "fast_sweep": a["fast_sweep"][scenario].astype(bool),
            "fees_paid_cny": a["fee_paid"][scenario].sum(axis=1),
            "support_drawn_cny": a["draw_support"][scenario],
            "put_funding_cny": a["put_funding"][scenario],
            "call_proceeds_cny": a["call"][scenario],
        }
        for k, acc in enumerate(self.spec.accounts):
            cols[f"{acc.name}_balance_cny"] = a["acct"][scenario, :, k]
        for g, trig in enumerate(self.spec.triggers):
            cols[f"trigger_{trig.name}"] = a["flags"][scenario, :, g].astype(bool)
        return pl.DataFrame(cols)

    def summary(self) -> pl.DataFrame:
        """Per tranche, over scenarios: mean principal loss share, interest shortfall and probability of loss.

        Returns
        -------
        polars.DataFrame
            Columns tranche, initial_cny, expected_loss_share, loss_probability, max_loss_share,
            interest_shortfall_share, wal_years (scenario 0, from issue, to receipt).
        """
        a = self.arrays
        init = np.array([t.balance_cny for t in self.spec.tranches])
        loss = a["balance"][:, -1, :] / init
        short = a["int_short"][:, -1, :] / init
        prin = a["prin_paid"][0]
        t_years = np.array([(d - self.spec.issue_date).days / 365.0 for d in self.dates])
        with np.errstate(invalid="ignore", divide="ignore"):
            wal = (t_years @ prin) / prin.sum(axis=0)
        return pl.DataFrame(
            {
                "tranche": list(self.tranche_names),
                "initial_cny": init,
                "expected_loss_share": loss.mean(axis=0),
                "loss_probability": (loss > 1e-9).mean(axis=0),
                "max_loss_share": loss.max(axis=0),
                "interest_shortfall_share": short.mean(axis=0),
                "wal_years": np.nan_to_num(wal),
            }
        )

    def distribution_report(self, scenario: int = 0) -> pl.DataFrame:
        """One scenario's sources and uses per period in whole fen, reconciled exactly.

        Each line is rounded half-up to the fen (:func:`greenfin.money.yuan_to_fen`); the rounding
        residual of a period goes to the closing balance of the distribution account (the residual-cent
        rule), so that sources equal uses to the fen in every period.

        Parameters
        ----------
        scenario : int, default 0
            Scenario row.

        Returns
        -------
        polars.DataFrame
            Columns period, side (source/use), line, amount_fen.

        Raises
        ------
        CashConservationError
            If a period's rounding residual exceeds what rounding alone can cause (cash was lost).
        """
        a = self.arrays
        s = scenario
        frames = []
        for p in range(len(self.dates)):
            src: dict[str, float] = {
                "opening_distribution": float(a["dist_open"][s, p]),
                "collections_swept": float(a["swept"][s, p]),
                "call_proceeds": float(a["call"][s, p]),
                "put_funding": float(a["put_funding"][s, p]),
                "support_draw": float(a["draw_support"][s, p]),
            }
            use: dict[str, float] = {}
            for k, acc in enumerate(self.spec.accounts):
                src[f"draw_{acc.name}"] = float(a["draws_acct"][s, p, k] + a["release_acct"][s, p, k])
                use[f"fund_{acc.name}"] = float(a["fund_acct"][s, p, k])
            for f, fee in enumerate(self.spec.fees):
                use[f"fee_{fee.name}"] = float(a["fee_paid"][s, p, f])
            for j, name in enumerate(self.tranche_names):
                use[f"interest_{name}"] = float(a["int_paid"][s, p, j])
                use[f"principal_{name}"] = float(a["prin_paid"][s, p, j])
                use[f"residual_{name}"] = float(a["residual"][s, p, j])
            use["closing_distribution"] = float(a["dist_close"][s, p])
            src_fen = {k: int(v) for k, v in zip(src, yuan_to_fen(list(src.values())), strict=True)}
            use_fen = {k: int(v) for k, v in zip(use, yuan_to_fen(list(use.values())), strict=True)}
            gap = sum(src_fen.values()) - sum(use_fen.values())
            if abs(gap) > (len(src_fen) + len(use_fen)) // 2 + 1:
                raise CashConservationError(
                    f"Deal {self.spec.name!r}, scenario {self.scenario_names[s]!r}, period {p + 1}: sources and uses "
                    f"differ by {gap} fen after rounding; the waterfall lost cash. Check the deal's steps."
                )
            use_fen["closing_distribution"] += gap
            for side, d in (("source", src_fen), ("use", use_fen)):
                frames.append(
                    pl.DataFrame(
                        {
                            "period": [p + 1] * len(d),
                            "side": [side] * len(d),
                            "line": list(d),
                            "amount_fen": list(d.values()),
                        },
                        schema={"period": pl.Int64, "side": pl.String, "line": pl.String, "amount_fen": pl.Int64},
                    )
                )
        return pl.concat(frames)


class _Run:
    """Mutable state of one waterfall run (private; the public API is :func:`run_waterfall`)."""

    def __init__(self, spec: DealSpec, col: Collections, sc: dict[str, np.ndarray]):
        self.spec = spec
        self.col = col
        self.sc = sc
        s, p = col.interest.shape
        self.S, self.P = s, p
        self.T, self.F, self.A = len(spec.tranches), len(spec.fees), len(spec.accounts)
        self.G = len(spec.triggers)
        self.tidx = {t.name: j for j, t in enumerate(spec.tranches)}
        self.aidx = {a.name: k for k, a in enumerate(spec.accounts)}
        self.fidx = {f.name: k for k, f in enumerate(spec.fees)}
        self.init = np.array([t.balance_cny for t in spec.tranches])
        self.bal = np.tile(self.init, (s, 1))
        self.coupon = np.array([t.coupon for t in spec.tranches])
        self.senior = np.array([t.kind == "senior" for t in spec.tranches])
        self.ishort = np.zeros((s, self.T))
        self.fshort = np.zeros((s, self.F))
        self.acct = np.tile(np.array([a.initial_cny for a in spec.accounts]), (s, 1)).reshape(s, self.A)
        self.support_left = np.full(s, spec.support.cap_cny if spec.support else 0.0)
        self.dist = np.zeros(s)
        self.held = np.zeros(s)
        self.flags = np.zeros((s, self.G), dtype=bool)
        self.called = np.zeros(s, dtype=bool)
        self.prev_cov = np.full(s, np.inf)
        self.prev_senior_short = np.zeros(s, dtype=bool)
        self.cum_def = np.zeros(s)
        self.is_loans = isinstance(spec.collateral, LoanCollateral)
        self.out: dict[str, np.ndarray] = {}
        # collections transposed to (periods, scenarios) once, so each period reads contiguous memory
        self.interest_t = np.ascontiguousarray(col.interest.T)
        self.total_t = self.interest_t + np.ascontiguousarray(col.principal.T)
        self.defaults_t = np.ascontiguousarray(col.defaults.T)
        self.pool_t = np.ascontiguousarray(col.pool_balance.T)

    def alloc(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        """Allocate an output array stored period-major ``(periods, scenarios, ...)`` for contiguous writes."""
        arr: np.ndarray = np.zeros((shape[1], shape[0], *shape[2:]), dtype=dtype)
        self.out[name] = arr
        return arr


def _senior_principal_ahead(run: _Run, p: int, periods: int) -> FloatArray:
    """Senior principal scheduled in payment periods p+1 .. p+periods (1-based p+1 is this period)."""
    out = np.zeros(run.S)
    for j, t in enumerate(run.spec.tranches):
        if t.kind != "senior":
            continue
        b = run.bal[:, j]
        last = p + periods  # 1-based index of the last period in the window
        if t.target_balances_cny is not None and t.target_balances_cny:
            tb = t.target_balances_cny
            out += np.maximum(b - tb[min(last - 1, len(tb) - 1)], 0.0)
        elif t.expected_maturity_period is not None and t.expected_maturity_period <= last:
            out += b
    return out


def _account_targets(run: _Run, p: int, yf_next: float, fee_fixed: float) -> FloatArray:
    targets = np.zeros((run.S, run.A))
    notes = run.bal.sum(axis=1)
    senior_int = (run.bal * run.coupon * run.senior).sum(axis=1) * yf_next
    for k, acc in enumerate(run.spec.accounts):
        if acc.target == "fixed":
            targets[:, k] = acc.target_cny
        elif acc.target == "notes_share":
            targets[:, k] = acc.target_share * notes
        elif acc.target == "senior_principal_ahead":
            targets[:, k] = _senior_principal_ahead(run, p, acc.target_periods)
        else:
            targets[:, k] = acc.target_multiple * (senior_int + fee_fixed)
        targets[:, k] = np.where(notes > _HALF_FEN, targets[:, k], 0.0)
    return targets


def _draw(run: _Run, need: FloatArray, sources: tuple[str, ...], led: _Ledger) -> FloatArray:
    """Pay ``need`` from the sources in order; return what was paid."""
    need = np.maximum(need, 0.0)
    paid = np.zeros(run.S)
    for src in sources:
        left = need - paid
        if not np.any(left > 0):
            break
        if src == DISTRIBUTION:
            take = np.minimum(left, run.dist)
            run.dist -= take
        elif src in run.aidx:
            k = run.aidx[src]
            take = np.minimum(left, run.acct[:, k])
            run.acct[:, k] -= take
            led.draws_acct[:, k] += take
        else:  # the shortfall-support provider (差额支付承诺)
            take = np.minimum(left, run.support_left)
            run.support_left -= take
            led.draw_support += take
        paid += take
    return paid


def _principal_due(
    run: _Run, p: int, names: tuple[str, ...], pt_left: FloatArray, force_all: BoolArray, pro_rata: bool = False
) -> FloatArray:
    """Principal due this period for each named class, ``(S, len(names))``.

    Pass-through classes share the deal-level pass-through amount ``pt_left`` in order (sequential) or in
    proportion to their balances (pro rata).
    """
    due = np.zeros((run.S, len(names)))
    if pro_rata:
        pt_idx = [
            run.tidx[n]
            for n in names
            if run.spec.tranches[run.tidx[n]].target_balances_cny is None
            and run.spec.tranches[run.tidx[n]].expected_maturity_period is None
        ]
        pt_bal = run.bal[:, pt_idx].sum(axis=1) if pt_idx else np.zeros(run.S)
        pt_take = np.minimum(pt_left, pt_bal)
        with np.errstate(invalid="ignore", divide="ignore"):
            pt_ratio = np.where(pt_bal > 0, pt_take / np.where(pt_bal > 0, pt_bal, 1.0), 0.0)
    for i, name in enumerate(names):
        j = run.tidx[name]
        t = run.spec.tranches[j]
        b = run.bal[:, j]
        if t.target_balances_cny is not None:
            tb = t.target_balances_cny
            target = tb[min(p, len(tb) - 1)] if tb else 0.0
            d = np.maximum(b - target, 0.0)
        elif t.expected_maturity_period is not None:
            d = b if p + 1 >= t.expected_maturity_period else np.zeros(run.S)
        elif pro_rata:
            d = b * pt_ratio
        else:
            d = np.minimum(b, pt_left)
            pt_left = pt_left - d
        final = p + 1 >= t.legal_final_period or p == run.P - 1
        due[:, i] = np.where(force_all | final, b, d)
    return due


def _pay_principal(
    run: _Run, step: PayPrincipal, p: int, active: BoolArray, led: _Ledger, pt_left: FloatArray
) -> FloatArray:
    idx = [run.tidx[n] for n in step.tranches]
    force = run.called | (step.amount == "all")
    due = _principal_due(run, p, step.tranches, pt_left.copy(), force, step.mode == "pro_rata") * active[:, None]
    if step.mode == "sequential":
        for i, j in enumerate(idx):
            paid = _draw(run, due[:, i], step.sources, led)
            run.bal[:, j] -= paid
            led.prin_paid[:, j] += paid
            led.prin_due[:, j] += due[:, i]
            if (
                run.spec.tranches[j].target_balances_cny is None
                and run.spec.tranches[j].expected_maturity_period is None
            ):
                pt_left = np.maximum(pt_left - paid * active, 0.0)
    else:
        total = due.sum(axis=1)
        paid_total = _draw(run, total, step.sources, led)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total[:, None] > 0, due / np.where(total > 0, total, 1.0)[:, None], 0.0)
        for i, j in enumerate(idx):
            paid = np.minimum(paid_total * share[:, i], run.bal[:, j])
            run.bal[:, j] -= paid
            led.prin_paid[:, j] += paid
            led.prin_due[:, j] += due[:, i]
            run.dist += paid_total * share[:, i] - paid  # rounding guard: nothing paid above the balance
            if (
                run.spec.tranches[j].target_balances_cny is None
                and run.spec.tranches[j].expected_maturity_period is None
            ):
                pt_left = np.maximum(pt_left - paid * active, 0.0)
    return pt_left


def _run_step(
    run: _Run, step: Step, p: int, active: BoolArray, led: _Ledger, yf: float, targets: FloatArray, pt_left: FloatArray
) -> FloatArray:
    if isinstance(step, PayFee):
        f = run.fidx[step.fee]
        fee = run.spec.fees[f]
        basis = run.pool_t[p - 1] if p > 0 else np.full(run.S, run.spec.initial_pool_cny)
        if fee.basis == "notes_balance" or (fee.basis == "pool_balance" and not run.is_loans):
            basis = run.out["balance_open"][p].sum(axis=1)
        accrued = (
            (fee.rate_per_year * yf * basis + fee.fixed_cny) if fee.basis != "fixed" else np.full(run.S, fee.fixed_cny)
        )
        due = (accrued + run.fshort[:, f]) * active
        paid = _draw(run, due, step.sources, led)
        run.fshort[:, f] = np.where(active, due - paid, run.fshort[:, f])
        led.fee_paid[:, f] += paid
        led.fee_due[:, f] += due
    elif isinstance(step, PayInterest):
        idx = [run.tidx[n] for n in step.tranches]
        opening = run.out["balance_open"][p]
        due = np.stack([opening[:, j] * run.coupon[j] * yf + run.ishort[:, j] for j in idx], axis=1)
        due = due * active[:, None]
        total = due.sum(axis=1)
        paid_total = _draw(run, total, step.sources, led)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(total > 0, paid_total / np.where(total > 0, total, 1.0), 0.0)
        for i, j in enumerate(idx):
            paid = due[:, i] * ratio
            led.int_paid[:, j] += paid
            led.int_due[:, j] += due[:, i]
            run.ishort[:, j] = np.where(active, due[:, i] - paid, run.ishort[:, j])
        run.dist += paid_total - (due * ratio[:, None]).sum(axis=1)
    elif isinstance(step, PayPrincipal):
        pt_left = _pay_principal(run, step, p, active, led, pt_left)
    elif isinstance(step, FundAccount):
        k = run.aidx[step.account]
        need = np.maximum(targets[:, k] - run.acct[:, k], 0.0) * active
        take = np.minimum(need, run.dist)
        run.dist -= take
        run.acct[:, k] += take
        led.fund_acct[:, k] += take
    elif isinstance(step, ReleaseAccount):
        k = run.aidx[step.account]
        excess = np.maximum(run.acct[:, k] - targets[:, k], 0.0) * active
        run.acct[:, k] -= excess
        run.dist += excess
        led.release_acct[:, k] += excess
    else:
        j = run.tidx[step.tranche]
        pay = run.dist * active
        run.dist -= pay
        led.residual[:, j] += pay
    return pt_left


def _evaluate_triggers(run: _Run, p: int, targets: FloatArray) -> None:
    spec, col = run.spec, run.col
    collected = run.total_t[p]
    plan = col.plan[p] if p < col.plan.size else 0.0
    for g, trig in enumerate(spec.triggers):
        if trig.predicate == "cumulative_default":
            cond = run.cum_def > trig.threshold
        elif trig.predicate == "coverage_below":
            cond = run.prev_cov < trig.threshold
        elif trig.predicate == "reserve_below_target":
            k = run.aidx[trig.account or ""]
            cond = run.acct[:, k] < targets[:, k] * (1.0 - trig.threshold) - _HALF_FEN
        elif trig.predicate == "senior_interest_shortfall":
            cond = run.prev_senior_short.copy()
        elif trig.predicate == "rating_downgrade":
            dg = run.sc["downgrade"]
            cond = (dg > 0) & (p + 1 >= dg)
        else:
            cond = collected < trig.threshold * plan if plan > 0 else np.zeros(run.S, dtype=bool)
        run.flags[:, g] = cond if trig.curable else (run.flags[:, g] | cond)


def _state(run: _Run) -> tuple[IntArray, BoolArray]:
    state = np.zeros(run.S, dtype=np.int64)
    fast = np.zeros(run.S, dtype=bool)
    for g, trig in enumerate(run.spec.triggers):
        f = run.flags[:, g]
        if trig.effect == "enforcement":
            state = np.maximum(state, np.where(f, 2, 0))
        elif trig.effect == "accelerate_amortisation":
            state = np.maximum(state, np.where(f, 1, 0))
        else:
            fast |= f
    return state, fast


def _waterfall_for(spec: DealSpec, code: int) -> tuple[Step, ...]:
    for name in ("enforcement", "accelerated", "normal")[2 - code :]:
        if name in spec.waterfalls:
            return spec.waterfalls[name]
    return spec.waterfalls["normal"]


def run_waterfall(
    spec: DealSpec,
    collections: Collections,
    scenarios: Sequence[Scenario] = (Scenario(),),
) -> DealResult:
    """Run the deal's waterfall over every scenario and period.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    collections : Collections
        Pool cash by scenario and period (from :func:`deal_collections`).
    scenarios : sequence of Scenario
        The scenarios (for names, downgrade dates and put shares); one per collections row, or one for all.

    Returns
    -------
    DealResult
        Balances, payments, accounts, triggers, coverage; sources = uses was checked every period.

    Raises
    ------
    CashConservationError
        If any period of any scenario loses or creates more than half a fen.
    SpecError
        If the number of scenarios does not match the collections, or a date is past the holiday table.
    """
    s, periods = collections.interest.shape
    if len(scenarios) not in (1, s):
        raise SpecError(f"run_waterfall got {len(scenarios)} scenarios for {s} collection rows; pass one per row.")
    sc = _scenario_arrays(scenarios)
    if len(scenarios) == 1 and s > 1:
        sc = {k: np.repeat(v, s) for k, v in sc.items()}
    dates = payment_schedule(spec, periods)
    yfs = _year_fractions(spec, dates)
    run = _Run(spec, collections, sc)
    shape3t = (s, periods, run.T)
    for name in ("balance_open", "balance", "int_due", "int_paid", "prin_due", "prin_paid", "residual", "int_short"):
        run.alloc(name, shape3t)
    run.alloc("coverage", shape3t)
    for name in (
        "swept",
        "call",
        "put_funding",
        "draw_support",
        "dist_open",
        "dist_close",
        "cum_default",
        "pool_balance",
        "excess_spread",
    ):
        run.alloc(name, (s, periods))
    run.alloc("state", (s, periods), np.int64)
    run.alloc("fast_sweep", (s, periods), np.int64)
    for name in ("acct", "draws_acct", "fund_acct", "release_acct"):
        run.alloc(name, (s, periods, run.A))
    run.alloc("fee_paid", (s, periods, run.F))
    run.alloc("flags", (s, periods, run.G), np.int64)
    fee_fixed = sum(f.fixed_cny for f in spec.fees)
    lag = spec.sweep_lag_periods
    for p in range(periods):
        _period(run, p, yfs, fee_fixed, lag)
    return DealResult(
        spec=spec,
        scenario_names=tuple(x.name for x in scenarios) if len(scenarios) == s else (scenarios[0].name,) * s,
        dates=tuple(dates),
        arrays={k: np.moveaxis(v, 0, 1) for k, v in run.out.items()},  # (scenarios, periods, ...) views
        past_end=spec.past_end,
    )


def _period(run: _Run, p: int, yfs: FloatArray, fee_fixed: float, lag: int) -> None:
    spec, out = run.spec, run.out
    s = run.S
    yf = float(yfs[p])
    yf_next = float(yfs[p + 1]) if p + 1 < yfs.size else yf
    run.cum_def = run.cum_def + run.defaults_t[p] / spec.initial_pool_cny
    targets = _account_targets(run, p, yf_next, fee_fixed)
    _evaluate_triggers(run, p, targets)
    state, fast = _state(run)
    out["balance_open"][p] = run.bal
    dist_open = run.dist.copy()
    acct_open = run.acct.sum(axis=1)
    # collections: supervised account (监管账户) -> plan account after the sweep lag, at once when accelerated
    arriving = np.where(run.called, 0.0, run.total_t[p])
    run.held += arriving
    lagged = run.total_t[p - lag] if p >= lag else np.zeros(s)
    last = p == run.P - 1
    swept = np.where(fast | (lag == 0) | last | run.called, run.held, np.minimum(run.held, lagged))
    run.held -= swept
    run.dist += swept
    # clean-up call (清仓回购)
    call = np.zeros(s)
    if spec.cleanup_call is not None and run.is_loans:
        cc = spec.cleanup_call
        pool_now = run.pool_t[p]
        date_ok = cc.earliest_date is None or _call_window_open(run, p, cc.earliest_date)
        exercise = (~run.called) & (pool_now <= cc.threshold_share * spec.initial_pool_cny) & (pool_now > 0) & date_ok
        call = np.where(exercise, pool_now * cc.price_share + run.held, 0.0)
        run.held = np.where(exercise, 0.0, run.held)
        run.called |= exercise
        run.dist += call
    led = _Ledger(
        draws_acct=np.zeros((s, run.A)),
        draw_support=np.zeros(s),
        fund_acct=np.zeros((s, run.A)),
        release_acct=np.zeros((s, run.A)),
        fee_paid=np.zeros((s, run.F)),
        int_paid=np.zeros((s, run.T)),
        prin_paid=np.zeros((s, run.T)),
        residual=np.zeros((s, run.T)),
        int_due=np.zeros((s, run.T)),
        prin_due=np.zeros((s, run.T)),
        fee_due=np.zeros((s, run.F)),
    )
    if last or np.any(run.called):  # at the end (or after a call) the reserves are released to pay the notes
        rel = np.where(last | run.called, 1.0, 0.0)[:, None] * run.acct
        run.acct -= rel
        run.dist += rel.sum(axis=1)
        led.release_acct += rel
    pool_end = run.pool_t[p]
    pt_names = [
        j for j, t in enumerate(spec.tranches) if t.target_balances_cny is None and t.expected_maturity_period is None
    ]
    pt_bal = run.bal[:, pt_names].sum(axis=1) if pt_names else np.zeros(s)
    pt_due = np.maximum(pt_bal - np.maximum(pool_end - spec.oc_target_cny, 0.0), 0.0) if run.is_loans else pt_bal * 0
    for code in np.unique(state):
        active = state == code
        pt_left = pt_due * active
        for step in _waterfall_for(spec, int(code)):
            pt_left = _run_step(run, step, p, active, led, yf, targets, pt_left)
    # open periods (开放期): coupon reset and investor puts funded outside the pool
    put_funding = np.zeros(s)
    for op in spec.open_periods:
        if op.period != p + 1:
            continue
        for name in op.tranches:
            j = run.tidx[name]
            put = run.bal[:, j] * run.sc["put"]
            run.bal[:, j] -= put
            led.prin_paid[:, j] += put
            put_funding += put
            if op.coupon_reset is not None:
                run.coupon[j] = op.coupon_reset
    # record
    senior_short = (run.ishort * run.senior).sum(axis=1) > _HALF_FEN
    run.prev_senior_short = senior_short
    avail = arriving + dist_open + call + acct_open
    due_cum = np.cumsum(led.int_due + led.prin_due, axis=1) + led.fee_due.sum(axis=1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(due_cum > _HALF_FEN, avail[:, None] / np.where(due_cum > 0, due_cum, 1.0), np.inf)
    senior_cols = np.flatnonzero(run.senior)
    run.prev_cov = cov[:, senior_cols[-1]] if senior_cols.size else np.full(s, np.inf)
    out["coverage"][p] = cov
    out["balance"][p] = run.bal
    out["int_due"][p] = led.int_due
    out["int_paid"][p] = led.int_paid
    out["prin_due"][p] = led.prin_due
    out["prin_paid"][p] = led.prin_paid
    out["residual"][p] = led.residual
    out["int_short"][p] = run.ishort
    out["swept"][p] = swept
    # 超额利差: interest collected (net income for income pools) less senior fees and note interest due
    interest_in = np.where(run.called, 0.0, run.interest_t[p])
    out["excess_spread"][p] = interest_in - led.fee_due.sum(axis=1) - led.int_due.sum(axis=1)
    out["call"][p] = call
    out["put_funding"][p] = put_funding
    out["draw_support"][p] = led.draw_support
    out["dist_open"][p] = dist_open
    out["dist_close"][p] = run.dist
    out["cum_default"][p] = run.cum_def
    out["pool_balance"][p] = np.where(run.called, 0.0, pool_end)
    out["state"][p] = state
    out["fast_sweep"][p] = fast
    out["acct"][p] = run.acct
    out["draws_acct"][p] = led.draws_acct
    out["fund_acct"][p] = led.fund_acct
    out["release_acct"][p] = led.release_acct
    out["fee_paid"][p] = led.fee_paid
    out["flags"][p] = run.flags
    # sources = uses, every scenario, every period
    sources = (
        dist_open + swept + call + put_funding + led.draw_support + led.draws_acct.sum(1) + led.release_acct.sum(1)
    )
    uses = (
        led.fee_paid.sum(1)
        + led.int_paid.sum(1)
        + led.prin_paid.sum(1)
        + led.residual.sum(1)
        + led.fund_acct.sum(1)
        + run.dist
    )
    gap = np.abs(sources - uses)
    if np.any(gap > _HALF_FEN) or np.any(run.bal < -_HALF_FEN) or np.any(run.dist < -_HALF_FEN):
        bad = int(np.argmax(gap))
        raise CashConservationError(
            f"Deal {spec.name!r}, period {p + 1}, scenario row {bad}: sources {sources[bad]:.6f} != uses "
            f"{uses[bad]:.6f} (gap {gap[bad]:.6f} yuan) or a balance went negative. The waterfall lost cash; "
            "check the deal's steps and report this deal."
        )


def _call_window_open(run: _Run, p: int, earliest: dt.date) -> bool:
    """Whether payment period ``p`` is on or after ``earliest`` (clean-up call window)."""
    raw = add_months(run.spec.first_payment_date, run.spec.payment_frequency_months * p)
    return raw >= earliest


def run_deal(
    spec: DealSpec,
    scenarios: Sequence[Scenario] = (Scenario(),),
    *,
    stochastic: bool = False,
    seed: int = 0,
) -> DealResult:
    """Project the pool and run the waterfall for each scenario.

    Parameters
    ----------
    spec : DealSpec
        The deal.
    scenarios : sequence of Scenario, default (base,)
        Stress scenarios.
    stochastic : bool, default False
        Income pools: draw the drivers' randomness.
    seed : int, default 0
        Seed of the draws.

    Returns
    -------
    DealResult
        The run.

    Examples
    --------
    >>> from greenfin.datasets import load_sample
    >>> spec = DealSpec.model_validate(load_sample("deal_eco_loans"))
    >>> res = run_deal(spec)
    >>> bool(res.summary()["expected_loss_share"][0] == 0.0)
    True
    """
    col = deal_collections(spec, scenarios, stochastic=stochastic, seed=seed)
    return run_waterfall(spec, col, scenarios)
