import importlib

import pytest

PUBLIC = {
    "greenfin.lending": [
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
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_all_is_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert hasattr(mod, name)


def test_stage_and_cli_contract() -> None:
    from greenfin.cli import lend
    from greenfin.report.stages import lending

    assert (lending.ORDER, lending.KEY) == (40, "lending")
    assert "·" in lending.LABEL
    assert lend.NAME == "lend"
