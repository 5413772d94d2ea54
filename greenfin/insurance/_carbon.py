"""Carbon-sink (碳汇) index cover priced from the forest hazard model (reference §2.14, §1.6).

Stock per mu: ``age' x growth x BEF x wood density x (1 + root:shoot) x carbon fraction x 44/12 / 15``
(age' = min(stand age, cap)); annual sequestration the same without the age factor. A forest event with
damaged area D and loss degree LD on a parcel destroys ``D x LD x stock per mu`` (reversal) plus the year's
sequestration of that area. The portfolio index is the year's total tCO2e lost; the payout is
``min(limit, max(0, loss − deductible) x carbon price)``. Annual losses are simulated (seeded) from the
same event mix as :func:`greenfin.insurance.price_forest`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from greenfin._validation import validate_frame
from greenfin.errors import SpecError
from greenfin.insurance._forest import (
    PARCEL_COLUMNS,
    SPECIES,
    ForestCover,
    _event_rates,
    _lower,
    _regional_cat,
    default_forest_cover,
    simulate_events,
)
from greenfin.insurance._params import param_table
from greenfin.insurance._premium import Loadings
from greenfin.units import MU_PER_HA

__all__ = ["CarbonPricing", "price_carbon_sink"]

CO2_PER_C = 44.0 / 12.0


@dataclass(frozen=True)
class CarbonPricing:
    """Result of :func:`price_carbon_sink`.

    Parameters
    ----------
    summary : dict
        Expected annual sink, expected loss, deductible, limit, premium, rate on line, simulation facts.
    annual_loss_tco2e : numpy.ndarray
        Simulated annual portfolio carbon losses (sorted).
    """

    summary: dict[str, Any]
    annual_loss_tco2e: Any


def price_carbon_sink(
    parcels: pl.DataFrame,
    cover: ForestCover | None = None,
    *,
    carbon_price_cny_per_tco2e: float | None = None,
    years: int = 5000,
    seed: int = 20260630,
    source: str = "parcels",
) -> CarbonPricing:
    """Price a portfolio carbon-sink index cover on forest parcels.

    Parameters
    ----------
    parcels : polars.DataFrame
        Forest parcels (as for :func:`greenfin.insurance.price_forest`) with ``stand_age_years``.
    cover : ForestCover or None
        Forest terms whose perils and hazard model drive the losses (loss degrees count in full: the
        forest deductible does not apply to carbon).
    carbon_price_cny_per_tco2e : float or None
        Agreed carbon price (default ``carbon.json``).
    years : int
        Simulated years.
    seed : int
        Seed.
    source : str
        Input name for messages.

    Returns
    -------
    CarbonPricing
        Premium, limit, rate on line and the simulated annual losses.

    Raises
    ------
    SpecError
        If ``stand_age_years`` is missing or the carbon price is not positive.
    """
    cover = cover or default_forest_cover()
    if "forest_category" in parcels.columns:
        parcels = parcels.filter(pl.col("forest_category").is_not_null())
    frame = validate_frame(parcels, PARCEL_COLUMNS, source=source)
    if "stand_age_years" not in frame.columns:
        raise SpecError(f"{source} needs a stand_age_years column for the carbon stock; add it.")
    t = param_table("carbon")
    price = float(carbon_price_cny_per_tco2e or t.value("carbon_price_cny_per_tco2e"))
    if price <= 0:
        raise SpecError(f"carbon price must be > 0 CNY/tCO2e; got {price}.")
    low = _lower(frame, cover)
    k = low.species_idx
    per_ha = (
        np.asarray(t.value("growth_m3_per_ha_year"))[k]
        * np.asarray(t.value("bef"))[k]
        * np.asarray(t.value("wood_density_t_per_m3"))[k]
        * (1.0 + np.asarray(t.value("root_shoot_ratio"))[k])
        * float(t.value("carbon_fraction"))
        * CO2_PER_C
    )
    sink_per_mu = per_ha / MU_PER_HA
    age = np.minimum(
        frame["stand_age_years"].fill_null(10).to_numpy().astype(np.float64), t.value("max_stock_age_years")
    )
    stock_per_mu = sink_per_mu * np.maximum(age, 1.0)
    annual_sink = float((sink_per_mu * low.area_mu).sum())
    carbon_cover = cover.model_copy(update={"relative_deductible": 0.0, "total_loss_degree": 1.0})
    rng = np.random.default_rng(seed)
    lam = float(sum(r.sum() for r in _event_rates(low, carbon_cover).values()))
    counts = rng.poisson(lam, years)
    _, parcel, damaged, ld, _ = simulate_events(low, carbon_cover, int(counts.sum()), rng)
    lost = damaged * ld * (stock_per_mu[parcel] + sink_per_mu[parcel])
    cum = np.concatenate([[0.0], np.cumsum(lost)])
    ends = np.cumsum(counts)
    annual = cum[ends] - cum[ends - counts]
    if "freeze_snow" in cover.perils:
        prob, exposure, (a, b) = _regional_cat(low, carbon_cover)
        share_area = exposure / low.si_per_mu  # damaged mu per parcel in a regional event
        cat_tco2e = float((share_area * (stock_per_mu + sink_per_mu)).sum())
        hit = rng.random(years) < prob
        annual = annual + hit * cat_tco2e * rng.beta(a, b, years)
    annual = np.sort(annual)
    deductible = float(t.value("deductible_multiple_of_expected_loss")) * float(annual.mean())
    rp = float(t.value("limit_return_period_years"))
    limit = max(float(np.quantile(annual, 1.0 - 1.0 / rp, method="inverted_cdf")) - deductible, 0.0) * price
    if limit <= 0:
        raise SpecError("the 1-in-200 carbon loss does not exceed the deductible; lower the deductible multiple.")
    payout = np.minimum(np.maximum(annual - deductible, 0.0) * price, limit)
    pure = float(payout.mean())
    prem = param_table("premium")
    loads = Loadings(
        expense_ratio=cover.expense_ratio, profit_margin=cover.profit_margin, cat_load_cny=0.0, policy=False
    )
    q = float(prem.value("capital_quantile"))
    var_q = float(np.quantile(payout, q, method="inverted_cdf"))
    cat = cover.cost_of_capital_rate * max(var_q - pure, 0.0)
    premium = (pure + cat) * loads.gross_factor
    summary = {
        "parcels": frame.height,
        "annual_sink_tco2e": annual_sink,
        "stock_tco2e": float((stock_per_mu * low.area_mu).sum()),
        "expected_loss_tco2e": float(annual.mean()),
        "var_995_loss_tco2e": float(np.quantile(annual, q, method="inverted_cdf")),
        "carbon_price_cny_per_tco2e": price,
        "deductible_tco2e": deductible,
        "limit_cny": limit,
        "expected_payout_cny": pure,
        "payout_se_cny": float(payout.std(ddof=1) / math.sqrt(years)),
        "cat_load_cny": cat,
        "premium_cny": premium,
        "rate_on_line": premium / limit,
        "rol_observed_range": (t.value("rol_observed_low"), t.value("rol_observed_high")),
        "years_simulated": years,
        "seed": seed,
        "species": SPECIES,
    }
    return CarbonPricing(summary, annual)
