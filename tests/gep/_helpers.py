"""Helpers of the GEP tests: a random parcel-table builder and a small inventory."""

from __future__ import annotations

import numpy as np
import polars as pl

from greenfin.datasets._county import LAND_CLASSES


def random_parcels(n: int, seed: int, n_regions: int = 3) -> pl.DataFrame:
    """A random but valid parcel table (every land class possible), regions R0..R{n_regions-1}."""
    rng = np.random.default_rng(seed)
    classes = np.array(list(LAND_CLASSES))
    cls = classes[rng.integers(0, len(classes), n)]
    precip = rng.uniform(1200, 2000, n)
    return pl.DataFrame(
        {
            "parcel_id": [f"P{i:06d}" for i in range(n)],
            "village_id": [f"R{r}" for r in rng.integers(0, n_regions, n)],
            "land_class": cls,
            "area_ha": rng.uniform(0.01, 20.0, n),
            "precipitation_mm": precip,
            "storm_rainfall_mm": precip * rng.uniform(0.2, 0.4, n),
            "et_mm": rng.uniform(200, 1100, n),
            "hot_days": rng.integers(60, 150, n).astype(float),
            "rusle_r": rng.uniform(3000, 9000, n),
            "rusle_k": rng.uniform(0.01, 0.05, n),
            "rusle_ls": rng.uniform(0, 15, n),
            "rusle_c": rng.uniform(0, 1, n),
            "rusle_p": rng.uniform(0, 1, n),
            "npp_t_dm_per_ha": rng.uniform(0, 20, n),
            "reservoir_capacity_m3": np.where(cls == "reservoir", rng.uniform(1e4, 1e6, n), np.nan),
        }
    ).with_columns(pl.col("reservoir_capacity_m3").fill_nan(None))


def inventory_rows(regions: list[str], scale: float = 1.0) -> pl.DataFrame:
    rows = []
    for r in regions:
        rows += [
            ("agriculture", "output_value", 5e7 * scale, "yuan", r),
            ("agriculture", "intermediate_consumption", 2e7 * scale, "yuan", r),
            ("air_purification", "emission_so2_t", 50.0 * scale, "t", r),
            ("air_purification", "emission_dust_t", 300.0 * scale, "t", r),
            ("water_purification", "load_cod_t", 20.0 * scale, "t", r),
            ("recreation", "visitors", 1e5 * scale, "visits", r),
            ("recreation", "travel_cost_yuan_per_visit", 300.0, "yuan/visit", r),
            ("landscape", "floor_area_m2", 1e5 * scale, "m2", r),
            ("landscape", "premium_yuan_per_m2", 150.0, "yuan/m2", r),
            ("water_supply", "domestic_m3", 1e6 * scale, "m3", r),
            ("hydropower", "generation_kwh", 1e7 * scale, "kWh", r),
        ]
    return pl.DataFrame(rows, schema=["indicator", "component", "quantity", "unit", "region_id"], orient="row")
