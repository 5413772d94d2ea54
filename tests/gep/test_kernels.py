"""Unit tests of every indicator formula (hand-computed values)."""

import numpy as np
import pytest

from greenfin.gep import _kernels as k


def test_water_conservation_removes_storm_runoff_and_floors_at_zero() -> None:
    # (1600 - 0.03*1600 - 800) mm * 2 ha * 10 m3/(mm ha) = 752 * 20
    assert k.water_conservation_m3(1600.0, 800.0, 0.03, 2.0).item() == pytest.approx(15040.0)
    # P - ET alone would overstate it
    assert k.water_conservation_m3(1600.0, 800.0, 0.0, 2.0).item() == pytest.approx(16000.0)
    assert k.water_conservation_m3(500.0, 900.0, 0.0, 1.0).item() == 0.0


def test_soil_retained_is_potential_minus_actual() -> None:
    r, kk, ls, c, p, a = 6000.0, 0.03, 2.0, 0.2, 0.5, 1.5
    potential = r * kk * ls * a
    actual = r * kk * ls * c * p * a
    assert k.soil_retained_t(r, kk, ls, c, p, a).item() == pytest.approx(potential - actual)
    assert k.soil_retained_t(r, kk, ls, 1.0, 1.0, a).item() == 0.0  # bare soil retains nothing


def test_soil_components_silt_and_nutrients() -> None:
    silt, n_t, p_t = k.soil_components(930.0, 0.24, 0.93, 0.0037, 0.00108)
    assert silt.item() == pytest.approx(0.24 * 930.0 / 0.93)
    assert n_t.item() == pytest.approx(930.0 * 0.0037)
    assert p_t.item() == pytest.approx(930.0 * 0.00108)


def test_sand_land() -> None:
    assert k.sand_land_m2(256.0, 1.28, 0.1).item() == pytest.approx(2000.0)


def test_flood_components() -> None:
    assert k.flood_vegetation_m3(500.0, 0.1, 2.0).item() == pytest.approx(450.0 * 20.0)
    assert k.flood_reservoir_m3(2e6, 0.35).item() == pytest.approx(7e5)
    assert k.flood_marsh_m3(3.0, 0.3).item() == pytest.approx(9000.0)
    # ln C = 1.128 ln A + 4.924 with A in km2 and C in 1e4 m3
    a_km2 = 2.5
    expected = np.exp(1.128 * np.log(a_km2) + 4.924) * 1e4
    assert k.flood_lake_m3(a_km2 * 100.0, 1.128, 4.924, 100.0, 1e4).item() == pytest.approx(expected)
    assert k.flood_lake_m3(0.0, 1.128, 4.924, 100.0, 1e4).item() == 0.0


def test_carbon_keeps_t_c_and_t_co2_apart() -> None:
    c_t, co2 = k.carbon_nep_co2_t(0.3, 10.0, 2.0)
    assert c_t.item() == pytest.approx(0.3 * 10.0 * 72.0 / 162.0 * 2.0)
    assert co2.item() == pytest.approx(c_t.item() * 44.0 / 12.0)
    c2, co2b = k.carbon_photosynthesis_co2_t(1.63, 10.0, 1.0)
    assert co2b.item() == pytest.approx(16.3)
    assert c2.item() == pytest.approx(16.3 * 12.0 / 44.0)


def test_oxygen() -> None:
    assert k.oxygen_t(1.19, 12.0, 0.5).item() == pytest.approx(7.14)


def test_climate_plant_and_water_terms() -> None:
    # EPP kJ/m2/d * S(km2)*1e6 * D / (3600 r): 1 ha = 0.01 km2
    expected = 2837.27 * 0.01 * 1e6 * 100.0 / (3600.0 * 3.0)
    assert k.climate_plant_kwh(2837.27, 1.0, 100.0, 3.0).item() == pytest.approx(expected)
    # E q 1e3 / (3600 r) + E y; r switch on the water term
    with_r = k.climate_water_kwh(10.0, 2450.0, 3.0, 120.0).item()
    without_r = k.climate_water_kwh(10.0, 2450.0, 1.0, 120.0).item()
    assert with_r == pytest.approx(10 * 2450e3 / (3600 * 3) + 1200.0)
    assert without_r == pytest.approx(10 * 2450e3 / 3600 + 1200.0)


def test_kernels_vectorise() -> None:
    p = np.array([1500.0, 1600.0, 1700.0])
    out = k.water_conservation_m3(p, np.array([700.0, 800.0, 900.0]), np.array([0.0, 0.02, 0.05]), 1.0)
    assert out.shape == (3,)
    assert out.dtype == np.float64
