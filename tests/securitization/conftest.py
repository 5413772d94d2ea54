from __future__ import annotations

import pytest

from greenfin.datasets import load_sample
from greenfin.securitization import DealSpec


@pytest.fixture(scope="session")
def eco_deal() -> DealSpec:
    return DealSpec.model_validate(load_sample("deal_eco_loans"))


@pytest.fixture(scope="session")
def hydro_deal() -> DealSpec:
    return DealSpec.model_validate(load_sample("deal_hydro"))
