"""A deal is data: tranches, fees, accounts, triggers, support and a waterfall per deal state.

:class:`DealSpec` is a frozen pydantic model that round-trips through JSON. Its waterfall maps each
deal state (``normal``; ``accelerated`` after an early-amortisation event 加速清偿事件; ``enforcement``
after an event of default 违约事件) to an ordered tuple of typed steps, a discriminated union on
``kind``. The engine in :mod:`greenfin.securitization._engine` interprets it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from greenfin.securitization._income import IncomeSpec
from greenfin.securitization._params import pvalue
from greenfin.securitization._pool import AMORTISATION_TYPES, PoolAssumptions

__all__ = [
    "DEAL_STATES",
    "Account",
    "CleanUpCall",
    "DealSpec",
    "Fee",
    "FundAccount",
    "IncomeCollateral",
    "LoanCollateral",
    "OpenPeriod",
    "PayFee",
    "PayInterest",
    "PayPrincipal",
    "PayResidual",
    "PoolLine",
    "ReleaseAccount",
    "Scenario",
    "ShortfallSupport",
    "Step",
    "Tranche",
    "Trigger",
    "load_deal",
]

_CFG = ConfigDict(frozen=True, extra="forbid")

DealState = Literal["normal", "accelerated", "enforcement"]
DEAL_STATES: tuple[str, ...] = ("normal", "accelerated", "enforcement")
"""Deal states, in increasing severity: normal, accelerated (加速清偿), enforcement (违约事件后)."""

DISTRIBUTION = "distribution"
"""The plan's distribution account (专项计划账户) every step pays from first."""


class Tranche(BaseModel):
    """One class of notes (优先A/优先B/次级), in seniority order within :class:`DealSpec`."""

    model_config = _CFG
    name: str = Field(min_length=1, description="Tranche id, e.g. A1, B, Sub.")
    kind: Literal["senior", "mezzanine", "subordinated"] = Field(description="优先 / 中间级 / 次级.")
    balance_cny: float = Field(gt=0, description="Initial principal in yuan.")
    coupon: float = Field(ge=0, lt=1, description="Annual coupon as a fraction (0 for a residual subordinated class).")
    expected_maturity_period: int | None = Field(
        default=None, ge=1, description="Payment period by which the class is scheduled to be repaid in full (bullet)."
    )
    legal_final_period: int = Field(ge=1, description="Payment period of legal final maturity.")
    target_balances_cny: tuple[float, ...] | None = Field(
        default=None, description="Scheduled balance after each payment period (amortising sub-tranche)."
    )
    retained_cny: float = Field(default=0.0, ge=0, description="Principal held by the originator (风险自留).")

    @model_validator(mode="after")
    def _check(self) -> Tranche:
        if self.retained_cny > self.balance_cny:
            raise ValueError("retained_cny exceeds balance_cny")
        if self.expected_maturity_period is not None and self.expected_maturity_period > self.legal_final_period:
            raise ValueError("expected_maturity_period is after legal_final_period")
        if self.target_balances_cny is not None and any(b < 0 for b in self.target_balances_cny):
            raise ValueError("target_balances_cny must be >= 0")
        return self


class Fee(BaseModel):
    """A senior fee (trustee, servicer, custodian, rating ...)."""

    model_config = _CFG
    name: str = Field(min_length=1, description="Fee id.")
    basis: Literal["pool_balance", "notes_balance", "fixed"] = Field(description="What the rate applies to.")
    rate_per_year: float = Field(default=0.0, ge=0, lt=1, description="Annual rate on the basis (fraction).")
    fixed_cny: float = Field(default=0.0, ge=0, description="Fixed amount per payment period in yuan.")


class Account(BaseModel):
    """A reserve account with a target (流动性储备 / 偿付储备)."""

    model_config = _CFG
    name: str = Field(min_length=1, description="Account id (not 'distribution').")
    initial_cny: float = Field(ge=0, description="Balance funded at closing in yuan.")
    target: Literal["fixed", "notes_share", "next_senior_interest", "senior_principal_ahead"] = Field(
        description="fixed amount; a share of the notes balance; next period's senior interest and fixed fees; "
        "or senior principal scheduled within the next `target_periods` periods (本金归集 for bullet classes)."
    )
    target_cny: float = Field(default=0.0, ge=0, description="Target for 'fixed'.")
    target_share: float = Field(default=0.0, ge=0, le=1, description="Share for 'notes_share'.")
    target_multiple: float = Field(
        default=1.0, ge=0, le=12, description="Periods of interest for next_senior_interest."
    )
    target_periods: int = Field(default=1, ge=1, le=12, description="Look-ahead periods for senior_principal_ahead.")

    @model_validator(mode="after")
    def _check(self) -> Account:
        if self.name == DISTRIBUTION:
            raise ValueError("'distribution' is the plan account; give reserve accounts another name")
        return self


class ShortfallSupport(BaseModel):
    """Shortfall support (差额支付承诺): a provider who tops up the distribution account when short, up to a cap."""

    model_config = _CFG
    name: str = Field(min_length=1, description="Provider id (used as a step source).")
    rating: str = Field(description="Provider's rating, e.g. AA+ (the exchanges ask for AA or above).")
    cap_cny: float = Field(ge=0, description="Total the provider commits over the deal's life, in yuan.")


class CleanUpCall(BaseModel):
    """Clean-up call (清仓回购): the originator may buy back the pool once it falls to a share of the initial pool."""

    model_config = _CFG
    threshold_share: float = Field(gt=0, description="Pool factor at or below which the call is exercised.")
    earliest_date: dt.date | None = Field(default=None, description="First date the call may be exercised.")
    price_share: float = Field(default=1.0, gt=0, le=1.5, description="Price as a share of the pool balance (1 = par).")

    @model_validator(mode="after")
    def _check(self) -> CleanUpCall:
        limit = pvalue("cleanup_call_max_share")
        if self.threshold_share > limit:
            raise ValueError(f"threshold_share {self.threshold_share} exceeds the clean-up limit {limit} of the pool")
        return self


class OpenPeriod(BaseModel):
    """Open period (开放期): investor put (回售), issuer call (赎回) and coupon reset (票面利率调整) at a payment date.

    Puts and calls redeem the open classes at par with cash from outside the pool (``put_funded_by``); the
    share put and whether the call is exercised are scenario choices (:class:`Scenario`).
    """

    model_config = _CFG
    period: int = Field(ge=1, description="Payment period of the open date.")
    tranches: tuple[str, ...] = Field(min_length=1, description="Classes that may be put / repriced.")
    coupon_reset: float | None = Field(default=None, ge=0, lt=1, description="New coupon from this period on.")
    put_funded_by: str = Field(description="Who buys back the put notes (the originator or a liquidity provider).")


class Trigger(BaseModel):
    """A trigger: a predicate evaluated at each payment date and the effect it has once true.

    Predicates: ``cumulative_default`` (cumulative defaults / initial pool > threshold);
    ``coverage_below`` (last period's senior coverage multiple < threshold); ``reserve_below_target``
    (an account under its target, shortfall share > threshold); ``senior_interest_shortfall`` (senior
    interest missed last period); ``rating_downgrade`` (the scenario's originator downgrade date has
    passed); ``collections_below_plan`` (collections / plan < threshold). Effects:
    ``accelerate_amortisation`` (加速清偿: state accelerated), ``accelerate_sweep`` (加速归集: collections
    reach the plan account without delay), ``enforcement`` (违约事件: post-enforcement waterfall),
    ``perfection`` (权利完善事件: obligors notified, collections redirected, no commingling delay).
    """

    model_config = _CFG
    name: str = Field(min_length=1, description="Trigger id.")
    predicate: Literal[
        "cumulative_default",
        "coverage_below",
        "reserve_below_target",
        "senior_interest_shortfall",
        "rating_downgrade",
        "collections_below_plan",
    ] = Field(description="What is tested.")
    threshold: float = Field(default=0.0, ge=0, description="Threshold of the predicate (fraction or multiple).")
    account: str | None = Field(default=None, description="Account tested by reserve_below_target.")
    effect: Literal["accelerate_amortisation", "accelerate_sweep", "enforcement", "perfection"] = Field(
        description="What happens once the trigger is hit."
    )
    curable: bool = Field(description="Whether the trigger switches off when the predicate is false again.")


class PayFee(BaseModel):
    """Pay a fee's amount due (plus any unpaid fee carried)."""

    model_config = _CFG
    kind: Literal["pay_fee"] = Field(default="pay_fee", description="Step discriminator.")
    fee: str = Field(description="Fee name.")
    sources: tuple[str, ...] = Field(default=(DISTRIBUTION,), description="Accounts drawn in order.")


class PayInterest(BaseModel):
    """Pay interest due (plus carried shortfall) on the named classes, pro rata among them."""

    model_config = _CFG
    kind: Literal["pay_interest"] = Field(default="pay_interest", description="Step discriminator.")
    tranches: tuple[str, ...] = Field(min_length=1, description="Classes paid pro rata.")
    sources: tuple[str, ...] = Field(
        default=(DISTRIBUTION,), description="Accounts (or the support provider) in order."
    )


class PayPrincipal(BaseModel):
    """Pay principal on the named classes: what is due, or all available cash (turbo)."""

    model_config = _CFG
    kind: Literal["pay_principal"] = Field(default="pay_principal", description="Step discriminator.")
    tranches: tuple[str, ...] = Field(min_length=1, description="Classes, in order for sequential pay.")
    mode: Literal["sequential", "pro_rata"] = Field(description="Sequential or pro rata among the classes.")
    amount: Literal["due", "all"] = Field(description="Principal due this period, or all cash up to the balances.")
    sources: tuple[str, ...] = Field(
        default=(DISTRIBUTION,), description="Accounts (or the support provider) in order."
    )


class FundAccount(BaseModel):
    """Top an account up to its target from the distribution account."""

    model_config = _CFG
    kind: Literal["fund_account"] = Field(default="fund_account", description="Step discriminator.")
    account: str = Field(description="Account name.")


class ReleaseAccount(BaseModel):
    """Release an account's excess over its target into the distribution account."""

    model_config = _CFG
    kind: Literal["release_account"] = Field(default="release_account", description="Step discriminator.")
    account: str = Field(description="Account name.")


class PayResidual(BaseModel):
    """Pay everything left in the distribution account to a class as excess return (次级超额收益)."""

    model_config = _CFG
    kind: Literal["pay_residual"] = Field(default="pay_residual", description="Step discriminator.")
    tranche: str = Field(description="Class receiving the residual.")


Step = Annotated[
    PayFee | PayInterest | PayPrincipal | FundAccount | ReleaseAccount | PayResidual,
    Field(discriminator="kind"),
]
"""One waterfall step, chosen by ``kind``."""


class PoolLine(BaseModel):
    """A representative line (or a loan) of a loan pool."""

    model_config = _CFG
    balance_cny: float = Field(ge=0, description="Current balance in yuan.")
    gross_rate: float = Field(ge=0, lt=1, description="Gross coupon (fraction).")
    net_rate: float | None = Field(default=None, ge=0, lt=1, description="Net coupon after servicing (fraction).")
    original_term_months: int = Field(gt=0, description="Original term M0.")
    remaining_term_months: int = Field(gt=0, description="Remaining term (WAM).")
    amortisation: Literal["level", "equal_principal", "interest_only", "seasonal"] = Field(
        default="level", description="Repayment type."
    )

    @model_validator(mode="after")
    def _check(self) -> PoolLine:
        if self.remaining_term_months > self.original_term_months:
            raise ValueError("remaining_term_months exceeds original_term_months")
        if self.amortisation not in AMORTISATION_TYPES:  # pragma: no cover - Literal already checks
            raise ValueError("unknown amortisation")
        return self


class LoanCollateral(BaseModel):
    """A loan pool as representative lines (or loans) with base-case assumptions."""

    model_config = _CFG
    kind: Literal["loans"] = Field(default="loans", description="Collateral discriminator.")
    lines: tuple[PoolLine, ...] = Field(min_length=1, description="Representative lines or loans.")
    assumptions: PoolAssumptions = Field(description="Base-case prepayment, default and recovery.")


class IncomeCollateral(BaseModel):
    """A project-income pool (收益权) with its physical driver model."""

    model_config = _CFG
    kind: Literal["income"] = Field(default="income", description="Collateral discriminator.")
    model: IncomeSpec = Field(description="Driver model (hydro, tourism, forestry, carbon sink, water supply).")
    start_month: int = Field(ge=1, le=12, description="Calendar month of the first collection month.")


Collateral = Annotated[LoanCollateral | IncomeCollateral, Field(discriminator="kind")]


class Scenario(BaseModel):
    """A stress scenario applied to a deal's base case (all fields optional)."""

    model_config = _CFG
    name: str = Field(default="base", description="Scenario id.")
    prepay_multiple: float = Field(
        default=1.0,
        ge=0,
        le=20,
        description="Multiple of the base prepayment speed (scales the annual CPR, as PSA % does).",
    )
    default_multiple: float = Field(
        default=1.0,
        ge=0,
        le=100,
        description="Multiple of the base default rate (scales the annual CDR, as SDA % does).",
    )
    severity: float | None = Field(default=None, ge=0, le=1, description="Loss severity override.")
    cash_haircut: float = Field(default=0.0, ge=0, le=1, description="Share of every collection lost (income pools).")
    delay_periods: int = Field(default=0, ge=0, le=24, description="Collections arrive this many periods late.")
    downgrade_period: int | None = Field(default=None, ge=1, description="Period of an originator/provider downgrade.")
    put_share: float = Field(default=0.0, ge=0, le=1, description="Share of putable notes put at each open period.")
    call_at_open: bool = Field(
        default=False,
        description="Issuer exercises its call (赎回) at the open periods: the open classes are redeemed.",
    )


class DealSpec(BaseModel):
    """A securitisation deal as data: collateral, notes, fees, accounts, support, triggers, waterfalls.

    Examples
    --------
    >>> import json
    >>> from greenfin.datasets import load_sample
    >>> spec = DealSpec.model_validate(load_sample("deal_eco_loans"))
    >>> DealSpec.model_validate_json(spec.model_dump_json()) == spec
    True
    """

    model_config = _CFG
    name: str = Field(min_length=1, description="Deal name.")
    issue_date: dt.date = Field(description="Closing / issue date (interest starts accruing).")
    first_payment_date: dt.date = Field(description="First payment date (unadjusted).")
    payment_frequency_months: int = Field(ge=1, le=12, description="Months between payment dates.")
    day_count: Literal["ACT/365", "30/360"] = Field(description="Coupon accrual day count.")
    calendar: Literal["CN-IB", "CN-SSE"] = Field(description="Business-day calendar for payment dates.")
    past_end: Literal["raise", "weekends"] = Field(
        default="raise",
        description="Dates past the holiday table: raise, or project with weekends only (recorded in outputs).",
    )
    collateral: Collateral = Field(description="The pool.")
    initial_pool_cny: float = Field(gt=0, description="Pool balance (or pool value) at closing, yuan.")
    tranches: tuple[Tranche, ...] = Field(min_length=1, description="Classes in order of seniority.")
    fees: tuple[Fee, ...] = Field(default=(), description="Senior fees.")
    accounts: tuple[Account, ...] = Field(default=(), description="Reserve accounts.")
    support: ShortfallSupport | None = Field(default=None, description="差额支付承诺 provider, if any.")
    triggers: tuple[Trigger, ...] = Field(default=(), description="Triggers.")
    cleanup_call: CleanUpCall | None = Field(default=None, description="清仓回购 option.")
    open_periods: tuple[OpenPeriod, ...] = Field(default=(), description="开放期 with put / coupon reset.")
    oc_target_cny: float = Field(default=0.0, ge=0, description="Over-collateralisation target for pass-through pay.")
    sweep_lag_periods: int = Field(
        ge=0, le=3, description="Periods collections wait in the supervised account (监管账户) before the sweep."
    )
    waterfalls: dict[DealState, tuple[Step, ...]] = Field(description="Ordered steps for each deal state.")

    @model_validator(mode="after")
    def _check(self) -> DealSpec:  # noqa: C901  # one cross-reference check per kind of name
        names = [t.name for t in self.tranches]
        accounts = [a.name for a in self.accounts]
        fees = [f.name for f in self.fees]
        for label, items in (("tranche", names), ("account", accounts), ("fee", fees)):
            if len(set(items)) != len(items):
                raise ValueError(f"duplicate {label} names: {items}")
        sources = {DISTRIBUTION, *accounts, *((self.support.name,) if self.support else ())}
        if "normal" not in self.waterfalls:
            raise ValueError("waterfalls needs at least the 'normal' state")
        for state, steps in self.waterfalls.items():
            for i, step in enumerate(steps):
                where = f"waterfalls.{state}[{i}] ({step.kind})"
                if isinstance(step, PayFee) and step.fee not in fees:
                    raise ValueError(f"{where} references unknown fee {step.fee!r}; fees: {fees}")
                for t in getattr(step, "tranches", ()) + ((step.tranche,) if isinstance(step, PayResidual) else ()):
                    if t not in names:
                        raise ValueError(f"{where} references unknown tranche {t!r}; tranches: {names}")
                if isinstance(step, FundAccount | ReleaseAccount) and step.account not in accounts:
                    raise ValueError(f"{where} references unknown account {step.account!r}; accounts: {accounts}")
                for src in getattr(step, "sources", ()):
                    if src not in sources:
                        raise ValueError(
                            f"{where} references unknown account {src!r} in sources; known: {sorted(sources)}"
                        )
        for trig in self.triggers:
            if trig.predicate == "reserve_below_target" and trig.account not in accounts:
                raise ValueError(f"trigger {trig.name!r} references unknown account {trig.account!r}")
        for op in self.open_periods:
            for t in op.tranches:
                if t not in names:
                    raise ValueError(f"open period {op.period} references unknown tranche {t!r}")
        retention = self.risk_retention()
        if not retention["ok"]:
            raise ValueError(
                f"risk retention (风险自留) is {float(retention['share']):.4%} of the issue; the originator must "
                f"hold >= {pvalue('risk_retention_min_share'):.0%} of the issue in a subordinated class: raise "
                "tranches[...].retained_cny of the subordinated class"
            )
        if self.first_payment_date <= self.issue_date:
            raise ValueError("first_payment_date must be after issue_date")
        if self.cleanup_call and self.cleanup_call.earliest_date and self.cleanup_call.earliest_date < self.issue_date:
            raise ValueError(
                f"cleanup_call.earliest_date {self.cleanup_call.earliest_date} is before issue_date {self.issue_date}"
            )
        return self

    def risk_retention(self) -> dict[str, float | bool]:
        """Check 风险自留: originator holds >= 5 % of the issue in the most subordinated class.

        Returns
        -------
        dict
            ``issue_cny``, ``retained_in_subordinated_cny``, ``share`` and ``ok``.
        """
        issue = sum(t.balance_cny for t in self.tranches)
        sub = [t for t in self.tranches if t.kind == "subordinated"]
        retained = sum(t.retained_cny for t in sub)
        share = retained / issue if issue > 0 else 0.0
        return {
            "issue_cny": issue,
            "retained_in_subordinated_cny": retained,
            "share": share,
            "ok": bool(sub) and share >= pvalue("risk_retention_min_share") - 1e-12,
        }


def load_deal(source: str | dict[str, object] | object) -> DealSpec:
    """Load and validate a :class:`DealSpec` from a JSON file path, a JSON text or a dict.

    Parameters
    ----------
    source : str, path-like or dict
        A path to a ``.json`` file, JSON text, or the parsed dict.

    Returns
    -------
    DealSpec
        The validated deal.

    Raises
    ------
    SpecError
        If the file is missing or not JSON, or a field is invalid (the message names the field).

    Examples
    --------
    >>> load_deal({"name": "x"})
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: DealSpec.issue_date: Field required ...
    """
    import json
    from pathlib import Path

    from pydantic import ValidationError

    from greenfin._validation import spec_error_from
    from greenfin.errors import SpecError

    if isinstance(source, dict):
        raw: object = source
    else:
        text = str(source)
        path = Path(text)
        if not text.lstrip().startswith("{"):
            if not path.is_file():
                raise SpecError(f"Deal file {text} does not exist; check the path.")
            text = path.read_text(encoding="utf-8")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"Deal JSON is invalid (line {exc.lineno}, column {exc.colno}): {exc.msg}.") from exc
    try:
        return DealSpec.model_validate(raw)
    except ValidationError as exc:
        raise spec_error_from(exc, "DealSpec") from exc
