"""Stress scenarios: bundled and user-defined files, insured paths, breaching loans."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from greenfin.collateral import StressScenario, list_scenarios, load_scenario, stress_collateral
from greenfin.errors import DataError, SpecError


def _book(**overrides: list[object]) -> pl.DataFrame:
    data: dict[str, list[object]] = {
        "right_id": ["F1", "F2", "W1"],
        "borrower_id": ["B1", "B2", "B3"],
        "right_type": ["forest_right", "forest_right", "water_right"],
        "value_cny": [100.0, 100.0, 100.0],
        "max_loan_cny": [50.0, 50.0, 50.0],
        "loan_cny": [None, None, None],
        "insured": [False, True, False],
        "eligible": [True, True, True],
    }
    data.update(overrides)
    return pl.DataFrame(data, schema_overrides={"loan_cny": pl.Float64})


def test_bundled_scenarios_load_and_name_their_source() -> None:
    names = list_scenarios()
    assert {"cea-2024-25", "forest-fire-pest", "policy-price-shock", "gep-method-revision"} <= set(names)
    for name in names:
        spec = load_scenario(name)
        assert spec.name == name
        assert len(spec.source) > 10
        assert StressScenario.model_validate_json(spec.model_dump_json()) == spec


def test_forest_fire_hits_uninsured_harder_and_flags_breaches() -> None:
    result = stress_collateral(_book(), "forest-fire-pest")
    loans = result.loans.sort("right_id")
    assert loans["ltv_final"].to_list() == pytest.approx([0.5 / 0.6, 0.5 / 0.88, 0.5])
    assert loans["action_peak"].to_list() == ["dispose", "dispose", "ok"]
    assert loans["breach"].to_list() == [True, True, False]
    assert result.path["value_cny"].to_list() == pytest.approx([300.0, 220.0, 248.0])
    assert result.path["n_dispose"].to_list() == [0, 2, 1]
    assert result.loan_paths is None
    paths = stress_collateral(_book(), "forest-fire-pest", loan_paths=True).loan_paths
    assert paths is not None
    assert paths.height == 9
    f2 = paths.filter(pl.col("right_id") == "F2")
    assert f2["label"].to_list() == ["before", "after-loss", "after-indemnity"]
    assert f2["ltv"].to_list() == pytest.approx([0.5, 0.5 / 0.6, 0.5 / 0.88])


def test_given_loans_replace_the_max_loan_and_refused_rights_are_left_out() -> None:
    book = _book(loan_cny=[10.0, None, 40.0], eligible=[True, True, False])
    result = stress_collateral(book, "forest-fire-pest")
    assert result.loans["right_id"].to_list() == ["F1", "F2"]
    assert result.loans["loan_cny"].to_list() == [10.0, 50.0]


def test_user_defined_scenario_file(tmp_path: Path) -> None:
    spec = {
        "name": "drought-2022",
        "title": "Jiangxi 2022 drought",
        "description": "water rights lose a third",
        "source": "user test",
        "confidence": "unverified",
        "steps": ["t0", "t1"],
        "shocks": [{"right_types": ["water_right"], "multipliers": [1.0, 0.5]}],
    }
    path = tmp_path / "drought.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    result = stress_collateral(_book(), str(path))
    assert result.scenario.name == "drought-2022"
    assert result.loans.filter(pl.col("right_id") == "W1")["ltv_final"][0] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shocks": [{"right_types": ["gep"], "multipliers": [1.0, 0.5]}]}, "unknown right type"),
        ({"shocks": [{"right_types": ["water_right"], "multipliers": [1.0]}]}, "one multiplier per step"),
        ({"shocks": [{"right_types": ["water_right"], "multipliers": [1.0, -0.1]}]}, "must be >= 0"),
        ({"extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_scenario_files_are_refused(tmp_path: Path, change: dict[str, object], message: str) -> None:
    spec: dict[str, object] = {
        "name": "x",
        "title": "x",
        "description": "x",
        "source": "user test",
        "confidence": "unverified",
        "steps": ["t0", "t1"],
        "shocks": [{"right_types": ["water_right"], "multipliers": [1.0, 0.5]}],
    }
    spec.update(change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        load_scenario(str(path))


def test_unknown_scenario_and_bad_table() -> None:
    with pytest.raises(SpecError, match="No stress scenario 'nope'"):
        load_scenario("nope")
    with pytest.raises(DataError, match="pass the output of assess_collateral"):
        stress_collateral(pl.DataFrame({"right_id": ["a"]}), "cea-2024-25")
