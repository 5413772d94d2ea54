"""Seeded generator of the GEP samples: the parcels (地块) and the region-level quantities of the sample county.

The county is fictional (see :mod:`greenfin.datasets._county`): about 100,000 parcels in 120 villages of a
humid subtropical red-soil hill county of southern Jiangxi. Land-use shares (forest about 60 % of the area),
rainfall (about 1,400-1,900 mm/a, rising with elevation), red-soil erodibility and NPP are chosen to be
plausible for Jiangxi; they are not observations. Documentation: ``data/county_parcels.md`` and
``data/county_quantities.md``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from greenfin.datasets._county import SAMPLE_YEAR, TOWNSHIPS, VILLAGES

__all__ = ["N_PARCELS", "SEED", "generate", "make_parcels", "make_quantities"]

SEED: Final = 20250101
N_PARCELS: Final = 100_000

FOREST_LIKE: Final = ("forest_broadleaf", "forest_conifer", "forest_mixed", "bamboo", "oil_tea")

# Land class -> (share of parcels in a valley village, share in a mountain village, median area ha, sigma of log area)
_CLASS_MIX: Final[dict[str, tuple[float, float, float, float]]] = {
    "forest_broadleaf": (0.040, 0.110, 2.0, 0.75),
    "forest_conifer": (0.080, 0.170, 1.8, 0.75),
    "forest_mixed": (0.040, 0.080, 1.8, 0.75),
    "bamboo": (0.030, 0.070, 1.3, 0.70),
    "oil_tea": (0.050, 0.050, 1.2, 0.70),
    "shrub": (0.030, 0.040, 1.1, 0.70),
    "grassland": (0.020, 0.020, 0.8, 0.70),
    "paddy": (0.330, 0.190, 0.80, 0.60),
    "dryland": (0.080, 0.060, 0.55, 0.60),
    "orchard": (0.060, 0.040, 0.6, 0.60),
    "wetland": (0.015, 0.005, 0.9, 0.80),
    "river": (0.020, 0.015, 1.2, 0.70),
    "lake": (0.004, 0.001, 3.0, 0.90),
    "reservoir": (0.030, 0.020, 0.8, 1.00),
    "built_up": (0.160, 0.120, 0.45, 0.80),
    "bare": (0.011, 0.009, 0.30, 0.70),
}

# Land class -> (actual ET or open-water evaporation mm/a, RUSLE C, RUSLE P, NPP t dry matter/ha/a)
_CLASS_DRIVERS: Final[dict[str, tuple[float, float, float, float]]] = {
    "forest_broadleaf": (860.0, 0.006, 1.0, 14.5),
    "forest_conifer": (800.0, 0.012, 1.0, 12.0),
    "forest_mixed": (830.0, 0.009, 1.0, 13.2),
    "bamboo": (820.0, 0.020, 1.0, 13.0),
    "oil_tea": (720.0, 0.080, 0.55, 8.5),
    "shrub": (690.0, 0.045, 1.0, 7.0),
    "grassland": (620.0, 0.070, 1.0, 5.2),
    "paddy": (720.0, 0.110, 0.15, 10.5),
    "dryland": (600.0, 0.300, 0.50, 7.5),
    "orchard": (680.0, 0.150, 0.40, 8.0),
    "wetland": (900.0, 0.010, 1.0, 9.0),
    "river": (950.0, 0.0, 1.0, 0.0),
    "lake": (980.0, 0.0, 1.0, 0.0),
    "reservoir": (960.0, 0.0, 1.0, 0.0),
    "built_up": (320.0, 0.010, 1.0, 1.5),
    "bare": (260.0, 1.000, 1.0, 0.3),
}

# Species group and (age mean, age sd) by forest-like class
_SPECIES: Final[dict[str, tuple[tuple[str, ...], tuple[float, ...]]]] = {
    "forest_broadleaf": (("broadleaf",), (1.0,)),
    "forest_conifer": (("chinese_fir", "masson_pine"), (0.6, 0.4)),
    "forest_mixed": (("chinese_fir", "masson_pine", "broadleaf"), (0.35, 0.25, 0.40)),
    "bamboo": (("bamboo",), (1.0,)),
    "oil_tea": (("oil_tea",), (1.0,)),
}
_AGE: Final[dict[str, tuple[float, float, int]]] = {
    "chinese_fir": (16.0, 7.0, 1),
    "masson_pine": (24.0, 9.0, 1),
    "broadleaf": (32.0, 12.0, 3),
    "bamboo": (6.0, 2.5, 1),
    "oil_tea": (14.0, 8.0, 1),
}


def _village_layout(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Village centre coordinates (km) and ruggedness in [0, 1]: townships on a 4 x 3 grid, 5 x 2 villages each."""
    t_idx = np.repeat(np.arange(len(TOWNSHIPS)), 10)
    v_idx = np.tile(np.arange(10), len(TOWNSHIPS))
    x = (t_idx % 4) * 12.0 + (v_idx % 5) * 2.4 + 1.2 + rng.normal(0.0, 0.25, t_idx.size)
    y = (t_idx // 4) * 9.0 + (v_idx // 5) * 4.5 + 2.2 + rng.normal(0.0, 0.25, t_idx.size)
    # hills rise to the south-east (a smooth surface plus village noise)
    rugged = 0.25 + 0.45 * (x / 48.0) + 0.25 * np.sin(y / 27.0 * np.pi) + rng.normal(0.0, 0.08, x.size)
    return x, y, np.clip(rugged, 0.0, 1.0)


def make_parcels(n: int = N_PARCELS, seed: int = SEED) -> pl.DataFrame:
    """The sample county's parcel table (schema in ``data/county_parcels.md``).

    Parameters
    ----------
    n : int
        Number of parcels.
    seed : int
        Seed of the generator.

    Returns
    -------
    polars.DataFrame
        One row per parcel.
    """
    rng = np.random.default_rng(seed)
    vx, vy, rug = _village_layout(rng)
    n_v = len(VILLAGES)
    weights = rng.gamma(6.0, 1.0, n_v)
    village = np.sort(rng.choice(n_v, size=n, p=weights / weights.sum()))
    r = rug[village]

    classes = list(_CLASS_MIX)
    valley = np.array([_CLASS_MIX[c][0] for c in classes])
    mountain = np.array([_CLASS_MIX[c][1] for c in classes])
    probs = (1.0 - rug)[:, None] * valley[None, :] + rug[:, None] * mountain[None, :]
    probs /= probs.sum(axis=1, keepdims=True)
    cum = np.cumsum(probs, axis=1)[village]
    u = rng.random(n)
    cls_idx = np.minimum((u[:, None] > cum).sum(axis=1), len(classes) - 1)
    cls = np.array(classes)[cls_idx]

    median = np.array([_CLASS_MIX[c][2] for c in classes])[cls_idx]
    sigma = np.array([_CLASS_MIX[c][3] for c in classes])[cls_idx]
    area = np.round(np.maximum(median * np.exp(sigma * rng.standard_normal(n)), 0.02), 3)

    x = np.round(np.maximum(vx[village] + rng.normal(0.0, 0.8, n), 0.0), 2)
    y = np.round(np.maximum(vy[village] + rng.normal(0.0, 0.8, n), 0.0), 2)
    forest_like = np.isin(cls, FOREST_LIKE)
    water = np.isin(cls, ("river", "lake", "reservoir", "wetland"))
    hilly = forest_like | np.isin(cls, ("shrub", "grassland", "bare"))
    elev = 80.0 + 650.0 * r + rng.normal(0.0, 40.0, n) + np.where(hilly, rng.gamma(2.0, 60.0, n), 0.0)
    elev = np.where(water, 60.0 + 250.0 * r, elev)
    elevation = np.round(np.maximum(elev, 30.0)).astype(np.int64)
    slope = np.where(hilly, rng.gamma(3.0, 4.0, n) + 5.0 * r, rng.gamma(1.5, 1.2, n))
    slope = np.round(np.where(water, 0.0, np.minimum(slope, 45.0)), 1)

    v_rain = 1430.0 + 380.0 * rug + rng.normal(0.0, 25.0, n_v)
    precip = np.round(v_rain[village] + 0.12 * (elevation - 80.0 - 650.0 * r) + rng.normal(0.0, 8.0, n))
    storm_share = rng.uniform(0.27, 0.33, n_v)[village]
    storm = np.round(precip * storm_share)

    et0, c0, p0, npp0 = (np.array([_CLASS_DRIVERS[c][k] for c in classes])[cls_idx] for k in range(4))
    et = np.round(et0 * (1.0 + 0.05 * rng.standard_normal(n)) - 0.08 * (elevation - 300.0) * ~water)
    hot_days = np.round(138.0 - 0.045 * elevation + rng.normal(0.0, 3.0, n)).astype(np.int64)

    rusle_r = np.round(3.9 * precip + rng.normal(0.0, 120.0, n), -1)
    rusle_k = np.round(np.clip(rng.normal(0.031, 0.005, n), 0.012, 0.055), 3)
    theta = np.radians(slope)
    s_factor = np.where(slope < 5.14, 10.8 * np.sin(theta) + 0.03, 16.8 * np.sin(theta) - 0.5)
    slope_len = np.where(hilly, rng.uniform(20.0, 60.0, n), rng.uniform(10.0, 40.0, n))
    ls = np.round(np.where(water, 0.0, (slope_len / 22.13) ** 0.4 * np.maximum(s_factor, 0.03)), 2)
    rusle_c = np.round(np.clip(c0 * np.exp(0.3 * rng.standard_normal(n)), 0.0, 1.0), 4)
    rusle_c = np.where(cls == "bare", 1.0, rusle_c)
    rusle_p = np.round(np.clip(p0 + np.where(p0 < 1.0, rng.normal(0.0, 0.05, n), 0.0), 0.05, 1.0), 2)
    npp = np.round(np.maximum(npp0 * (1.0 + 0.12 * rng.standard_normal(n)) * (precip / 1600.0) ** 0.3, 0.0), 2)

    # forest attributes
    species = np.full(n, None, dtype=object)
    age = np.full(n, -1, dtype=np.int64)
    for c, (groups, shares) in _SPECIES.items():
        mask = cls == c
        k = int(mask.sum())
        picked = np.array(groups)[rng.choice(len(groups), size=k, p=np.array(shares))]
        species[mask] = picked
    for g, (mean, sd, lo) in _AGE.items():
        mask = species == g
        age[mask] = np.maximum(np.round(rng.normal(mean, sd, int(mask.sum()))), lo).astype(np.int64)
    pw_prob = np.clip(0.25 + 0.45 * r + 0.25 * (cls == "forest_broadleaf"), 0.0, 0.95)
    pw_prob = np.where(np.isin(cls, ("bamboo", "oil_tea")), 0.08, pw_prob)
    category = np.where(rng.random(n) < pw_prob, "public_welfare", "commercial").astype(object)
    category[~forest_like] = None
    closure = np.round(np.clip(rng.normal(0.68, 0.12, n) - np.where(cls == "oil_tea", 0.2, 0.0), 0.2, 0.95), 2)

    depth = rng.uniform(3.0, 12.0, n)
    res_cap = np.where(cls == "reservoir", np.round(area * 1e4 * depth, -2), np.nan)

    f32 = pl.Float32
    frame = pl.DataFrame(
        {
            "parcel_id": [f"P{i:06d}" for i in range(1, n + 1)],
            "village_id": np.array(VILLAGES)[village],
            "township_id": np.array(VILLAGES)[village].astype("U3"),
            "land_class": cls,
            "area_ha": pl.Series(area, dtype=f32),
            "x_km": pl.Series(x, dtype=f32),
            "y_km": pl.Series(y, dtype=f32),
            "elevation_m": pl.Series(elevation, dtype=pl.Int16),
            "slope_deg": pl.Series(slope, dtype=f32),
            "species_group": pl.Series(species.tolist(), dtype=pl.String),
            "forest_category": pl.Series(category.tolist(), dtype=pl.String),
            "stand_age_years": pl.Series(np.where(forest_like, age, 0), dtype=pl.Int16),
            "canopy_closure": pl.Series(closure, dtype=f32),
            "precipitation_mm": pl.Series(precip, dtype=f32),
            "storm_rainfall_mm": pl.Series(storm, dtype=f32),
            "et_mm": pl.Series(np.maximum(et, 150.0), dtype=f32),
            "hot_days": pl.Series(hot_days, dtype=pl.Int16),
            "rusle_r": pl.Series(rusle_r, dtype=f32),
            "rusle_k": pl.Series(rusle_k, dtype=f32),
            "rusle_ls": pl.Series(ls, dtype=f32),
            "rusle_c": pl.Series(np.where(water, 0.0, rusle_c), dtype=f32),
            "rusle_p": pl.Series(rusle_p, dtype=f32),
            "npp_t_dm_per_ha": pl.Series(npp, dtype=f32),
            "reservoir_capacity_m3": pl.Series(res_cap, dtype=pl.Float64).fill_nan(None),
        }
    )
    not_forest = ~pl.col("land_class").is_in(list(FOREST_LIKE))
    return frame.with_columns(
        pl.when(not_forest).then(None).otherwise(pl.col(c)).alias(c) for c in ("stand_age_years", "canopy_closure")
    )


def make_quantities(parcels: pl.DataFrame, seed: int = SEED) -> pl.DataFrame:
    """Region-level inventory and statistics of the sample county (``indicator, component, quantity, unit``).

    Parameters
    ----------
    parcels : polars.DataFrame
        The parcel table (used only for its total areas, so the inventory is sized to the county).
    seed : int
        Seed of the generator.

    Returns
    -------
    polars.DataFrame
        One row per (indicator, component).
    """
    rng = np.random.default_rng(seed + 1)
    area = parcels.group_by("land_class").agg(pl.col("area_ha").cast(pl.Float64).sum())
    by_class = dict(zip(area["land_class"].to_list(), area["area_ha"].to_list(), strict=True))
    crop_ha = by_class.get("paddy", 0.0) + by_class.get("dryland", 0.0) + by_class.get("orchard", 0.0)
    forest_ha = sum(by_class.get(c, 0.0) for c in FOREST_LIKE)
    water_ha = sum(by_class.get(c, 0.0) for c in ("reservoir", "lake", "river"))

    def jitter(x: float, digits: int = -3) -> float:
        return float(np.round(x * rng.uniform(0.95, 1.05), digits))

    f = parcels.with_columns(pl.col(pl.Float32).cast(pl.Float64))
    eco = ~pl.col("land_class").is_in(["built_up", "bare", "river", "lake", "reservoir"])
    veg = pl.col("land_class").is_in([*FOREST_LIKE, "shrub", "grassland", "wetland"])
    mm_ha = 10.0  # m3 per mm of water over one hectare
    agg = f.select(
        water_m3=(
            pl.when(veg)
            .then((pl.col("precipitation_mm") * 0.96 - pl.col("et_mm")).clip(0.0) * pl.col("area_ha") * mm_ha)
            .otherwise(0.0)
        ).sum(),
        soil_t=(
            pl.when(eco)
            .then(
                pl.col("rusle_r")
                * pl.col("rusle_k")
                * pl.col("rusle_ls")
                * (1.0 - pl.col("rusle_c") * pl.col("rusle_p"))
                * pl.col("area_ha")
            )
            .otherwise(0.0)
        ).sum(),
        storm_m3=(
            pl.when(veg).then(pl.col("storm_rainfall_mm") * 0.93 * pl.col("area_ha") * mm_ha).otherwise(0.0)
        ).sum(),
        reservoir_m3=pl.col("reservoir_capacity_m3").sum(),
        npp_t=(
            pl.when(veg | pl.col("land_class").is_in(["oil_tea"]))
            .then(pl.col("npp_t_dm_per_ha") * pl.col("area_ha"))
            .otherwise(0.0)
        ).sum(),
        plant_kj=(
            pl.when(veg)
            .then(pl.col("et_mm") / 365.0 * 1.4 * 2450.0 * pl.col("hot_days") * pl.col("area_ha") * 1e4)
            .otherwise(0.0)
        ).sum(),
        evap_m3=(
            pl.when(pl.col("land_class").is_in(["river", "lake", "reservoir"]))
            .then(pl.col("et_mm") * pl.col("area_ha") * mm_ha)
            .otherwise(0.0)
        ).sum(),
    ).row(0, named=True)
    lake_km2 = by_class.get("lake", 0.0) / 100.0
    rows: list[tuple[str, str, float, str, str]] = [
        ("water_conservation", "water_m3", jitter(agg["water_m3"], -4), "m3", "水源涵养量"),
        ("soil_retention", "soil_t", jitter(agg["soil_t"], -2), "t", "土壤保持量"),
        ("sand_fixation", "sand_t", 0.0, "t", "防风固沙量 (none in this hill county)"),
        ("flood_regulation", "vegetation_m3", jitter(agg["storm_m3"], -4), "m3", "植被洪水调蓄量"),
        (
            "flood_regulation",
            "lake_m3",
            float(np.round(np.exp(1.128 * np.log(max(lake_km2, 1e-6)) + 4.924) * 1e4, -2)),
            "m3",
            "湖泊调蓄量",
        ),
        ("flood_regulation", "reservoir_m3", float(np.round(agg["reservoir_m3"] * 0.35, -2)), "m3", "水库防洪库容"),
        (
            "flood_regulation",
            "marsh_m3",
            float(np.round(by_class.get("wetland", 0.0) * 1e4 * 0.3, -2)),
            "m3",
            "沼泽调蓄量",
        ),
        ("air_purification", "capacity_so2_t", jitter(forest_ha * 0.12, 0), "t", "SO2 净化能力"),
        ("air_purification", "capacity_nox_t", jitter(forest_ha * 0.006, 0), "t", "NOx 净化能力"),
        ("air_purification", "capacity_dust_t", jitter(forest_ha * 9.0, 0), "t", "滞尘能力"),
        ("water_purification", "capacity_cod_t", jitter(water_ha * 1.2, 0), "t", "COD 净化能力"),
        ("water_purification", "capacity_nh3n_t", jitter(water_ha * 0.08, 0), "t", "氨氮净化能力"),
        ("water_purification", "capacity_tp_t", jitter(water_ha * 0.01, 0), "t", "总磷净化能力"),
        (
            "carbon_sequestration",
            "nep_t_c",
            jitter(agg["npp_t"] * 0.3 * 72.0 / 162.0, 0),
            "t C",
            "净生态系统生产力 NEP",
        ),
        ("oxygen_release", "npp_t_dm", jitter(agg["npp_t"], 0), "t", "NPP (dry matter)"),
        ("climate_regulation", "plant_energy_kj", jitter(agg["plant_kj"], -6), "kJ", "植被蒸腾消耗能量"),
        ("climate_regulation", "water_evaporation_m3", jitter(agg["evap_m3"], -3), "m3", "水面蒸发量"),
        ("pest_control", "forest_ha", float(np.round(forest_ha, 1)), "ha", "森林面积 (natural control)"),
        ("pest_control", "grassland_ha", float(np.round(by_class.get("grassland", 0.0), 1)), "ha", "草地面积"),
        ("agriculture", "output_value", jitter(crop_ha * 31_000.0, -4), "yuan", "farm output value 农业产值"),
        ("agriculture", "intermediate_consumption", jitter(crop_ha * 12_500.0, -4), "yuan", "农业中间消耗"),
        ("forestry", "output_value", jitter(forest_ha * 2_600.0, -4), "yuan", "林业产值"),
        ("forestry", "intermediate_consumption", jitter(forest_ha * 900.0, -4), "yuan", "林业中间消耗"),
        ("livestock", "output_value", jitter(crop_ha * 9_000.0, -4), "yuan", "牧业产值"),
        ("livestock", "intermediate_consumption", jitter(crop_ha * 5_600.0, -4), "yuan", "牧业中间消耗"),
        ("fishery", "output_value", jitter(water_ha * 42_000.0, -4), "yuan", "渔业产值"),
        ("fishery", "intermediate_consumption", jitter(water_ha * 19_000.0, -4), "yuan", "渔业中间消耗"),
        ("water_supply", "domestic_m3", jitter(1.9e7), "m3", "生活用水"),
        ("water_supply", "industrial_m3", jitter(2.6e7), "m3", "工业用水"),
        ("water_supply", "agricultural_m3", jitter(2.1e8), "m3", "农业用水"),
        ("hydropower", "generation_kwh", jitter(1.35e8), "kWh", "小水电发电量"),
        ("air_purification", "emission_so2_t", jitter(2_150.0, 0), "t", "SO2 排放量 (inventory)"),
        ("air_purification", "emission_nox_t", jitter(3_400.0, 0), "t", "NOx 排放量 (inventory)"),
        ("air_purification", "emission_dust_t", jitter(5_200.0, 0), "t", "烟粉尘排放量 (inventory)"),
        ("water_purification", "load_cod_t", jitter(9_800.0, 0), "t", "COD 入河量"),
        ("water_purification", "load_nh3n_t", jitter(1_050.0, 0), "t", "氨氮入河量"),
        ("water_purification", "load_tp_t", jitter(160.0, 0), "t", "总磷入河量"),
        ("recreation", "visitors", jitter(2.4e6, -3), "person", "游客人次"),
        (
            "recreation",
            "travel_cost_yuan_per_visit",
            float(np.round(rng.uniform(330.0, 380.0))),
            "yuan/person",
            "人均旅行费用",
        ),
        ("landscape", "floor_area_m2", jitter(1.8e6, -3), "m2", "生态景观周边住宅面积"),
        ("landscape", "premium_yuan_per_m2", float(np.round(rng.uniform(160.0, 220.0))), "yuan/m2", "景观溢价"),
        ("gdp", "gdp_yuan", jitter(2.35e10, -6), "yuan", "地区生产总值 GDP"),
    ]
    return pl.DataFrame(
        rows,
        schema={
            "indicator": pl.String,
            "component": pl.String,
            "quantity": pl.Float64,
            "unit": pl.String,
            "note": pl.String,
        },
        orient="row",
    ).with_columns(pl.lit(f"county-{SAMPLE_YEAR}").alias("region_id"), pl.lit(SAMPLE_YEAR).alias("year"))


def generate() -> dict[str, object]:
    """Both GEP samples: ``county_parcels`` and ``county_quantities``.

    Returns
    -------
    dict
        Sample name -> polars DataFrame.
    """
    parcels = make_parcels()
    return {"county_parcels": parcels, "county_quantities": make_quantities(parcels)}
