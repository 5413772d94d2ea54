"""Reference tests: published GEP line items reproduced as quantity × price (cited, printed precision)."""

import polars as pl
import pytest

from greenfin.gep import account_region, load_rules

YI = 1e8


def _one(indicator: str, component: str, qty: float, unit: str) -> pl.DataFrame:
    return pl.DataFrame({"indicator": [indicator], "component": [component], "quantity": [qty], "unit": [unit]})


@pytest.mark.reference
def test_shenzhen_2020_water_conservation() -> None:
    """Shenzhen official 2020 GEP: water conservation 19.18亿 m3 valued at 117.19亿 (reference/gep.md §5.1).

    Printed to 0.01亿 on both quantity and value; the national rule set's reservoir cost 6.1107 ¥/m3
    (LY/T 1721-2008) is the price Shenzhen implies (117.19 / 19.18 = 6.110). Tolerance: 0.005亿 m3 × price
    + 0.005亿 ¥ (half a unit of the last printed digit of each).
    """
    acc = account_region(_one("water_conservation", "water_m3", 19.18 * YI, "m3"), rules="national-2022", year=2005)
    value_yi = acc.total_cny / YI
    assert value_yi == pytest.approx(117.19, abs=0.005 * 6.1107 + 0.005)
    row = acc.county.filter(pl.col("indicator") == "water_conservation").row(0, named=True)
    assert row["quantity"] == pytest.approx(19.18 * YI)
    assert row["quantity_unit"] == "m3"


@pytest.mark.reference
def test_shenzhen_2020_climate_regulation() -> None:
    """Shenzhen official 2020 GEP: climate regulation 680.95亿 kWh of electricity saved, valued at 488.24亿.

    The national rule set carries the implied tariff 0.717 ¥/kWh (2020 prices). Tolerance: 0.005亿 kWh × 0.717
    + 0.005亿 ¥.
    """
    q = pl.DataFrame(
        {
            "indicator": ["climate_regulation"] * 2,
            "component": ["plant_kwh", "water_kwh"],
            "quantity": [680.95 * YI, 0.0],
            "unit": ["kWh", "kWh"],
        }
    )
    acc = account_region(q, rules="national-2022", year=2020)
    assert acc.total_cny / YI == pytest.approx(488.24, abs=0.005 * 0.717 + 0.005)


@pytest.mark.reference
def test_garze_2010_prices_are_encoded_as_printed() -> None:
    """Garzê 2010 (生态学报 2017, 37(19):6302-6312) prices and coefficients, via reference/gep.md §3."""
    r = load_rules("rcees-classic")
    expected = {
        "water_conservation.reservoir_cost": (7.06, 2010),
        "soil_retention.sediment_deposition_ratio": (0.24, None),
        "soil_retention.bulk_density": (0.93, None),
        "soil_retention.dredging_cost": (15.58, 2010),
        "soil_retention.soil_n_fraction": (0.0037, None),
        "soil_retention.soil_p_fraction": (0.00108, None),
        "soil_retention.n_price": (875.0, 2010),
        "soil_retention.p_price": (2800.0, 2010),
        "sand_fixation.bulk_density": (1.28, None),
        "sand_fixation.cover_depth": (0.1, None),
        "sand_fixation.restoration_cost": (3.75, 2010),
        "flood_regulation.reservoir_flood_share": (0.35, None),
        "flood_regulation.marsh_depth": (0.3, None),
        "air_purification.so2_price": (1200.0, 2003),
        "air_purification.nox_price": (630.0, 2003),
        "air_purification.dust_price": (150.0, 2003),
        "water_purification.cod_price": (700.0, 2010),
        "water_purification.nh3n_price": (875.0, 2010),
        "carbon_sequestration.carbon_price": (380.0, 2010),
        "oxygen_release.oxygen_price": (727.0, 2010),
        "climate_regulation.electricity_price": (0.53, 2010),
        "water_supply.domestic_tariff": (2.6, 2010),
        "water_supply.industrial_tariff": (3.6, 2010),
        "water_supply.agricultural_tariff": (0.07, 2010),
        "hydropower.tariff": (0.53, 2010),
        "pest_control.forest_cost": (375.0, 2010),
        "pest_control.grassland_cost": (112.5, 2010),
    }
    for key, (value, year) in expected.items():
        p = r.param(key)
        assert p.value == value, key
        assert p.price_year == year, key
        assert p.confidence == "confirmed", key


@pytest.mark.reference
def test_garze_2010_line_item_as_quantity_times_price() -> None:
    """At 2010 prices under RCEES classic, 1亿 m3 conserved is worth 7.06亿 and 1 t O2 727 ¥ (Garzê prices)."""
    acc = account_region(_one("water_conservation", "water_m3", 1e8, "m3"), rules="rcees-classic", year=2010)
    assert acc.total_cny == pytest.approx(7.06e8)
    acc = account_region(_one("oxygen_release", "o2_t", 1000.0, "t"), rules="rcees-classic", year=2010)
    assert acc.total_cny == pytest.approx(727_000.0)
    # soil: 1e6 t retained -> silt 0.24e6/0.93 m3 * 15.58 + N 3700 t * 875 + P 1080 t * 2800
    acc = account_region(_one("soil_retention", "soil_t", 1e6, "t"), rules="rcees-classic", year=2010)
    expected = 0.24e6 / 0.93 * 15.58 + 3700 * 875 + 1080 * 2800
    assert acc.total_cny == pytest.approx(expected, abs=0.01)


@pytest.mark.reference
def test_cea_carbon_price_sept_2025() -> None:
    """National ETS close 57.97 ¥/t CO2 in Sept 2025 (证券时报 2025-09-30), used by the national rule set."""
    p = load_rules("national-2022").param("carbon_sequestration.carbon_price")
    assert (p.value, p.unit, p.price_year, p.confidence) == (57.97, "yuan/t CO2", 2025, "confirmed")
    acc = account_region(_one("carbon_sequestration", "nep_t_c", 12.0, "t C"), rules="national-2022", year=2025)
    assert acc.total_cny == pytest.approx(44.0 * 57.97)
