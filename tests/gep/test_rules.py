"""Rule sets: membership, provenance, overrides, deflation."""

import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.errors import DataError, SpecError
from greenfin.gep import INDICATORS, apply_overrides, deflate, list_rules, load_rules
from greenfin.gep._rules import load_deflator

MEMBERSHIP = {
    "oxygen_release": {"rcees-classic"},
    "pest_control": {"rcees-classic"},
    "water_supply": {"rcees-classic"},
    "landscape": {"national-2022", "jiangxi-db36-1402-2021"},
    "coastal_protection": {"national-2022"},
    "carbon_sequestration": {"rcees-classic", "national-2022", "jiangxi-db36-1402-2021"},
}


@pytest.mark.parametrize("rule_id", list_rules())
def test_rule_sets_cover_every_indicator_with_provenance(rule_id: str) -> None:
    r = load_rules(rule_id)
    assert set(r.indicators) == set(INDICATORS)
    for key, p in r.params.items():
        assert len(p.source) > 3, key
        if p.unit.startswith("yuan"):
            assert p.price_year is not None, key
    for rule in r.indicators.values():
        assert not {"built_up", "bare"} & set(rule.classes)
    assert r.params_frame().height == len(r.params) + len(r.class_params)


@pytest.mark.parametrize(("indicator", "members"), sorted(MEMBERSHIP.items()))
def test_membership(indicator: str, members: set[str]) -> None:
    assert {rid for rid in list_rules() if load_rules(rid).includes(indicator)} == members


def test_placeholders_are_marked_unverified() -> None:
    for rid in ("national-2022", "jiangxi-db36-1402-2021"):
        r = load_rules(rid)
        confirmed = [k for k, p in r.params.items() if p.confidence == "confirmed"]
        assert confirmed == ["carbon_sequestration.carbon_price"], rid
        assert "placeholder" in r.description


def test_switches_differ_where_the_methods_differ() -> None:
    rc, nat = load_rules("rcees-classic"), load_rules("national-2022")
    assert (rc.switches.material_basis, nat.switches.material_basis) == ("net", "gross")
    assert not rc.switches.climate_water_uses_r
    assert nat.switches.climate_water_uses_r


def test_unknown_rule_set() -> None:
    with pytest.raises(SpecError, match="Unknown GEP rule set 'jiangxi-2021'"):
        load_rules("jiangxi-2021")


def test_rule_set_from_file_and_price_without_year(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = load_rules("rcees-classic").model_dump(mode="json")
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_rules(str(path)).id == "rcees-classic"
    data["params"]["hydropower.tariff"]["price_year"] = None
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SpecError, match="no price_year"):
        load_rules(str(path))


def _override(**row: object) -> pl.DataFrame:
    base: dict[str, object] = {
        "indicator": "water_conservation",
        "parameter": "reservoir_cost",
        "value": 8.0,
        "unit": "yuan/m3",
        "price_year": 2025,
        "source": "county survey",
    }
    base.update(row)
    return pl.DataFrame([base])


def test_override_is_applied_and_marked() -> None:
    r = apply_overrides(load_rules("national-2022"), _override())
    assert r.param("water_conservation.reservoir_cost").value == 8.0
    assert r.overridden == ("water_conservation.reservoir_cost",)
    frame = r.params_frame()
    assert frame.filter(pl.col("overridden"))["parameter"].to_list() == ["water_conservation.reservoir_cost"]
    r2 = apply_overrides(r, _override(parameter="runoff_coef:paddy", value=0.2, unit="1", price_year=None))
    assert r2.class_values("water_conservation.runoff_coef")["paddy"] == 0.2
    assert "water_conservation.runoff_coef:paddy" in r2.overridden


@pytest.mark.parametrize(
    ("row", "column", "match"),
    [
        ({"price_year": None}, "price_year", "no price year"),
        ({"unit": "wan_yuan/m3"}, "unit", "differs from the rule set"),
        ({"value": 8.0e8}, "value", "too large"),
        ({"value": 6.0e-8}, "value", "亿元"),
        ({"indicator": "water_retention"}, "indicator", "unknown indicator"),
        ({"parameter": "reservoir_price"}, "parameter", "no parameter"),
        ({"parameter": "runoff_coef:forest", "unit": "1"}, "parameter", "unknown land class"),
    ],
)
def test_bad_overrides(row: dict[str, object], column: str, match: str) -> None:
    with pytest.raises(DataError, match=match) as info:
        apply_overrides(load_rules("national-2022"), _override(**row), source="prices.csv")
    assert info.value.column == column
    assert info.value.row == 1
    assert info.value.source == "prices.csv"


@settings(max_examples=60, deadline=None)
@given(
    value=st.floats(0.01, 1e12, allow_nan=False),
    a=st.integers(2000, 2025),
    b=st.integers(2000, 2025),
)
def test_deflation_round_trips(value: float, a: int, b: int) -> None:
    assert deflate(deflate(value, a, b), b, a) == pytest.approx(value, rel=1e-12)


def test_deflation_direction_and_range() -> None:
    assert deflate(100.0, 2010, 2025) > 100.0
    d = load_deflator()
    assert d.index(2000) == 1.0
    with pytest.raises(SpecError, match="covers 2000-2025"):
        deflate(1.0, 1990, 2025)


def test_prices_are_deflated_to_the_accounting_year() -> None:
    r = load_rules("rcees-classic")
    assert r.price("water_conservation.reservoir_cost", 2010) == 7.06
    assert r.price("water_conservation.reservoir_cost", 2025) == pytest.approx(deflate(7.06, 2010, 2025))
    assert r.price("soil_retention.bulk_density", 2025) == 0.93  # not a price


@pytest.mark.parametrize("rule_id", ["national-2022", "jiangxi-db36-1402-2021"])
def test_every_unconfirmed_value_says_it_is_a_placeholder(rule_id: str) -> None:
    r = load_rules(rule_id)
    for key, p in r.params.items():
        if p.confidence != "confirmed":
            assert "placeholder" in p.note, key
    for key, t in r.class_params.items():
        assert t.confidence == "unverified", key
        assert "placeholder" in t.note or "placeholder" in t.source or "background knowledge" in t.source, key
