import polars as pl
import pytest

from greenfin.errors import DataError
from greenfin.scoring._eco import county_gep_features


def test_per_hectare_and_per_capita_from_the_latest_year() -> None:
    acc = pl.DataFrame(
        {
            "county_id": ["A", "A", "B"],
            "year": [2024, 2025, 2025],
            "gep_cny": [4.0e10, 4.4e10, 1.0e10],
            "area_ha": [200_000.0, 200_000.0, 50_000.0],
            "population": [300_000, 320_000, None],
        }
    )
    out = county_gep_features(acc).sort("county_id")
    a, b = out.row(0, named=True), out.row(1, named=True)
    assert a["county_gep_cny"] == 4.4e10
    assert a["county_gep_per_ha_cny"] == pytest.approx(220_000.0)
    assert a["county_gep_per_capita_cny"] == pytest.approx(137_500.0)
    assert a["gep_trend_per_year"] == pytest.approx(0.10)
    assert b["county_gep_per_ha_cny"] == pytest.approx(200_000.0)
    assert b["county_gep_per_capita_cny"] is None  # no population: no per-capita figure, never a made-up one


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match="gep_cny"):
        county_gep_features(pl.DataFrame({"county_id": ["A"], "year": [2025]}))
