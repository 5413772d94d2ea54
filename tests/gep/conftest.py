"""Shared fixtures of the GEP tests: the bundled sample and a small random parcel-table builder."""

from __future__ import annotations

import polars as pl
import pytest

from greenfin.datasets import load_sample


@pytest.fixture(scope="session")
def sample_parcels() -> pl.DataFrame:
    return load_sample("county_parcels")


@pytest.fixture(scope="session")
def sample_inventory() -> pl.DataFrame:
    return load_sample("county_quantities")
