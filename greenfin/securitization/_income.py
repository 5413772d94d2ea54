"""Project-income pools: eco-product cash flows driven by physical quantities (收益权类基础资产).

Each model turns a physical driver with seasonality and random shocks into monthly net operating
cash flow in yuan, vectorised over scenarios (rows) and stepped over months:

- hydro (水电收费收益权): inflow (m³) -> generation (kWh, capped by capacity, curtailed) x tariff;
- eco-tourism (景区门票): visitors x ticket price, seasonal, with epidemic/disaster shocks;
- forestry (林木/林下经济): harvest volume x timber price, with fire/pest shocks;
- carbon sink (林业碳汇): sequestration, issued after verification and a lag, x a price path, with reversals;
- water supply (供水/污水处理): volume x regulated tariff with review dates x collection rate.

Drivers are lognormal with the given coefficient of variation, AR(1) in log space from month to month
(drought persistence); ``deterministic=True`` gives the expected path with no shocks.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from greenfin._typing import FloatArray
from greenfin.errors import DataError, SpecError

__all__ = [
    "CarbonSinkIncome",
    "ForestryIncome",
    "HydroIncome",
    "IncomeSpec",
    "TourismIncome",
    "WaterSupplyIncome",
    "carbon_sink_from_gep",
    "hydro_from_history",
    "simulate_income",
]

_CFG = ConfigDict(frozen=True, extra="forbid")
_DAYS_IN_MONTH = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float64)


def _twelve(values: tuple[float, ...], name: str) -> tuple[float, ...]:
    if len(values) != 12 or any(v < 0 for v in values):
        raise ValueError(f"{name} needs 12 non-negative monthly values (Jan..Dec)")
    return values


class HydroIncome(BaseModel):
    """Run-of-river hydro station: inflow -> generation x tariff (水电收费收益权)."""

    model_config = _CFG
    kind: Literal["hydro"] = Field(default="hydro", description="Model discriminator.")
    capacity_kw: float = Field(gt=0, description="Installed capacity in kW (caps monthly generation).")
    kwh_per_m3: float = Field(gt=0, description="Energy per m³ of turbined inflow: 9.81 x head(m) x efficiency / 3600.")
    inflow_mean_m3: tuple[float, ...] = Field(description="Mean monthly inflow (m³) by calendar month, Jan..Dec.")
    inflow_cv: float = Field(ge=0, le=3, description="Coefficient of variation of monthly inflow.")
    inflow_ar1: float = Field(ge=0, lt=1, description="Month-to-month AR(1) coefficient of log inflow (droughts).")
    tariff_cny_per_kwh: float = Field(gt=0, description="On-grid tariff in yuan per kWh.")
    curtailment_share: float = Field(ge=0, lt=1, description="Share of generation curtailed (弃水).")
    opex_cny_per_month: float = Field(ge=0, description="Operating cost per month in yuan.")

    @model_validator(mode="after")
    def _check(self) -> HydroIncome:
        _twelve(self.inflow_mean_m3, "inflow_mean_m3")
        return self


class TourismIncome(BaseModel):
    """Eco-tourism scenic area: visitors x ticket price (景区门票收费权)."""

    model_config = _CFG
    kind: Literal["tourism"] = Field(default="tourism", description="Model discriminator.")
    visitors_per_year: float = Field(gt=0, description="Expected visitors per year.")
    monthly_profile: tuple[float, ...] = Field(description="Relative visitors by calendar month (holiday peaks).")
    ticket_price_cny: float = Field(gt=0, description="Regulated ticket price in yuan.")
    price_growth_per_year: float = Field(ge=-0.5, le=0.5, description="Annual ticket price change (fraction).")
    visitor_cv: float = Field(ge=0, le=3, description="Coefficient of variation of monthly visitors (weather).")
    shock_prob_per_year: float = Field(ge=0, le=1, description="Annual probability of an epidemic/disaster closure.")
    shock_loss_share: float = Field(ge=0, le=1, description="Share of visitors lost during a shock.")
    shock_months: int = Field(ge=1, le=36, description="Months a shock lasts.")
    opex_cny_per_month: float = Field(ge=0, description="Operating cost per month in yuan.")

    @model_validator(mode="after")
    def _check(self) -> TourismIncome:
        _twelve(self.monthly_profile, "monthly_profile")
        return self


class ForestryIncome(BaseModel):
    """Forestry / under-forest economy: harvest x timber price (林木/林下经济收益)."""

    model_config = _CFG
    kind: Literal["forestry"] = Field(default="forestry", description="Model discriminator.")
    harvest_m3_per_year: float = Field(gt=0, description="Planned harvest volume per year (m³, within the quota).")
    harvest_profile: tuple[float, ...] = Field(description="Relative harvest by calendar month.")
    price_cny_per_m3: float = Field(gt=0, description="Timber price in yuan per m³.")
    price_vol_per_year: float = Field(ge=0, le=2, description="Annual volatility of the log timber price.")
    shock_prob_per_year: float = Field(ge=0, le=1, description="Annual probability of fire or pest damage.")
    shock_loss_share: float = Field(ge=0, le=1, description="Share of the remaining year's harvest lost.")
    opex_cny_per_month: float = Field(ge=0, description="Operating cost per month in yuan.")

    @model_validator(mode="after")
    def _check(self) -> ForestryIncome:
        _twelve(self.harvest_profile, "harvest_profile")
        return self


class CarbonSinkIncome(BaseModel):
    """Forestry carbon sink: verified sequestration x price after an issuance lag (林业碳汇)."""

    model_config = _CFG
    kind: Literal["carbon_sink"] = Field(default="carbon_sink", description="Model discriminator.")
    sequestration_tco2e_per_year: float = Field(gt=0, description="Expected net sequestration per year (tCO2e).")
    verification_months: int = Field(ge=1, le=60, description="Months between verifications (monitoring periods).")
    issuance_lag_months: int = Field(ge=0, le=36, description="Months from verification to issuance and sale.")
    price_cny_per_tco2e: float = Field(gt=0, description="Carbon price at the start (CCER/CEA, yuan per tCO2e).")
    price_drift_per_year: float = Field(ge=-0.5, le=0.5, description="Annual drift of the log carbon price.")
    price_vol_per_year: float = Field(ge=0, le=2, description="Annual volatility of the log carbon price.")
    reversal_prob_per_year: float = Field(ge=0, le=1, description="Annual probability of a reversal (fire/pest).")
    reversal_share: float = Field(ge=0, le=1, description="Share of the period's credits lost in a reversal.")
    opex_cny_per_month: float = Field(ge=0, description="Monitoring and verification cost per month in yuan.")


class WaterSupplyIncome(BaseModel):
    """Water supply or sewage treatment: volume x regulated tariff (供水/污水处理收费权)."""

    model_config = _CFG
    kind: Literal["water_supply"] = Field(default="water_supply", description="Model discriminator.")
    volume_m3_per_month: tuple[float, ...] = Field(description="Expected billed volume by calendar month (m³).")
    volume_cv: float = Field(ge=0, le=2, description="Coefficient of variation of monthly volume.")
    tariff_cny_per_m3: float = Field(gt=0, description="Regulated tariff in yuan per m³.")
    review_every_months: int = Field(ge=1, le=120, description="Months between tariff reviews.")
    review_step: float = Field(ge=-0.5, le=0.5, description="Tariff change at each review (fraction).")
    collection_rate: float = Field(gt=0, le=1, description="Share of billings collected.")
    opex_cny_per_month: float = Field(ge=0, description="Operating cost per month in yuan.")

    @model_validator(mode="after")
    def _check(self) -> WaterSupplyIncome:
        _twelve(self.volume_m3_per_month, "volume_m3_per_month")
        return self


IncomeSpec = Annotated[
    HydroIncome | TourismIncome | ForestryIncome | CarbonSinkIncome | WaterSupplyIncome,
    Field(discriminator="kind"),
]
"""One project-income model, chosen by ``kind``."""


def _lognormal_ar1(
    rng: np.random.Generator, n: int, months: int, cv: float, ar1: float, deterministic: bool
) -> FloatArray:
    """Mean-one lognormal multipliers ``(n, months)`` with AR(1) log innovations."""
    if deterministic or cv == 0:
        return np.ones((n, months))
    sigma = np.sqrt(np.log1p(cv * cv))
    z = rng.standard_normal((n, months))
    x = np.empty((n, months))
    x[:, 0] = z[:, 0]
    scale = np.sqrt(1.0 - ar1 * ar1)
    for t in range(1, months):
        x[:, t] = ar1 * x[:, t - 1] + scale * z[:, t]
    out: FloatArray = np.exp(sigma * x - 0.5 * sigma * sigma)
    return out


def _shock_mask(
    rng: np.random.Generator, n: int, months: int, prob_per_year: float, duration: int, deterministic: bool
) -> FloatArray:
    """1 where a shock is in force, 0 otherwise, ``(n, months)``."""
    out = np.zeros((n, months))
    if deterministic or prob_per_year == 0:
        return out
    p_month = 1.0 - (1.0 - prob_per_year) ** (1.0 / 12.0)
    starts = rng.random((n, months)) < p_month
    for t in range(months):
        out[:, t : t + duration] = np.maximum(out[:, t : t + duration], starts[:, t : t + 1])
    return out


def simulate_income(
    spec: HydroIncome | TourismIncome | ForestryIncome | CarbonSinkIncome | WaterSupplyIncome,
    *,
    months: int,
    n_scenarios: int = 1,
    seed: int = 0,
    start_month: int = 1,
    deterministic: bool = False,
) -> FloatArray:
    """Monthly net operating cash flow (yuan) of a project-income pool, shape ``(n_scenarios, months)``.

    Parameters
    ----------
    spec : HydroIncome, TourismIncome, ForestryIncome, CarbonSinkIncome or WaterSupplyIncome
        The income model.
    months : int
        Months to project.
    n_scenarios : int, default 1
        Scenarios (rows).
    seed : int, default 0
        Seed of every random draw.
    start_month : int, default 1
        Calendar month (1-12) of the first projected month.
    deterministic : bool, default False
        Expected path: no randomness, no shocks.

    Returns
    -------
    ndarray
        Net cash flow (revenue - operating cost), yuan; may be negative in a bad month.

    Raises
    ------
    SpecError
        If ``months``, ``n_scenarios`` or ``start_month`` is out of range.

    Examples
    --------
    >>> w = WaterSupplyIncome(volume_m3_per_month=(1e5,) * 12, volume_cv=0.0, tariff_cny_per_m3=2.0,
    ...                       review_every_months=36, review_step=0.05, collection_rate=0.95, opex_cny_per_month=5e4)
    >>> simulate_income(w, months=3, deterministic=True).round(2).tolist()
    [[140000.0, 140000.0, 140000.0]]
    """
    if months < 1 or n_scenarios < 1 or not 1 <= start_month <= 12:
        raise SpecError(
            f"simulate_income needs months >= 1, n_scenarios >= 1 and start_month in 1..12; got "
            f"{months}, {n_scenarios}, {start_month}."
        )
    rng = np.random.default_rng(seed)
    cal = (np.arange(months) + start_month - 1) % 12
    years = np.arange(months) / 12.0
    n = n_scenarios
    det = deterministic
    if isinstance(spec, HydroIncome):
        inflow = np.asarray(spec.inflow_mean_m3)[cal] * _lognormal_ar1(
            rng, n, months, spec.inflow_cv, spec.inflow_ar1, det
        )
        cap = spec.capacity_kw * 24.0 * _DAYS_IN_MONTH[cal]
        gen = np.minimum(inflow * spec.kwh_per_m3, cap) * (1.0 - spec.curtailment_share)
        revenue = gen * spec.tariff_cny_per_kwh
    elif isinstance(spec, TourismIncome):
        prof = np.asarray(spec.monthly_profile)
        visitors = spec.visitors_per_year * prof[cal] / prof.sum()
        visitors = visitors * _lognormal_ar1(rng, n, months, spec.visitor_cv, 0.3, det)
        shock = _shock_mask(rng, n, months, spec.shock_prob_per_year, spec.shock_months, det)
        price = spec.ticket_price_cny * (1.0 + spec.price_growth_per_year) ** np.floor(years)
        revenue = visitors * (1.0 - spec.shock_loss_share * shock) * price
    elif isinstance(spec, ForestryIncome):
        prof = np.asarray(spec.harvest_profile)
        volume = spec.harvest_m3_per_year * prof[cal] / prof.sum()
        shock = _shock_mask(rng, n, months, spec.shock_prob_per_year, 12, det)
        price = _price_path(rng, n, months, spec.price_cny_per_m3, 0.0, spec.price_vol_per_year, det)
        revenue = volume * (1.0 - spec.shock_loss_share * shock) * price
    elif isinstance(spec, CarbonSinkIncome):
        revenue = _carbon_revenue(spec, rng, n, months, det)
    else:
        prof = np.asarray(spec.volume_m3_per_month)[cal]
        volume = prof * _lognormal_ar1(rng, n, months, spec.volume_cv, 0.5, det)
        tariff = spec.tariff_cny_per_m3 * (1.0 + spec.review_step) ** np.floor(
            np.arange(months) / spec.review_every_months
        )
        revenue = volume * tariff * spec.collection_rate
    out: FloatArray = np.broadcast_to(revenue - spec.opex_cny_per_month, (n, months)).astype(np.float64)
    return out


def _price_path(
    rng: np.random.Generator, n: int, months: int, p0: float, drift: float, vol: float, det: bool
) -> FloatArray:
    t = np.arange(months) / 12.0
    if det or vol == 0:
        return np.broadcast_to(p0 * np.exp(drift * t), (n, months)).astype(np.float64)
    dz = rng.standard_normal((n, months)) * vol * np.sqrt(1.0 / 12.0)
    logp = np.cumsum(dz + (drift - 0.5 * vol * vol) / 12.0, axis=1)
    out: FloatArray = p0 * np.exp(logp)
    return out


def _carbon_revenue(spec: CarbonSinkIncome, rng: np.random.Generator, n: int, months: int, det: bool) -> FloatArray:
    price = _price_path(
        rng, n, months, spec.price_cny_per_tco2e, spec.price_drift_per_year, spec.price_vol_per_year, det
    )
    revenue = np.zeros((n, months))
    per_period = spec.sequestration_tco2e_per_year * spec.verification_months / 12.0
    p_rev = 1.0 - (1.0 - spec.reversal_prob_per_year) ** (spec.verification_months / 12.0)
    for end in range(spec.verification_months, months + 1, spec.verification_months):
        sale = end - 1 + spec.issuance_lag_months
        if sale >= months:
            break
        credits = np.full(n, per_period)
        if not det and p_rev > 0:
            credits = credits * (1.0 - spec.reversal_share * (rng.random(n) < p_rev))
        revenue[:, sale] += credits * price[:, sale]
    return revenue


def hydro_from_history(
    history: pl.DataFrame,
    *,
    capacity_kw: float,
    kwh_per_m3: float,
    tariff_cny_per_kwh: float,
    curtailment_share: float,
    opex_cny_per_month: float,
    source: str = "inflow history",
) -> HydroIncome:
    """Calibrate a :class:`HydroIncome` from a monthly inflow history (>= 3 years, as the exchanges ask).

    Parameters
    ----------
    history : polars.DataFrame
        Columns ``year``, ``month`` (1-12) and ``inflow_m3``.
    capacity_kw, kwh_per_m3, tariff_cny_per_kwh, curtailment_share, opex_cny_per_month : float
        Station data, see :class:`HydroIncome`.
    source : str
        Name of the table for error messages.

    Returns
    -------
    HydroIncome
        Mean inflow by calendar month, the CV of monthly inflow relative to its month's mean and the
        lag-1 autocorrelation of the log ratio.

    Raises
    ------
    DataError
        If a column is missing, an inflow is negative or fewer than 36 months are given.
    """
    for col in ("year", "month", "inflow_m3"):
        if col not in history.columns:
            raise DataError(f"required column {col!r} is missing; give year, month, inflow_m3.", source=source)
    if history.height < 36:
        raise DataError(
            f"has {history.height} months; the exchanges' guide asks for >= 3 years (36 months) of history.",
            source=source,
        )
    h = history.sort("year", "month")
    flow = h["inflow_m3"].cast(pl.Float64).to_numpy()
    if np.any(flow <= 0) or not np.all(np.isfinite(flow)):
        row = int(np.argmax(~(flow > 0))) + 1
        raise DataError("inflow_m3 must be > 0; fix the gauge value.", source=source, column="inflow_m3", row=row)
    month = h["month"].cast(pl.Int64).to_numpy()
    means = np.array([flow[month == m].mean() if np.any(month == m) else np.nan for m in range(1, 13)])
    if np.any(np.isnan(means)):
        raise DataError("every calendar month needs at least one inflow value.", source=source, column="month")
    ratio = flow / means[month - 1]
    logr = np.log(ratio)
    ar1 = float(np.clip(np.corrcoef(logr[:-1], logr[1:])[0, 1], 0.0, 0.95))
    return HydroIncome(
        capacity_kw=capacity_kw,
        kwh_per_m3=kwh_per_m3,
        inflow_mean_m3=tuple(float(x) for x in means),
        inflow_cv=float(np.std(ratio)),
        inflow_ar1=ar1,
        tariff_cny_per_kwh=tariff_cny_per_kwh,
        curtailment_share=curtailment_share,
        opex_cny_per_month=opex_cny_per_month,
    )


def carbon_sink_from_gep(
    rule_set: str,
    *,
    year: int,
    sequestration_tco2e_per_year: float,
    verification_months: int,
    issuance_lag_months: int,
    price_drift_per_year: float,
    price_vol_per_year: float,
    reversal_prob_per_year: float,
    reversal_share: float,
    opex_cny_per_month: float,
) -> CarbonSinkIncome:
    """A :class:`CarbonSinkIncome` whose starting price is the GEP rule set's carbon price (greenfin.gep).

    Parameters
    ----------
    rule_set : str
        GEP rule set id, e.g. ``"national-2022"`` (see :func:`greenfin.gep.list_rules`).
    year : int
        Price year the rule set's carbon price is deflated to.
    sequestration_tco2e_per_year, verification_months, issuance_lag_months : float, int, int
        Physical driver, see :class:`CarbonSinkIncome` (e.g. the parcels' ``carbon_sequestration`` in t CO2).
    price_drift_per_year, price_vol_per_year, reversal_prob_per_year, reversal_share, opex_cny_per_month : float
        See :class:`CarbonSinkIncome`.

    Returns
    -------
    CarbonSinkIncome
        The income model.

    Raises
    ------
    SpecError
        If the rule set's carbon price is not in yuan per tonne of CO2.

    Examples
    --------
    >>> m = carbon_sink_from_gep("national-2022", year=2025, sequestration_tco2e_per_year=1e4, verification_months=12,
    ...     issuance_lag_months=6, price_drift_per_year=0.0, price_vol_per_year=0.2, reversal_prob_per_year=0.01,
    ...     reversal_share=0.5, opex_cny_per_month=0.0)
    >>> m.price_cny_per_tco2e > 0
    True
    """
    from greenfin.gep import load_rules

    rules = load_rules(rule_set)
    key = "carbon_sequestration.carbon_price"
    unit = str(rules.param(key).unit).replace(" ", "").lower()
    if unit not in ("yuan/tco2", "yuan/tco2e"):
        raise SpecError(f"Rule set {rule_set!r} prices carbon in {unit!r}; carbon_sink_from_gep needs yuan per t CO2.")
    return CarbonSinkIncome(
        sequestration_tco2e_per_year=sequestration_tco2e_per_year,
        verification_months=verification_months,
        issuance_lag_months=issuance_lag_months,
        price_cny_per_tco2e=float(rules.price(key, year)),
        price_drift_per_year=price_drift_per_year,
        price_vol_per_year=price_vol_per_year,
        reversal_prob_per_year=reversal_prob_per_year,
        reversal_share=reversal_share,
        opex_cny_per_month=opex_cny_per_month,
    )
