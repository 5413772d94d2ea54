"""Demo stage: price policy forest insurance on the pledged forest parcels, rice cover, index and carbon cover.

Forest parcels: the ids in ``ctx.results["collateral"]["forest_parcels_pledged"]`` when the collateral stage
ran, otherwise every forest parcel of the ``county_parcels`` sample. Rice: the ``rice_yield_history`` sample
(full-cost and income cover by coverage level) and the ``weather_station`` / ``index_design`` samples (rainfall
index with basis risk). Leaves in ``ctx.results["insurance"]``: ``forest_parcels`` (per-parcel premium and
split), ``forest_summary``, ``crop_rates``, ``index_summary``, ``carbon_summary``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from greenfin.datasets import load_sample
from greenfin.insurance import (
    IndexDesign,
    param_table,
    price_carbon_sink,
    price_crop,
    price_forest,
    price_index,
    rate_backtest,
)
from greenfin.report._model import Figure, KeyFigure, Section, Table, figure_png
from greenfin.report.demo import DemoContext
from greenfin.units import money_label, yuan_to

ORDER = 60
KEY = "insurance"
LABEL = "Insurance pricing · 保险定价"

LABELS: dict[str, str] = {
    "forest_category": "Forest category 林种",
    "species_group": "Species group 树种组",
    "parcels": "Parcels 地块数",
    "area_mu": "Area 面积 (mu 亩)",
    "sum_insured_cny": "Sum insured 保险金额 (CNY)",
    "expected_loss_cny": "Expected loss 期望赔款 (CNY)",
    "premium_cny": "Premium 保费 (CNY)",
    "gross_rate": "Gross rate 费率",
    "pure_rate": "Pure rate 纯费率",
    "premium_per_mu_cny": "Premium per mu 亩均保费 (CNY)",
    "premium_fen": "Premium 保费 (fen 分)",
    "central_fen": "Central 中央 (fen)",
    "provincial_fen": "Provincial 省级 (fen)",
    "county_fen": "County 市县 (fen)",
    "insured_fen": "Insured 投保人 (fen)",
    "central_share": "Central share 中央比例",
    "provincial_share": "Provincial share 省级比例",
    "county_share": "County share 市县比例",
    "insured_share": "Insured share 投保人比例",
    "coverage": "Coverage level 保障水平",
    "full_cost_rate": "Full-cost rate 完全成本费率",
    "income_rate": "Income rate 收入保险费率",
    "yield_rate": "Yield rate 产量保险费率",
    "income_coverage": "Income coverage (capped) 收入保障水平",
    "county_id": "County 县",
    "loss_ratio": "Loss ratio 赔付率",
    "z": "Credibility Z 可信度",
    "credibility_loss_ratio": "Credibility loss ratio 可信度赔付率",
    "indicated_rate_change": "Indicated rate change 费率调整",
    "action": "Action 建议",
    "claims_cny": "Claims 赔款 (CNY)",
    "metric": "Metric 指标",
    "value": "Value 数值",
}


def _forest_parcels(ctx: DemoContext) -> tuple[pl.DataFrame, str]:
    parcels = load_sample("county_parcels").filter(pl.col("forest_category").is_not_null())
    pledged = ctx.results.get("collateral", {}).get("forest_parcels_pledged")
    if pledged:
        chosen = parcels.filter(pl.col("parcel_id").is_in(list(pledged)))
        if chosen.height:
            return chosen, f"{chosen.height} pledged forest parcels (collateral stage)"
    return parcels, f"all {parcels.height} forest parcels of the sample county (no pledged parcels available)"


def _figures(forest: Any, crop: pl.DataFrame) -> tuple[Figure, ...]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = []
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bt = forest.by_type
    labels = [f"{c[:6]}/{s}" for c, s in zip(bt["forest_category"], bt["species_group"], strict=True)]
    ax.bar(labels, bt["premium_per_mu_cny"].to_numpy(), color="#2e7d32")
    ax.set_ylabel("premium per mu (CNY)")
    ax.set_title("Forest premium per mu by forest type")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    figs.append(Figure("premium_per_mu", "Premium per mu by forest type · 分林种亩均保费", figure_png(fig)))

    dist = forest.aggregate.central
    cdf = np.cumsum(dist.pmf)
    top = int(np.searchsorted(cdf, 0.9995)) + 1
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(yuan_to(dist.x[:top], "wan_yuan"), 1.0 - cdf[:top], color="#1565c0")
    ax.set_yscale("log")
    var = float(yuan_to([forest.summary["var_995_cny"]], "wan_yuan")[0])
    ax.axvline(var, color="#c62828", linestyle="--", label=f"VaR 99.5% = {var:,.0f} x 1e4 CNY")
    ax.set_xlabel("annual indemnity (1e4 CNY)")
    ax.set_ylabel("P(S > x)")
    ax.set_title("Forest portfolio aggregate loss (FFT, with regional freeze/snow cat)")
    ax.legend()
    figs.append(Figure("aggregate_loss", "Aggregate loss exceedance · 累计赔款超越概率", figure_png(fig)))

    county = crop.filter(pl.col("farm_id") == "county").sort("coverage")
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for col, name in (("yield_rate", "yield"), ("full_cost_rate", "full cost"), ("income_rate", "income (cap 80%)")):
        ax.plot(county["coverage"].to_numpy(), 100 * county[col].to_numpy(), marker="o", label=name)
    ax.set_xlabel("coverage level")
    ax.set_ylabel("pure rate (%)")
    ax.set_title("Rice cover: rate vs coverage (county average yield)")
    ax.legend()
    figs.append(Figure("rate_vs_coverage", "Rate vs coverage · 费率与保障水平", figure_png(fig)))
    return tuple(figs)


def _observed(trend: pl.DataFrame) -> str:
    if "yield_price_correlation_observed" not in trend.columns:
        return "no prices"
    row = trend.filter(pl.col("farm_id") == "county").row(0, named=True)
    if row["yield_price_correlation_observed"] is None:
        return "too few priced years"
    return (
        f"correlation {row['yield_price_correlation_observed']:.2f} and price volatility "
        f"{row['price_volatility_observed']:.2f} (synthetic data)"
    )


def _parcel_table(parcels: pl.DataFrame) -> Table:
    cols = ["premium_cny", "premium_fen", "central_fen", "provincial_fen", "county_fen", "insured_fen"]
    if parcels.height <= 5000:
        frame = parcels.select(
            "parcel_id", "forest_category", "species_group", "area_mu", "sum_insured_cny", "gross_rate", *cols
        )
        return Table("insurance_forest_parcels", "Forest premium per parcel", "地块森林保险保费", frame, LABELS, 15)
    by = "village_id" if "village_id" in parcels.columns else "forest_category"
    frame = (
        parcels.group_by(by)
        .agg(
            pl.len().alias("parcels"),
            pl.col("area_mu").sum(),
            pl.col("sum_insured_cny").sum(),
            *[pl.col(c).sum() for c in cols],
        )
        .sort(by)
    )
    labels = {**LABELS, "village_id": "Village 村"}
    return Table("insurance_forest_villages", "Forest premium by village", "分村森林保险保费", frame, labels, 15)


def run(ctx: DemoContext) -> Section:
    """Price forest, rice, index and carbon-sink cover for the sample county.

    Parameters
    ----------
    ctx : DemoContext
        Shared demo state.

    Returns
    -------
    Section
        The insurance section.
    """
    parcels, parcel_note = _forest_parcels(ctx)
    forest = price_forest(parcels, seed=ctx.seed)
    crop = price_crop(load_sample("rice_yield_history"))
    design = IndexDesign(**{**load_sample("index_design"), "tiers": ()})
    county_yield = load_sample("rice_yield_history").group_by("year").agg(pl.col("yield_kg_per_mu").mean())
    index = price_index(load_sample("weather_station"), design, yields=county_yield)
    carbon = price_carbon_sink(parcels, seed=ctx.seed, years=4000)
    backtest = rate_backtest(load_sample("forest_loss_history"))
    s = forest.summary
    ctx.results[KEY] = {
        "forest_parcels": forest.parcels,
        "forest_summary": s,
        "crop_rates": crop.rates,
        "index_summary": index.summary,
        "carbon_summary": carbon.summary,
    }
    county_rates = crop.rates.filter(pl.col("farm_id") == "county").select(
        "coverage", "yield_rate", "full_cost_rate", "income_coverage", "income_rate"
    )
    rate_80 = county_rates.filter(pl.col("coverage") == 0.8)
    index_rows = pl.DataFrame(
        {
            "metric": list(index.summary),
            "value": [f"{v:.4g}" if isinstance(v, float) else str(v) for v in index.summary.values()],
        }
    )
    carbon_rows = pl.DataFrame(
        {
            "metric": [k for k in carbon.summary if k != "species"],
            "value": [
                f"{v:.4g}" if isinstance(v, float) else str(v) for k, v in carbon.summary.items() if k != "species"
            ],
        }
    )
    params = pl.concat([param_table(n).to_frame() for n in ("forest", "premium", "crop", "index", "carbon")])
    unverified = params.filter(pl.col("confidence") == "unverified").height
    key = [
        KeyFigure("Forest premium", "森林保险保费", f"{s['premium_cny']:,.0f} CNY"),
        KeyFigure("Forest gross rate", "森林保险费率", f"{s['gross_rate'] * 1000:.2f} ‰"),
        KeyFigure(
            "Forest 1-in-200 loss",
            "200年一遇赔款",
            f"{float(yuan_to([s['var_995_cny']], 'wan_yuan')[0]):,.1f} {money_label('wan_yuan')}",
        ),
        KeyFigure("Rice full-cost rate @ 80 %", "水稻完全成本费率(80%)", f"{rate_80['full_cost_rate'][0]:.2%}"),
        KeyFigure("Rice income rate @ 80 %", "水稻收入保险费率(80%)", f"{rate_80['income_rate'][0]:.2%}"),
        KeyFigure("Index burn rate", "指数保险历史赔付率", f"{index.summary['burn_rate']:.2%}"),
        KeyFigure("Carbon-sink rate on line", "碳汇保险费率(保费/限额)", f"{carbon.summary['rate_on_line']:.1%}"),
    ]
    notes = (
        f"Forest parcels priced: {parcel_note}.",
        "Synthetic hazard model (unverified): event rates, areas and loss degrees are a calibration to Jiangxi's "
        "2015 claims (paper.com.cn 2016), plus a 1-in-33-year regional freeze/snow event; refit on insurer data.",
        "Claims rules applied in the loss model: 20 % relative deductible on the loss degree, total loss from 90 %, "
        "single fires under 10 mu excluded (secondary sources, reference §1.4).",
        "Subsidy split of 公益林 assumed central 50 % / provincial 50 % (Jiangxi 统保, inferred); 商品林 split "
        "30/25/20/25 is another county's table (unverified for Jiangxi). Shares are applied to the unrounded premium "
        "and split to the fen (allocate_fen); parcel columns reconcile per parcel.",
        "Cat load: cost of capital 6 % on VaR 99.5 % minus the mean of the portfolio aggregate (FFT), allocated "
        "to parcels in proportion to expected loss.",
        f"Rice: kernel yield density on linearly detrended yields, {crop.rates['farm_id'].n_unique() - 1} farms; "
        "income cover capped at 80 % of expected income; yield-price copula correlation -0.3 and price volatility "
        f"0.10 assumed (unverified); the sample history shows {_observed(crop.trend)}.",
        "Index basis risk is measured against the county-average yield loss; single farms show more basis risk.",
        f"{unverified} parameters are unverified (⚠) and {params.height - unverified} secondary/confirmed; see the "
        "parameter table.",
    )
    tables = (
        Table(
            "insurance_forest_by_type", "Forest premium by forest type", "分林种森林保险保费", forest.by_type, LABELS
        ),
        Table("insurance_premium_split", "Premium split among payers", "保费分担（分）", forest.split, LABELS),
        Table("insurance_rice_rates", "Rice cover rates by coverage (county)", "水稻保险费率", county_rates, LABELS),
        Table("insurance_rate_backtest", "Three-year rate back-test", "三年费率回溯", backtest, LABELS),
        Table("insurance_index", "Rainfall index: burn analysis and basis risk", "降雨指数保险", index_rows, LABELS),
        Table("insurance_carbon", "Carbon-sink index cover", "碳汇指数保险", carbon_rows, LABELS),
        _parcel_table(forest.parcels),
    )
    return Section(
        key=KEY,
        title_en="Insurance pricing: forest, rice, weather index and carbon sink",
        title_zh="保险定价：森林、水稻、天气指数与碳汇",
        key_figures=tuple(key),
        tables=tables,
        figures=_figures(forest, crop.rates),
        notes=notes,
        params=params,
    )
