"""Region and parcel accounts: exact additivity, caps, masks, layout, Monte Carlo, realisable split."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from gep._helpers import inventory_rows, random_parcels
from greenfin.gep import (
    account_parcels,
    account_parcels_chunked,
    account_region,
    apply_overrides,
    list_rules,
    load_rules,
    monte_carlo,
    realisable_split,
    standard_layout,
)
from greenfin.money import yuan_to_fen


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 400),
    n_regions=st.integers(1, 4),
    rule_id=st.sampled_from(list_rules()),
    with_inventory=st.booleans(),
)
def test_parcels_sum_exactly_to_region_accounts(
    seed: int, n: int, n_regions: int, rule_id: str, with_inventory: bool
) -> None:
    parcels = random_parcels(n, seed, n_regions)
    regions = sorted(set(parcels["village_id"].to_list()))
    inv = inventory_rows(regions) if with_inventory else None
    acc = account_parcels(parcels, rules=rule_id, inventory=inv, year=2025, region_col="village_id")
    p = acc.parcels
    assert p is not None
    # every parcel value non-negative; per indicator and region, parcel fen add up to the region fen exactly
    value_cols = [c for c in p.columns if c.endswith("_cny")]
    assert all(p[c].min() >= 0 for c in value_cols)  # type: ignore[operator]
    for row in acc.regions.iter_rows(named=True):
        part = p.filter(pl.col("village_id") == row["region_id"])
        fen = int(yuan_to_fen(part[f"{row['indicator']}_cny"].to_numpy()).sum())
        assert fen == row["value_fen"]
    assert int(p["gep_fen"].sum()) == int(acc.regions["value_fen"].sum())
    assert int(yuan_to_fen(p["gep_cny"].to_numpy()).sum()) == int(acc.regions["value_fen"].sum())
    # caps respected
    comp = acc.components.filter(pl.col("cap").is_not_null())
    assert (comp["quantity"] <= comp["cap"] + 1e-9).all()


def test_built_up_and_bare_supply_nothing(sample_parcels: pl.DataFrame, sample_inventory: pl.DataFrame) -> None:
    for rid in list_rules():
        acc = account_parcels(sample_parcels, rules=rid, inventory=sample_inventory)
        assert acc.parcels is not None
        dead = acc.parcels.filter(pl.col("land_class").is_in(["built_up", "bare"]))
        assert dead.height > 0
        assert dead["gep_fen"].sum() == 0
        forest = acc.parcels.filter(pl.col("land_class") == "forest_broadleaf")
        assert (forest["regulating_cny"] > 0).all()


def test_region_account_agrees_with_parcel_sums(sample_parcels: pl.DataFrame) -> None:
    """The two levels agree: the parcel account's region quantities, valued by account_region, give the same."""
    acc = account_parcels(sample_parcels, rules="rcees-classic", year=2025)
    q = acc.quantities
    rows = [
        ("water_conservation", "water_m3", q["water_conservation.water_m3"][0], "m3"),
        ("soil_retention", "soil_t", q["soil_retention.soil_t"][0], "t"),
        ("carbon_sequestration", "co2_t", q["carbon_sequestration.co2_t"][0], "t CO2"),
        ("oxygen_release", "o2_t", q["oxygen_release.o2_t"][0], "t"),
        ("climate_regulation", "plant_kwh", q["climate_regulation.plant_kwh"][0], "kWh"),
        ("climate_regulation", "water_kwh", q["climate_regulation.water_kwh"][0], "kWh"),
        ("pest_control", "forest_ha", q["pest_control.forest_ha"][0], "ha"),
        ("pest_control", "grassland_ha", q["pest_control.grassland_ha"][0], "ha"),
    ]
    for comp in ("vegetation_m3", "lake_m3", "reservoir_m3", "marsh_m3"):
        rows.append(("flood_regulation", comp, q[f"flood_regulation.{comp}"][0], "m3"))
    for ind, pols in (("air_purification", ("so2", "nox", "dust")), ("water_purification", ("cod", "nh3n", "tp"))):
        rows += [(ind, f"capacity_{p}_t", q[f"{ind}.{p}_t"][0], "t") for p in pols]
    region = account_region(
        pl.DataFrame(rows, schema=["indicator", "component", "quantity", "unit"], orient="row"),
        rules="rcees-classic",
        year=2025,
    )
    a = dict(zip(acc.county["indicator"], acc.county["value_cny"], strict=True))
    b = dict(zip(region.county["indicator"], region.county["value_cny"], strict=True))
    for ind, v in a.items():
        assert b[ind] == pytest.approx(v, abs=0.02), ind


def test_caps_at_inventory_scale_allocated_pro_rata(
    sample_parcels: pl.DataFrame, sample_inventory: pl.DataFrame
) -> None:
    acc = account_parcels(sample_parcels, rules="national-2022", inventory=sample_inventory)
    so2 = acc.components.filter(pl.col("component") == "so2_t").row(0, named=True)
    assert so2["uncapped_quantity"] > so2["cap"]
    assert so2["quantity"] == so2["cap"]
    assert "capped" in acc.flags["status"].to_list()
    uncapped = account_parcels(sample_parcels, rules="national-2022")
    assert "uncapped" in uncapped.flags["status"].to_list()
    assert (
        uncapped.county.filter(pl.col("indicator") == "air_purification")["value_cny"][0]
        > acc.county.filter(pl.col("indicator") == "air_purification")["value_cny"][0]
    )


def test_double_counting_flagged_per_rule_set(sample_parcels: pl.DataFrame, sample_inventory: pl.DataFrame) -> None:
    rc = account_parcels(sample_parcels, rules="rcees-classic", inventory=sample_inventory)
    dc = rc.flags.filter(pl.col("kind") == "double_counting")["indicators"].to_list()
    assert "carbon_sequestration + oxygen_release" in dc
    nat = account_parcels(sample_parcels, rules="national-2022", inventory=sample_inventory)
    assert "oxygen_release" not in nat.county["indicator"].to_list()
    excluded = nat.flags.filter(pl.col("kind") == "membership")["indicators"].to_list()
    assert "water_supply" in excluded


def test_gross_vs_net_material(sample_parcels: pl.DataFrame, sample_inventory: pl.DataFrame) -> None:
    inv = sample_inventory
    out = inv.filter((pl.col("indicator") == "agriculture") & (pl.col("component") == "output_value"))["quantity"][0]
    ic = inv.filter((pl.col("indicator") == "agriculture") & (pl.col("component") == "intermediate_consumption"))[
        "quantity"
    ][0]
    gross = account_region(inv, rules="national-2022")
    net = account_region(inv, rules="rcees-classic")
    assert gross.county.filter(pl.col("indicator") == "agriculture")["value_cny"][0] == pytest.approx(out)
    assert net.county.filter(pl.col("indicator") == "agriculture")["value_cny"][0] == pytest.approx(out - ic)


def test_override_changes_value_and_is_marked(sample_inventory: pl.DataFrame) -> None:
    base = load_rules("national-2022")
    o = pl.DataFrame(
        [
            {
                "indicator": "water_conservation",
                "parameter": "reservoir_cost",
                "value": 12.0,
                "unit": "yuan/m3",
                "price_year": 2025,
            }
        ]
    )
    acc = account_region(sample_inventory, rules=apply_overrides(base, o))
    ref = account_region(sample_inventory, rules=base)
    row = acc.county.filter(pl.col("indicator") == "water_conservation").row(0, named=True)
    q = sample_inventory.filter(pl.col("component") == "water_m3")["quantity"][0]
    assert row["value_cny"] == pytest.approx(q * 12.0, abs=0.01)
    assert row["overridden"]
    assert not ref.county.filter(pl.col("indicator") == "water_conservation")["overridden"][0]
    layout = standard_layout(acc)
    assert layout.filter(pl.col("indicator") == "water_conservation")["overridden"][0]


def test_standard_layout_totals_and_ratio(sample_inventory: pl.DataFrame) -> None:
    acc = account_region(sample_inventory, rules="jiangxi-db36-1402-2021")
    lay = standard_layout(acc)
    ind = lay.filter(pl.col("row_type") == "indicator")
    sub = lay.filter(pl.col("row_type") == "subtotal")
    total = lay.filter(pl.col("row_type") == "total")["value_cny"][0]
    assert sub["value_cny"].sum() == pytest.approx(total)
    assert ind["value_cny"].sum() == pytest.approx(total)
    assert ind["share"].sum() == pytest.approx(1.0)
    ratio = lay.filter(pl.col("row_type") == "ratio")["quantity"][0]
    gdp = sample_inventory.filter(pl.col("indicator") == "gdp")["quantity"][0]
    assert ratio == pytest.approx(total / gdp)
    assert set(lay["item_zh"].to_list()) >= {"水源涵养", "气候调节", "调节服务小计", "生态系统生产总值 GEP"}


def test_monte_carlo_seeded_and_ordered(sample_inventory: pl.DataFrame) -> None:
    acc = account_region(sample_inventory, rules="rcees-classic")
    a = monte_carlo(acc, n_sims=400, seed=7)
    b = monte_carlo(acc, n_sims=400, seed=7)
    assert a.equals(b)
    assert not a.equals(monte_carlo(acc, n_sims=400, seed=8))
    assert a["indicator"][-1] == "gep"
    pos = a.filter(pl.col("point_cny") > 0)
    assert (pos["p10_cny"] <= pos["p50_cny"]).all()
    assert (pos["p50_cny"] <= pos["p90_cny"]).all()
    gep = a.filter(pl.col("indicator") == "gep").row(0, named=True)
    assert gep["p10_cny"] < acc.total_cny < gep["p90_cny"]
    with pytest.raises(ValueError, match="at least 10"):
        monte_carlo(acc, n_sims=5, seed=1)


def test_realisable_split_names_payers(sample_inventory: pl.DataFrame) -> None:
    acc = account_region(sample_inventory, rules="rcees-classic")
    c = acc.county
    assert (c["realisable_cny"] + c["non_realisable_cny"] - c["value_cny"]).abs().max() < 1e-6  # type: ignore[operator]
    agri = c.filter(pl.col("indicator") == "agriculture").row(0, named=True)
    assert agri["realisable_cny"] == agri["value_cny"]
    assert agri["payer_type"] == "market_buyers"
    clim = c.filter(pl.col("indicator") == "climate_regulation").row(0, named=True)
    assert clim["realisable_cny"] == 0.0
    out = realisable_split(c.select("indicator", "value_cny"))
    assert np.allclose(out["realisable_cny"].to_numpy(), c["realisable_cny"].to_numpy())


def test_parcel_account_of_sample_is_plausible(sample_parcels: pl.DataFrame, sample_inventory: pl.DataFrame) -> None:
    acc = account_parcels(sample_parcels, inventory=sample_inventory)
    assert acc.year == 2025
    assert acc.gdp_cny is not None
    ratio = acc.total_cny / acc.gdp_cny
    assert 0.5 < ratio < 8.0  # forested pilot counties run at 2-4x GDP (reference/gep.md §5.1)
    assert acc.parcels is not None
    assert {
        "parcel_id",
        "village_id",
        "land_class",
        "area_ha",
        "gep_cny",
        "realisable_cny",
        "material_cny",
        "regulating_cny",
        "cultural_cny",
        "carbon_tco2e",
    } <= set(acc.parcels.columns)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), chunk=st.integers(1, 120), n_regions=st.integers(1, 3))
def test_chunked_accounts_equal_whole_table(seed: int, chunk: int, n_regions: int) -> None:
    parcels = random_parcels(300, seed, n_regions)
    regions = sorted(set(parcels["village_id"].to_list()))
    inv = inventory_rows(regions)
    whole = account_parcels(parcels, rules="rcees-classic", inventory=inv, year=2025, region_col="village_id")
    parts: list[pl.DataFrame] = []

    def chunks():  # type: ignore[no-untyped-def]
        return (parcels.slice(i, chunk) for i in range(0, parcels.height, chunk))

    chunked = account_parcels_chunked(
        chunks,
        rules="rcees-classic",
        inventory=inv,
        year=2025,
        region_col="village_id",
        regions=regions,
        sink=parts.append,
    )
    assert chunked.parcels is None
    assert_frame_equal(chunked.regions, whole.regions)
    got = pl.concat(parts)
    assert whole.parcels is not None
    assert (got["gep_fen"] - whole.parcels["gep_fen"]).abs().max() <= len(whole.county)  # type: ignore[operator]
    for reg in regions:
        fen = got.filter(pl.col("village_id") == reg)["gep_fen"].sum()
        assert fen == whole.regions.filter(pl.col("region_id") == reg)["value_fen"].sum()
