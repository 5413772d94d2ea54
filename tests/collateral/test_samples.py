"""The bundled collateral samples equal their generator's output, and value cleanly."""

from __future__ import annotations

import datetime as dt

import polars as pl

from greenfin.collateral import assess_collateral, validate_prices
from greenfin.datasets import load_sample, sample_path
from greenfin.datasets._gen_collateral import generate


def test_shipped_samples_equal_the_generator() -> None:
    for name, frame in generate().items():
        assert isinstance(frame, pl.DataFrame)
        assert frame.write_csv() == sample_path(name).read_text(encoding="utf-8"), name


def test_cea_prices_pass_validation_and_hit_the_anchors() -> None:
    prices = validate_prices(load_sample("cea_prices"), source="cea_prices")
    by_day = dict(zip(prices["date"].to_list(), prices["price_cny"].to_list(), strict=True))
    assert by_day[dt.date(2024, 12, 31)] == 97.49
    assert by_day[dt.date(2024, 11, 13)] == 105.66
    assert by_day[dt.date(2025, 9, 30)] == 57.97
    assert prices["price_cny"].max() == 105.66


def test_county_rights_cover_every_type_and_reference_parcels() -> None:
    rights = load_sample("county_rights")
    parcels = load_sample("county_parcels")
    assert rights.height > 1500
    assert rights["right_type"].n_unique() == 9
    forest = rights.filter(pl.col("parcel_id").is_not_null())
    assert forest["parcel_id"].is_in(parcels["parcel_id"].implode()).all()
    assert rights["borrower_id"].str.contains(r"^B\d{5}$").all()
    out = assess_collateral(rights, as_of=dt.date(2026, 6, 30), prices=load_sample("cea_prices"), on_refusal="flag")
    assert out.height == rights.height
    assert 0 < int((~out["eligible"]).sum()) < rights.height // 10
