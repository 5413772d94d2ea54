import greenfin.assessment

PUBLIC = [
    "BANK_QUARTER_COLUMNS",
    "BENEFIT_INDICATORS",
    "GEP_ACCOUNT_COLUMNS",
    "LOAN_COLUMNS",
    "PROJECT_COLUMNS",
    "TAXONOMY_VERSIONS",
    "BankAssessment",
    "BenefitResult",
    "EmissionsResult",
    "FilingSheet",
    "GepTransferRule",
    "Guards",
    "Indicator",
    "Override",
    "Rulebook",
    "Taxonomy",
    "aggregate_loans",
    "attribute_benefits",
    "bank_quarter_panel",
    "classify_loans",
    "cross_sectional_points",
    "crosswalk_code",
    "eco_product_right_types",
    "financed_emissions",
    "gep_transfers",
    "indicator_values",
    "list_gep_transfer_rules",
    "list_rulebooks",
    "load_benefit_factors",
    "load_gep_transfer_rule",
    "load_pcaf_factors",
    "load_rulebook",
    "load_taxonomy",
    "longitudinal_points",
    "parse_quarter",
    "rulebook_formulas",
    "score_banks",
    "validate_bank_quarters",
    "validate_gep_accounts",
    "validate_loans",
    "validate_projects",
    "write_filing_workbook",
]


def test_all_is_pinned() -> None:
    assert sorted(greenfin.assessment.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(greenfin.assessment, name)
