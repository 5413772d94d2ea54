"""The shipped securitization samples equal what the seeded generator makes."""

from __future__ import annotations

import polars as pl
import pytest

from greenfin.datasets import _gen_securitization, describe_sample, load_sample


@pytest.fixture(scope="module")
def generated() -> dict[str, object]:
    return _gen_securitization.generate()


@pytest.mark.parametrize("name", ["abs_loan_tape", "hydro_station", "deal_eco_loans", "deal_hydro"])
def test_shipped_equals_generated(name: str, generated: dict[str, object]) -> None:
    shipped = load_sample(name)
    fresh = generated[name]
    if isinstance(fresh, pl.DataFrame):
        assert isinstance(shipped, pl.DataFrame)
        assert shipped.columns == fresh.columns
        assert shipped.height == fresh.height
        for col in fresh.columns:
            if fresh[col].dtype.is_float():
                assert (shipped[col] - fresh[col]).abs().max() < 1e-9  # type: ignore[operator]
            else:
                assert shipped[col].cast(pl.String).to_list() == fresh[col].cast(pl.String).to_list()
    else:
        import json

        assert shipped == json.loads(json.dumps(fresh))
    assert "no description" not in describe_sample(name)
