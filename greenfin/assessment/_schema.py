"""Input schemas of the assessment: loan-level report, bank-quarter file, projects, county GEP accounts.

The loan file follows the column sketch of ``shared/reference/assessment.md`` section 11 (based on
T/CQJR 002-2020 《绿色信贷基础数据元》): one row per loan per reporting date, amounts in yuan with unit
suffixes, rates as fractions. Tables are validated once here, at the boundary.

Handling of bad input (each tested):

- negative balance, a rate given in percent (>= 1), a data-quality score outside 1-5: :class:`DataError`;
- a green loan with an unknown category code, or a code not of its ``taxonomy_version``: :class:`DataError`;
- the same ``loan_id`` twice in one quarter, or under two banks: :class:`DataError`. The same ``loan_id``
  in several quarters is expected (the file is a panel: a loan reappears at every reporting date);
- quarters missing for a bank and banks with zero green loans are not errors: the scoring guards of the
  rulebook decide (see :class:`greenfin.assessment.Guards`) and the result lists them in ``warnings``.
"""

from __future__ import annotations

import polars as pl

from greenfin._validation import ColumnSpec, validate_frame
from greenfin.assessment._taxonomy import TAXONOMY_VERSIONS
from greenfin.errors import DataError

__all__ = [
    "BANK_QUARTER_COLUMNS",
    "FIVE_CLASSES",
    "GEP_ACCOUNT_COLUMNS",
    "LOAN_COLUMNS",
    "NPL_CLASSES",
    "PROJECT_COLUMNS",
    "parse_quarter",
    "quarter_expr",
    "validate_bank_quarters",
    "validate_gep_accounts",
    "validate_loans",
    "validate_projects",
]

FIVE_CLASSES: tuple[str, ...] = ("normal", "special_mention", "substandard", "doubtful", "loss")
"""Five-class loan classification (五级分类: 正常, 关注, 次级, 可疑, 损失)."""

NPL_CLASSES: tuple[str, ...] = ("substandard", "doubtful", "loss")
"""Classes counted as non-performing (不良贷款)."""

_C = ColumnSpec

LOAN_COLUMNS: tuple[ColumnSpec, ...] = (
    _C(name="report_date", kind="date", description="reporting date 报告日期, YYYY-MM-DD"),
    _C(name="bank_code", kind="str", description="bank code 金融机构编码"),
    _C(name="loan_id", kind="str", description="loan id 借据号"),
    _C(name="balance_cny", ge=0, description="outstanding balance 贷款余额, yuan"),
    _C(name="green_flag", kind="bool", description="green loan 绿色贷款标识"),
    _C(name="approval_date", kind="date", description="approval date 审批日期 (keys the crosswalk)"),
    _C(name="five_class", kind="str", allowed=FIVE_CLASSES, description="five-class classification 五级分类"),
    _C(
        name="taxonomy_version",
        kind="str",
        nullable=True,
        allowed=TAXONOMY_VERSIONS,
        description="catalogue of taxonomy_code 目录版本 (2013CBRC/2019/2024/2025); empty for non-green loans",
    ),
    _C(name="taxonomy_code", kind="str", nullable=True, description="category code 绿色分类代码, e.g. 2024.5"),
    _C(name="branch_code", kind="str", required=False, nullable=True, description="branch 分支机构"),
    _C(name="contract_id", kind="str", required=False, nullable=True, description="contract 合同号"),
    _C(name="borrower_uscc", kind="str", required=False, nullable=True, description="统一社会信用代码"),
    _C(name="borrower_name", kind="str", required=False, nullable=True, description="borrower 借款人"),
    _C(
        name="borrower_type",
        kind="str",
        required=False,
        nullable=True,
        allowed=("enterprise", "farm_household", "new_operator"),
        description="企业/农户/新型经营主体",
    ),
    _C(name="industry_gb4754", kind="str", required=False, nullable=True, description="industry GB/T 4754 行业"),
    _C(name="region_code", kind="str", required=False, nullable=True, description="行政区划代码"),
    _C(name="currency", kind="str", required=False, nullable=True, description="currency 币种"),
    _C(name="drawdown_date", kind="date", required=False, nullable=True, description="drawdown 发放日"),
    _C(name="maturity_date", kind="date", required=False, nullable=True, description="maturity 到期日"),
    _C(name="committed_amount_cny", required=False, nullable=True, ge=0, description="commitment 合同金额, yuan"),
    _C(
        name="interest_rate",
        required=False,
        nullable=True,
        ge=0,
        lt=1,
        description="annual rate as a fraction (0.0385, not 3.85) 利率",
    ),
    _C(name="overdue_days", kind="int", required=False, nullable=True, ge=0, description="days overdue 逾期天数"),
    _C(name="use_of_proceeds", kind="str", required=False, nullable=True, description="use of proceeds 贷款用途"),
    _C(name="project_id", kind="str", required=False, nullable=True, description="project 项目编号"),
    _C(name="collateral_type", kind="str", required=False, nullable=True, description="collateral type 担保品类型"),
    _C(name="appraised_value_cny", required=False, nullable=True, ge=0, description="collateral value 评估价值"),
    _C(name="programme_flag", kind="str", required=False, nullable=True, description="programme 政策项目"),
    _C(name="pcaf_asset_class", kind="str", required=False, nullable=True, description="PCAF asset class"),
    _C(
        name="evic_or_equity_plus_debt_cny",
        required=False,
        nullable=True,
        gt=0,
        description="PCAF attribution denominator (EVIC, or equity + debt), yuan",
    ),
    _C(name="borrower_scope1_tco2e", required=False, nullable=True, ge=0, description="borrower Scope 1, tCO2e/yr"),
    _C(name="borrower_scope2_tco2e", required=False, nullable=True, ge=0, description="borrower Scope 2, tCO2e/yr"),
    _C(
        name="pcaf_dq_score", kind="int", required=False, nullable=True, ge=1, le=5, description="PCAF data quality 1-5"
    ),
)

_REFERENCE_ONLY: tuple[ColumnSpec, ...] = (
    _C(name="project_total_investment_cny", required=False, nullable=True, gt=0, description="项目总投资, yuan"),
    _C(name="benefit_coal_tce", required=False, nullable=True, ge=0, description="节约标准煤, tce/yr"),
    _C(name="benefit_co2_tco2e", required=False, nullable=True, ge=0, description="CO2 减排, tCO2e/yr"),
    _C(name="benefit_cod_t", required=False, nullable=True, ge=0, description="COD 减排, t/yr"),
    _C(name="benefit_nh3n_t", required=False, nullable=True, ge=0, description="氨氮 减排, t/yr"),
    _C(name="benefit_so2_t", required=False, nullable=True, ge=0, description="SO2 减排, t/yr"),
    _C(name="benefit_nox_t", required=False, nullable=True, ge=0, description="NOx 减排, t/yr"),
    _C(name="benefit_water_t", required=False, nullable=True, ge=0, description="节水, t/yr"),
    _C(name="benefit_method", kind="str", required=False, nullable=True, description="测算方法"),
    _C(name="factor_vintage", kind="int", required=False, nullable=True, ge=2000, le=2100, description="因子年份"),
    _C(name="verifier", kind="str", required=False, nullable=True, description="第三方核验"),
    _C(name="benefit_dq_score", kind="int", required=False, nullable=True, ge=1, le=5, description="效益数据质量 1-5"),
    _C(name="collateral_registry", kind="str", required=False, nullable=True, description="登记机构"),
    _C(name="registration_no", kind="str", required=False, nullable=True, description="登记编号"),
    _C(name="valuation_method", kind="str", required=False, nullable=True, description="评估方法"),
    _C(name="valuation_date", kind="date", required=False, nullable=True, description="评估日"),
    _C(name="ltv", required=False, nullable=True, ge=0, description="loan-to-value as a fraction 抵质押率"),
    _C(name="haircut", required=False, nullable=True, ge=0, le=1, description="haircut as a fraction 折扣率"),
    _C(name="insurance_policy_no", kind="str", required=False, nullable=True, description="保单号"),
    _C(name="insured_amount_cny", required=False, nullable=True, ge=0, description="保险金额, yuan"),
    _C(name="risk_fund_id", kind="str", required=False, nullable=True, description="风险补偿金"),
    _C(name="eco_credit_grade", kind="str", required=False, nullable=True, description="生态信用等级"),
    _C(name="env_credit_grade", kind="str", required=False, nullable=True, description="环保信用评价"),
)

LOAN_COLUMNS = LOAN_COLUMNS + _REFERENCE_ONLY
"""Columns of the loan-level green-credit report (A. Loan file, ``shared/reference/assessment.md`` §11).

Columns of the reference sketch that no computation here uses (loan-level benefit fields, collateral registry,
programme grades) are checked when present and not added when absent, so a ten-million-row file does not grow
by twenty empty columns.
"""

BANK_QUARTER_COLUMNS: tuple[ColumnSpec, ...] = (
    _C(name="bank_code", kind="str", description="bank code 金融机构编码"),
    _C(name="quarter", kind="str", description="quarter, e.g. 2025Q2 季度"),
    _C(name="bank_name", kind="str", required=False, nullable=True, description="bank name 机构名称"),
    _C(name="green_bonds_held_cny", ge=0, description="domestic green bonds held 绿色债券持有额, yuan"),
    _C(name="green_bond_default_cny", ge=0, description="overdue or defaulted green bonds 违约绿色债券, yuan"),
    _C(name="denominator_total_business_cny", gt=0, description="total business (Q1 denominator) 业务总额, yuan"),
    _C(name="qualitative_a", required=False, nullable=True, ge=0, le=100, description="qualitative item a 定性(a)"),
    _C(name="qualitative_b", required=False, nullable=True, ge=0, le=100, description="qualitative item b 定性(b)"),
    _C(name="qualitative_c", required=False, nullable=True, ge=0, le=100, description="qualitative item c 定性(c)"),
    _C(name="peer_group", kind="str", required=False, nullable=True, description="peer group 同类机构组"),
)
"""Columns of the bank-quarter file (B. Bank-quarter assessment file)."""

PROJECT_COLUMNS: tuple[ColumnSpec, ...] = (
    _C(name="project_id", kind="str", description="project 项目编号"),
    _C(name="project_name", kind="str", required=False, nullable=True, description="project name 项目名称"),
    _C(name="total_investment_cny", gt=0, description="project total investment 项目总投资, yuan"),
    _C(name="coal_saved_tce_per_year", nullable=True, ge=0, description="节约标准煤, tce/yr"),
    _C(name="co2_reduced_tco2e_per_year", nullable=True, ge=0, description="CO2 减排, tCO2e/yr"),
    _C(name="cod_reduced_t_per_year", nullable=True, ge=0, description="COD 减排, t/yr"),
    _C(name="nh3n_reduced_t_per_year", nullable=True, ge=0, description="氨氮 减排, t/yr"),
    _C(name="so2_reduced_t_per_year", nullable=True, ge=0, description="SO2 减排, t/yr"),
    _C(name="nox_reduced_t_per_year", nullable=True, ge=0, description="NOx 减排, t/yr"),
    _C(name="water_saved_t_per_year", nullable=True, ge=0, description="节水, t/yr"),
    _C(
        name="power_exported_kwh_per_year",
        required=False,
        nullable=True,
        ge=0,
        description="renewable power exported 上网电量, kWh/yr (coal from the vintage's coal rate when coal is empty)",
    ),
    _C(name="benefit_method", kind="str", description="method 测算方法"),
    _C(name="factor_vintage", kind="int", ge=2000, le=2100, description="factor year 因子年份"),
    _C(name="verifier", kind="str", required=False, nullable=True, description="third-party verifier 第三方核验"),
    _C(name="benefit_dq_score", kind="int", ge=1, le=5, description="data-quality score 1-5 数据质量"),
)
"""Columns of the green-project benefits table (project-level annual benefits, CBRC 2013 guide)."""

GEP_ACCOUNT_COLUMNS: tuple[ColumnSpec, ...] = (
    _C(name="county_id", kind="str", description="county code 县区代码"),
    _C(name="year", kind="int", ge=1990, le=2100, description="accounting year 核算年份"),
    _C(name="gep_cny", gt=0, description="GEP 生态系统生产总值, yuan (constant prices)"),
)
"""Columns of a county GEP accounts table (as produced by ``greenfin.gep``)."""


def quarter_expr(date_col: str = "report_date") -> pl.Expr:
    """Polars expression giving the quarter label ``YYYYQn`` of a date column.

    Parameters
    ----------
    date_col : str
        Date column.

    Returns
    -------
    polars.Expr
        String expression.
    """
    d = pl.col(date_col)
    return pl.format("{}Q{}", d.dt.year(), d.dt.quarter())


def parse_quarter(text: str) -> int:
    """Parse ``YYYYQn`` into a quarter index (``year * 4 + n - 1``).

    Parameters
    ----------
    text : str
        Quarter label, e.g. ``"2025Q2"``.

    Returns
    -------
    int
        Quarter index; consecutive quarters differ by one.

    Raises
    ------
    DataError
        If the label is not of the form ``YYYYQn``.

    Examples
    --------
    >>> parse_quarter("2025Q2") - parse_quarter("2024Q2")
    4
    """
    t = text.strip().upper()
    if len(t) != 6 or t[4] != "Q" or not t[:4].isdigit() or t[5] not in "1234":
        raise DataError(f"quarter {text!r} is not of the form YYYYQn (e.g. 2025Q2); fix it.", column="quarter")
    return int(t[:4]) * 4 + int(t[5]) - 1


def _fail_first(frame: pl.DataFrame, mask: pl.Series, message: str, source: str, column: str) -> None:
    if mask.any():
        row = int(mask.arg_true()[0]) + 1
        raise DataError(message.format(**frame.row(row - 1, named=True)), source=source, column=column, row=row)


def validate_loans(frame: pl.DataFrame, *, source: str = "loans") -> pl.DataFrame:
    """Validate a loan-level report and add its ``quarter``.

    Parameters
    ----------
    frame : polars.DataFrame
        The loan file as read (see :data:`LOAN_COLUMNS`).
    source : str
        File name for messages.

    Returns
    -------
    polars.DataFrame
        The loans, cast, with ``quarter`` (``YYYYQn``) added.

    Raises
    ------
    DataError
        Naming file, column, row and fix: a missing column, a bad value, a negative balance, a green loan
        without a category or with a code not of its version, a loan id twice in one quarter or under two banks.

    Examples
    --------
    >>> import datetime as dt
    >>> df = pl.DataFrame({"report_date": ["2025-06-30"], "bank_code": ["B01"], "loan_id": ["L1"],
    ...     "balance_cny": [-5.0], "green_flag": [True], "approval_date": ["2024-01-01"], "five_class": ["normal"],
    ...     "taxonomy_version": ["2024"], "taxonomy_code": ["2024.5"]})
    >>> validate_loans(df, source="loans.csv")
    Traceback (most recent call last):
    ...
    greenfin.errors.DataError: loans.csv, column balance_cny, row 1: must be >= 0.0; got -5.0. ...
    """
    present = set(frame.columns)
    specs = [c for c in LOAN_COLUMNS if c not in _REFERENCE_ONLY or c.name in present]
    out = validate_frame(frame, specs, source=source).with_columns(quarter_expr().alias("quarter"))
    green = out["green_flag"]
    _fail_first(
        out,
        green & (out["taxonomy_code"].is_null() | out["taxonomy_version"].is_null()),
        "green loan {loan_id} has no taxonomy_version/taxonomy_code; give its catalogue and category "
        "(e.g. 2024 / 2024.5) or set green_flag to false.",
        source,
        "taxonomy_code",
    )
    prefix = out["taxonomy_code"].str.split(".").list.first()
    _fail_first(
        out,
        (green & (prefix != out["taxonomy_version"])).fill_null(False),
        "category code {taxonomy_code!r} does not belong to catalogue {taxonomy_version!r}; codes start with "
        "their catalogue (e.g. 2019.3 for 2019). Fix taxonomy_version or taxonomy_code.",
        source,
        "taxonomy_code",
    )
    _fail_first(
        out,
        out.select(pl.struct("loan_id", "quarter").is_duplicated()).to_series(),
        "loan_id {loan_id} appears twice in quarter {quarter}; one row per loan per reporting date. "
        "Remove the duplicate or fix the id (a loan reappearing in later quarters is fine).",
        source,
        "loan_id",
    )
    banks_per_loan = out.select(pl.col("bank_code").n_unique().over("loan_id") > 1).to_series()
    _fail_first(
        out,
        banks_per_loan,
        "loan_id {loan_id} is reported by more than one bank; loan ids must be unique per bank. "
        "Prefix them with the bank code.",
        source,
        "loan_id",
    )
    return out


def validate_bank_quarters(frame: pl.DataFrame, *, source: str = "bank quarters") -> pl.DataFrame:
    """Validate the bank-quarter file (green bonds, denominator, qualitative points, peer group).

    Parameters
    ----------
    frame : polars.DataFrame
        The table as read (see :data:`BANK_QUARTER_COLUMNS`).
    source : str
        File name for messages.

    Returns
    -------
    polars.DataFrame
        The table, cast; ``peer_group`` defaults to ``"all"``.

    Raises
    ------
    DataError
        On a bad value, a bad quarter label or a bank-quarter given twice.
    """
    out = validate_frame(frame, BANK_QUARTER_COLUMNS, source=source)
    for i, q in enumerate(out["quarter"].to_list(), start=1):
        try:
            parse_quarter(q)
        except DataError as exc:
            raise DataError(exc.detail, source=source, column="quarter", row=i) from None
    _fail_first(
        out,
        out.select(pl.struct("bank_code", "quarter").is_duplicated()).to_series(),
        "bank {bank_code} quarter {quarter} is given twice; keep one row per bank and quarter.",
        source,
        "quarter",
    )
    return out.with_columns(pl.col("peer_group").fill_null("all"))


def validate_projects(frame: pl.DataFrame, *, source: str = "projects") -> pl.DataFrame:
    """Validate the green-project benefits table.

    Parameters
    ----------
    frame : polars.DataFrame
        The table as read (see :data:`PROJECT_COLUMNS`).
    source : str
        File name for messages.

    Returns
    -------
    polars.DataFrame
        The table, cast.

    Raises
    ------
    DataError
        On a bad value or a project id given twice.
    """
    out = validate_frame(frame, PROJECT_COLUMNS, source=source)
    _fail_first(
        out,
        out["project_id"].is_duplicated(),
        "project_id {project_id} is given twice; keep one row per project.",
        source,
        "project_id",
    )
    return out


def validate_gep_accounts(frame: pl.DataFrame, *, source: str = "GEP accounts") -> pl.DataFrame:
    """Validate a county GEP accounts table (``county_id, year, gep_cny``).

    Parameters
    ----------
    frame : polars.DataFrame
        The table as read.
    source : str
        File name for messages.

    Returns
    -------
    polars.DataFrame
        The table, cast and sorted by county and year.

    Raises
    ------
    DataError
        On a bad value or a county-year given twice.
    """
    out = validate_frame(frame, GEP_ACCOUNT_COLUMNS, source=source, extra="drop")
    _fail_first(
        out,
        out.select(pl.struct("county_id", "year").is_duplicated()).to_series(),
        "county {county_id} year {year} is given twice; keep one GEP figure per county and year.",
        source,
        "year",
    )
    return out.sort("county_id", "year")
