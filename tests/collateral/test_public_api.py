import greenfin.collateral
import greenfin.store

COLLATERAL = [
    "ASSESSMENT_SCHEMA",
    "BINDING_BOUNDS",
    "RIGHTS_COLUMNS",
    "RIGHT_TYPES",
    "ScenarioShock",
    "StressResult",
    "StressScenario",
    "assess_collateral",
    "assess_right",
    "collateral_params",
    "drawdown_quantile",
    "land_expectation_value",
    "list_scenarios",
    "load_scenario",
    "margin_action",
    "realisable_cash_flows",
    "stress_collateral",
    "validate_prices",
    "validate_rights",
    "value_rights",
    "volatility_drawdown",
]
STORE = [
    "BLOCKING_ENCUMBRANCES",
    "REGISTRY_KINDS",
    "Base",
    "DecisionStore",
    "PledgeRegistry",
    "database_url",
    "default_database_path",
    "init_db",
    "load_models",
    "make_engine",
    "session_factory",
]


def test_collateral_all_is_pinned() -> None:
    assert sorted(greenfin.collateral.__all__) == sorted(COLLATERAL)
    for name in COLLATERAL:
        assert hasattr(greenfin.collateral, name)


def test_store_all_is_pinned() -> None:
    assert sorted(greenfin.store.__all__) == sorted(STORE)
    for name in STORE:
        assert hasattr(greenfin.store, name)


def test_right_types_match_design() -> None:
    assert greenfin.collateral.RIGHT_TYPES == (
        "forest_right",
        "carbon_allowance",
        "carbon_sink_income",
        "discharge_right",
        "water_right",
        "energy_use_right",
        "land_management_right",
        "eco_income_right",
        "scenic_fee_right",
    )
