"""Golden tests: the shipped samples equal their generators' output."""

from __future__ import annotations

import polars as pl
import pytest

from greenfin.datasets import describe_sample, load_sample, sample_path
from greenfin.datasets._county import VILLAGES
from greenfin.datasets._gen_scoring import county_borrowers


def test_county_borrowers_regenerates_exactly():
    shipped = pl.read_csv(sample_path("county_borrowers"), infer_schema_length=None)
    fresh = pl.read_csv(county_borrowers().write_csv().encode(), infer_schema_length=None)
    assert shipped.equals(fresh)


def test_county_borrowers_schema():
    df = load_sample("county_borrowers")
    assert df.height == 4000
    assert df["borrower_id"][0] == "B00001"
    assert set(df["village_id"]) <= set(VILLAGES)
    assert set(df["borrower_type"]) == {"farmer", "family_farm", "cooperative", "eco_business"}
    assert df.filter(~pl.col("consent_income"))["annual_income_cny"].null_count() == (~df["consent_income"]).sum()
    assert 0.07 < df["default_flag"].mean() < 0.12


def test_german_credit_is_the_original_table():
    df = load_sample("german_credit")
    assert df.shape == (1000, 21)
    assert df["creditability"].value_counts().sort("creditability")["count"].to_list() == [300, 700]
    assert df["credit_amount"].sum() == 3_271_258
    assert df["duration_in_month"].mean() == pytest.approx(20.903)
    assert "CC BY 4.0" in describe_sample("german_credit")
