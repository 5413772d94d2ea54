"""Bad input: each problem gets an error naming file, column, row and the fix; nothing is written."""

import numpy as np
import polars as pl
import pytest

from greenfin.errors import DataError, SpecError
from greenfin.gep import account_parcels, account_region


@pytest.fixture
def parcels(sample_parcels: pl.DataFrame) -> pl.DataFrame:
    return sample_parcels.head(50)


def test_missing_or_misnamed_column(parcels: pl.DataFrame) -> None:
    with pytest.raises(DataError, match=r"required column 'area_ha' is missing.*Did you mean 'area'") as info:
        account_parcels(parcels.rename({"area_ha": "area"}), source="parcels.csv")
    assert info.value.source == "parcels.csv"
    with pytest.raises(DataError, match="'et_mm' is missing"):
        account_parcels(parcels.drop("et_mm"))


def test_unknown_land_class(parcels: pl.DataFrame) -> None:
    bad = parcels.with_columns(
        pl.when(pl.int_range(pl.len()) == 6)
        .then(pl.lit("forest_oak"))
        .otherwise(pl.col("land_class"))
        .alias("land_class")
    )
    with pytest.raises(DataError, match="'forest_oak' is not allowed") as info:
        account_parcels(bad, source="parcels.csv")
    assert (info.value.column, info.value.row) == ("land_class", 7)


@pytest.mark.parametrize("area", [0.0, -1.5])
def test_zero_or_negative_area(parcels: pl.DataFrame, area: float) -> None:
    bad = parcels.with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(area).otherwise(pl.col("area_ha")).alias("area_ha")
    )
    with pytest.raises(DataError, match="must be > 0") as info:
        account_parcels(bad)
    assert (info.value.column, info.value.row) == ("area_ha", 3)


def test_nan_driver(parcels: pl.DataFrame) -> None:
    p = parcels["precipitation_mm"].cast(pl.Float64).to_numpy().copy()
    p[9] = np.nan
    with pytest.raises(DataError, match="missing value") as info:
        account_parcels(parcels.with_columns(pl.Series("precipitation_mm", p)))
    assert (info.value.column, info.value.row) == ("precipitation_mm", 10)


def test_yi_yuan_typed_as_yuan(sample_inventory: pl.DataFrame) -> None:
    bad = sample_inventory.with_columns(
        pl.when(pl.col("indicator") == "agriculture")
        .then(pl.col("quantity") / 1e8)
        .otherwise(pl.col("quantity"))
        .alias("quantity")
    )
    with pytest.raises(DataError, match="亿元") as info:
        account_region(bad, source="quantities.csv")
    assert info.value.column == "quantity"
    assert info.value.row is not None
    # the same numbers with their unit stated are fine
    ok = bad.with_columns(
        pl.when(pl.col("indicator") == "agriculture").then(pl.lit("亿元")).otherwise(pl.col("unit")).alias("unit")
    )
    assert account_region(ok).total_cny > 0


def test_unknown_component_and_unit(sample_inventory: pl.DataFrame) -> None:
    with pytest.raises(DataError, match="no component 'water_t'"):
        account_region(sample_inventory.with_columns(pl.col("component").str.replace("^water_m3$", "water_t")))
    with pytest.raises(DataError, match="expected 'm3'"):
        account_region(
            sample_inventory.with_columns(
                pl.when(pl.col("component") == "water_m3").then(pl.lit("km3")).otherwise(pl.col("unit")).alias("unit")
            )
        )
    with pytest.raises(DataError, match="ambiguous"):
        account_region(
            sample_inventory.with_columns(
                pl.when(pl.col("component") == "gdp_yuan")
                .then(pl.lit("billion"))
                .otherwise(pl.col("unit"))
                .alias("unit")
            )
        )


def test_unknown_rule_set_and_year(parcels: pl.DataFrame) -> None:
    with pytest.raises(SpecError, match="Unknown GEP rule set"):
        account_parcels(parcels, rules="db36-2021")
    with pytest.raises(SpecError, match="No price index for 2031"):
        account_parcels(parcels, year=2031)


def test_coastal_protection_needs_a_user_price() -> None:
    q = pl.DataFrame(
        {"indicator": ["coastal_protection"], "component": ["coastline_km"], "quantity": [12.0], "unit": ["km"]}
    )
    with pytest.raises(SpecError, match="Supply it in a --prices file"):
        account_region(q, rules="national-2022", year=2025)
