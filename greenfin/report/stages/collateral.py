"""Demo stage: value, haircut and stress the sample county's eco-product rights, and register the pledges.

Reads ``county_rights`` and ``cea_prices``; pledges are registered in a throw-away in-memory SQLite
registry (never the user's database). Leaves in ``ctx.results["collateral"]``: ``valuations`` (every right,
with ``pledged``), ``forest_parcels_pledged`` (parcel ids of pledged forest rights, for insurance),
``pledges`` and ``stress`` (portfolio path per scenario).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from greenfin.collateral import (
    assess_collateral,
    collateral_params,
    list_scenarios,
    load_scenario,
    stress_collateral,
)
from greenfin.datasets import load_sample
from greenfin.report._model import Figure, KeyFigure, Section, Table, figure_png
from greenfin.report.demo import DemoContext
from greenfin.store import PledgeRegistry
from greenfin.units import money_label, yuan_to

ORDER = 30
KEY = "collateral"
LABEL = "Collateral valuation · 抵质押物估值"

_LABELS = {
    "right_id": "Right 权利编号",
    "borrower_id": "Borrower 借款人",
    "right_type": "Right type 权利类型",
    "method": "Method 估值方法",
    "stand_class": "Stand class 龄组/产期",
    "value_cny": "Value 评估价值 (CNY)",
    "haircut": "Haircut 折扣率",
    "max_loan_cny": "Max loan 最高可贷 (CNY)",
    "binding_bound": "Binding bound 约束",
    "remaining_term_years": "Remaining term 剩余期限 (years)",
    "refusal_reason": "Refusal 拒绝原因",
    "n_rights": "Rights 权利数",
    "n_pledged": "Pledged 已质押",
    "loan_cny": "Loan 贷款 (CNY)",
    "scenario": "Scenario 情景",
    "ltv_start": "LTV start 初始抵押率",
    "ltv_worst": "LTV worst 最差抵押率",
    "n_top_up": "Top-up calls 补仓",
    "n_dispose": "Disposals 处置",
    "ltv_peak": "Peak LTV 峰值抵押率",
    "action_peak": "Action 触发动作",
}


def _wan(x: float) -> str:
    return f"{yuan_to(x, 'wan_yuan'):,.1f} {money_label('wan_yuan')}"


def _register(assessed: pl.DataFrame, rights: pl.DataFrame, as_of: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Register the demo's rights and pledges in an in-memory registry; return (pledges, pledged assessment)."""
    chosen = (
        assessed.join(rights.select("right_id", "pledged", "draw_share", "loan_tenor_years"), on="right_id")
        .filter(pl.col("pledged") & pl.col("eligible") & (pl.col("max_loan_cny") > 0.0))
        .with_columns(
            (pl.col("max_loan_cny") * pl.col("draw_share")).round(2).alias("loan_cny"),
            pl.min_horizontal("loan_tenor_years", "max_tenor_years").alias("_tenor"),
        )
    )
    start = as_of + dt.timedelta(days=1)
    ends = [start + dt.timedelta(days=int(d)) for d in np.floor(chosen["_tenor"].to_numpy() * 365.25) - 1]
    registry = PledgeRegistry("sqlite://", actor="demo")
    try:
        registry.add_rights(
            rights.select(
                "right_id", "borrower_id", "right_type", "certificate_no", "registry", "term_end", "parcel_id"
            )
        )
        registry.revalue_all(assessed, as_of=as_of, inputs={"source": "greenfin demo", "parameters": "2026.1"})
        registry.pledge_many(
            chosen.select(
                "right_id",
                pl.format("DEMO-{}", "right_id").alias("loan_ref"),
                pl.col("loan_cny").alias("amount_cny"),
                pl.lit(start).alias("start_date"),
                pl.Series("end_date", ends, dtype=pl.Date),
            ),
            lender="sample county bank",
        )
        pledges = registry.pledges()
    finally:
        registry.close()
    return pledges, chosen.drop("pledged", "draw_share", "loan_tenor_years", "_tenor")


def _figure(paths: dict[str, pl.DataFrame], prices: pl.DataFrame) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot(prices["date"].to_numpy(), prices["price_cny"].to_numpy(), lw=0.8, color="tab:green")
    ax1.set_title("CEA daily close (CNY/tCO2e)")
    ax1.axhline(105.66, ls=":", color="grey")
    for name, path in paths.items():
        ax2.plot(path["step"].to_numpy(), path["ltv"].to_numpy(), marker="o", ms=3, label=name)
    ax2.set_title("Stress: LTV of the pledged book")
    ax2.set_xlabel("scenario step")
    ax2.set_ylabel("loan / collateral value")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return Figure(
        "collateral_stress", "CEA price history and stressed LTV paths · 碳价与压力情景下抵押率", figure_png(fig)
    )


def run(ctx: DemoContext) -> Section:
    """Value and stress the sample county's rights; register the demo pledges; fill ``ctx.results``.

    Parameters
    ----------
    ctx : DemoContext
        Shared demo context.

    Returns
    -------
    Section
        The collateral section of the report.
    """
    rights = load_sample("county_rights").with_columns(pl.col("term_end").cast(pl.String).str.to_date())
    prices = load_sample("cea_prices").with_columns(pl.col("date").cast(pl.String).str.to_date())
    assessed = assess_collateral(rights, as_of=ctx.as_of, prices=prices, on_refusal="flag", source="county_rights")
    pledges, pledged = _register(assessed, rights, ctx.as_of)
    valuations = assessed.with_columns(pl.col("right_id").is_in(pledged["right_id"].implode()).alias("pledged"))
    forest_parcels = (
        pledged.filter((pl.col("right_type") == "forest_right") & pl.col("parcel_id").is_not_null())["parcel_id"]
        .unique(maintain_order=True)
        .to_list()
    )
    stress_rows: list[dict[str, Any]] = []
    paths: dict[str, pl.DataFrame] = {}
    breaching: list[pl.DataFrame] = []
    for name in list_scenarios():
        result = stress_collateral(pledged, load_scenario(name))
        paths[name] = result.path
        stress_rows.append(
            {
                "scenario": name,
                "title": result.scenario.title,
                "confidence": result.scenario.confidence,
                "ltv_start": float(result.path["ltv"][0]),
                "ltv_worst": float(result.path["ltv"].to_numpy().max()),
                "n_top_up": int((result.loans["action_peak"] == "top_up").sum()),
                "n_dispose": int((result.loans["action_peak"] == "dispose").sum()),
            }
        )
        breaching.append(result.loans.filter(pl.col("breach")).with_columns(pl.lit(name).alias("scenario")))
    stress_table = pl.DataFrame(stress_rows)
    breach_table = pl.concat(breaching).select(
        "scenario", "right_id", "borrower_id", "right_type", "loan_cny", "value_cny", "ltv_peak", "action_peak"
    )
    ctx.results[KEY] = {
        "valuations": valuations,
        "forest_parcels_pledged": forest_parcels,
        "pledges": pledges,
        "stress": paths,
    }
    by_type = (
        valuations.group_by("right_type")
        .agg(
            pl.len().alias("n_rights"),
            pl.col("pledged").sum().alias("n_pledged"),
            pl.col("value_cny").sum(),
            pl.col("max_loan_cny").sum(),
            pl.col("haircut").mean(),
        )
        .sort("value_cny", descending=True)
    )
    bounds = valuations["binding_bound"].value_counts().sort("count", descending=True)
    params = collateral_params()
    n_unverified = int((params["confidence"] == "unverified").sum())
    cea = next(r for r in stress_rows if r["scenario"] == "cea-2024-25")
    return Section(
        key=KEY,
        title_en="Collateral: eco-product rights valued, haircut and stressed",
        title_zh="抵质押物：生态产品权益估值、折扣与压力测试",
        key_figures=(
            KeyFigure("Rights valued", "估值权利数", f"{valuations.height:,}"),
            KeyFigure("Appraised value", "评估价值", _wan(float(valuations["value_cny"].sum()))),
            KeyFigure("Max loan (all rights)", "最高可贷", _wan(float(valuations["max_loan_cny"].sum()))),
            KeyFigure("Pledges registered", "质押登记笔数", f"{pledges.height:,}"),
            KeyFigure("Refused rights", "拒绝的权利", f"{int((~valuations['eligible']).sum()):,}"),
            KeyFigure("CEA 2024-25 repeat: disposals", "碳价回落情景：处置", f"{cea['n_dispose']:,}"),
        ),
        tables=(
            Table(
                "collateral_by_type",
                "Value and max loan by right type",
                "按权利类型的价值与可贷额",
                by_type,
                labels=_LABELS,
            ),
            Table(
                "collateral_binding_bounds",
                "Which bound sets the advance rate",
                "质押率的约束来源",
                bounds,
                labels=_LABELS,
            ),
            Table(
                "collateral_valuations",
                "Valuation of every right",
                "逐笔权利估值",
                valuations.select(
                    "right_id",
                    "borrower_id",
                    "right_type",
                    "method",
                    "stand_class",
                    "value_cny",
                    "haircut",
                    "max_loan_cny",
                    "binding_bound",
                    "remaining_term_years",
                    "refusal_reason",
                    "parcel_id",
                    "pledged",
                ),
                labels=_LABELS,
                html_rows=20,
            ),
            Table(
                "collateral_stress",
                "Stress scenarios on the pledged book",
                "质押组合压力情景",
                stress_table,
                labels=_LABELS,
            ),
            Table(
                "collateral_breaches",
                "Loans that breach a margin line",
                "触及警戒线/处置线的贷款",
                breach_table,
                labels=_LABELS,
                html_rows=20,
            ),
        ),
        figures=(_figure(paths, prices),),
        notes=(
            "Synthetic sample county (合成数据): rights from county_rights, CEA closes from cea_prices (published"
            " anchors 97.49 / 105.66 / 57.97; the path between anchors is synthetic).",
            "Advance rate = the stricter of the haircut model 1-(1-H_price)(1-H_liquidity)(1-H_legal)(1-H_physical)"
            " and the policy cap of type, stand class and tier (林权 30/40/50/60%, hard cap 60%); 'binding_bound'"
            " names which one set it.",
            "Eco-income rights are valued on realisable cash flows only (government purchases, GEP-increment rewards,"
            " tickets, leases), never on GEP itself.",
            f"{n_unverified} of {params.height} collateral parameters are unverified (⚠): growth curves, timber"
            " prices, haircut components and most margin lines are greenfin assumptions to be confirmed; see the"
            " parameter table.",
            "Pledges were registered in a throw-away in-memory registry: one active pledge per right is enforced by"
            " the database; the loan is the max loan x a drawn share (demo assumption).",
        ),
        params=params,
    )
