"""GEP accounts: region accounts from region-level quantities, parcel accounts that sum exactly to them.

Flow: (1) physical component quantities, per parcel (kernels in :mod:`greenfin.gep._kernels`) or from a
region table; (2) sums per region, emission and load caps applied at that (inventory) scale; (3) value =
Σ quantity × unit price at the accounting year's price level; (4) for parcels, each region's value of each
indicator is allocated back in whole fen pro rata to the parcel's uncapped value, so parcel values of a
region add up to the region account exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Final, NamedTuple

import numpy as np
import polars as pl

from greenfin._typing import FloatArray, IntArray
from greenfin._validation import ColumnSpec, validate_frame
from greenfin.datasets._county import LAND_CLASSES
from greenfin.errors import ConvergenceError, DataError, SpecError
from greenfin.gep import _kernels as k
from greenfin.gep._ids import CATEGORIES, INDICATORS
from greenfin.gep._rules import DEFAULT_RULES, RuleSet, load_deflator, load_rules
from greenfin.units import check_magnitude, to_yuan

__all__ = [
    "COMPONENTS",
    "GepAccount",
    "account_parcels",
    "account_parcels_chunked",
    "account_region",
    "component_table",
]


class Component(NamedTuple):
    """One valued component of an indicator: quantity × price (optionally capped by an inventory quantity)."""

    indicator: str
    name: str
    unit: str
    price: str | None  # rule-set key; "input:<name>" = price from the region table; None = already yuan
    cap: str | None = None


COMPONENTS: Final[tuple[Component, ...]] = (
    Component("agriculture", "value_yuan", "yuan", None),
    Component("forestry", "value_yuan", "yuan", None),
    Component("livestock", "value_yuan", "yuan", None),
    Component("fishery", "value_yuan", "yuan", None),
    Component("water_supply", "domestic_m3", "m3", "water_supply.domestic_tariff"),
    Component("water_supply", "industrial_m3", "m3", "water_supply.industrial_tariff"),
    Component("water_supply", "agricultural_m3", "m3", "water_supply.agricultural_tariff"),
    Component("hydropower", "generation_kwh", "kWh", "hydropower.tariff"),
    Component("other_material", "value_yuan", "yuan", None),
    Component("water_conservation", "water_m3", "m3", "water_conservation.reservoir_cost"),
    Component("soil_retention", "silt_m3", "m3", "soil_retention.dredging_cost"),
    Component("soil_retention", "n_t", "t", "soil_retention.n_price"),
    Component("soil_retention", "p_t", "t", "soil_retention.p_price"),
    Component("sand_fixation", "land_m2", "m2", "sand_fixation.restoration_cost"),
    Component("flood_regulation", "vegetation_m3", "m3", "flood_regulation.reservoir_cost"),
    Component("flood_regulation", "lake_m3", "m3", "flood_regulation.reservoir_cost"),
    Component("flood_regulation", "reservoir_m3", "m3", "flood_regulation.reservoir_cost"),
    Component("flood_regulation", "marsh_m3", "m3", "flood_regulation.reservoir_cost"),
    Component("air_purification", "so2_t", "t", "air_purification.so2_price", "emission_so2_t"),
    Component("air_purification", "nox_t", "t", "air_purification.nox_price", "emission_nox_t"),
    Component("air_purification", "dust_t", "t", "air_purification.dust_price", "emission_dust_t"),
    Component("water_purification", "cod_t", "t", "water_purification.cod_price", "load_cod_t"),
    Component("water_purification", "nh3n_t", "t", "water_purification.nh3n_price", "load_nh3n_t"),
    Component("water_purification", "tp_t", "t", "water_purification.tp_price", "load_tp_t"),
    Component("carbon_sequestration", "co2_t", "t CO2", "carbon_sequestration.carbon_price"),
    Component("oxygen_release", "o2_t", "t", "oxygen_release.oxygen_price"),
    Component("climate_regulation", "plant_kwh", "kWh", "climate_regulation.electricity_price"),
    Component("climate_regulation", "water_kwh", "kWh", "climate_regulation.electricity_price"),
    Component("pest_control", "forest_ha", "ha", "pest_control.forest_cost"),
    Component("pest_control", "grassland_ha", "ha", "pest_control.grassland_cost"),
    Component("coastal_protection", "coastline_km", "km", "coastal_protection.cost_per_km"),
    Component("recreation", "visits", "visits", "input:travel_cost_yuan_per_visit"),
    Component("landscape", "floor_area_m2", "m2", "input:premium_yuan_per_m2"),
)
"""Every valued component (indicator, quantity name, unit, price key, cap) in table order."""

# headline physical quantity (实物量) of an indicator when it is not the sum of its valued components
_HEADLINE: Final[dict[str, str]] = {"soil_retention": "soil_t", "sand_fixation": "sand_t"}

# parcel-supplied indicators (the rest come from the region inventory and are allocated by supplying area)
_PARCEL_INDICATORS: Final = (
    "water_conservation",
    "soil_retention",
    "sand_fixation",
    "flood_regulation",
    "air_purification",
    "water_purification",
    "carbon_sequestration",
    "oxygen_release",
    "climate_regulation",
    "pest_control",
)
_STAT_INDICATORS: Final = (
    "agriculture",
    "forestry",
    "livestock",
    "fishery",
    "water_supply",
    "hydropower",
    "other_material",
    "coastal_protection",
    "recreation",
    "landscape",
)


def component_table() -> pl.DataFrame:
    """The valued components of every indicator (formula structure, not parameters).

    Returns
    -------
    polars.DataFrame
        Columns ``indicator, component, unit, price_key, cap``.
    """
    return pl.DataFrame(
        [c._asdict() for c in COMPONENTS],
        schema={"indicator": pl.String, "name": pl.String, "unit": pl.String, "price": pl.String, "cap": pl.String},
    ).rename({"name": "component", "price": "price_key"})


@dataclass(frozen=True)
class GepAccount:
    """A GEP account (生态系统生产总值核算结果) of one or more regions, optionally with its parcels.

    Parameters
    ----------
    rules : RuleSet
        The rule set used (with any overrides).
    year : int
        Accounting year; every price is at this year's price level.
    county : polars.DataFrame
        One row per indicator of the rule set, summed over regions: ``category, indicator, label_en, label_zh,
        quantity, quantity_unit, value_cny, share, realisable_cny, non_realisable_cny, payer_type, overridden,
        confidence``.
    regions : polars.DataFrame
        ``region_id, indicator, quantity, value_cny, value_fen`` per region and indicator.
    components : polars.DataFrame
        Every valued component per region: quantity (after caps), uncapped quantity, cap, price, value.
    parcels : polars.DataFrame or None
        Parcel values (parcel accounts only), see :func:`account_parcels`.
    flags : polars.DataFrame
        Double counting, excluded indicators and caps: ``kind, indicators, status, note``.
    notes : tuple of str
        Assumptions a reader must see.
    gdp_cny : float or None
        GDP of the regions when given (for GEP/GDP).
    quantities : dict
        Region quantities by ``indicator.component`` (arrays over regions; used by :func:`monte_carlo`).
    prices : dict
        Unit prices by key at the accounting year's price level.
    """

    rules: RuleSet
    year: int
    county: pl.DataFrame
    regions: pl.DataFrame
    components: pl.DataFrame
    parcels: pl.DataFrame | None
    flags: pl.DataFrame
    notes: tuple[str, ...]
    gdp_cny: float | None
    quantities: Mapping[str, FloatArray] = field(repr=False)
    prices: Mapping[str, FloatArray | float] = field(repr=False)

    @property
    def total_cny(self) -> float:
        """GEP of all regions (yuan)."""
        return float(self.county["value_cny"].sum())


# ----------------------------------------------------------------------------------------------- prices


def _resolve_prices(rules: RuleSet, year: int, inputs: Mapping[str, FloatArray], n_regions: int) -> dict[str, Any]:
    prices: dict[str, Any] = {}
    for comp in COMPONENTS:
        if comp.price is None or not rules.includes(comp.indicator) or comp.price in prices:
            continue
        if comp.price.startswith("input:"):
            name = f"{comp.indicator}.{comp.price.removeprefix('input:')}"
            prices[comp.price] = inputs.get(name, np.zeros(n_regions))
            continue
        if comp.price not in rules.params:
            continue  # checked later only if the quantity is non-zero
        value = rules.price(comp.price, year)
        unit = rules.param(comp.price).unit
        if comp.price == "carbon_sequestration.carbon_price" and unit.replace(" ", "") in ("yuan/tC", "yuan/t_C"):
            value *= k.C_PER_CO2  # a price per t C applied to t CO2
        prices[comp.price] = value
    return prices


# ----------------------------------------------------------------------------------------------- valuation


def _value(
    rules: RuleSet, q: Mapping[str, Any], prices: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Value every included component; arrays broadcast (regions, or simulations × regions).

    Returns (value per indicator, value per component key, capped quantity per component key).
    """
    by_ind: dict[str, Any] = {}
    by_comp: dict[str, Any] = {}
    capped: dict[str, Any] = {}
    for comp in COMPONENTS:
        if not rules.includes(comp.indicator):
            continue
        key = f"{comp.indicator}.{comp.name}"
        qty = q.get(key)
        if qty is None:
            continue
        if comp.cap is not None:
            cap = q.get(f"{comp.indicator}.{comp.cap}")
            if cap is not None:
                qty = np.minimum(qty, cap)
        capped[key] = qty
        if comp.price is None:
            val = qty
        else:
            price = prices.get(comp.price)
            if price is None:
                if np.any(np.asarray(qty) != 0.0):
                    rules.param(comp.price)  # raises a SpecError saying how to supply the price
                price = 0.0
            val = qty * price
        by_comp[key] = val
        by_ind[comp.indicator] = by_ind[comp.indicator] + val if comp.indicator in by_ind else val
    return by_ind, by_comp, capped


def _headline(rules: RuleSet, ind: str, q: Mapping[str, Any], capped: Mapping[str, Any], n: int) -> FloatArray:
    if ind in _HEADLINE:
        return np.asarray(q.get(f"{ind}.{_HEADLINE[ind]}", np.zeros(n)), dtype=np.float64)
    parts = [np.asarray(v, dtype=np.float64) for kk, v in capped.items() if kk.split(".")[0] == ind]
    return np.sum(parts, axis=0) if parts else np.zeros(n)


# ----------------------------------------------------------------------------------------------- region input

_MONEY_COMPONENTS: Final[dict[str, tuple[float, float]]] = {
    "output_value": (1e5, 1e13),
    "intermediate_consumption": (1e4, 1e13),
    "gdp_yuan": (1e8, 1e14),
    "travel_cost_yuan_per_visit": (1.0, 1e5),
    "premium_yuan_per_m2": (0.1, 1e5),
}

# accepted region-table components: indicator -> component -> unit
_REGION_INPUTS: Final[dict[str, dict[str, str]]] = {
    **{
        ind: {"output_value": "yuan", "intermediate_consumption": "yuan"}
        for ind in ("agriculture", "forestry", "livestock", "fishery", "other_material")
    },
    "water_supply": {"domestic_m3": "m3", "industrial_m3": "m3", "agricultural_m3": "m3"},
    "hydropower": {"generation_kwh": "kWh"},
    "water_conservation": {"water_m3": "m3"},
    "soil_retention": {"soil_t": "t"},
    "sand_fixation": {"sand_t": "t"},
    "flood_regulation": {"vegetation_m3": "m3", "lake_m3": "m3", "reservoir_m3": "m3", "marsh_m3": "m3"},
    "air_purification": {f"{kind}_{p}_t": "t" for kind in ("capacity", "emission") for p in ("so2", "nox", "dust")},
    "water_purification": {f"{kind}_{p}_t": "t" for kind in ("capacity", "load") for p in ("cod", "nh3n", "tp")},
    "carbon_sequestration": {"co2_t": "t CO2", "nep_t_c": "t C", "npp_t_dm": "t"},
    "oxygen_release": {"o2_t": "t", "npp_t_dm": "t"},
    "climate_regulation": {
        "plant_energy_kj": "kJ",
        "water_evaporation_m3": "m3",
        "plant_kwh": "kWh",
        "water_kwh": "kWh",
    },
    "pest_control": {"forest_ha": "ha", "grassland_ha": "ha"},
    "coastal_protection": {"coastline_km": "km"},
    "recreation": {"visitors": "visits", "travel_cost_yuan_per_visit": "yuan/visit"},
    "landscape": {"floor_area_m2": "m2", "premium_yuan_per_m2": "yuan/m2"},
    "gdp": {"gdp_yuan": "yuan"},
}
_UNIT_ALIASES: Final[dict[str, str]] = {
    "person": "visits",
    "yuan/person": "yuan/visit",
    "kwh": "kWh",
    "tc": "t C",
    "tco2": "t CO2",
    "t_c": "t C",
    "t_co2": "t CO2",
}

_QUANTITY_COLUMNS: Final = (
    ColumnSpec(name="indicator", kind="str", description="indicator id (DESIGN.md) or gdp"),
    ColumnSpec(name="component", kind="str", description="component quantity, e.g. water_m3"),
    ColumnSpec(name="quantity", kind="float", ge=0.0, description="non-negative amount in `unit`"),
    ColumnSpec(name="unit", kind="str", description="unit of quantity"),
    ColumnSpec(name="region_id", kind="str", required=False, nullable=True, description="region id"),
    ColumnSpec(name="year", kind="int", required=False, nullable=True, ge=1949, le=2100, description="accounting year"),
)


def _read_region_table(frame: pl.DataFrame, source: str) -> tuple[dict[str, FloatArray], list[str], int | None]:
    """Check a long region table and pivot it to arrays over regions (money converted to yuan)."""
    df = validate_frame(frame, _QUANTITY_COLUMNS, source=source)
    df = df.with_columns(pl.col("region_id").fill_null("region"))
    regions = sorted(set(df["region_id"].to_list()))
    index = {r: i for i, r in enumerate(regions)}
    out: dict[str, FloatArray] = {}
    for row_no, row in enumerate(df.iter_rows(named=True), start=1):
        ind, comp, unit = row["indicator"].strip(), row["component"].strip(), row["unit"].strip()
        accepted = _REGION_INPUTS.get(ind)
        if accepted is None:
            raise DataError(
                f"unknown indicator {ind!r}; use one of {[*INDICATORS, 'gdp']}.",
                source=source,
                column="indicator",
                row=row_no,
            )
        if comp not in accepted:
            raise DataError(
                f"indicator {ind} has no component {comp!r}; use one of {sorted(accepted)}.",
                source=source,
                column="component",
                row=row_no,
            )
        expected = accepted[comp]
        value = float(row["quantity"])
        unit_n = _UNIT_ALIASES.get(unit.lower(), unit)
        if expected.startswith("yuan"):
            money, _, per = unit_n.partition("/")
            exp_per = expected.partition("/")[2]
            if per != exp_per:
                raise DataError(
                    f"unit {unit!r} for {ind}.{comp}; expected {expected} (or 万元/亿元 forms).",
                    source=source,
                    column="unit",
                    row=row_no,
                )
            try:
                value = float(to_yuan([value], money)[0])
            except SpecError as exc:
                raise DataError(f"{exc} Fix the unit.", source=source, column="unit", row=row_no) from None
            low, high = _MONEY_COMPONENTS[comp]
            try:
                check_magnitude(
                    [value], low=low, high=high, what=f"{ind}.{comp}", unit=expected, source=source, column="quantity"
                )
            except DataError as exc:
                raise DataError(exc.detail, source=source, column="quantity", row=row_no) from None
        elif unit_n.replace(" ", "").lower() != expected.replace(" ", "").lower():
            raise DataError(
                f"unit {unit!r} for {ind}.{comp}; expected {expected!r}. Convert the quantity.",
                source=source,
                column="unit",
                row=row_no,
            )
        key = f"{ind}.{comp}"
        arr = out.setdefault(key, np.zeros(len(regions)))
        arr[index[row["region_id"]]] += value
    years = sorted({int(y) for y in df["year"].drop_nulls().to_list()})
    if len(years) > 1:
        raise DataError(f"rows of several years {years}; account one year per file.", source=source, column="year")
    return out, regions, (years[0] if years else None)


def _derive(rules: RuleSet, raw: Mapping[str, FloatArray], n: int) -> dict[str, FloatArray]:
    """Turn region-table components into the valued components of :data:`COMPONENTS`."""
    q: dict[str, FloatArray] = {}
    get = raw.get
    net = rules.switches.material_basis == "net"
    for ind in ("agriculture", "forestry", "livestock", "fishery", "other_material"):
        out = get(f"{ind}.output_value")
        if out is not None:
            ic = get(f"{ind}.intermediate_consumption")
            q[f"{ind}.value_yuan"] = np.maximum(out - (ic if (net and ic is not None) else 0.0), 0.0)
    for key in (
        "water_supply.domestic_m3",
        "water_supply.industrial_m3",
        "water_supply.agricultural_m3",
        "hydropower.generation_kwh",
        "water_conservation.water_m3",
        "flood_regulation.vegetation_m3",
        "flood_regulation.lake_m3",
        "flood_regulation.reservoir_m3",
        "flood_regulation.marsh_m3",
        "pest_control.forest_ha",
        "pest_control.grassland_ha",
        "coastal_protection.coastline_km",
        "landscape.floor_area_m2",
        "landscape.premium_yuan_per_m2",
        "recreation.travel_cost_yuan_per_visit",
    ):
        if key in raw:
            q[key] = raw[key]
    if "recreation.visitors" in raw:
        q["recreation.visits"] = raw["recreation.visitors"]
    q.update(_derive_regulating(rules, raw))
    q.update(_derive_carbon_climate(rules, raw))
    return q


def _derive_regulating(rules: RuleSet, raw: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    q: dict[str, FloatArray] = {}
    soil = raw.get("soil_retention.soil_t")
    if soil is not None and rules.includes("soil_retention"):
        q["soil_retention.soil_t"] = soil
        q.update(_soil_parts(rules, soil))
    sand = raw.get("sand_fixation.sand_t")
    if sand is not None and rules.includes("sand_fixation"):
        q["sand_fixation.sand_t"] = sand
        q["sand_fixation.land_m2"] = _sand(rules, sand)
    for ind, kinds in (("air_purification", ("so2", "nox", "dust")), ("water_purification", ("cod", "nh3n", "tp"))):
        cap_name = "emission" if ind == "air_purification" else "load"
        for p in kinds:
            if f"{ind}.capacity_{p}_t" in raw:
                q[f"{ind}.{p}_t"] = raw[f"{ind}.capacity_{p}_t"]
            if f"{ind}.{cap_name}_{p}_t" in raw:
                q[f"{ind}.{cap_name}_{p}_t"] = raw[f"{ind}.{cap_name}_{p}_t"]
    return q


def _derive_carbon_climate(rules: RuleSet, raw: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    q: dict[str, FloatArray] = {}
    get = raw.get
    co2 = get("carbon_sequestration.co2_t")
    if co2 is None and get("carbon_sequestration.nep_t_c") is not None:
        co2 = raw["carbon_sequestration.nep_t_c"] * k.CO2_PER_C
    npp = get("carbon_sequestration.npp_t_dm")
    if npp is None:
        npp = get("oxygen_release.npp_t_dm")
    if co2 is None and npp is not None and rules.includes("carbon_sequestration"):
        if rules.switches.carbon_method == "photosynthesis":
            co2 = npp * _coef(rules, "carbon_sequestration.co2_per_dry_matter")
        else:
            raise SpecError(
                f"Rule set {rules.id} computes carbon from NEP; give carbon_sequestration.nep_t_c (t C) or co2_t "
                "rather than NPP alone (the NEP/NPP ratio varies by ecosystem type)."
            )
    if co2 is not None:
        q["carbon_sequestration.co2_t"] = co2
    o2 = get("oxygen_release.o2_t")
    if o2 is None and npp is not None and rules.includes("oxygen_release"):
        o2 = npp * _coef(rules, "oxygen_release.o2_per_dry_matter")
    if o2 is not None:
        q["oxygen_release.o2_t"] = o2
    q.update(_derive_climate(rules, raw))
    return q


def _derive_climate(rules: RuleSet, raw: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
    q: dict[str, FloatArray] = {}
    get = raw.get
    if rules.includes("climate_regulation"):
        plant = get("climate_regulation.plant_kwh")
        r = _coef(rules, "climate_regulation.ac_efficiency")
        if plant is None and get("climate_regulation.plant_energy_kj") is not None:
            plant = raw["climate_regulation.plant_energy_kj"] / (3600.0 * r)
        if plant is not None:
            q["climate_regulation.plant_kwh"] = plant
        water = get("climate_regulation.water_kwh")
        evap = get("climate_regulation.water_evaporation_m3")
        if water is None and evap is not None:
            water = _water_kwh(rules, evap)
        if water is not None:
            q["climate_regulation.water_kwh"] = water
    return q


def _coef(rules: RuleSet, key: str) -> float:
    """A coefficient's value as a float (prices go through :meth:`RuleSet.price` instead)."""
    return float(rules.param(key).value)  # type: ignore[arg-type]  # numeric by construction of the rule files


def _soil_parts(rules: RuleSet, soil_t: FloatArray) -> dict[str, FloatArray]:
    def p(name: str) -> float:
        return _coef(rules, f"soil_retention.{name}")

    silt, n_t, p_t = k.soil_components(
        soil_t, p("sediment_deposition_ratio"), p("bulk_density"), p("soil_n_fraction"), p("soil_p_fraction")
    )
    return {"soil_retention.silt_m3": silt, "soil_retention.n_t": n_t, "soil_retention.p_t": p_t}


def _sand(rules: RuleSet, sand_t: FloatArray) -> FloatArray:
    return k.sand_land_m2(
        sand_t,
        _coef(rules, "sand_fixation.bulk_density"),
        _coef(rules, "sand_fixation.cover_depth"),
    )


def _water_kwh(rules: RuleSet, evap_m3: FloatArray) -> FloatArray:
    r = _coef(rules, "climate_regulation.ac_efficiency")
    eff = r if rules.switches.climate_water_uses_r else 1.0
    return k.climate_water_kwh(
        evap_m3,
        _coef(rules, "climate_regulation.latent_heat"),
        eff,
        _coef(rules, "climate_regulation.humidifier_kwh_per_m3"),
    )


# ----------------------------------------------------------------------------------------------- shared output

_CONF_ORDER: Final = {"confirmed": 0, "secondary": 1, "unverified": 2}


def _indicator_confidence(rules: RuleSet, ind: str) -> str:
    keys = [kk for kk in rules.params if kk.startswith(ind + ".")]
    keys_c = [kk for kk in rules.class_params if kk.startswith(ind + ".")]
    marks = [rules.params[kk].confidence for kk in keys] + [rules.class_params[kk].confidence for kk in keys_c]
    if not marks:
        return "statistics"
    return max(marks, key=lambda m: _CONF_ORDER[m])


def _build(
    rules: RuleSet,
    year: int,
    q: dict[str, FloatArray],
    regions: list[str],
    *,
    raw_keys: set[str],
    notes: list[str],
    gdp: FloatArray | None,
) -> tuple[GepAccount, dict[str, FloatArray], dict[str, IntArray]]:
    from greenfin.gep._realisable import load_realisable
    from greenfin.money import yuan_to_fen

    n = len(regions)
    prices = _resolve_prices(rules, year, q, n)
    by_ind, by_comp, capped = _value(rules, q, prices)
    real = load_realisable()
    region_rows: list[dict[str, Any]] = []
    county_rows: list[dict[str, Any]] = []
    region_fen: dict[str, IntArray] = {}
    for ind, info in INDICATORS.items():
        if not rules.includes(ind):
            continue
        val = np.asarray(by_ind.get(ind, np.zeros(n)), dtype=np.float64) * np.ones(n)
        fen = yuan_to_fen(val)
        region_fen[ind] = fen
        qty = _headline(rules, ind, q, capped, n) * np.ones(n)
        for i, reg in enumerate(regions):
            region_rows.append(
                {
                    "region_id": reg,
                    "indicator": ind,
                    "quantity": float(qty[i]),
                    "value_cny": float(fen[i]) / 100.0,
                    "value_fen": int(fen[i]),
                }
            )
        value = float(fen.sum()) / 100.0
        rr = real[ind]
        overridden = any(o.startswith(ind + ".") for o in rules.overridden)
        county_rows.append(
            {
                "category": info.category,
                "category_zh": CATEGORIES[info.category][1],
                "indicator": ind,
                "label_en": info.label_en,
                "label_zh": info.label_zh,
                "quantity": float(qty.sum()),
                "quantity_unit": info.quantity_unit,
                "value_cny": value,
                "realisable_cny": value * rr.share,
                "non_realisable_cny": value * (1.0 - rr.share),
                "payer_type": rr.payer_type,
                "payer": rr.payer_en,
                "overridden": overridden,
                "confidence": _indicator_confidence(rules, ind),
            }
        )
    county = pl.DataFrame(county_rows)
    total = county["value_cny"].sum()
    county = county.with_columns((pl.col("value_cny") / total if total > 0 else pl.lit(0.0)).alias("share"))
    comp_rows: list[dict[str, Any]] = []
    for comp in COMPONENTS:
        key = f"{comp.indicator}.{comp.name}"
        if key not in by_comp:
            continue
        price = prices.get(comp.price) if comp.price else 1.0
        price_arr = np.asarray(price if price is not None else 0.0, dtype=np.float64) * np.ones(n)
        unc = np.asarray(q[key], dtype=np.float64) * np.ones(n)
        cap = q.get(f"{comp.indicator}.{comp.cap}") if comp.cap else None
        for i, reg in enumerate(regions):
            comp_rows.append(
                {
                    "region_id": reg,
                    "indicator": comp.indicator,
                    "component": comp.name,
                    "unit": comp.unit,
                    "quantity": float(np.asarray(capped[key] * np.ones(n))[i]),
                    "uncapped_quantity": float(unc[i]),
                    "cap": float(cap[i]) if cap is not None else None,
                    "price_cny_per_unit": float(price_arr[i]),
                    "price_key": comp.price or "",
                    "value_cny": float(np.asarray(by_comp[key] * np.ones(n))[i]),
                }
            )
    components = pl.DataFrame(comp_rows, schema_overrides={"cap": pl.Float64})
    flags = _flags(rules, county, raw_keys, components)
    gdp_cny = float(gdp.sum()) if gdp is not None else None
    account = GepAccount(
        rules=rules,
        year=year,
        county=county,
        regions=pl.DataFrame(region_rows),
        components=components,
        parcels=None,
        flags=flags,
        notes=tuple(notes),
        gdp_cny=gdp_cny,
        quantities=q,
        prices=prices,
    )
    return account, by_ind, region_fen


def _flags(rules: RuleSet, county: pl.DataFrame, raw_keys: set[str], components: pl.DataFrame) -> pl.DataFrame:
    rows: list[dict[str, str]] = []
    value = dict(zip(county["indicator"].to_list(), county["value_cny"].to_list(), strict=True))
    for ov in rules.overlaps:
        present = [i for i in ov.indicators if value.get(i, 0.0) > 0.0]
        if len(present) >= 2:
            status = "counted (allowed by rule set)" if ov.allowed else "VIOLATION (not allowed by rule set)"
            rows.append(
                {"kind": "double_counting", "indicators": " + ".join(present), "status": status, "note": ov.note}
            )
    excluded = sorted({kk.split(".")[0] for kk in raw_keys} - {"gdp"} - {i for i in INDICATORS if rules.includes(i)})
    for ind in excluded:
        rows.append(
            {
                "kind": "membership",
                "indicators": ind,
                "status": "excluded: not in rule set",
                "note": f"{rules.id} does not count {ind}; its input was ignored.",
            }
        )
    capped = components.filter(pl.col("cap").is_not_null() & (pl.col("uncapped_quantity") > pl.col("cap")))
    for row in capped.iter_rows(named=True):
        rows.append(
            {
                "kind": "cap",
                "indicators": f"{row['indicator']}.{row['component']}",
                "status": "capped",
                "note": f"capacity {row['uncapped_quantity']:.6g} t > actual {row['cap']:.6g} t "
                f"in {row['region_id']}; valued at the actual amount.",
            }
        )
    uncapped = components.filter(
        pl.col("indicator").is_in(["air_purification", "water_purification"]) & pl.col("cap").is_null()
    )
    for row in uncapped.iter_rows(named=True):
        rows.append(
            {
                "kind": "cap",
                "indicators": f"{row['indicator']}.{row['component']}",
                "status": "uncapped",
                "note": "no emission/load inventory given: the capacity is an upper bound.",
            }
        )
    return pl.DataFrame(
        rows, schema={"kind": pl.String, "indicators": pl.String, "status": pl.String, "note": pl.String}
    )


def _default_year(year: int | None, data_year: int | None) -> int:
    if year is not None:
        load_deflator().index(year)  # raises a SpecError outside the table
        return year
    if data_year is not None:
        return data_year
    return max(int(y) for y in load_deflator().changes)


def account_region(
    quantities: pl.DataFrame,
    *,
    rules: str | RuleSet = DEFAULT_RULES,
    year: int | None = None,
    source: str = "quantities",
) -> GepAccount:
    """Region accounts from a long table of region-level quantities (``gep value``).

    Parameters
    ----------
    quantities : polars.DataFrame
        Rows ``indicator, component, quantity, unit[, region_id, year]``; components as in
        ``data/county_quantities.md`` (e.g. ``water_conservation, water_m3``; ``soil_retention, soil_t``;
        ``air_purification, capacity_so2_t`` and ``emission_so2_t``). Money may be in 元, 万元 or 亿元 when the
        unit says so.
    rules : str or RuleSet
        Rule-set id (default ``jiangxi-db36-1402-2021``) or a loaded rule set (e.g. with overrides).
    year : int or None
        Price year of the account; default the table's ``year`` (else the latest deflator year).
    source : str
        File name for messages.

    Returns
    -------
    GepAccount
        The account (``parcels`` is None).

    Raises
    ------
    DataError
        For a bad row (unknown indicator or component, wrong unit, negative quantity, 亿元 typed as 元 ...).
    SpecError
        For an unknown rule set, a year outside the deflator table, or a needed price the rule set lacks.

    Examples
    --------
    >>> q = pl.DataFrame({"indicator": ["water_conservation"], "component": ["water_m3"],
    ...                   "quantity": [1.918e9], "unit": ["m3"]})
    >>> acc = account_region(q, rules="national-2022", year=2005)
    >>> round(acc.total_cny / 1e8, 2)
    117.2
    """
    rs = load_rules(rules)
    raw, regions, data_year = _read_region_table(quantities, source)
    yr = _default_year(year, data_year)
    q = _derive(rs, raw, len(regions))
    notes = [f"Region account from {source} under {rs.id} (v{rs.version}), prices at {yr} level."]
    account, _, _ = _build(rs, yr, q, regions, raw_keys=set(raw), notes=notes, gdp=raw.get("gdp.gdp_yuan"))
    return account


# ----------------------------------------------------------------------------------------------- parcels

_FOREST_LIKE: Final = ("forest_broadleaf", "forest_conifer", "forest_mixed", "bamboo", "oil_tea")


def _parcel_columns() -> tuple[ColumnSpec, ...]:
    def drv(name: str, desc: str, *, le: float | None = None, required: bool = True) -> ColumnSpec:
        return ColumnSpec(name=name, kind="float", ge=0.0, le=le, required=required, description=desc)

    return (
        ColumnSpec(name="parcel_id", kind="str", description="parcel id"),
        ColumnSpec(name="land_class", kind="str", allowed=tuple(LAND_CLASSES), description="land class"),
        ColumnSpec(name="area_ha", kind="float", gt=0.0, description="parcel area in ha (> 0)"),
        drv("precipitation_mm", "annual precipitation, mm/a", le=10_000.0),
        drv("storm_rainfall_mm", "storm rainfall, mm/a", le=10_000.0),
        drv("et_mm", "actual evapotranspiration (open-water evaporation on water), mm/a", le=5_000.0),
        drv("hot_days", "days with Tmax > 26 °C", le=366.0),
        drv("rusle_r", "RUSLE rainfall erosivity R, MJ·mm/(ha·h·a)", le=100_000.0),
        drv("rusle_k", "RUSLE soil erodibility K, t·ha·h/(ha·MJ·mm)", le=1.0),
        drv("rusle_ls", "RUSLE LS factor", le=200.0),
        drv("rusle_c", "RUSLE C factor (0-1)", le=1.0),
        drv("rusle_p", "RUSLE P factor (0-1)", le=1.0),
        drv("npp_t_dm_per_ha", "NPP, t dry matter/(ha·a)", le=100.0),
        ColumnSpec(
            name="reservoir_capacity_m3",
            kind="float",
            ge=0.0,
            required=False,
            nullable=True,
            description="total capacity of reservoir parcels, m3",
        ),
        ColumnSpec(
            name="sand_fixed_t",
            kind="float",
            ge=0.0,
            required=False,
            nullable=True,
            description="wind erosion avoided (RWEQ potential − actual), t/a",
        ),
        ColumnSpec(
            name="runoff_coef",
            kind="float",
            ge=0.0,
            le=1.0,
            required=False,
            nullable=True,
            description="storm-runoff coefficient overriding the rule set's class value",
        ),
    )


PARCEL_COLUMNS: Final = _parcel_columns()


def _region_codes(frame: pl.DataFrame, region_col: str | None) -> tuple[IntArray, list[str]]:
    if region_col is None:
        return np.zeros(frame.height, dtype=np.int64), ["all"]
    if region_col not in frame.columns:
        raise SpecError(f"region column {region_col!r} is not in the parcel table; columns: {frame.columns}.")
    col = frame[region_col].cast(pl.String)
    if col.null_count():
        raise DataError(
            f"has a missing region id; every parcel needs {region_col}.",
            column=region_col,
            row=int(col.is_null().arg_true()[0]) + 1,
        )
    uniq = col.unique().sort()
    codes = col.rank("dense").to_numpy().astype(np.int64) - 1
    return codes, uniq.to_list()


class _Parcels:
    """Arrays of a parcel table plus look-ups of the rule set's class tables."""

    def __init__(self, rules: RuleSet, cols: Mapping[str, FloatArray], cls: IntArray) -> None:
        self.rules, self.cols, self.cls = rules, cols, cls
        self.names = list(LAND_CLASSES)
        self.area = cols["area_ha"]

    def mask(self, ind: str) -> FloatArray:
        lut = np.array([1.0 if c in self.rules.indicators[ind].classes else 0.0 for c in self.names])
        out: FloatArray = lut[self.cls]
        return out

    def is_class(self, *classes: str) -> FloatArray:
        lut = np.array([1.0 if c in classes else 0.0 for c in self.names])
        out: FloatArray = lut[self.cls]
        return out

    def lut(self, key: str) -> FloatArray:
        vals = self.rules.class_values(key)
        out: FloatArray = np.array([vals[c] for c in self.names])[self.cls]
        return out

    def p(self, key: str) -> float:
        return _coef(self.rules, key)


def _pq_water_soil(x: _Parcels, q: dict[str, FloatArray]) -> None:
    rules, cols, area = x.rules, x.cols, x.area
    if rules.includes("water_conservation"):
        alpha = x.lut("water_conservation.runoff_coef")
        if "runoff_coef" in cols:
            alpha = np.where(np.isnan(cols["runoff_coef"]), alpha, cols["runoff_coef"])
        q["water_conservation.water_m3"] = k.water_conservation_m3(
            cols["precipitation_mm"], cols["et_mm"], alpha, area * x.mask("water_conservation")
        )
    if rules.includes("soil_retention"):
        soil = k.soil_retained_t(
            cols["rusle_r"],
            cols["rusle_k"],
            cols["rusle_ls"],
            cols["rusle_c"],
            cols["rusle_p"],
            area * x.mask("soil_retention"),
        )
        q["soil_retention.soil_t"] = soil
        q.update(_soil_parts(rules, soil))
    if rules.includes("sand_fixation") and "sand_fixed_t" in cols:
        sand = np.nan_to_num(cols["sand_fixed_t"]) * x.mask("sand_fixation")
        q["sand_fixation.sand_t"] = sand
        q["sand_fixation.land_m2"] = _sand(rules, sand)


def _pq_flood(x: _Parcels, q: dict[str, FloatArray]) -> None:
    if not x.rules.includes("flood_regulation"):
        return
    cols, area, p = x.cols, x.area, x.p
    fm = x.mask("flood_regulation")
    veg = fm * (1.0 - x.is_class("lake", "reservoir", "wetland"))
    q["flood_regulation.vegetation_m3"] = k.flood_vegetation_m3(
        cols["storm_rainfall_mm"], x.lut("flood_regulation.storm_runoff_coef"), area * veg
    )
    q["flood_regulation.lake_m3"] = k.flood_lake_m3(
        area * x.is_class("lake") * fm,
        p("flood_regulation.lake_coef_a"),
        p("flood_regulation.lake_coef_b"),
        p("flood_regulation.lake_area_unit"),
        p("flood_regulation.lake_storage_unit"),
    )
    cap = np.nan_to_num(cols["reservoir_capacity_m3"]) if "reservoir_capacity_m3" in cols else np.zeros_like(area)
    q["flood_regulation.reservoir_m3"] = k.flood_reservoir_m3(
        cap * x.is_class("reservoir") * fm, p("flood_regulation.reservoir_flood_share")
    )
    q["flood_regulation.marsh_m3"] = k.flood_marsh_m3(
        area * x.is_class("wetland") * fm, p("flood_regulation.marsh_depth")
    )


def _pq_purification_carbon(x: _Parcels, q: dict[str, FloatArray]) -> None:
    rules, area = x.rules, x.area
    for ind, pols in (("air_purification", ("so2", "nox", "dust")), ("water_purification", ("cod", "nh3n", "tp"))):
        if rules.includes(ind):
            m = area * x.mask(ind)
            for pol in pols:
                q[f"{ind}.{pol}_t"] = x.lut(f"{ind}.{pol}_capacity") * m
    npp = x.cols["npp_t_dm_per_ha"]
    if rules.includes("carbon_sequestration"):
        m = area * x.mask("carbon_sequestration")
        if rules.switches.carbon_method == "nep_ratio":
            c_t, co2 = k.carbon_nep_co2_t(x.lut("carbon_sequestration.nep_ratio"), npp, m)
        else:
            c_t, co2 = k.carbon_photosynthesis_co2_t(x.p("carbon_sequestration.co2_per_dry_matter"), npp, m)
        q["carbon_sequestration.co2_t"] = co2
        q["carbon_sequestration.c_t"] = c_t
    if rules.includes("oxygen_release"):
        q["oxygen_release.o2_t"] = k.oxygen_t(
            x.p("oxygen_release.o2_per_dry_matter"), npp, area * x.mask("oxygen_release")
        )


def _pq_climate_pest(x: _Parcels, q: dict[str, FloatArray]) -> None:
    rules, area = x.rules, x.area
    if rules.includes("climate_regulation"):
        m = area * x.mask("climate_regulation")
        q["climate_regulation.plant_kwh"] = k.climate_plant_kwh(
            x.lut("climate_regulation.plant_energy"), m, x.cols["hot_days"], x.p("climate_regulation.ac_efficiency")
        )
        evap = x.cols["et_mm"] * m * x.is_class("river", "lake", "reservoir", "wetland") * k.M3_PER_MM_HA
        q["climate_regulation.water_kwh"] = _water_kwh(rules, evap)
    if rules.includes("pest_control"):
        m = area * x.mask("pest_control")
        grass = x.is_class("grassland")
        q["pest_control.forest_ha"] = m * (1.0 - grass)
        q["pest_control.grassland_ha"] = m * grass


def _parcel_quantities(rules: RuleSet, cols: Mapping[str, FloatArray], cls: IntArray) -> dict[str, FloatArray]:
    """Per-parcel valued quantities of the parcel-supplied indicators (zero outside supplying classes)."""
    x = _Parcels(rules, cols, cls)
    q: dict[str, FloatArray] = {}
    _pq_water_soil(x, q)
    _pq_flood(x, q)
    _pq_purification_carbon(x, q)
    _pq_climate_pest(x, q)
    return q


class _Chunk(NamedTuple):
    """Grouping of one chunk of parcels by region (sorted order, group starts, region of each group)."""

    codes: IntArray
    order: IntArray | None
    starts: IntArray
    gid: IntArray
    sizes: IntArray


def _chunk_groups(codes: IntArray) -> _Chunk:
    n = codes.size
    if n and np.all(codes == codes[0]):
        return _Chunk(codes, None, np.zeros(1, np.int64), codes[:1].copy(), np.array([n], np.int64))
    order = None if np.all(codes[1:] >= codes[:-1]) else np.argsort(codes, kind="stable")
    sc = codes if order is None else codes[order]
    starts = np.flatnonzero(np.concatenate(([True], sc[1:] != sc[:-1])))
    sizes = np.diff(np.append(starts, n))
    return _Chunk(codes, order, starts, sc[starts], sizes)


class _Split:
    """Splits each region's total (fen) over its parcels pro rata weights, chunk by chunk, exactly.

    Cumulative rounding: a parcel gets round(S_i) − round(S_{i−1}) of the running share sum S of its region,
    so each part is within one fen of its exact share, parts are never negative, and the last parcel of a
    region closes the sum to the region's total exactly, however the parcels are chunked.
    """

    def __init__(self, total_fen: IntArray, wsum: FloatArray, counts: IntArray) -> None:
        self.total = total_fen
        self.scale = np.divide(total_fen.astype(np.float64), wsum, out=np.zeros(wsum.size), where=wsum > 0)
        self.cum = np.zeros(wsum.size)
        self.c = np.zeros(wsum.size, dtype=np.int64)
        self.seen = np.zeros(wsum.size, dtype=np.int64)
        self.counts = counts

    def split(self, weights: FloatArray, ch: _Chunk) -> FloatArray:
        """Whole fen (as integral float64) of each parcel of the chunk ``ch`` (in the chunk's row order)."""
        ws = weights if ch.order is None else weights[ch.order]
        one = ch.gid.size == 1
        g0 = int(ch.gid[0])
        sc = ch.codes if ch.order is None else ch.codes[ch.order]
        cum = np.multiply(ws, self.scale[g0] if one else self.scale[sc])
        np.cumsum(cum, out=cum)
        if one:
            if self.cum[g0]:
                cum += self.cum[g0]
        else:
            base = np.concatenate(([0.0], cum))[ch.starts]
            cum -= np.repeat(base - self.cum[ch.gid], ch.sizes)
        ends = ch.starts + ch.sizes - 1
        self.cum[ch.gid] = cum[ends]
        np.rint(cum, out=cum)  # running rounded sum (integers held exactly in float64 below 2**53)
        if np.any(cum[ends] > self.total[ch.gid]):  # float drift past the total: clip (rare)
            np.minimum(cum, float(self.total[g0]) if one else self.total[sc].astype(np.float64), out=cum)
        last = self.seen[ch.gid] + ch.sizes == self.counts[ch.gid]
        cum[ends[last]] = self.total[ch.gid[last]]
        prev_start = cum[ch.starts] - self.c[ch.gid]
        self.c[ch.gid] = cum[ends].astype(np.int64)
        fen = np.empty_like(cum)  # whole fen held exactly in float64 (|x| < 2**53)
        np.subtract(cum[1:], cum[:-1], out=fen[1:])
        fen[ch.starts] = prev_start
        self.seen[ch.gid] += ch.sizes
        if ch.order is None:
            return fen
        out = np.empty_like(fen)
        out[ch.order] = fen
        return out


def _merge_inventory(
    rs: RuleSet,
    inventory: pl.DataFrame | None,
    inventory_source: str,
    region_col: str | None,
    regions: list[str],
    q: dict[str, FloatArray],
    notes: list[str],
) -> tuple[dict[str, FloatArray], int | None]:
    """Add the inventory's caps and statistics-based quantities to the parcel sums ``q`` (in place)."""
    raw: dict[str, FloatArray] = {}
    data_year: int | None = None
    n_reg = len(regions)
    if inventory is not None:
        raw, inv_regions, data_year = _read_region_table(inventory, inventory_source)
        if region_col is None and len(inv_regions) > 1:
            raise DataError(
                f"has {len(inv_regions)} regions; pass region_col naming the parcels' region column.",
                source=inventory_source,
                column="region_id",
            )
        if region_col is not None:
            missing = sorted(set(regions) - set(inv_regions))
            if missing:
                raise DataError(
                    f"no rows for region(s) {missing[:5]} of the parcels' {region_col}.",
                    source=inventory_source,
                    column="region_id",
                )
            pos = [inv_regions.index(r) for r in regions]
            raw = {kk: v[pos] for kk, v in raw.items()}
        derived = _derive(rs, raw, n_reg)
        parcel_keys = {kk for kk in derived if kk.split(".")[0] in _PARCEL_INDICATORS}
        caps = {kk for kk in parcel_keys if kk.split(".")[1].startswith(("emission_", "load_"))}
        for kk, v in derived.items():
            if kk in caps or kk.split(".")[0] in _STAT_INDICATORS:
                q[kk] = v
        ignored = sorted(parcel_keys - caps)
        if ignored:
            notes.append(
                "Region-level quantities of parcel-supplied indicators in the inventory were ignored "
                f"(the parcels supply them): {', '.join(ignored)}."
            )
    else:
        notes.append(
            "No inventory given: material products, recreation and landscape are 0 and purification "
            "is not capped by emissions (an upper bound)."
        )
    return raw, data_year


def _parcel_weights(
    rs: RuleSet, ind: str, pq: Mapping[str, FloatArray], prices: Mapping[str, Any], area: FloatArray, cls: IntArray
) -> FloatArray:
    """Allocation weights of one indicator: the parcel's uncapped value, or its supplying area."""
    if ind in _PARCEL_INDICATORS:
        w = np.zeros(area.size)
        for comp in COMPONENTS:
            key = f"{comp.indicator}.{comp.name}"
            if comp.indicator == ind and key in pq:
                price = prices.get(comp.price) if comp.price else 1.0
                w += pq[key] * float(np.asarray(price if price is not None else 0.0).reshape(-1)[0])
        return w
    lut = np.array([1.0 if c in rs.indicators[ind].classes else 0.0 for c in LAND_CLASSES])
    out: FloatArray = area * lut[cls]
    return out


def account_parcels(
    parcels: pl.DataFrame,
    *,
    rules: str | RuleSet = DEFAULT_RULES,
    inventory: pl.DataFrame | None = None,
    year: int | None = None,
    region_col: str | None = None,
    source: str = "parcels",
    inventory_source: str = "inventory",
) -> GepAccount:
    """Parcel (地块) accounts and the region accounts they add up to, exactly in fen.

    Parameters
    ----------
    parcels : polars.DataFrame
        One row per parcel; required columns ``parcel_id, land_class, area_ha, precipitation_mm,
        storm_rainfall_mm, et_mm, hot_days, rusle_r, rusle_k, rusle_ls, rusle_c, rusle_p, npp_t_dm_per_ha``;
        optional ``reservoir_capacity_m3, sand_fixed_t, runoff_coef`` (schema: ``data/county_parcels.md``).
        ``village_id`` and ``township_id`` are carried through when present.
    rules : str or RuleSet
        Rule-set id or a loaded rule set (e.g. with overrides).
    inventory : polars.DataFrame or None
        Region inventory in the ``gep value`` format: emissions and loads (caps), yearbook output values,
        water use, hydropower, visitors and travel cost, housing floor area and premium, GDP. Without it,
        material and cultural indicators are 0 and purification is uncapped (flagged).
    year : int or None
        Price year; default the inventory's year (else the latest deflator year).
    region_col : str or None
        Column of ``parcels`` whose values are the inventory's ``region_id`` (None: all parcels are one region).
    source, inventory_source : str
        File names for messages.

    Returns
    -------
    GepAccount
        With ``parcels``: ``parcel_id``, ``village_id``/``township_id`` when given, ``land_class``, ``area_ha``,
        one ``<indicator>_cny`` column per included indicator, ``material_cny``, ``regulating_cny``,
        ``cultural_cny``, ``gep_cny``, ``gep_fen`` (int64), ``realisable_cny`` and, when carbon is counted,
        ``carbon_tco2e``. The parcels of each region sum exactly (in fen) to the region account.

    Raises
    ------
    DataError
        For a missing or misnamed column, unknown land class, area ≤ 0, NaN or negative driver.
    SpecError
        For an unknown rule set, an unknown region column, or a year outside the deflator table.

    Examples
    --------
    >>> from greenfin.datasets import load_sample
    >>> acc = account_parcels(load_sample("county_parcels").head(500), rules="rcees-classic", year=2025)
    >>> int(acc.parcels["gep_fen"].sum()) == int(acc.regions["value_fen"].sum())
    True
    """
    rs = load_rules(rules)
    df = validate_frame(parcels, PARCEL_COLUMNS, source=source)
    n = df.height
    if n == 0:
        raise DataError("has no rows; give at least one parcel.", source=source)
    codes, regions = _region_codes(df, region_col)
    cols, cls = _chunk_arrays(df)
    pq = _parcel_quantities(rs, cols, cls)
    n_reg = len(regions)
    q: dict[str, FloatArray] = {kk: _group_sum(codes, v, n_reg) for kk, v in pq.items()}
    notes = [
        f"Parcel accounts of {n:,} parcels under {rs.id} (v{rs.version}); parcel values sum exactly (in fen) "
        "to the region account."
    ]
    raw, data_year = _merge_inventory(rs, inventory, inventory_source, region_col, regions, q, notes)
    yr = _default_year(year, data_year)
    account, _by_ind, region_fen = _build(
        rs, yr, q, regions, raw_keys=set(raw), notes=notes, gdp=raw.get("gdp.gdp_yuan")
    )
    counts = np.bincount(codes, minlength=n_reg).astype(np.int64)
    area_sum = _group_sum(codes, cols["area_ha"], n_reg)
    frame, extra = _parcel_frame(
        df,
        rs,
        pq,
        cols,
        cls,
        _chunk_groups(codes),
        account.prices,
        region_fen=region_fen,
        area_sum=area_sum,
        counts=counts,
    )
    return replace(account, parcels=frame, notes=(*account.notes, *extra))


def _group_sum(codes: IntArray, values: FloatArray, n_reg: int) -> FloatArray:
    if n_reg == 1:
        return np.array([float(values.sum())])
    out: FloatArray = np.bincount(codes, weights=values, minlength=n_reg).astype(np.float64)
    return out


def _chunk_arrays(df: pl.DataFrame) -> tuple[dict[str, FloatArray], IntArray]:
    cls = df["land_class"].replace_strict({c: i for i, c in enumerate(LAND_CLASSES)}, return_dtype=pl.Int64).to_numpy()
    names = [c.name for c in PARCEL_COLUMNS[2:] if c.name in df.columns]
    cols = {c: df[c].cast(pl.Float64).to_numpy() for c in names}
    for opt in ("reservoir_capacity_m3", "sand_fixed_t", "runoff_coef"):
        if opt in cols and np.all(np.isnan(cols[opt])):
            del cols[opt]
    return cols, cls


def _make_splits(
    region_fen: Mapping[str, IntArray], wsums: Mapping[str, FloatArray], area_sum: FloatArray, counts: IntArray
) -> tuple[dict[str, _Split], dict[str, FloatArray], list[str]]:
    splits: dict[str, _Split] = {}
    fallback: dict[str, FloatArray] = {}
    extra: list[str] = []
    for ind, total in region_fen.items():
        wsum = wsums[ind]
        fb = ((wsum <= 0) & (total != 0)).astype(np.float64)
        if fb.any():  # a region has value but no supplying parcel: spread it over the region's area
            fallback[ind] = fb
            wsum = wsum + area_sum * fb
            extra.append(f"{ind}: a region has value but no supplying parcel; allocated by area over the region.")
        splits[ind] = _Split(total, wsum, counts)
    return splits, fallback, extra


def _parcel_frame(
    df: pl.DataFrame,
    rs: RuleSet,
    pq: Mapping[str, FloatArray],
    cols: Mapping[str, FloatArray],
    cls: IntArray,
    ch: _Chunk,
    prices: Mapping[str, Any],
    *,
    splits: dict[str, _Split] | None = None,
    fallback: dict[str, FloatArray] | None = None,
    region_fen: Mapping[str, IntArray] | None = None,
    area_sum: FloatArray | None = None,
    counts: IntArray | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """Parcel values of one chunk; builds the splits on the fly for a single-chunk (whole-table) account."""
    from greenfin.gep._realisable import load_realisable

    real = load_realisable()
    n = df.height
    area = cols["area_ha"]
    out: dict[str, Any] = {}
    cat_fen = {c: np.zeros(n) for c in CATEGORIES}
    extra: list[str] = []
    inds = list(splits) if splits is not None else list(region_fen or {})

    def one(ind: str) -> tuple[FloatArray | None, list[str]]:
        if splits is None:
            if region_fen is None or area_sum is None or counts is None:  # pragma: no cover - internal misuse
                raise SpecError("_parcel_frame needs region_fen, area_sum and counts without splits.")
            if not region_fen[ind].any():
                return None, []  # nothing to allocate
        elif not splits[ind].total.any():
            splits[ind].seen += np.bincount(ch.codes, minlength=splits[ind].seen.size)
            return None, []
        w = _parcel_weights(rs, ind, pq, prices, area, cls)
        notes: list[str] = []
        if splits is None:
            assert region_fen is not None  # checked above
            assert area_sum is not None
            assert counts is not None
            made, fb, notes = _make_splits(
                {ind: region_fen[ind]}, {ind: _group_sum(ch.codes, w, area_sum.size)}, area_sum, counts
            )
            sp, fbi = made[ind], fb.get(ind)
        else:
            sp, fbi = splits[ind], (fallback or {}).get(ind)
        if fbi is not None:
            w = w + area * fbi[ch.codes]
        fen = sp.split(w, ch)
        cat = INDICATORS[ind].category
        with locks[cat]:  # integral float64 sums: exact, so the order of the threads does not matter
            cat_fen[cat] += fen
        return np.divide(fen, 100.0, out=fen), notes  # in place: fen -> yuan

    # indicators are independent: two threads (numpy releases the GIL in these array operations)
    locks = {c: threading.Lock() for c in CATEGORIES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, inds))
    for ind, (yuan, notes) in zip(inds, results, strict=True):
        extra += notes
        out[f"{ind}_cny"] = np.zeros(n) if yuan is None else yuan
    gep_fen = (cat_fen["material"] + cat_fen["regulating"] + cat_fen["cultural"]).astype(np.int64)
    base = [c for c in ("parcel_id", "village_id", "township_id", "land_class", "area_ha") if c in df.columns]
    shares = [pl.col(f"{i}_cny") * real[i].share for i in inds if real[i].share]
    frame = df.select(base).with_columns(
        *[pl.Series(name, arr) for name, arr in out.items()],
        *[pl.Series(f"{c}_cny", v / 100.0) for c, v in cat_fen.items()],
        pl.Series("gep_cny", gep_fen / 100.0),
        pl.Series("gep_fen", gep_fen),
    )
    frame = frame.with_columns(
        (pl.sum_horizontal(shares) if shares else pl.lit(0.0)).cast(pl.Float64).alias("realisable_cny")
    )
    if "carbon_sequestration.co2_t" in pq:
        frame = frame.with_columns(pl.Series("carbon_tco2e", pq["carbon_sequestration.co2_t"]))
    return frame, extra


def account_parcels_chunked(
    chunks: Callable[[], Iterable[pl.DataFrame]],
    *,
    rules: str | RuleSet = DEFAULT_RULES,
    inventory: pl.DataFrame | None = None,
    year: int | None = None,
    region_col: str | None = None,
    regions: Sequence[str] | None = None,
    sink: Callable[[pl.DataFrame], None] | None = None,
    source: str = "parcels",
    inventory_source: str = "inventory",
) -> GepAccount:
    """Parcel accounts of a table too large for memory, read twice in chunks (e.g. a province by county).

    Pass 1 sums each chunk's physical quantities and allocation weights per region; the region accounts are
    then valued; pass 2 recomputes each chunk and allocates the region values to its parcels in whole fen,
    carrying the running sums across chunks, so the parcels of a region still add up exactly to its account.

    Parameters
    ----------
    chunks : callable
        Returns a fresh iterable of parcel frames (same schema as :func:`account_parcels`) each time it is
        called; it is called twice and must yield the same rows in the same order.
    rules : str or RuleSet
        Rule-set id or a loaded rule set.
    inventory : polars.DataFrame or None
        Region inventory, as in :func:`account_parcels`.
    year : int or None
        Price year, as in :func:`account_parcels`.
    region_col : str or None
        Region column of the parcels (None: one region).
    regions : sequence of str or None
        Every region id that ``region_col`` takes (required with ``region_col``).
    sink : callable or None
        Receives each chunk's parcel-value frame in pass 2 (e.g. to write Parquet parts); None discards them.
    source, inventory_source : str
        Names for messages.

    Returns
    -------
    GepAccount
        The region accounts; ``parcels`` is None (the parcel frames went to ``sink``).

    Raises
    ------
    DataError
        For a bad chunk (named by its index in ``source``), or a chunk with a region not in ``regions``.
    SpecError
        For ``region_col`` without ``regions``, an unknown rule set or a bad year.
    ConvergenceError
        If a region's parcels did not close exactly to its account (it signals that ``chunks`` changed
        between the two passes).
    """
    rs = load_rules(rules)
    if region_col is not None and not regions:
        raise SpecError("account_parcels_chunked needs regions=[...] (every value of region_col) with region_col.")
    names = list(regions) if region_col is not None and regions else ["all"]
    index = {r: i for i, r in enumerate(names)}
    n_reg = len(names)
    q: dict[str, FloatArray] = {}
    notes = [f"Chunked parcel accounts under {rs.id} (v{rs.version}); parcel values sum exactly to the region account."]
    raw, data_year = _merge_inventory(rs, inventory, inventory_source, region_col, names, q, notes)
    yr = _default_year(year, data_year)
    prices = _resolve_prices(rs, yr, q, n_reg)
    included = [i for i in INDICATORS if rs.includes(i)]
    wsums = {ind: np.zeros(n_reg) for ind in included}
    counts = np.zeros(n_reg, dtype=np.int64)
    area_sum = np.zeros(n_reg)
    sums: dict[str, FloatArray] = {}

    def read(k_chunk: int, frame: pl.DataFrame) -> tuple[pl.DataFrame, IntArray, dict[str, FloatArray], IntArray]:
        where = f"{source} (chunk {k_chunk})"
        df = validate_frame(frame, PARCEL_COLUMNS, source=where)
        if region_col is None:
            codes = np.zeros(df.height, dtype=np.int64)
        else:
            vals = df[region_col].cast(pl.String)
            bad = ~vals.is_in(names)
            if bad.any():
                raise DataError(
                    f"region {vals.filter(bad)[0]!r} is not in regions.",
                    source=where,
                    column=region_col,
                    row=int(bad.arg_true()[0]) + 1,
                )
            codes = vals.replace_strict(index, return_dtype=pl.Int64).to_numpy()
        cols, cls = _chunk_arrays(df)
        return df, codes, cols, cls

    for k_chunk, frame in enumerate(chunks()):
        df, codes, cols, cls = read(k_chunk, frame)
        pq = _parcel_quantities(rs, cols, cls)
        for kk, v in pq.items():
            sums[kk] = sums.get(kk, np.zeros(n_reg)) + np.bincount(codes, weights=v, minlength=n_reg)
        for ind in included:
            w = _parcel_weights(rs, ind, pq, prices, cols["area_ha"], cls)
            wsums[ind] += np.bincount(codes, weights=w, minlength=n_reg)
        counts += np.bincount(codes, minlength=n_reg)
        area_sum += np.bincount(codes, weights=cols["area_ha"], minlength=n_reg)
    q.update(sums)
    account, _by_ind, region_fen = _build(rs, yr, q, names, raw_keys=set(raw), notes=notes, gdp=raw.get("gdp.gdp_yuan"))
    splits, fallback, extra = _make_splits(region_fen, wsums, area_sum, counts)
    for k_chunk, frame in enumerate(chunks()):
        df, codes, cols, cls = read(k_chunk, frame)
        pq = _parcel_quantities(rs, cols, cls)
        out, _ = _parcel_frame(
            df, rs, pq, cols, cls, _chunk_groups(codes), account.prices, splits=splits, fallback=fallback
        )
        if sink is not None:
            sink(out)
    for ind, sp in splits.items():
        if not np.array_equal(sp.c, sp.total) or not np.array_equal(sp.seen, sp.counts):
            raise ConvergenceError(f"{ind}: parcel fen did not close to the region account; did chunks() change?")
    return replace(account, notes=(*account.notes, *extra))
