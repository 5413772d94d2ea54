"""Environmental benefits (CBRC attribution) and PCAF financed emissions: one attribution engine.

CBRC 2013 绿色信贷项目节能减排量测算指引: ``benefit_bank = benefit_project,annual × balance / total investment``
for seven indicators (standard coal saved, CO2, COD, ammonia nitrogen, SO2, NOx, water saved). Renewable
projects without a coal figure get ``tce = kWh × coal rate(vintage) / 1e6``; CO2 missing but coal given gets
``tCO2e = tce × co2_per_tce``; each factor comes from a library by year (factor vintage).

PCAF Part A (2nd ed., 2022): ``financed = AF × (Scope 1 + Scope 2)`` with ``AF = outstanding / (EVIC or
equity + debt)``; without borrower emissions, ``outstanding × sector intensity`` at data-quality score 5.
Portfolio data quality is the outstanding-weighted mean score.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from greenfin.errors import DataError
from greenfin.provenance import ParamTable, load_param_table

__all__ = [
    "BENEFIT_INDICATORS",
    "BenefitResult",
    "EmissionsResult",
    "attribute_benefits",
    "financed_emissions",
    "load_benefit_factors",
    "load_pcaf_factors",
]

BENEFIT_INDICATORS: dict[str, str] = {
    "coal_saved_tce": "节约标准煤 standard coal saved (tce/yr)",
    "co2_reduced_tco2e": "CO2 减排 CO2 reduced (tCO2e/yr)",
    "cod_reduced_t": "COD 减排 COD reduced (t/yr)",
    "nh3n_reduced_t": "氨氮 减排 ammonia nitrogen reduced (t/yr)",
    "so2_reduced_t": "SO2 减排 SO2 reduced (t/yr)",
    "nox_reduced_t": "NOx 减排 NOx reduced (t/yr)",
    "water_saved_t": "节水 water saved (t/yr)",
}
"""The seven CBRC indicators (column stem -> bilingual label); project columns add ``_per_year``."""


@lru_cache(maxsize=1)
def load_benefit_factors() -> ParamTable:
    """The CBRC factor library by vintage (coal rates by year, CO2 per tce).

    Returns
    -------
    ParamTable
        ``cbrc-benefit-factors``.

    Examples
    --------
    >>> load_benefit_factors().value("supply_coal_rate_2012")
    325.0
    """
    return load_param_table("greenfin.assessment", "data/benefit_factors.json")


@lru_cache(maxsize=1)
def load_pcaf_factors() -> ParamTable:
    """PCAF fallback sector intensities (tCO2e per yuan outstanding) and the attribution-factor cap.

    Returns
    -------
    ParamTable
        ``pcaf-sector-factors``.
    """
    return load_param_table("greenfin.assessment", "data/pcaf_factors.json")


@dataclass(frozen=True)
class BenefitResult:
    """Attributed benefits of green loans.

    Parameters
    ----------
    loans : polars.DataFrame
        One row per green loan with a project: attribution share and the seven attributed benefits.
    by_bank : polars.DataFrame
        Totals per bank and quarter, with the balance-weighted data-quality score.
    by_sector : polars.DataFrame
        Totals per quarter and harmonised category.
    double_counting : polars.DataFrame
        Projects whose attribution shares over all banks exceed 1 in a quarter (cross-bank check).
    factors_used : polars.DataFrame
        The factor vintages used.
    """

    loans: pl.DataFrame
    by_bank: pl.DataFrame
    by_sector: pl.DataFrame
    double_counting: pl.DataFrame
    factors_used: pl.DataFrame


@dataclass(frozen=True)
class EmissionsResult:
    """PCAF financed emissions of a loan book.

    Parameters
    ----------
    loans : polars.DataFrame
        One row per loan: attribution factor, financed emissions, data-quality score, method.
    by_bank : polars.DataFrame
        Totals per bank and quarter with the outstanding-weighted data-quality score.
    by_sector : polars.DataFrame
        Totals per quarter and GB/T 4754 section.
    """

    loans: pl.DataFrame
    by_bank: pl.DataFrame
    by_sector: pl.DataFrame


def _coal_rate_table(factors: ParamTable, vintages: list[int], source: str) -> pl.DataFrame:
    rows = []
    for year in vintages:
        name = f"supply_coal_rate_{year}"
        if name not in factors.params:
            known = sorted(int(n.rsplit("_", 1)[1]) for n in factors.params if n.startswith("supply_coal_rate_"))
            raise DataError(
                f"factor_vintage {year} has no coal rate in factor library {factors.id} "
                f"(years {known[0]}-{known[-1]}); "
                "use a year in that range or add the year's value to the library.",
                source=source,
                column="factor_vintage",
            )
        rows.append({"factor_vintage": year, "coal_rate_gce_per_kwh": float(factors.value(name))})
    return pl.DataFrame(rows, schema={"factor_vintage": pl.Int64, "coal_rate_gce_per_kwh": pl.Float64})


def attribute_benefits(
    loans: pl.DataFrame | pl.LazyFrame,
    projects: pl.DataFrame,
    *,
    factors: ParamTable | None = None,
    source: str = "projects",
) -> BenefitResult:
    """Attribute project benefits to green loans by the CBRC method (balance ÷ project total investment).

    Parameters
    ----------
    loans : polars.DataFrame or polars.LazyFrame
        Classified loans (``bank_code, quarter, loan_id, project_id, balance_cny, green_harmonised``,
        ``category_code``).
    projects : polars.DataFrame
        Validated projects (see :data:`greenfin.assessment.PROJECT_COLUMNS`).
    factors : ParamTable or None
        Factor library; default :func:`load_benefit_factors`.
    source : str
        Name of the projects table for messages.

    Returns
    -------
    BenefitResult
        Loan-level benefits, totals per bank and sector, the double-counting check and factors used.

    Raises
    ------
    DataError
        If a green loan names a project absent from the projects table, or a vintage has no factor.

    References
    ----------
    CBRC (2013) 绿色信贷统计制度 附件4 《绿色信贷项目节能减排量测算指引》; ``shared/reference/assessment.md`` §5.

    Examples
    --------
    >>> loans = pl.DataFrame({"bank_code": ["B1"], "quarter": ["2025Q2"], "loan_id": ["L1"], "project_id": ["P1"],
    ...     "balance_cny": [25e6], "green_harmonised": [True], "category_code": ["2025.4"]})
    >>> projects = pl.DataFrame({"project_id": ["P1"], "total_investment_cny": [100e6],
    ...     "coal_saved_tce_per_year": [None], "co2_reduced_tco2e_per_year": [None], "cod_reduced_t_per_year": [0.0],
    ...     "nh3n_reduced_t_per_year": [0.0], "so2_reduced_t_per_year": [10.0], "nox_reduced_t_per_year": [4.0],
    ...     "water_saved_t_per_year": [0.0], "power_exported_kwh_per_year": [1e8], "benefit_method": ["renewable"],
    ...     "factor_vintage": [2012], "verifier": [None], "benefit_dq_score": [2]})
    >>> r = attribute_benefits(loans, projects)
    >>> r.loans.select("attribution_share", "coal_saved_tce", "co2_reduced_tco2e", "so2_reduced_t").row(0)
    (0.25, 8125.0, 18525.0, 2.5)
    """
    factors = factors or load_benefit_factors()
    co2_per_tce = float(factors.value("co2_per_tce"))
    vintages = sorted({int(v) for v in projects["factor_vintage"].to_list()})
    rates = _coal_rate_table(factors, vintages, source)
    proj = projects.join(rates, on="factor_vintage", how="left")
    power = pl.col("power_exported_kwh_per_year") if "power_exported_kwh_per_year" in proj.columns else pl.lit(None)
    coal = pl.coalesce(pl.col("coal_saved_tce_per_year"), power * pl.col("coal_rate_gce_per_kwh") / 1e6, pl.lit(0.0))
    proj = proj.with_columns(
        coal.alias("_coal"),
        pl.coalesce(pl.col("co2_reduced_tco2e_per_year"), coal * co2_per_tce).alias("_co2"),
        pl.col("coal_saved_tce_per_year").is_null().alias("coal_from_factor"),
    )
    green = (
        loans.lazy()
        .filter(pl.col("green_harmonised") & pl.col("project_id").is_not_null())
        .select("bank_code", "quarter", "loan_id", "project_id", "balance_cny", "category_code")
        .collect()
    )
    missing = green.join(proj.select("project_id"), on="project_id", how="anti")
    if missing.height:
        raise DataError(
            f"green loan {missing['loan_id'][0]} names project {missing['project_id'][0]!r}, which the projects table "
            "does not list; add the project (total investment and annual benefits) or fix the loan's project_id.",
            source=source,
            column="project_id",
        )
    share = pl.col("balance_cny") / pl.col("total_investment_cny")
    per_loan = green.join(proj, on="project_id", how="left").with_columns(share.alias("attribution_share"))
    benefit_cols = [
        (pl.col("attribution_share") * pl.col("_coal")).alias("coal_saved_tce"),
        (pl.col("attribution_share") * pl.col("_co2")).alias("co2_reduced_tco2e"),
    ] + [
        (pl.col("attribution_share") * pl.col(f"{stem}_per_year").fill_null(0.0)).alias(stem)
        for stem in list(BENEFIT_INDICATORS)[2:]
    ]
    per_loan = per_loan.with_columns(benefit_cols).select(
        "bank_code",
        "quarter",
        "loan_id",
        "project_id",
        "category_code",
        "balance_cny",
        "total_investment_cny",
        "attribution_share",
        *BENEFIT_INDICATORS,
        "factor_vintage",
        "coal_rate_gce_per_kwh",
        "coal_from_factor",
        "benefit_method",
        "benefit_dq_score",
    )
    sums = [pl.col(c).sum() for c in BENEFIT_INDICATORS]
    dq = ((pl.col("benefit_dq_score") * pl.col("balance_cny")).sum() / pl.col("balance_cny").sum()).alias(
        "benefit_dq_score_weighted"
    )
    by_bank = (
        per_loan.group_by("bank_code", "quarter")
        .agg(pl.len().alias("n_loans"), pl.col("balance_cny").sum(), *sums, dq)
        .sort("quarter", "bank_code")
    )
    by_sector = (
        per_loan.group_by("quarter", "category_code")
        .agg(pl.len().alias("n_loans"), pl.col("balance_cny").sum(), *sums, dq)
        .sort("quarter", "category_code")
    )
    double = (
        per_loan.group_by("quarter", "project_id")
        .agg(
            pl.col("attribution_share").sum().alias("share_all_banks"), pl.col("bank_code").n_unique().alias("n_banks")
        )
        .filter(pl.col("share_all_banks") > 1.0 + 1e-9)
        .sort("quarter", "project_id")
    )
    used = factors.to_frame().filter(
        pl.col("parameter").is_in([f"supply_coal_rate_{y}" for y in vintages] + ["co2_per_tce"])
    )
    return BenefitResult(per_loan, by_bank, by_sector, double, used)


def financed_emissions(
    loans: pl.DataFrame | pl.LazyFrame, *, factors: ParamTable | None = None, keep_loans: bool = True
) -> EmissionsResult:
    """PCAF financed emissions of every loan, with attribution factors and data-quality scores 1-5.

    Parameters
    ----------
    loans : polars.DataFrame or polars.LazyFrame
        Loans with ``bank_code, quarter, loan_id, balance_cny, industry_gb4754`` and, where known,
        ``evic_or_equity_plus_debt_cny, borrower_scope1_tco2e, borrower_scope2_tco2e, pcaf_dq_score``.
    factors : ParamTable or None
        Sector intensities and attribution-factor cap; default :func:`load_pcaf_factors`.
    keep_loans : bool, default True
        Keep the loan-level table; with False only the totals are computed (``loans`` is empty), which keeps
        memory flat for books of tens of millions of loans.

    Returns
    -------
    EmissionsResult
        Loan-level emissions (unless ``keep_loans`` is False) and totals per bank and per sector.

    Raises
    ------
    DataError
        If a loan with reported emissions has no attribution denominator or no data-quality score.

    References
    ----------
    PCAF (2022) The Global GHG Accounting and Reporting Standard, Part A, 2nd ed.;
    ``shared/reference/assessment.md`` §6.

    Examples
    --------
    >>> loans = pl.DataFrame({"bank_code": ["B1", "B1"], "quarter": ["2025Q2"] * 2, "loan_id": ["L1", "L2"],
    ...     "balance_cny": [2e6, 1e6], "industry_gb4754": ["D4411", "A0111"],
    ...     "evic_or_equity_plus_debt_cny": [10e6, None], "borrower_scope1_tco2e": [5000.0, None],
    ...     "borrower_scope2_tco2e": [1000.0, None], "pcaf_dq_score": [2, None]})
    >>> r = financed_emissions(loans)
    >>> r.loans.select("attribution_factor", "financed_tco2e", "pcaf_dq_score").rows()
    [(0.2, 1200.0, 2), (None, 200.0, 5)]
    """
    factors = factors or load_pcaf_factors()
    cap = float(factors.value("attribution_factor_cap"))
    dq5 = int(factors.value("dq_score_sector_factor"))
    intensities = {
        n.removeprefix("intensity_"): float(factors.value(n)) for n in factors.params if n.startswith("intensity_")
    }
    lazy = loans.lazy()
    cols = lazy.collect_schema().names()
    for c in ("evic_or_equity_plus_debt_cny", "borrower_scope1_tco2e", "borrower_scope2_tco2e"):
        if c not in cols:
            lazy = lazy.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    if "pcaf_dq_score" not in cols:
        lazy = lazy.with_columns(pl.lit(None, dtype=pl.Int64).alias("pcaf_dq_score"))
    if "industry_gb4754" not in cols:
        lazy = lazy.with_columns(pl.lit(None, dtype=pl.String).alias("industry_gb4754"))
    emis = pl.col("borrower_scope1_tco2e").fill_null(0.0) + pl.col("borrower_scope2_tco2e").fill_null(0.0)
    reported = pl.col("borrower_scope1_tco2e").is_not_null() | pl.col("borrower_scope2_tco2e").is_not_null()
    section = pl.col("industry_gb4754").str.slice(0, 1).str.to_uppercase()
    sector = pl.when(section.is_in(list(intensities))).then(section).otherwise(pl.lit("OTHER"))
    raw_af = pl.col("balance_cny") / pl.col("evic_or_equity_plus_debt_cny")
    out = (
        lazy.select(
            "bank_code",
            "quarter",
            "loan_id",
            "balance_cny",
            "industry_gb4754",
            "evic_or_equity_plus_debt_cny",
            "pcaf_dq_score",
            reported.alias("emissions_reported"),
            emis.alias("borrower_emissions_tco2e"),
            sector.fill_null("OTHER").alias("sector"),
            raw_af.alias("_raw_af"),
        )
        .with_columns(
            pl.when(pl.col("emissions_reported"))
            .then(pl.min_horizontal(pl.col("_raw_af"), pl.lit(cap)))
            .alias("attribution_factor"),
            (pl.col("emissions_reported") & (pl.col("_raw_af") > cap)).fill_null(False).alias("af_capped"),
            pl.col("sector").replace_strict(intensities, default=intensities["OTHER"]).alias("_intensity"),
        )
        .with_columns(
            pl.when(pl.col("emissions_reported"))
            .then(pl.col("attribution_factor") * pl.col("borrower_emissions_tco2e"))
            .otherwise(pl.col("balance_cny") * pl.col("_intensity"))
            .alias("financed_tco2e"),
            pl.when(pl.col("emissions_reported"))
            .then(pl.col("pcaf_dq_score"))
            .otherwise(pl.lit(dq5, dtype=pl.Int64))
            .cast(pl.Int64)
            .alias("pcaf_dq_score"),
            pl.when(pl.col("emissions_reported"))
            .then(pl.lit("reported x attribution factor"))
            .otherwise(pl.lit("outstanding x sector intensity"))
            .alias("method"),
        )
        .drop("_raw_af", "_intensity")
    )
    dq = ((pl.col("pcaf_dq_score") * pl.col("balance_cny")).sum() / pl.col("balance_cny").sum()).alias(
        "pcaf_dq_score_weighted"
    )
    aggs = (
        pl.len().alias("n_loans"),
        pl.col("balance_cny").sum(),
        pl.col("financed_tco2e").sum(),
        dq,
        pl.col("emissions_reported").mean().alias("share_reported"),
    )
    if keep_loans:
        per_loan = out.collect()
        source: pl.LazyFrame = per_loan.lazy()
    else:  # aggregates only: nothing loan-sized is materialised (large books)
        per_loan = pl.DataFrame(schema=out.collect_schema())
        source = out
    bad, by_bank, by_sector = pl.collect_all(
        [
            source.filter(
                pl.col("emissions_reported")
                & (pl.col("evic_or_equity_plus_debt_cny").is_null() | pl.col("pcaf_dq_score").is_null())
            )
            .select("loan_id")
            .head(1),
            source.group_by("bank_code", "quarter").agg(*aggs).sort("quarter", "bank_code"),
            source.group_by("quarter", "sector").agg(*aggs).sort("quarter", "sector"),
        ]
    )
    if bad.height:
        raise DataError(
            f"loan {bad['loan_id'][0]} reports borrower emissions but lacks evic_or_equity_plus_debt_cny or "
            "pcaf_dq_score; give both (PCAF needs the attribution denominator and a 1-5 score) or leave the "
            "emissions empty to use the sector factor.",
            source="loans",
            column="evic_or_equity_plus_debt_cny",
        )
    return EmissionsResult(per_loan, by_bank, by_sector)
