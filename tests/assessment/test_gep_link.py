"""GEP-linked transfers: rule as data, hand-computed."""

from __future__ import annotations

import polars as pl
import pytest

from greenfin import evolve
from greenfin.assessment import gep_transfers, list_gep_transfer_rules, load_gep_transfer_rule
from greenfin.errors import DataError, SpecError

GEP = pl.DataFrame(
    {
        "county_id": ["A", "A", "A", "B", "B"],
        "year": [2023, 2024, 2025, 2024, 2025],
        "gep_cny": [100e8, 104e8, 101e8, 50e8, 50e8],
    }
)


def test_level_and_change_by_hand() -> None:
    rule = load_gep_transfer_rule("level-and-change")
    out = gep_transfers(GEP, rule)
    got = {(r["county_id"], r["year"]): r["transfer_cny"] for r in out.to_dicts()}
    # 0.1% of level + 2% of increase - 2% of decrease
    assert got[("A", 2024)] == pytest.approx(0.001 * 104e8 + 0.02 * 4e8)
    assert got[("A", 2025)] == pytest.approx(0.001 * 101e8 - 0.02 * 3e8)
    assert got[("B", 2025)] == pytest.approx(0.001 * 50e8)
    assert ("A", 2023) not in got  # no previous year


def test_increment_reward_floor_and_cap() -> None:
    rule = load_gep_transfer_rule("gep-increment-reward")
    out = gep_transfers(GEP, rule).filter(pl.col("county_id") == "A").sort("year")
    assert out["transfer_cny"].to_list() == pytest.approx([0.01 * 4e8, 0.0])
    capped = gep_transfers(GEP, evolve(rule, cap_cny=1e6))
    assert capped["transfer_cny"].max() == 1e6
    assert set(list_gep_transfer_rules()) == {"gep-increment-reward", "level-and-change"}


def test_bad_gep_tables() -> None:
    rule = load_gep_transfer_rule("level-and-change")
    with pytest.raises(DataError, match="given twice"):
        gep_transfers(pl.concat([GEP, GEP.head(1)]), rule)
    with pytest.raises(DataError, match="gep_cny"):
        gep_transfers(GEP.with_columns(pl.lit(-1.0).alias("gep_cny")), rule)
    with pytest.raises(SpecError, match="Unknown GEP transfer rule"):
        load_gep_transfer_rule("none")
