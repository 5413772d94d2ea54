"""Green-credit assessment (绿色信贷考核评价) for the finance office and the PBoC branch.

Loan-level green-credit reports are validated (:func:`validate_loans`), classified into the green catalogues
with a crosswalk keyed on approval date (:func:`classify_loans`), summed to a bank-quarter panel
(:func:`aggregate_loans`, :func:`bank_quarter_panel`) and scored under a rulebook held as data
(:func:`load_rulebook`, :func:`score_banks`): the PBoC 2021 scheme by default, the 2018 scheme, a
Chongqing-style 70/30 variant and a Jiangxi option adding an eco-product-value-realisation indicator.
Environmental benefits follow the CBRC attribution method (:func:`attribute_benefits`), financed emissions
the PCAF standard (:func:`financed_emissions`), and GEP-linked transfers a rule as data
(:func:`gep_transfers`).

Examples
--------
>>> from greenfin.datasets import load_sample
>>> loans = classify_loans(validate_loans(load_sample("assessment_loans")))
>>> panel = bank_quarter_panel(aggregate_loans(loans), validate_bank_quarters(load_sample("assessment_banks")))
>>> result = score_banks(panel, load_rulebook("pboc-2021"), "2025Q2")
>>> result.scores.columns[:8]
['bank_code', 'quarter', 'peer_group', 'green_share', 'market_share', 'yoy_growth', 'risk_share', 'quantitative_score']
"""

from greenfin.assessment._benefits import (
    BENEFIT_INDICATORS,
    BenefitResult,
    EmissionsResult,
    attribute_benefits,
    financed_emissions,
    load_benefit_factors,
    load_pcaf_factors,
)
from greenfin.assessment._filing import FilingSheet, write_filing_workbook
from greenfin.assessment._gep_link import (
    GepTransferRule,
    gep_transfers,
    list_gep_transfer_rules,
    load_gep_transfer_rule,
)
from greenfin.assessment._rules import (
    Guards,
    Indicator,
    Override,
    Rulebook,
    list_rulebooks,
    load_rulebook,
    rulebook_formulas,
)
from greenfin.assessment._schema import (
    BANK_QUARTER_COLUMNS,
    GEP_ACCOUNT_COLUMNS,
    LOAN_COLUMNS,
    PROJECT_COLUMNS,
    parse_quarter,
    validate_bank_quarters,
    validate_gep_accounts,
    validate_loans,
    validate_projects,
)
from greenfin.assessment._scoring import (
    BankAssessment,
    aggregate_loans,
    bank_quarter_panel,
    cross_sectional_points,
    indicator_values,
    longitudinal_points,
    score_banks,
)
from greenfin.assessment._taxonomy import (
    TAXONOMY_VERSIONS,
    Taxonomy,
    classify_loans,
    crosswalk_code,
    eco_product_right_types,
    load_taxonomy,
)

__all__ = [
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
