"""The bundled GEP samples equal their generator's output; the demo stage fills ctx.results['gep']."""

import polars as pl
from polars.testing import assert_frame_equal

from greenfin.datasets import load_sample
from greenfin.datasets._county import FOREST_CATEGORIES, LAND_CLASSES, SPECIES_GROUPS, VILLAGES
from greenfin.datasets._gen_gep import generate
from greenfin.report.demo import DemoContext


def test_shipped_samples_equal_generator() -> None:
    fresh = generate()
    assert_frame_equal(load_sample("county_parcels"), fresh["county_parcels"])
    shipped_q = load_sample("county_quantities")
    assert_frame_equal(shipped_q, fresh["county_quantities"], check_dtypes=False)


def test_parcel_schema_for_other_domains() -> None:
    p = load_sample("county_parcels")
    assert p.height == 100_000
    assert p["parcel_id"][0] == "P000001"
    assert set(p["village_id"].unique()) <= set(VILLAGES)
    assert (p["township_id"] == p["village_id"].str.slice(0, 3)).all()
    assert set(p["land_class"].unique()) <= set(LAND_CLASSES)
    assert (p["area_ha"] > 0).all()
    forest = pl.col("land_class").is_in(["forest_broadleaf", "forest_conifer", "forest_mixed", "bamboo", "oil_tea"])
    f = p.filter(forest)
    assert set(f["species_group"].unique()) <= set(SPECIES_GROUPS)
    assert set(f["forest_category"].unique()) <= set(FOREST_CATEGORIES)
    assert f["stand_age_years"].null_count() == 0
    other = p.filter(~forest)
    assert other["species_group"].null_count() == other.height
    share = f["area_ha"].sum() / p["area_ha"].sum()
    assert 0.55 < share < 0.68  # Jiangxi ≈ 60 % forest cover
    assert p["precipitation_mm"].min() > 1350
    assert p["precipitation_mm"].max() < 2000


def test_demo_stage_results() -> None:
    from greenfin.report.stages import gep as stage

    ctx = DemoContext()
    section = stage.run(ctx)
    res = ctx.results["gep"]
    assert {"parcels", "county", "total_cny", "villages"} <= set(res)
    assert res["parcels"].height == 100_000
    assert abs(res["parcels"]["gep_cny"].sum() - res["total_cny"]) < 1.0
    assert section.params is not None
    assert len(section.figures) == 3
    assert any("unverified" in n for n in section.notes)
