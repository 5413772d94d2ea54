import greenfin.gep

PUBLIC = [
    "INDICATORS",
    "GepAccount",
    "RuleSet",
    "account_parcels",
    "account_parcels_chunked",
    "account_region",
    "apply_overrides",
    "deflate",
    "list_rules",
    "load_rules",
    "monte_carlo",
    "read_overrides",
    "realisable_split",
    "standard_layout",
]


def test_all_is_pinned() -> None:
    assert sorted(greenfin.gep.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(greenfin.gep, name)
