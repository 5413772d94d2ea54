"""生态信贷通 underwriting and the fiscal risk-compensation fund (风险补偿金).

``greenfin.lending`` turns scores (``greenfin.scoring``) and collateral valuations
(``greenfin.collateral``) into loan decisions a credit officer can follow and a regulator can audit:
products are data (:class:`ProductSpec`), :func:`decide` approves, declines or refers every
application with its limit, rate and bilingual reasons, :func:`amortisation_schedule` builds fen-exact
repayment schedules, :func:`score_applications` and :func:`value_pledged_rights` compose the scoring
and collateral packages, and :func:`simulate_fund` / :func:`compare_designs` model the county fund that
shares losses with the bank.
"""

from greenfin.lending._compose import score_applications, value_pledged_rights
from greenfin.lending._decide import APPLICATION_COLUMNS, approved_loans, decide
from greenfin.lending._fund import (
    PORTFOLIO_COLUMNS,
    Contributor,
    CopulaSpec,
    FundResult,
    FundSpec,
    compare_designs,
    load_fund_spec,
    simulate_fund,
    vasicek_loss_quantile,
)
from greenfin.lending._products import (
    LprTable,
    ProductSpec,
    TermSource,
    get_product,
    list_products,
    load_products,
    lpr_on,
)
from greenfin.lending._schedule import amortisation_schedule, loan_schedules

__all__ = [
    "APPLICATION_COLUMNS",
    "PORTFOLIO_COLUMNS",
    "Contributor",
    "CopulaSpec",
    "FundResult",
    "FundSpec",
    "LprTable",
    "ProductSpec",
    "TermSource",
    "amortisation_schedule",
    "approved_loans",
    "compare_designs",
    "decide",
    "get_product",
    "list_products",
    "load_fund_spec",
    "load_products",
    "loan_schedules",
    "lpr_on",
    "score_applications",
    "simulate_fund",
    "value_pledged_rights",
    "vasicek_loss_quantile",
]
