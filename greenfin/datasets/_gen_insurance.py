"""Seeded generator of the insurance samples of the fictional sample county (not real data).

- ``weather_station``: daily Tmin, Tmax and rainfall 1996-2025 at one county station, humid subtropical
  (Jiangxi-like seasonality, a plum-rain peak in May-June and dry-spell years in July-August).
- ``rice_yield_history``: 40 rice farms x 30 years of yields (kg/mu) with a trend, farm effects and year
  shocks partly driven by the station's July-August rainfall deficit (so index basis risk is meaningful),
  plus the year's rice price.
- ``index_design``: a July-August cumulative-rainfall deficit index for rice (trigger, exit, sum insured).
- ``forest_loss_history``: policy forest insurance premium and claims 2016-2025 by county and forest
  category for six fictional counties (369901 is the sample county), for the three-year rate back-test.

Documentation: ``data/<name>.md``. Regenerate with ``python scripts/make_samples.py insurance``.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import polars as pl

from greenfin.datasets._county import COUNTY_ID, VILLAGES

__all__ = ["SEED", "STATION_ID", "generate"]

SEED: Final = 20260701
STATION_ID: Final = "S369901"
FIRST_YEAR: Final = 1996
LAST_YEAR: Final = 2025
COUNTIES: Final = (COUNTY_ID, "369902", "369903", "369904", "369905", "369906")


def _weather(rng: np.random.Generator) -> pl.DataFrame:
    start, end = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)
    days = (end - start).days + 1
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=np.float64)
    year = np.array([d.year for d in dates])
    seasonal = 18.0 + 11.0 * np.sin(2 * np.pi * (doy - 105.0) / 365.25)
    year_anom = rng.normal(0.0, 0.5, LAST_YEAR - FIRST_YEAR + 1)[year - FIRST_YEAR]
    tmean = seasonal + year_anom + 0.03 * (year - FIRST_YEAR) + rng.normal(0.0, 2.0, days)
    tmin = tmean - 4.0 - np.abs(rng.normal(0.0, 1.0, days))
    tmax = tmean + 4.5 + np.abs(rng.normal(0.0, 1.2, days))
    wet_prob = 0.32 + 0.25 * np.exp(-(((doy - 160.0) / 40.0) ** 2)) - 0.08 * np.exp(-(((doy - 330.0) / 40.0) ** 2))
    summer = (doy >= 182) & (doy <= 243)
    dry_factor = np.exp(rng.normal(0.0, 0.45, LAST_YEAR - FIRST_YEAR + 1))[year - FIRST_YEAR]
    wet_prob = np.where(summer, np.clip(0.42 * dry_factor, 0.05, 0.8), wet_prob)
    wet = rng.random(days) < wet_prob
    amount = rng.gamma(0.75, 16.0, days)
    precip = np.where(wet, amount, 0.0)
    return pl.DataFrame(
        {
            "station_id": STATION_ID,
            "date": dates,
            "tmin_c": np.round(tmin, 1),
            "tmax_c": np.round(tmax, 1),
            "precip_mm": np.round(precip, 1),
        }
    )


def _jul_aug_rain(weather: pl.DataFrame) -> np.ndarray:
    return (
        weather.filter(pl.col("date").dt.month().is_in([7, 8]))
        .group_by(pl.col("date").dt.year().alias("year"))
        .agg(pl.col("precip_mm").sum())
        .sort("year")["precip_mm"]
        .to_numpy()
    )


def _yields(rng: np.random.Generator, rain: np.ndarray) -> pl.DataFrame:
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    deficit = np.maximum(0.0, (np.median(rain) - rain) / np.median(rain))
    year_shock = -0.45 * deficit + rng.normal(0.0, 0.04, years.size) - 0.12 * (rng.random(years.size) < 0.08)
    price = np.round(2.0 + 0.025 * (years - FIRST_YEAR) - 0.8 * year_shock + rng.normal(0, 0.05, years.size), 3)
    villages = rng.choice(np.array(VILLAGES), 40, replace=False)
    rows = []
    for i, village in enumerate(sorted(villages)):
        effect = rng.normal(1.0, 0.07)
        sensitivity = rng.uniform(0.6, 1.4)
        noise = rng.normal(0.0, 0.06, years.size)
        trend = 360.0 + 3.2 * (years - FIRST_YEAR)
        y = trend * effect * (1.0 + sensitivity * year_shock + noise)
        for t, year in enumerate(years):
            rows.append(
                {
                    "farm_id": f"F{i + 1:03d}",
                    "village_id": str(village),
                    "year": int(year),
                    "yield_kg_per_mu": round(float(max(y[t], 20.0)), 1),
                    "price_cny_per_kg": float(price[t]),
                }
            )
    return pl.DataFrame(rows)


def _forest_history(rng: np.random.Generator) -> pl.DataFrame:
    rows = []
    for county in COUNTIES:
        risk = rng.lognormal(0.0, 0.35)
        for category, area, rate in (("public_welfare", 600_000.0, 0.0020), ("commercial", 400_000.0, 0.0030)):
            county_area = area * rng.uniform(0.6, 1.6)
            for year in range(2016, LAST_YEAR + 1):
                premium = county_area * 800.0 * rate
                expected = premium * 0.55 * risk
                n = rng.poisson(6.0)
                claims = float(rng.gamma(0.8, expected / (6.0 * 0.8), n).sum()) if n else 0.0
                rows.append(
                    {
                        "county_id": county,
                        "forest_category": category,
                        "year": year,
                        "insured_area_mu": round(county_area, 0),
                        "premium_cny": round(premium, 2),
                        "claims_cny": round(claims, 2),
                    }
                )
    return pl.DataFrame(rows)


def generate() -> dict[str, object]:
    """The insurance samples: weather_station, rice_yield_history, index_design, forest_loss_history.

    Returns
    -------
    dict
        Sample name -> polars DataFrame or JSON-able dict.
    """
    rng = np.random.default_rng(SEED)
    weather = _weather(rng)
    rain = _jul_aug_rain(weather)
    trigger = float(np.round(np.quantile(rain, 0.25), 0))
    exit_ = float(np.round(np.quantile(rain, 0.02), 0))
    design = {
        "name": "rice_jul_aug_rain_deficit",
        "description": "Rice drought index: rainfall 1 Jul - 31 Aug at the county station (synthetic design).",
        "variable": "precip_mm",
        "aggregation": "sum",
        "window_start": "07-01",
        "window_end": "08-31",
        "kind": "deficit",
        "trigger": trigger,
        "exit": exit_,
        "sum_insured_cny_per_mu": 300.0,
        "tiers": [],
    }
    return {
        "weather_station": weather,
        "rice_yield_history": _yields(rng, rain),
        "index_design": design,
        "forest_loss_history": _forest_history(rng),
    }
