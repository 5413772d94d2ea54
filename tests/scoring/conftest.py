from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from greenfin.datasets import load_sample

AUDIT_ONLY = ("personal_status_and_sex", "age_in_years", "foreign_worker")
CONSENT_GATED = (
    "status_of_existing_checking_account",
    "savings_account_and_bonds",
    "installment_rate_in_percentage_of_disposable_income",
    "property",
    "housing",
)


@pytest.fixture(scope="session")
def german() -> pl.DataFrame:
    return load_sample("german_credit")


@pytest.fixture(scope="session")
def german_xy(german: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
    y = (german["creditability"] == "bad").cast(pl.Int64).to_numpy()
    return german.drop("creditability", *AUDIT_ONLY), y


@pytest.fixture(scope="session")
def county() -> pl.DataFrame:
    return load_sample("county_borrowers")


@pytest.fixture(scope="session")
def county_xy(county: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
    xf = county.drop("borrower_id", "village_id", "applicant_sex", "village_gep_per_ha_cny", "default_flag")
    return xf, county["default_flag"].to_numpy()
