"""Physical-quantity formulas of the GEP indicators: pure, vectorised numpy over parcels (or regions).

Every function takes numpy arrays (or scalars that broadcast) and returns float64 arrays; none loops in
Python. Units: areas in ha, water depths in mm (1 mm over 1 ha = 10 m³), masses in t, energy in kWh.
Formulas follow ``reference/gep.md`` §3 (RCEES family; Garzê 2010 study, 生态学报 2017, 37(19):6302-6312).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from greenfin._typing import FloatArray

__all__ = [
    "CO2_PER_C",
    "C_PER_CO2",
    "DM_TO_C",
    "M3_PER_MM_HA",
    "carbon_nep_co2_t",
    "carbon_photosynthesis_co2_t",
    "climate_plant_kwh",
    "climate_water_kwh",
    "flood_lake_m3",
    "flood_marsh_m3",
    "flood_reservoir_m3",
    "flood_vegetation_m3",
    "oxygen_t",
    "sand_land_m2",
    "soil_components",
    "soil_retained_t",
    "water_conservation_m3",
]

Array = npt.ArrayLike

M3_PER_MM_HA = 10.0
"""Cubic metres of water in 1 mm over 1 ha (a definition)."""

CO2_PER_C = 44.0 / 12.0
"""Tonnes of CO2 per tonne of carbon (molar masses)."""

C_PER_CO2 = 12.0 / 44.0
"""Tonnes of carbon per tonne of CO2."""

DM_TO_C = 72.0 / 162.0
"""Carbon fraction of dry matter, C6H10O5 (reference/gep.md §3.8)."""


def _f(x: Array) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def water_conservation_m3(precip_mm: Array, et_mm: Array, runoff_coef: Array, area_ha: Array) -> FloatArray:
    """Water conservation Q = (P − R − ET)·A with storm runoff R = α·P, floored at 0 (m³/a).

    Parameters
    ----------
    precip_mm, et_mm : array_like
        Annual precipitation and actual evapotranspiration (mm/a).
    runoff_coef : array_like
        Storm-runoff coefficient α of the ecosystem type (fraction).
    area_ha : array_like
        Area (ha).

    Returns
    -------
    numpy.ndarray
        Water conserved (m³/a).

    References
    ----------
    reference/gep.md §3.2; Garzê study (RCEES). Storm runoff must be removed (§4.6).

    Examples
    --------
    >>> water_conservation_m3(1600.0, 800.0, 0.03, 2.0).item()
    15040.0
    """
    p = _f(precip_mm)
    depth = np.maximum(p * (1.0 - _f(runoff_coef)) - _f(et_mm), 0.0)
    out: FloatArray = depth * _f(area_ha) * M3_PER_MM_HA
    return out


def soil_retained_t(r: Array, k: Array, ls: Array, c: Array, p: Array, area_ha: Array) -> FloatArray:
    """Soil retention: RUSLE potential minus actual loss, Q = R·K·LS·(1 − C·P)·A (t/a).

    Parameters
    ----------
    r : array_like
        Rainfall erosivity (MJ·mm/(ha·h·a)).
    k : array_like
        Soil erodibility (t·ha·h/(ha·MJ·mm)).
    ls, c, p : array_like
        Slope length-steepness, cover-management and support-practice factors.
    area_ha : array_like
        Area (ha).

    Returns
    -------
    numpy.ndarray
        Soil retained (t/a), never negative.

    References
    ----------
    reference/gep.md §3.3; InVEST SDR ``avoided_erosion`` = RKLS − USLE.

    Examples
    --------
    >>> soil_retained_t(6000.0, 0.03, 2.0, 0.01, 1.0, 1.5).item()
    534.6
    """
    out: FloatArray = _f(r) * _f(k) * _f(ls) * np.maximum(1.0 - _f(c) * _f(p), 0.0) * _f(area_ha)
    return out


def soil_components(
    soil_t: Array, deposition_ratio: float, bulk_density_t_m3: float, n_fraction: float, p_fraction: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Valued parts of soil retention: avoided silting λ·Q/ρ (m³) and avoided N and P loss Q·C_N, Q·C_P (t).

    Parameters
    ----------
    soil_t : array_like
        Soil retained (t/a).
    deposition_ratio : float
        λ, share of eroded soil deposited in reservoirs and channels.
    bulk_density_t_m3 : float
        ρ, soil bulk density (t/m³).
    n_fraction, p_fraction : float
        Soil N and P content (fractions).

    Returns
    -------
    tuple of numpy.ndarray
        (silt_m3, n_t, p_t).

    References
    ----------
    reference/gep.md §3.3 (V_silt = λ·(Q/ρ)·c_dredge; V_npsp = Q·(C_N·p_N + C_P·p_P)).

    Examples
    --------
    >>> [round(float(x), 4) for x in soil_components(1000.0, 0.24, 0.93, 0.0037, 0.00108)]
    [258.0645, 3.7, 1.08]
    """
    q = _f(soil_t)
    return q * (deposition_ratio / bulk_density_t_m3), q * n_fraction, q * p_fraction


def sand_land_m2(sand_t: Array, bulk_density_t_m3: float, cover_depth_m: float) -> FloatArray:
    """Land saved from burial by fixed sand, Q/(ρ·h) (m²).

    Parameters
    ----------
    sand_t : array_like
        Wind erosion avoided (RWEQ potential − actual, t/a).
    bulk_density_t_m3 : float
        ρ of the sand (t/m³).
    cover_depth_m : float
        h, covering depth (m).

    Returns
    -------
    numpy.ndarray
        Area (m²) valued at the restoration cost.

    Examples
    --------
    >>> sand_land_m2(128.0, 1.28, 0.1).item()
    1000.0
    """
    out: FloatArray = _f(sand_t) / (bulk_density_t_m3 * cover_depth_m)
    return out


def flood_vegetation_m3(storm_mm: Array, storm_runoff_coef: Array, area_ha: Array) -> FloatArray:
    """Flood storage of vegetation, (P_storm − R_storm)·A with R_storm = α·P_storm (m³).

    Parameters
    ----------
    storm_mm : array_like
        Rainfall in storm events (mm/a).
    storm_runoff_coef : array_like
        Storm-runoff coefficient α (fraction).
    area_ha : array_like
        Area (ha).

    Returns
    -------
    numpy.ndarray
        Storage (m³).

    Examples
    --------
    >>> flood_vegetation_m3(500.0, 0.03, 1.0).item()
    4850.0
    """
    out: FloatArray = _f(storm_mm) * (1.0 - _f(storm_runoff_coef)) * _f(area_ha) * M3_PER_MM_HA
    return out


def flood_lake_m3(area_ha: Array, a: float, b: float, area_unit_ha: float, storage_unit_m3: float) -> FloatArray:
    """Flood storage of a lake, ln C = a·ln A + b (empirical, east-China plain lakes), in m³.

    Parameters
    ----------
    area_ha : array_like
        Lake area (ha); 0 gives 0.
    a, b : float
        Constants of the rule set (1.128 and 4.924 in reference/gep.md §3.5, unverified).
    area_unit_ha : float
        Hectares per unit of A in the formula (100 when A is in km²).
    storage_unit_m3 : float
        Cubic metres per unit of C (1e4 when C is in 10⁴ m³).

    Returns
    -------
    numpy.ndarray
        Storage (m³).

    Examples
    --------
    >>> round(flood_lake_m3(100.0, 1.128, 4.924, 100.0, 1e4).item())
    1375517
    """
    area = _f(area_ha) / area_unit_ha
    safe = np.where(area > 0.0, area, 1.0)
    out: FloatArray = np.where(area > 0.0, np.exp(a * np.log(safe) + b) * storage_unit_m3, 0.0)
    return out


def flood_reservoir_m3(capacity_m3: Array, flood_share: float) -> FloatArray:
    """Flood-control storage of reservoirs, share × total capacity (m³).

    Parameters
    ----------
    capacity_m3 : array_like
        Total capacity (m³).
    flood_share : float
        Flood-control share (0.35 in the Garzê study).

    Returns
    -------
    numpy.ndarray
        Storage (m³).

    Examples
    --------
    >>> flood_reservoir_m3(1e6, 0.35).item()
    350000.0
    """
    out: FloatArray = _f(capacity_m3) * flood_share
    return out


def flood_marsh_m3(area_ha: Array, depth_m: float) -> FloatArray:
    """Flood storage of marshes, storage depth × area (m³).

    Parameters
    ----------
    area_ha : array_like
        Marsh area (ha).
    depth_m : float
        Storage depth (m; 0.3 in the Garzê study).

    Returns
    -------
    numpy.ndarray
        Storage (m³).

    Examples
    --------
    >>> flood_marsh_m3(2.0, 0.3).item()
    6000.0
    """
    out: FloatArray = _f(area_ha) * 1e4 * depth_m
    return out


def carbon_nep_co2_t(nep_ratio: Array, npp_t_dm_per_ha: Array, area_ha: Array) -> tuple[FloatArray, FloatArray]:
    """Carbon sequestration from NEP = α·NPP·72/162 (t C), and its CO2 equivalent × 44/12.

    Parameters
    ----------
    nep_ratio : array_like
        α = NEP/NPP of the ecosystem type.
    npp_t_dm_per_ha : array_like
        NPP (t dry matter/(ha·a)).
    area_ha : array_like
        Area (ha).

    Returns
    -------
    tuple of numpy.ndarray
        (t C, t CO2), kept apart.

    References
    ----------
    reference/gep.md §3.8 (formula family of the 2020 guideline, unverified).

    Examples
    --------
    >>> c, co2 = carbon_nep_co2_t(0.3, 13.5, 1.0)
    >>> round(c.item(), 4), round(co2.item(), 4)
    (1.8, 6.6)
    """
    c_t = _f(nep_ratio) * _f(npp_t_dm_per_ha) * DM_TO_C * _f(area_ha)
    return c_t, c_t * CO2_PER_C


def carbon_photosynthesis_co2_t(
    co2_per_dm: float, npp_t_dm_per_ha: Array, area_ha: Array
) -> tuple[FloatArray, FloatArray]:
    """Carbon sequestration from photosynthesis, 1.63 t CO2 per t dry-matter NPP (RCEES classic); also in t C.

    Parameters
    ----------
    co2_per_dm : float
        t CO2 fixed per t dry matter (1.63).
    npp_t_dm_per_ha : array_like
        NPP (t dry matter/(ha·a)).
    area_ha : array_like
        Area (ha).

    Returns
    -------
    tuple of numpy.ndarray
        (t C, t CO2).

    Examples
    --------
    >>> c, co2 = carbon_photosynthesis_co2_t(1.63, 10.0, 1.0)
    >>> round(c.item(), 4), round(co2.item(), 4)
    (4.4455, 16.3)
    """
    co2 = co2_per_dm * _f(npp_t_dm_per_ha) * _f(area_ha)
    return co2 * C_PER_CO2, co2


def oxygen_t(o2_per_dm: float, npp_t_dm_per_ha: Array, area_ha: Array) -> FloatArray:
    """Oxygen release, 1.19 t O2 per t dry-matter NPP (RCEES classic only).

    Parameters
    ----------
    o2_per_dm : float
        t O2 released per t dry matter.
    npp_t_dm_per_ha : array_like
        NPP (t dry matter/(ha·a)).
    area_ha : array_like
        Area (ha).

    Returns
    -------
    numpy.ndarray
        Oxygen (t/a).

    Examples
    --------
    >>> oxygen_t(1.19, 10.0, 2.0).item()
    23.8
    """
    out: FloatArray = o2_per_dm * _f(npp_t_dm_per_ha) * _f(area_ha)
    return out


def climate_plant_kwh(epp_kj_m2_d: Array, area_ha: Array, hot_days: Array, ac_efficiency: float) -> FloatArray:
    """Electricity equivalent of plant transpiration on hot days, EPP·S·D·10⁶/(3600·r) with S in km² (kWh).

    Parameters
    ----------
    epp_kj_m2_d : array_like
        Energy consumed by transpiration (kJ/(m²·d)).
    area_ha : array_like
        Area (ha).
    hot_days : array_like
        Days with maximum temperature above 26 °C.
    ac_efficiency : float
        r, air-conditioner energy-efficiency ratio.

    Returns
    -------
    numpy.ndarray
        kWh/a.

    References
    ----------
    reference/gep.md §3.10.

    Examples
    --------
    >>> round(climate_plant_kwh(2837.27, 1.0, 100.0, 3.0).item(), 1)
    262710.2
    """
    out: FloatArray = _f(epp_kj_m2_d) * _f(area_ha) * 1e4 * _f(hot_days) / (3600.0 * ac_efficiency)
    return out


def climate_water_kwh(
    evaporation_m3: Array, latent_heat_j_g: float, efficiency: float, humidifier_kwh_m3: float
) -> FloatArray:
    """Electricity equivalent of water-surface evaporation, E·q·10³/(3600·r) + E·y (kWh).

    Parameters
    ----------
    evaporation_m3 : array_like
        Water evaporated (m³/a).
    latent_heat_j_g : float
        q, latent heat of vaporisation (J/g).
    efficiency : float
        r when the rule set divides the water term by it, else 1 (the Garzê study omits r).
    humidifier_kwh_m3 : float
        y, humidifier electricity per m³ evaporated.

    Returns
    -------
    numpy.ndarray
        kWh/a.

    Examples
    --------
    >>> round(climate_water_kwh(1.0, 2450.0, 1.0, 120.0).item(), 3)
    800.556
    """
    e = _f(evaporation_m3)
    out: FloatArray = e * latent_heat_j_g * 1e3 / (3600.0 * efficiency) + e * humidifier_kwh_m3
    return out
