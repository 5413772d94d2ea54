"""Demo stage: underwrite the sample county's 生态信贷通 applications and simulate its 财农信贷通 fund."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from greenfin.datasets import load_sample
from greenfin.errors import GreenfinError
from greenfin.lending import (
    FundResult,
    FundSpec,
    approved_loans,
    compare_designs,
    decide,
    load_fund_spec,
    load_products,
    lpr_on,
    score_applications,
    simulate_fund,
    value_pledged_rights,
)
from greenfin.lending._decide import decision_record_meta
from greenfin.lending._products import policy_table, reason_texts
from greenfin.report._model import Figure, KeyFigure, Section, Table, figure_png
from greenfin.report.demo import DemoContext
from greenfin.store import DecisionStore
from greenfin.units import money_label, yuan_to

ORDER = 40
KEY = "lending"
LABEL = "Lending decisions and fund · 生态信贷通审批与风险补偿金"

_FUND_PRODUCT = "cainong-xindaitong-2022"
_SCENARIOS = 2000
_DESIGN_SCENARIOS = 1000


def _scores(ctx: DemoContext, apps: pl.DataFrame) -> tuple[pl.DataFrame | None, str]:
    scoring = ctx.results.get("scoring", {})
    scores = scoring.get("scores")
    if isinstance(scores, pl.DataFrame) and {"borrower_id", "pd"} <= set(scores.columns):
        return scores, "scoring stage (评分环节)"
    model = scoring.get("model")
    if model is not None:
        borrowers = load_sample("county_borrowers")
        return score_applications(apps, model, features=borrowers), "the scoring stage's model (评分模型)"
    return None, "the applications sample's own pd/points/grade columns (scoring stage absent)"


_VALUATION_KEEP = ("right_id", "borrower_id", "right_type", "value_cny", "haircut", "max_loan_cny")


def _sample_rights(apps: pl.DataFrame) -> pl.DataFrame:
    """The applications sample's own pledged right, one per application that has one, as a valuation table."""
    return apps.filter(pl.col("collateral_value_cny").is_not_null()).select(
        (pl.lit("S") + pl.col("application_id")).alias("right_id"),
        "borrower_id",
        pl.col("collateral_right_type").alias("right_type"),
        pl.col("collateral_value_cny").cast(pl.Float64).alias("value_cny"),
        pl.col("collateral_haircut").cast(pl.Float64).alias("haircut"),
        pl.lit(None, dtype=pl.Float64).alias("max_loan_cny"),
        pl.col("collateral_remaining_term_years").cast(pl.Float64).alias("remaining_term_years"),
    )


def _valuations(ctx: DemoContext, apps: pl.DataFrame) -> tuple[pl.DataFrame | None, str]:
    """Pledged rights valued by the collateral stage (or by greenfin.collateral here), else the sample's own.

    Borrowers without a pledged right in the collateral sample keep the right in the applications sample.
    """
    vals = ctx.results.get("collateral", {}).get("valuations")
    needed = {"right_id", "borrower_id", "value_cny", "haircut", "remaining_term_years"}
    src = "collateral stage (押品环节)"
    if not (isinstance(vals, pl.DataFrame) and needed <= set(vals.columns)):
        try:
            rights = load_sample("county_rights").with_columns(pl.col("term_end").cast(pl.String).str.to_date())
            prices = load_sample("cea_prices").with_columns(pl.col("date").cast(pl.String).str.to_date())
            vals = value_pledged_rights(rights, as_of=ctx.as_of, prices=prices, source="county_rights")
            src = "greenfin.collateral on the county_rights sample (collateral stage absent)"
        except (GreenfinError, KeyError):
            return None, "the applications sample's own collateral_* columns (collateral valuation unavailable)"
    if "pledged" in vals.columns:
        vals = vals.filter(pl.col("pledged").fill_null(False))
    keep = [c for c in _VALUATION_KEEP if c in vals.columns]
    valued = vals.select(*keep, "remaining_term_years").with_columns(
        pl.col("value_cny").cast(pl.Float64), pl.col("haircut").cast(pl.Float64)
    )
    own = _sample_rights(apps).filter(~pl.col("borrower_id").is_in(valued["borrower_id"].implode()))
    combined = pl.concat([valued, own.select(valued.columns)], how="vertical_relaxed")
    note = f"{src}: {valued.height} pledged rights; {own.height} more from the applications sample"
    return combined, note


def _mean(series: pl.Series) -> float:
    return float(series.cast(pl.Float64).fill_null(0.0).mean() or 0.0) if series.len() else 0.0  # type: ignore[arg-type]


def _wan(x: float) -> str:
    return f"{yuan_to(x, 'wan_yuan'):,.1f} {money_label('wan_yuan')}"


def _fund_figure(fund: FundResult, designs: pl.DataFrame) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = fund.summary
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    loss = fund.scenarios["loss_cny"].to_numpy() / 1e4
    left.hist(loss, bins=60, color="tab:blue", alpha=0.8)
    if s["fund_loss_share"] > 0:
        left.axvline(
            s["fund_cny"] / s["fund_loss_share"] / 1e4,
            color="tab:red",
            linestyle="--",
            label="loss that empties the fund (before top-ups)",
        )
    left.axvline(float(np.mean(loss)), color="black", label="expected loss")
    left.set_xlabel("book loss over the horizon (10k CNY)")
    left.set_ylabel("scenarios")
    left.set_title("Cainong Xindaitong book: simulated losses")
    left.legend(fontsize=8)
    x = np.arange(designs.height)
    right.bar(x - 0.2, designs["bank_expected_loss_cny"].to_numpy() / 1e4, width=0.4, label="bank expected loss")
    right.bar(x + 0.2, designs["fund_expected_paid_cny"].to_numpy() / 1e4, width=0.4, label="fund expected paid")
    right.set_xticks(x, designs["design_id"].to_list(), rotation=30, ha="right", fontsize=8)
    right.set_ylabel("10k CNY over the horizon")
    right.set_title("Scheme designs (book scaled to multiple x fund)")
    right.legend(fontsize=8)
    return Figure("fund_losses", "Fund losses and scheme designs · 补偿金损失与方案比较", figure_png(fig))


def _reason_counts(decisions: pl.DataFrame) -> pl.DataFrame:
    texts = reason_texts()
    counts = (
        decisions.select(pl.col("reason_codes").str.split(";"))
        .explode("reason_codes")
        .filter(pl.col("reason_codes") != "")
        .group_by("reason_codes")
        .len()
        .sort("len", descending=True)
    )
    return counts.select(
        pl.col("reason_codes").alias("reason_code"),
        pl.col("reason_codes").replace_strict({k: v["en"] for k, v in texts.items()}).alias("reason_en"),
        pl.col("reason_codes").replace_strict({k: v["zh"] for k, v in texts.items()}).alias("reason_zh"),
        pl.col("len").cast(pl.Int64).alias("applications"),
    )


def _simulate(approved: pl.DataFrame, spec: FundSpec, seed: int) -> tuple[FundResult | None, pl.DataFrame | None]:
    """Fund simulation and design comparison on the fund-backed book (None when nothing was approved)."""
    book = approved.filter(pl.col("product_id") == _FUND_PRODUCT).select(
        "loan_id", pl.col("principal_cny").alias("ead_cny"), "pd", "lgd", "county_id", "sector", "product_id"
    )
    if book.height == 0:
        return None, None
    fund = simulate_fund(book, spec, n_scenarios=_SCENARIOS, seed=seed, slice_by="sector")
    designs_raw: dict[str, Any] = load_sample("fund_designs")
    designs = compare_designs(
        book,
        load_fund_spec(designs_raw["base"]),
        designs_raw["designs"],
        n_scenarios=_DESIGN_SCENARIOS,
        seed=seed,
        scale_book_to_multiple=bool(designs_raw.get("scale_book_to_multiple", True)),
    )
    return fund, designs


def _fund_outputs(
    fund: FundResult | None, designs: pl.DataFrame | None
) -> tuple[tuple[KeyFigure, ...], tuple[Table, ...], tuple[Figure, ...]]:
    if fund is None or designs is None:
        return (), (), ()
    s = fund.summary
    figures = (
        KeyFigure("Fund exhausted (probability)", "补偿金耗尽概率", f"{s['p_fund_exhausted']:.2%}"),
        KeyFigure("Bank expected loss after sharing", "分担后银行预期损失", _wan(s["bank_expected_loss_cny"])),
        KeyFigure("Fiscal cost per yuan of credit", "每元信贷财政成本", f"{s['fiscal_cost_per_yuan_credit']:.4f}"),
        KeyFigure("Lending stops (probability)", "触发暂停放贷概率", f"{s['p_lending_stopped']:.1%}"),
    )
    tables = (
        Table(
            "lending_fund_slices",
            "Fund simulation by sector",
            "补偿金模拟（按行业）",
            fund.slices,
            labels={"slice": "Sector 行业", "book_cny": "Book 余额 (CNY)", "expected_loss_cny": "EL 预期损失 (CNY)"},
        ),
        Table(
            "lending_fund_summary",
            "Fund simulation summary",
            "补偿金模拟汇总",
            pl.DataFrame({"measure": list(s), "value": [str(v) for v in s.values()]}),
            labels={"measure": "Measure 指标", "value": "Value 数值"},
        ),
        Table(
            "lending_designs",
            "Scheme designs side by side",
            "补偿金方案比较",
            designs,
            labels={
                "design_id": "Design 方案",
                "p_fund_exhausted": "P(fund exhausted) 耗尽概率",
                "fiscal_cost_per_yuan_credit": "Fiscal cost per yuan 每元财政成本",
            },
        ),
    )
    return figures, tables, (_fund_figure(fund, designs),)


def run(ctx: DemoContext) -> Section:
    """Underwrite the sample county's applications and simulate its fund.

    Parameters
    ----------
    ctx : DemoContext
        Shared demo context (reads ``scoring`` scores and ``collateral`` valuations when present).

    Returns
    -------
    Section
        The lending section of the report.
    """
    apps: pl.DataFrame = load_sample("county_applications")
    scores, score_src = _scores(ctx, apps)
    valuations, val_src = _valuations(ctx, apps)
    decisions = decide(apps, as_of=ctx.as_of, scores=scores, valuations=valuations, source="county_applications")
    approved = approved_loans(decisions)
    # The decision records go to a throw-away in-memory store (never the user's database), as a bank's would.
    recorded = DecisionStore("sqlite://").save(
        decisions, meta=decision_record_meta(ctx.as_of, load_products()), actor="greenfin demo"
    )
    spec = load_fund_spec(load_sample("fund_spec"))
    fund, designs = _simulate(approved, spec, ctx.seed)
    ctx.results[KEY] = {
        "approved": approved,
        "decisions": decisions,
        "fund": fund.summary if fund is not None else {},
        "fund_slices": fund.slices if fund is not None else pl.DataFrame(),
        "designs": designs if designs is not None else pl.DataFrame(),
    }
    by_product = (
        decisions.group_by("product_id", "outcome")
        .agg(pl.len().cast(pl.Int64).alias("applications"), pl.col("approved_cny").sum())
        .sort("product_id", "outcome")
    )
    binding = (
        decisions.filter(pl.col("outcome") == "approve")
        .group_by("binding_constraint")
        .agg(pl.len().cast(pl.Int64).alias("loans"))
        .sort("loans", descending=True)
    )
    shown = decisions.select(
        "application_id",
        "borrower_id",
        "product_id",
        "outcome",
        "outcome_zh",
        "requested_cny",
        "approved_cny",
        "binding_constraint",
        "pd",
        "lpr",
        "expected_loss_spread",
        "eco_rate_discount",
        "rate",
        "rate_cap",
        "reasons_en",
        "reasons_zh",
    )
    product_terms = pl.concat([p.terms_frame() for p in load_products()])
    n = decisions.height
    n_ok = approved.height
    fund_figures, fund_tables, fund_plots = _fund_outputs(fund, designs)
    params = pl.concat([policy_table("underwriting.json").to_frame(), policy_table("eco_overlay.json").to_frame()])
    unverified = sorted({f"{p.id}: {t}" for p in load_products() for t in p.unverified_terms()})
    return Section(
        key=KEY,
        title_en="Eco-credit underwriting and the risk-compensation fund",
        title_zh="生态信贷通审批与风险补偿金",
        key_figures=(
            KeyFigure("Applications", "申请笔数", f"{n:,}"),
            KeyFigure("Approved", "批准笔数", f"{n_ok:,} ({n_ok / n:.0%})"),
            KeyFigure("Approved amount", "批准金额", _wan(float(approved["principal_cny"].sum()))),
            KeyFigure("Mean rate", "平均利率", f"{_mean(approved['rate']) * 100:.2f}%"),
            KeyFigure("Decision records stored", "已存审批记录", f"{recorded:,}"),
            *fund_figures,
        ),
        tables=(
            Table(
                "lending_outcomes",
                "Outcomes by product",
                "各产品审批结果",
                by_product,
                labels={
                    "product_id": "Product 产品",
                    "outcome": "Outcome 结果",
                    "applications": "Applications 笔数",
                    "approved_cny": "Approved 批准金额 (CNY)",
                },
            ),
            Table(
                "lending_binding",
                "Binding limit constraint of approved loans",
                "额度约束来源",
                binding,
                labels={"binding_constraint": "Binding bound 约束", "loans": "Loans 笔数"},
            ),
            Table(
                "lending_reasons",
                "Reasons given",
                "审批理由统计",
                _reason_counts(decisions),
                labels={
                    "reason_code": "Code 代码",
                    "reason_en": "Reason",
                    "reason_zh": "理由",
                    "applications": "Applications 笔数",
                },
            ),
            Table(
                "lending_decisions",
                "Decisions (rate build-up and reasons)",
                "审批明细（利率构成与理由）",
                shown,
                labels={
                    "requested_cny": "Requested 申请 (CNY)",
                    "approved_cny": "Approved 批准 (CNY)",
                    "eco_rate_discount": "Eco discount 生态积分优惠",
                    "rate": "Rate 利率",
                    "rate_cap": "Cap 上限",
                },
            ),
            Table("lending_approved", "Approved loans", "批准贷款", approved),
            *fund_tables,
            Table("lending_products", "Product terms and sources", "产品条款及来源", product_terms, html_rows=40),
        ),
        figures=fund_plots,
        notes=(
            f"Scores from {score_src}; collateral from {val_src}.",
            f"LPR {lpr_on(ctx.as_of):.4f} (1-year) from the bundled table, unverified ⚠: assumed unchanged since the "
            "last recorded fixing; check www.chinamoney.com.cn.",
            "Underwriting thresholds (DSCR floor, PD bands, pricing spreads) are a bank's own policy and are marked "
            "unverified ⚠; the eco-credit overlay is illustrative (scoring.md §5.4).",
            "Unverified product terms ⚠: " + "; ".join(unverified) + ".",
            ("No fund-backed loan was approved; the fund was not simulated. " if fund is None else "")
            + f"Fund: {_SCENARIOS} scenarios over {spec.horizon_years} years on the {_FUND_PRODUCT} book only "
            "(生态通 loans are covered by the county guarantee company at 80%, not the fund); "
            f"designs compared on {_DESIGN_SCENARIOS} common scenarios with the book scaled to multiple × fund.",
            "The book revolves yearly; after a year whose NPL ratio exceeds the trigger, lending stops and later years "
            "carry no new losses (simplification).",
            "Decision records are written to the report tables; the store tables for them are pending (lead).",
        ),
        params=params,
    )
