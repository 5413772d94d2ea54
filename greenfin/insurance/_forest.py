"""Policy forest insurance (政策性森林保险): per-parcel hazard model, claims rules, premium and subsidy split.

Hazard model (per parcel i, peril p): events arrive as a Poisson process with rate
``nu_p x species_factor x county_factor x area_mu / 10,000``; an event's area A is lognormal, the parcel's
damaged area is ``min(A, area)``, and its loss degree LD ~ Beta. Claims rules (reference §1.4): a relative
deductible d on the loss degree, total loss from T (pay ``SI x damaged area x g(LD)`` with
``g = 0`` for LD <= d, ``LD - d`` for d < LD < T, 1 for LD >= T) and, for fire, no claim when the fire burns
fewer than the minimum area. The expected loss per parcel is in closed form (vectorised), the portfolio
aggregate by FFT on a simulated event-severity sample, giving the 1-in-200 capital load.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import special

from greenfin._typing import FloatArray, IntArray, PathLikeStr
from greenfin._validation import ColumnSpec, spec_error_from, validate_frame
from greenfin.errors import DataError, SpecError, param_error
from greenfin.insurance._aggregate import AggregateResult, LatticeDistribution, aggregate
from greenfin.insurance._experience import buhlmann_straub
from greenfin.insurance._freq import Poisson
from greenfin.insurance._params import param_table
from greenfin.insurance._premium import Loadings, gross_premium
from greenfin.insurance._sev import Empirical
from greenfin.money import allocate_fen, yuan_to_fen
from greenfin.units import MU_PER_HA

__all__ = [
    "PERILS",
    "SPECIES",
    "ForestCover",
    "ForestPricing",
    "SubsidySplit",
    "default_forest_cover",
    "forest_indemnity",
    "load_forest_cover",
    "price_forest",
    "rate_backtest",
    "split_premium_fen",
]

SPECIES: tuple[str, ...] = ("chinese_fir", "masson_pine", "broadleaf", "bamboo", "oil_tea")
"""Species groups of the hazard model (keys of ``greenfin.datasets._county.SPECIES_GROUPS``)."""

PERILS: tuple[str, ...] = ("fire", "pest", "storm", "freeze_snow", "flood", "drought")
"""Perils of comprehensive cover (综合险); fire-only cover (火灾险) uses ``("fire",)``."""

Peril = Literal["fire", "pest", "storm", "freeze_snow", "flood", "drought"]
PAYERS: tuple[str, ...] = ("central", "provincial", "county", "insured")


class SubsidySplit(BaseModel):
    """Shares of the premium paid by central, provincial and county finance and the insured (sum 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    central: float = Field(ge=0.0, le=1.0, description="Central finance (中央财政) share.")
    provincial: float = Field(ge=0.0, le=1.0, description="Provincial finance (省级财政) share.")
    county: float = Field(ge=0.0, le=1.0, description="County / municipal finance (市县财政) share.")
    insured: float = Field(ge=0.0, le=1.0, description="Share paid by the insured grower or forest owner.")

    @model_validator(mode="after")
    def _sums_to_one(self) -> SubsidySplit:
        total = self.central + self.provincial + self.county + self.insured
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"the shares sum to {total:.4%}, not 100 %; make central+provincial+county+insured = 1")
        return self

    def as_tuple(self) -> tuple[float, float, float, float]:
        """The shares as ``(central, provincial, county, insured)``.

        Returns
        -------
        tuple of float
            The four shares.
        """
        return self.central, self.provincial, self.county, self.insured


class ForestCover(BaseModel):
    """Terms of a policy forest insurance scheme: sums insured, claims rules, subsidy splits and loads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    si_public_welfare_cny_per_mu: float = Field(gt=0, description="Sum insured per mu of 公益林 (public welfare).")
    si_commercial_cny_per_mu: float = Field(gt=0, description="Sum insured per mu of 商品林 (commercial forest).")
    relative_deductible: float = Field(ge=0, lt=1, description="Relative deductible on the loss degree (e.g. 0.20).")
    total_loss_degree: float = Field(gt=0, le=1, description="Loss degree from which the loss is total (e.g. 0.90).")
    min_fire_area_mu: float = Field(ge=0, description="A single fire burning less than this (mu) is not covered.")
    perils: tuple[Peril, ...] = Field(min_length=1, description="Covered perils (综合险: all six; 火灾险: fire).")
    split_public_welfare: SubsidySplit = Field(description="Premium split of 公益林.")
    split_commercial: SubsidySplit = Field(description="Premium split of 商品林.")
    expense_ratio: float = Field(ge=0, lt=1, description="Expense ratio (<= 20 % for policy insurance).")
    profit_margin: float = Field(ge=0, lt=1, description="Profit / safety margin, fraction of gross premium.")
    cost_of_capital_rate: float = Field(ge=0, le=1, description="Cost of capital on VaR 99.5 % minus the mean.")

    @model_validator(mode="after")
    def _check(self) -> ForestCover:
        if self.total_loss_degree <= self.relative_deductible:
            raise ValueError("total_loss_degree must be above relative_deductible (e.g. 0.90 > 0.20)")
        return self


def _check_subsidy_rules(cover: ForestCover) -> None:
    t = param_table("forest")
    pw, cm = cover.split_public_welfare, cover.split_commercial
    if pw.central > t.value("central_share_public_welfare") + 1e-12:
        raise SpecError(
            f"公益林 central share {pw.central:.0%} exceeds the national {t.value('central_share_public_welfare'):.0%}."
        )
    if pw.central > 0 and pw.provincial + pw.county < t.value("min_local_share_public_welfare") - 1e-12:
        raise SpecError(
            "公益林: central subsidy needs local finance (provincial + county) >= "
            f"{t.value('min_local_share_public_welfare'):.0%}; got {pw.provincial + pw.county:.0%}. "
            "Raise the local shares."
        )
    if cm.central > t.value("central_share_commercial") + 1e-12:
        raise SpecError(
            f"商品林 central share {cm.central:.0%} exceeds the national {t.value('central_share_commercial'):.0%}."
        )
    if cm.central > 0 and cm.provincial < t.value("min_provincial_share_commercial") - 1e-12:
        raise SpecError(
            f"商品林: central subsidy needs a provincial share >= {t.value('min_provincial_share_commercial'):.0%}; "
            f"got {cm.provincial:.0%}. Raise the provincial share."
        )


def default_forest_cover() -> ForestCover:
    """Jiangxi comprehensive forest cover from the sourced parameter tables (``forest.json``, ``premium.json``).

    Returns
    -------
    ForestCover
        The default terms.

    Examples
    --------
    >>> default_forest_cover().si_commercial_cny_per_mu
    800.0
    """
    t, prem = param_table("forest"), param_table("premium")
    pw, cm = t.value("split_public_welfare"), t.value("split_commercial")
    return ForestCover(
        si_public_welfare_cny_per_mu=t.value("si_public_welfare_cny_per_mu"),
        si_commercial_cny_per_mu=t.value("si_commercial_cny_per_mu"),
        relative_deductible=t.value("relative_deductible_loss_degree"),
        total_loss_degree=t.value("total_loss_degree"),
        min_fire_area_mu=t.value("min_fire_area_mu"),
        perils=PERILS,  # type: ignore[arg-type]
        split_public_welfare=SubsidySplit(central=pw[0], provincial=pw[1], county=pw[2], insured=pw[3]),
        split_commercial=SubsidySplit(central=cm[0], provincial=cm[1], county=cm[2], insured=cm[3]),
        expense_ratio=prem.value("expense_ratio"),
        profit_margin=prem.value("safety_load"),
        cost_of_capital_rate=prem.value("cost_of_capital_rate"),
    )


def load_forest_cover(path: PathLikeStr) -> ForestCover:
    """Read a rules file: a JSON object overriding any fields of :func:`default_forest_cover`.

    Parameters
    ----------
    path : str or path-like
        JSON file, e.g. ``{"relative_deductible": 0.1, "split_commercial": {"central": 0.3, ...}}``.

    Returns
    -------
    ForestCover
        The validated terms.

    Raises
    ------
    SpecError
        If the file is not JSON, a field is unknown or out of range, or the shares break the subsidy rules.
    """
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"Rules file {p} does not exist; check the path.")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{p} is not valid JSON (line {exc.lineno}): {exc.msg}.") from None
    data = default_forest_cover().model_dump()
    data.update(raw)
    try:
        cover = ForestCover.model_validate(data)
    except ValidationError as exc:
        raise spec_error_from(exc, f"ForestCover ({p.name})") from None
    _check_subsidy_rules(cover)
    return cover


def forest_indemnity(loss_degree: Any, damaged_area_mu: Any, si_per_mu_cny: Any, cover: ForestCover) -> FloatArray:
    """Indemnity under the relative-deductible / total-loss rule (reference §1.4, §1.8).

    Parameters
    ----------
    loss_degree : array_like
        Loss degree (损失率) in [0, 1].
    damaged_area_mu : array_like
        Damaged area, mu.
    si_per_mu_cny : array_like
        Sum insured per mu.
    cover : ForestCover
        Terms.

    Returns
    -------
    numpy.ndarray of float64
        Indemnity, yuan.

    Examples
    --------
    >>> c = default_forest_cover()
    >>> forest_indemnity([0.15, 0.2, 0.5, 0.89, 0.9, 1.0], 100.0, 800.0, c).round(6).tolist()
    [0.0, 0.0, 24000.0, 55200.0, 80000.0, 80000.0]
    """
    ld = np.asarray(loss_degree, dtype=np.float64)
    d, top = cover.relative_deductible, cover.total_loss_degree
    g = np.where(ld >= top, 1.0, np.where(ld > d, ld - d, 0.0))
    out: FloatArray = g * np.asarray(damaged_area_mu, dtype=np.float64) * np.asarray(si_per_mu_cny, dtype=np.float64)
    return out


def _expected_payout_fraction(alpha: float, beta: float, d: float, top: float) -> float:
    """``E[g(LD)]`` for LD ~ Beta(alpha, beta)."""
    mean = alpha / (alpha + beta)
    partial = mean * (special.betainc(alpha + 1, beta, top) - special.betainc(alpha + 1, beta, d))
    middle = special.betainc(alpha, beta, top) - special.betainc(alpha, beta, d)
    return float(partial - d * middle + (1.0 - special.betainc(alpha, beta, top)))


def _expected_damaged_area(area_mu: FloatArray, med: float, sigma: float, threshold: float) -> FloatArray:
    """``E[min(A, area) 1{A >= threshold}]`` for lognormal A, vectorised over parcels."""
    mu = math.log(med)
    ea = math.exp(mu + 0.5 * sigma**2)
    lo = np.full_like(area_mu, max(threshold, 1e-300))
    hi = np.maximum(area_mu, lo)

    def z1(x: FloatArray) -> FloatArray:
        return np.asarray((np.log(x) - mu - sigma**2) / sigma, dtype=np.float64)

    def z0(x: FloatArray) -> FloatArray:
        return np.asarray((np.log(x) - mu) / sigma, dtype=np.float64)

    partial = ea * (special.ndtr(z1(hi)) - special.ndtr(z1(lo)))  # E[A 1{t <= A < max(area, t)}]
    out: FloatArray = partial + area_mu * special.ndtr(-z0(hi))
    return out


@dataclass(frozen=True)
class _Lowered:
    area_mu: FloatArray
    si_per_mu: FloatArray
    species_idx: IntArray
    public: np.ndarray
    county_factor: FloatArray


def _lower(parcels: pl.DataFrame, cover: ForestCover) -> _Lowered:
    t = param_table("forest")
    area_mu = parcels["area_ha"].to_numpy().astype(np.float64) * MU_PER_HA
    public = (parcels["forest_category"] == "public_welfare").to_numpy()
    si = np.where(public, cover.si_public_welfare_cny_per_mu, cover.si_commercial_cny_per_mu)
    species_idx = (
        parcels["species_group"].replace_strict({s: i for i, s in enumerate(SPECIES)}, return_dtype=pl.Int64).to_numpy()
    )
    factors = {k.removeprefix("county_factor."): float(t.value(k)) for k in t if k.startswith("county_factor.")}
    if "county_id" in parcels.columns:
        county = parcels["county_id"].cast(pl.String)
        unknown = sorted(set(county.unique().to_list()) - set(factors))
        if unknown:
            raise SpecError(
                f"No hazard factor for county {unknown[:5]}; add county_factor.<id> to the forest parameter table "
                "(or drop the county_id column to use the sample county's factor)."
            )
        cf = county.replace_strict(factors, return_dtype=pl.Float64).to_numpy()
    else:
        cf = np.full(area_mu.size, factors["369901"])
    return _Lowered(area_mu, si.astype(np.float64), species_idx.astype(np.int64), public, cf.astype(np.float64))


def _peril_params(peril: str) -> tuple[float, float, float, tuple[float, float], FloatArray]:
    t = param_table("forest")
    ab = t.value(f"{peril}.loss_degree_beta")
    return (
        float(t.value(f"{peril}.event_rate_per_10k_mu")),
        float(t.value(f"{peril}.event_area_median_mu")),
        float(t.value(f"{peril}.event_area_sigma")),
        (float(ab[0]), float(ab[1])),
        np.asarray(t.value(f"{peril}.species_factor"), dtype=np.float64),
    )


def _event_rates(low: _Lowered, cover: ForestCover) -> dict[str, FloatArray]:
    rates: dict[str, FloatArray] = {}
    for peril in cover.perils:
        nu, _, _, _, spf = _peril_params(peril)
        rates[peril] = nu * spf[low.species_idx] * low.county_factor * low.area_mu / 10_000.0
    return rates


def expected_loss_by_peril(low: _Lowered, cover: ForestCover) -> dict[str, FloatArray]:
    """Expected annual indemnity per parcel and peril, yuan (closed form)."""
    out: dict[str, FloatArray] = {}
    rates = _event_rates(low, cover)
    for peril in cover.perils:
        _, med, sig, (a, b), _ = _peril_params(peril)
        threshold = cover.min_fire_area_mu if peril == "fire" else 0.0
        area = _expected_damaged_area(low.area_mu, med, sig, threshold)
        pay = _expected_payout_fraction(a, b, cover.relative_deductible, cover.total_loss_degree)
        out[peril] = rates[peril] * area * pay * low.si_per_mu
    if "freeze_snow" in cover.perils:
        prob, exposure, (a, b) = _regional_cat(low, cover)
        out["regional_cat"] = (
            prob * exposure * _expected_payout_fraction(a, b, cover.relative_deductible, cover.total_loss_degree)
        )
    return out


def _regional_cat(low: _Lowered, cover: ForestCover) -> tuple[float, FloatArray, tuple[float, float]]:
    """(annual probability, per-parcel SI x affected area, loss-degree Beta) of the regional freeze/snow event."""
    t = param_table("forest")
    spf = np.asarray(t.value("freeze_snow.species_factor"), dtype=np.float64)[low.species_idx]
    share = np.minimum(float(t.value("regional_cat.affected_share")) * spf * low.county_factor, 1.0)
    ab = t.value("regional_cat.loss_degree_beta")
    return float(t.value("regional_cat.annual_probability")), share * low.area_mu * low.si_per_mu, (ab[0], ab[1])


def _with_regional_cat(result: AggregateResult, low: _Lowered, cover: ForestCover) -> AggregateResult:
    """Convolve the attritional lattice with ``(1 - p) δ0 + p x law(A g(LD))`` of the regional event."""
    from scipy import stats

    central = result.central
    assert isinstance(central, LatticeDistribution)
    prob, exposure, (a, b) = _regional_cat(low, cover)
    u = (np.arange(4000) + 0.5) / 4000
    ld = stats.beta(a, b).ppf(u)
    amounts = float(exposure.sum()) * forest_indemnity(ld, 1.0, 1.0, cover)
    n = central.pmf.size
    cat_pmf = np.zeros(n)
    np.add.at(cat_pmf, np.minimum(np.round(amounts / central.step).astype(np.int64), n - 1), 1.0 / u.size)
    mix = prob * cat_pmf
    mix[0] += 1.0 - prob
    size = 1 << math.ceil(math.log2(2 * n))
    total = np.fft.irfft(np.fft.rfft(central.pmf, size) * np.fft.rfft(mix, size), size)[:n]
    lattice = LatticeDistribution(np.maximum(total, 0.0), central.step)
    info = dict(result.info)
    info["mass_beyond_grid"] = max(0.0, 1.0 - lattice.mass_on_grid)
    info["regional_cat_probability"] = prob
    return AggregateResult(method=result.method, central=lattice, info=info, exact_lattice=False)


def simulate_events(
    low: _Lowered, cover: ForestCover, n_events: int, rng: np.random.Generator
) -> tuple[FloatArray, IntArray, FloatArray, FloatArray, list[str]]:
    """Draw events from the portfolio's event mix: (indemnity, parcel, damaged area, loss degree, peril)."""
    rates = _event_rates(low, cover)
    perils = list(cover.perils)
    lam = np.array([rates[p].sum() for p in perils])
    peril_of = rng.choice(len(perils), size=n_events, p=lam / lam.sum())
    parcel = np.empty(n_events, dtype=np.int64)
    ld = np.empty(n_events)
    damaged = np.empty(n_events)
    for k, peril in enumerate(perils):
        sel = np.flatnonzero(peril_of == k)
        if sel.size == 0:
            continue
        _, med, sig, (a, b), _ = _peril_params(peril)
        cum = np.cumsum(rates[peril])
        parcel[sel] = np.minimum(np.searchsorted(cum, rng.random(sel.size) * cum[-1], side="right"), cum.size - 1)
        event_area = rng.lognormal(math.log(med), sig, sel.size)
        covered = event_area >= (cover.min_fire_area_mu if peril == "fire" else 0.0)
        damaged[sel] = np.where(covered, np.minimum(event_area, low.area_mu[parcel[sel]]), 0.0)
        ld[sel] = rng.beta(a, b, sel.size)
    indemnity = forest_indemnity(ld, damaged, low.si_per_mu[parcel], cover)
    return indemnity, parcel, damaged, ld, [perils[i] for i in peril_of] if n_events <= 100_000 else []


def split_premium_fen(premium_fen: Any, shares: Any) -> IntArray:
    """Split each premium (fen) among payers exactly, as :func:`greenfin.money.allocate_fen` does row by row.

    Floors each share, then gives the leftover fen to the largest remainders (ties to the earlier payer),
    vectorised over rows.

    Parameters
    ----------
    premium_fen : array_like of int, shape (n,)
        Premiums in fen (>= 0).
    shares : array_like, shape (n, k) or (k,)
        Shares per row (non-negative, not all zero).

    Returns
    -------
    numpy.ndarray of int64, shape (n, k)
        Parts; each row sums to its premium.

    Raises
    ------
    SpecError
        If a premium is negative or a share row is invalid.

    Examples
    --------
    >>> split_premium_fen([65, 120], [0.5, 0.25, 0.15, 0.10]).tolist()
    [[33, 16, 10, 6], [60, 30, 18, 12]]
    """
    total = np.asarray(premium_fen, dtype=np.int64)
    w = np.broadcast_to(np.asarray(shares, dtype=np.float64), (total.size, np.shape(shares)[-1]))
    if np.any(total < 0):
        raise param_error("split_premium_fen", "premium_fen", "amounts >= 0", int(total.min()), "Check the premiums.")
    if np.any(w < 0) or np.any(w.sum(axis=1) <= 0) or not np.all(np.isfinite(w)):
        raise param_error("split_premium_fen", "shares", "non-negative, not all zero", "bad row", "Fix the shares.")
    exact = w / w.sum(axis=1, keepdims=True) * total[:, None]
    floors = np.floor(exact).astype(np.int64)
    leftover = total - floors.sum(axis=1)
    order = np.argsort(-(exact - floors), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(w.shape[1])[None, :].repeat(total.size, 0), axis=1)
    parts: IntArray = floors + (rank < leftover[:, None]).astype(np.int64)
    return parts


@dataclass(frozen=True)
class ForestPricing:
    """Result of :func:`price_forest`.

    Parameters
    ----------
    parcels : polars.DataFrame
        One row per parcel: sums insured, expected loss by peril, loads, rate, premium, split in fen.
    by_type : polars.DataFrame
        Totals and premium per mu by forest category and species group.
    split : polars.DataFrame
        Premium of each forest category split among payers in fen (reconciled with ``allocate_fen``).
    aggregate : AggregateResult
        Portfolio annual indemnity distribution (FFT, compound Poisson over the event mix).
    summary : dict
        Headline figures and the §2.16 metadata of the aggregate.
    """

    parcels: pl.DataFrame
    by_type: pl.DataFrame
    split: pl.DataFrame
    aggregate: AggregateResult
    summary: dict[str, Any]


PARCEL_COLUMNS = (
    ColumnSpec(name="parcel_id", kind="str", description="parcel id"),
    ColumnSpec(name="area_ha", kind="float", gt=0, description="parcel area, ha"),
    ColumnSpec(name="species_group", kind="str", allowed=SPECIES, description="species group"),
    ColumnSpec(
        name="forest_category", kind="str", allowed=("public_welfare", "commercial"), description="公益林 / 商品林"
    ),
)


def price_forest(
    parcels: pl.DataFrame,
    cover: ForestCover | None = None,
    *,
    seed: int = 20260630,
    n_events: int = 100_000,
    nodes: int = 1 << 16,
    source: str = "parcels",
) -> ForestPricing:
    """Price policy forest insurance for every parcel and split the premium among payers.

    Parameters
    ----------
    parcels : polars.DataFrame
        Columns ``parcel_id``, ``area_ha``, ``species_group`` (chinese_fir, masson_pine, broadleaf, bamboo,
        oil_tea), ``forest_category`` (public_welfare, commercial); optional ``county_id``. Rows of non-forest
        parcels (``forest_category`` empty) are dropped.
    cover : ForestCover or None
        Terms (default :func:`default_forest_cover`).
    seed : int
        Seed of the event-severity sample.
    n_events : int
        Size of the event-severity sample for the portfolio aggregate.
    nodes : int
        FFT nodes of the portfolio aggregate.
    source : str
        Name of the input for error messages.

    Returns
    -------
    ForestPricing
        Per-parcel prices, totals, premium split and portfolio aggregate.

    Raises
    ------
    DataError
        If a required column is missing or a value is invalid (naming file, column, row).
    SpecError
        If the subsidy shares break the national rules.
    """
    cover = cover or default_forest_cover()
    _check_subsidy_rules(cover)
    if "forest_category" in parcels.columns:
        parcels = parcels.filter(pl.col("forest_category").is_not_null())
    frame = validate_frame(parcels, PARCEL_COLUMNS, source=source)
    if frame.height == 0:
        raise SpecError(f"{source} has no forest parcels (forest_category set); nothing to price.")
    low = _lower(frame, cover)
    by_peril = expected_loss_by_peril(low, cover)
    expected = np.sum(np.vstack(list(by_peril.values())), axis=0)
    total_el = float(expected.sum())
    rng = np.random.default_rng(seed)
    indemnity, *_ = simulate_events(low, cover, n_events, rng)
    lam_total = float(sum(r.sum() for r in _event_rates(low, cover).values()))
    sev = Empirical(values=tuple(indemnity.tolist()))
    mean_s = lam_total * float(indemnity.mean())
    sd_s = math.sqrt(lam_total * float((indemnity**2).mean()))
    top = mean_s + 20.0 * sd_s
    if "freeze_snow" in cover.perils:
        top += float(_regional_cat(low, cover)[1].sum())
    step = max(top / nodes, 1e-6)
    agg = aggregate(Poisson(lam=lam_total), sev, method="fft", nodes=nodes, step=step, bracket=False)
    if "freeze_snow" in cover.perils:
        agg = _with_regional_cat(agg, low, cover)
    q = float(param_table("premium").value("capital_quantile"))
    var_q = agg.central.quantile(q)
    cat_total = cover.cost_of_capital_rate * max(var_q - agg.central.mean(), 0.0)
    cat = cat_total * expected / total_el if total_el > 0 else np.zeros_like(expected)
    loads = Loadings(
        expense_ratio=cover.expense_ratio, profit_margin=cover.profit_margin, cat_load_cny=0.0, policy=True
    )
    gross_premium(0.0, loads)  # checks the policy expense cap once
    premium = (expected + cat) * loads.gross_factor
    sum_insured = low.si_per_mu * low.area_mu
    premium_fen = yuan_to_fen(premium)
    shares = np.where(
        low.public[:, None],
        np.asarray(cover.split_public_welfare.as_tuple())[None, :],
        np.asarray(cover.split_commercial.as_tuple())[None, :],
    )
    parts = split_premium_fen(premium_fen, shares)
    out = frame.select(
        [c for c in ("parcel_id", "village_id", "township_id", "county_id") if c in frame.columns]
        + ["forest_category", "species_group", "area_ha"]
    ).with_columns(
        pl.Series("area_mu", low.area_mu),
        pl.Series("si_per_mu_cny", low.si_per_mu),
        pl.Series("sum_insured_cny", sum_insured),
        *[pl.Series(f"expected_loss_{p}_cny", v) for p, v in by_peril.items()],
        pl.Series("expected_loss_cny", expected),
        pl.Series("cat_load_cny", cat),
        pl.Series("pure_rate", expected / sum_insured),
        pl.Series("gross_rate", premium / sum_insured),
        pl.Series("premium_cny", premium),
        pl.Series("premium_per_mu_cny", premium / low.area_mu),
        pl.Series("premium_fen", premium_fen),
        *[pl.Series(f"{payer}_fen", parts[:, j]) for j, payer in enumerate(PAYERS)],
    )
    by_type = (
        out.group_by("forest_category", "species_group")
        .agg(
            pl.len().alias("parcels"),
            pl.col("area_mu").sum(),
            pl.col("sum_insured_cny").sum(),
            pl.col("expected_loss_cny").sum(),
            pl.col("premium_cny").sum(),
        )
        .with_columns(
            (pl.col("premium_cny") / pl.col("sum_insured_cny")).alias("gross_rate"),
            (pl.col("expected_loss_cny") / pl.col("sum_insured_cny")).alias("pure_rate"),
            (pl.col("premium_cny") / pl.col("area_mu")).alias("premium_per_mu_cny"),
        )
        .sort("forest_category", "species_group")
    )
    rows = []
    for category, split in (("public_welfare", cover.split_public_welfare), ("commercial", cover.split_commercial)):
        total_fen = int(out.filter(pl.col("forest_category") == category)["premium_fen"].sum())
        if total_fen == 0:
            continue
        policy_parts = allocate_fen(total_fen, split.as_tuple())
        rows.append(
            {"forest_category": category, "premium_fen": total_fen}
            | {f"{payer}_fen": int(v) for payer, v in zip(PAYERS, policy_parts, strict=True)}
            | {f"{payer}_share": s for payer, s in zip(PAYERS, split.as_tuple(), strict=True)}
        )
    split_table = pl.DataFrame(rows)
    summary = {
        "parcels": out.height,
        "area_mu": float(low.area_mu.sum()),
        "sum_insured_cny": float(sum_insured.sum()),
        "expected_loss_cny": total_el,
        "premium_cny": float(premium.sum()),
        "premium_fen": int(premium_fen.sum()),
        "gross_rate": float(premium.sum() / sum_insured.sum()),
        "pure_rate": float(total_el / sum_insured.sum()),
        "var_995_cny": var_q,
        "cat_load_cny": cat_total,
        "events_per_year": lam_total,
        "aggregate_method": "fft",
        "aggregate_step_cny": agg.info["step"],
        "aggregate_nodes": nodes,
        "aggregate_mass_beyond_grid": agg.info["mass_beyond_grid"],
        "event_sample_seed": seed,
        "event_sample_size": n_events,
    }
    return ForestPricing(out, by_type, split_table, agg, summary)


def rate_backtest(
    history: pl.DataFrame,
    *,
    years: int = 3,
    target_loss_ratio: float | None = None,
    source: str = "loss history",
) -> pl.DataFrame:
    """Three-year rate back-test (费率回溯): loss ratio by product and county, credibility-weighted.

    For each forest category, the last ``years`` years' loss ratios of the counties are blended with
    Bühlmann–Straub credibility (premium as weight), and the indicated rate change is
    ``credibility loss ratio / target - 1``; the corridor flags where a rate review is due.

    Parameters
    ----------
    history : polars.DataFrame
        Columns ``county_id``, ``forest_category``, ``year``, ``premium_cny`` (> 0), ``claims_cny`` (>= 0).
    years : int
        Review window (the Jiangxi plan: 3).
    target_loss_ratio : float or None
        Target (default: ``target_loss_ratio`` of ``forest.json``).
    source : str
        Name of the input for messages.

    Returns
    -------
    polars.DataFrame
        ``forest_category``, ``county_id``, ``premium_cny``, ``claims_cny``, ``loss_ratio``, ``z``,
        ``credibility_loss_ratio``, ``indicated_rate_change``, ``action``.

    Raises
    ------
    DataError
        If a column is missing, a value is out of range or a county lacks a year of the window.
    """
    t = param_table("forest")
    target = float(t.value("target_loss_ratio")) if target_loss_ratio is None else target_loss_ratio
    low, high = float(t.value("loss_ratio_corridor_low")), float(t.value("loss_ratio_corridor_high"))
    frame = validate_frame(
        history,
        (
            ColumnSpec(name="county_id", kind="str", description="county id"),
            ColumnSpec(name="forest_category", kind="str", allowed=("public_welfare", "commercial")),
            ColumnSpec(name="year", kind="int", description="policy year"),
            ColumnSpec(name="premium_cny", kind="float", gt=0, description="earned premium, CNY"),
            ColumnSpec(name="claims_cny", kind="float", ge=0, description="incurred claims, CNY"),
        ),
        source=source,
    )
    dup = frame.group_by("county_id", "forest_category", "year").len().filter(pl.col("len") > 1)
    if dup.height:
        r = dup.row(0, named=True)
        raise DataError(
            f"{r['len']} rows for county {r['county_id']}, {r['forest_category']}, {r['year']}; keep one per year.",
            source=source,
        )
    last = int(frame["year"].max())  # type: ignore[arg-type]
    window = frame.filter(pl.col("year") > last - years)
    out = []
    for category in sorted(window["forest_category"].unique().to_list()):
        part = window.filter(pl.col("forest_category") == category)
        wide_p = part.pivot(on="year", index="county_id", values="premium_cny", aggregate_function="first").sort(
            "county_id"
        )
        wide_c = part.pivot(on="year", index="county_id", values="claims_cny", aggregate_function="first").sort(
            "county_id"
        )
        year_cols = sorted(c for c in wide_p.columns if c != "county_id")
        if len(year_cols) < years or wide_p.select(year_cols).null_count().sum_horizontal().item() > 0:
            raise DataError(
                f"{category}: every county needs all {years} years {last - years + 1}-{last}; fill the gaps.",
                source=source,
            )
        prem = wide_p.select(year_cols).to_numpy()
        claims = wide_c.select(year_cols).to_numpy()
        counties = wide_p["county_id"].to_list()
        lr = claims / prem
        if len(counties) >= 2:
            cred = buhlmann_straub(lr, prem, counties)
            z, est = cred.table["z"].to_numpy(), cred.table["estimate"].to_numpy()
        else:
            z, est = np.ones(1), claims.sum(axis=1) / prem.sum(axis=1)
        for i, county in enumerate(counties):
            observed = float(claims[i].sum() / prem[i].sum())
            action = "lower rate" if est[i] < low else ("raise rate" if est[i] > high else "keep")
            out.append(
                {
                    "forest_category": category,
                    "county_id": county,
                    "premium_cny": float(prem[i].sum()),
                    "claims_cny": float(claims[i].sum()),
                    "loss_ratio": observed,
                    "z": float(z[i]),
                    "credibility_loss_ratio": float(est[i]),
                    "indicated_rate_change": float(est[i] / target - 1.0),
                    "action": action,
                }
            )
    return pl.DataFrame(out)
