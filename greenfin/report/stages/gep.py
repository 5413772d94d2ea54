"""Demo stage: parcel and county GEP accounts (生态系统生产总值核算) of the sample county."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from greenfin.datasets import load_sample
from greenfin.gep import (
    GepAccount,
    account_parcels,
    list_rules,
    load_rules,
    monte_carlo,
    standard_layout,
)
from greenfin.gep._analysis import LAYOUT_LABELS
from greenfin.report._model import Figure, KeyFigure, Section, Table, figure_png
from greenfin.report.demo import DemoContext
from greenfin.units import money_label, yuan_to

ORDER = 10
KEY = "gep"
LABEL = "GEP accounts · 生态系统生产总值核算"

RULES = "jiangxi-db36-1402-2021"
N_SIMS = 2000


def _yi(x: float) -> str:
    return f"{float(yuan_to([x], 'yi_yuan')[0]):,.2f} {money_label('yi_yuan')}"


def _indicator_figure(acc: GepAccount) -> Figure:
    import matplotlib.pyplot as plt

    c = acc.county.filter(pl.col("value_cny") > 0).sort("value_cny")
    fig, ax = plt.subplots(figsize=(8, 5))
    colors = {"material": "#8c6d31", "regulating": "#2c7fb8", "cultural": "#d95f0e"}
    vals = yuan_to(c["value_cny"].to_numpy(), "yi_yuan")
    ax.barh(c["label_en"].to_list(), vals, color=[colors[k] for k in c["category"].to_list()])
    ax.set_xscale("log")
    ax.set_xlabel("Value (1e8 CNY, log scale)")
    ax.set_title(f"GEP by indicator, {acc.rules.id}, {acc.year} prices")
    return Figure("gep_by_indicator", "Value by indicator · 各指标价值量", figure_png(fig))


def _map_figure(parcels: pl.DataFrame, villages: pl.DataFrame) -> Figure | None:
    import matplotlib.pyplot as plt

    if not {"x_km", "y_km"} <= set(parcels.columns):
        return None
    joined = parcels.select("village_id", "x_km", "y_km").join(
        villages.select("village_id", "gep_cny_per_ha"), on="village_id", how="left"
    )
    x = joined["x_km"].cast(pl.Float64).to_numpy()
    y = joined["y_km"].cast(pl.Float64).to_numpy()
    dens = joined["gep_cny_per_ha"].to_numpy() / 1e4
    bins = (np.arange(0.0, x.max() + 0.6, 0.5), np.arange(0.0, y.max() + 0.6, 0.5))
    total, xe, ye = np.histogram2d(x, y, bins=bins, weights=dens)
    count, _, _ = np.histogram2d(x, y, bins=bins)
    grid = np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
    fig, ax = plt.subplots(figsize=(8, 5.2))
    im = ax.imshow(grid.T, origin="lower", extent=(xe[0], xe[-1], ye[0], ye[-1]), cmap="viridis")
    fig.colorbar(im, ax=ax, label="Village GEP density (1e4 CNY/ha)")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_title("Village GEP per hectare at parcel locations (0.5 km cells)")
    return Figure("gep_density_map", "GEP density by village · 各村GEP密度", figure_png(fig))


def _uncertainty_figure(mc: pl.DataFrame) -> Figure:
    import matplotlib.pyplot as plt

    m = mc.filter(pl.col("p50_cny") > 0).sort("p50_cny")
    p10, p50, p90 = (yuan_to(m[c].to_numpy(), "yi_yuan") for c in ("p10_cny", "p50_cny", "p90_cny"))
    y = np.arange(m.height)
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.hlines(y, p10, p90, color="#2c7fb8", linewidth=4, alpha=0.5, label="P10-P90")
    ax.plot(p50, y, "o", color="#08306b", label="P50")
    ax.set_yticks(y, m["label_en"].to_list())
    ax.set_xscale("log")
    ax.set_xlabel("Value (1e8 CNY, log scale)")
    ax.set_title(f"Monte Carlo uncertainty ({N_SIMS} draws over prices and quantities)")
    ax.legend(loc="lower right")
    return Figure("gep_uncertainty", "Uncertainty bands P10/P50/P90 · 不确定性区间", figure_png(fig))


def _villages(parcels: pl.DataFrame) -> pl.DataFrame:
    keep = [c for c in ("township_id",) if c in parcels.columns]
    return (
        parcels.group_by("village_id")
        .agg(
            *[pl.col(c).first() for c in keep],
            pl.col("area_ha").sum(),
            pl.col("material_cny").sum(),
            pl.col("regulating_cny").sum(),
            pl.col("cultural_cny").sum(),
            pl.col("gep_cny").sum(),
            pl.col("realisable_cny").sum(),
        )
        .with_columns((pl.col("gep_cny") / pl.col("area_ha")).alias("gep_cny_per_ha"))
        .sort("village_id")
    )


def _compare(parcels: pl.DataFrame, inventory: pl.DataFrame, year: int) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for rid in list_rules():
        acc = account_parcels(parcels, rules=rid, inventory=inventory, year=year)
        c = acc.county
        rows.append(
            {
                "rules": rid,
                "indicators": c.height,
                "material_cny": float(c.filter(pl.col("category") == "material")["value_cny"].sum()),
                "regulating_cny": float(c.filter(pl.col("category") == "regulating")["value_cny"].sum()),
                "cultural_cny": float(c.filter(pl.col("category") == "cultural")["value_cny"].sum()),
                "gep_cny": acc.total_cny,
                "gep_gdp_ratio": acc.total_cny / acc.gdp_cny if acc.gdp_cny else None,
                "unverified_params": int((acc.rules.params_frame(_used(acc))["confidence"] == "unverified").sum()),
            }
        )
    return pl.DataFrame(rows)


def _used(acc: GepAccount) -> tuple[str, ...]:
    inds = set(acc.county["indicator"].to_list())
    return tuple(k for k in (*acc.rules.params, *acc.rules.class_params) if k.split(".")[0] in inds)


def run(ctx: DemoContext) -> Section:
    """Account the sample county's parcels, summarise by village and county, and quantify uncertainty.

    Parameters
    ----------
    ctx : DemoContext
        Shared demo context; ``ctx.results["gep"]`` receives ``parcels``, ``villages``, ``county``, ``layout``,
        ``uncertainty``, ``account`` and ``total_cny``.

    Returns
    -------
    Section
        The GEP section of the report.
    """
    parcels_in = load_sample("county_parcels")
    inventory = load_sample("county_quantities")
    acc = account_parcels(parcels_in, rules=load_rules(RULES), inventory=inventory)
    assert acc.parcels is not None
    parcels = acc.parcels
    villages = _villages(parcels)
    layout = standard_layout(acc)
    mc = monte_carlo(acc, n_sims=N_SIMS, seed=ctx.seed)
    compare = _compare(parcels_in, inventory, acc.year)
    total = acc.total_cny
    real = float(acc.county["realisable_cny"].sum())
    gep_row = mc.filter(pl.col("indicator") == "gep").row(0, named=True)
    ctx.results[KEY] = {
        "parcels": parcels,
        "villages": villages,
        "county": acc.county,
        "layout": layout,
        "uncertainty": mc,
        "account": acc,
        "total_cny": total,
        "rules": acc.rules.id,
        "year": acc.year,
    }
    parcels_xy = parcels.join(parcels_in.select("parcel_id", "x_km", "y_km"), on="parcel_id", how="left")
    figures = [_indicator_figure(acc), _uncertainty_figure(mc)]
    density = _map_figure(parcels_xy, villages)
    if density is not None:
        figures.insert(1, density)
    used = acc.rules.params_frame(_used(acc))
    n_unverified = int((used["confidence"] == "unverified").sum())
    key_figures = [
        KeyFigure("GEP", "生态系统生产总值", _yi(total)),
        KeyFigure("GEP P10-P90", "GEP 10%-90% 分位", f"{_yi(gep_row['p10_cny'])} - {_yi(gep_row['p90_cny'])}"),
        KeyFigure("Realisable share", "可实现价值占比", f"{real / total:.1%}" if total else "-"),
    ]
    if acc.gdp_cny:
        key_figures.append(KeyFigure("GEP / GDP", "GEP 与 GDP 之比", f"{total / acc.gdp_cny:.2f}"))
    key_figures.append(KeyFigure("Parcels", "地块数", f"{parcels.height:,}"))
    notes = [
        *acc.notes,
        f"Rule set {acc.rules.id} v{acc.rules.version}: {n_unverified} of {used.height} parameters used are "
        "unverified (⚠) placeholders borrowed from RCEES/Garzê, LY/T 1721-2008 or background knowledge; the "
        "DB36/T 1402-2021 appendix is not available. See the parameter table.",
        "Material products, recreation, landscape, emissions and loads come from the county inventory "
        "(county_quantities) and are allocated to parcels by supplying area; emission caps are applied at county "
        "scale and allocated back pro rata to each parcel's capacity.",
        "Realisable shares and payer types are greenfin assumptions (realisable.json, ⚠), anchored on the 上犹 VEP "
        "case (realisable 18.77亿 of 71.22亿).",
        "Monte Carlo spreads are greenfin assumptions (uncertainty.json, ⚠): 10/20/35 % log-sd for confirmed/"
        "secondary/unverified prices, 15 % for modelled quantities, 5 % for statistics.",
        *[f"Flag: {r['kind']} {r['indicators']}: {r['status']}. {r['note']}" for r in acc.flags.iter_rows(named=True)],
        "Synthetic sample county (合成数据): not real data.",
    ]
    village_labels = {
        "village_id": "Village 村",
        "township_id": "Township 乡镇",
        "area_ha": "Area 面积 (ha)",
        "material_cny": "Material 物质产品 (CNY)",
        "regulating_cny": "Regulating 调节服务 (CNY)",
        "cultural_cny": "Cultural 文化服务 (CNY)",
        "gep_cny": "GEP (CNY)",
        "realisable_cny": "Realisable 可实现 (CNY)",
        "gep_cny_per_ha": "GEP per ha 单位面积GEP (CNY/ha)",
    }
    tables = (
        Table(
            "gep_county_account",
            "County GEP account (standard layout)",
            "县域GEP核算表（实物量与价值量）",
            layout,
            labels=LAYOUT_LABELS,
        ),
        Table(
            "gep_uncertainty",
            "Monte Carlo P10/P50/P90",
            "蒙特卡洛不确定性分析",
            mc,
            labels={
                "label_en": "Indicator 指标",
                "label_zh": "指标",
                "point_cny": "Point 点估计 (CNY)",
                "mean_cny": "Mean 均值 (CNY)",
                "p10_cny": "P10 (CNY)",
                "p50_cny": "P50 (CNY)",
                "p90_cny": "P90 (CNY)",
            },
        ),
        Table(
            "gep_rule_sets",
            "GEP under each rule set",
            "不同核算规则下的GEP",
            compare,
            labels={
                "rules": "Rule set 规则",
                "indicators": "Indicators 指标数",
                "material_cny": "Material 物质产品",
                "regulating_cny": "Regulating 调节服务",
                "cultural_cny": "Cultural 文化服务",
                "gep_cny": "GEP",
                "gep_gdp_ratio": "GEP/GDP",
                "unverified_params": "Unverified ⚠ 未核实参数",
            },
        ),
        Table("gep_villages", "GEP by village", "各村GEP", villages, labels=village_labels),
        Table(
            "gep_flags",
            "Double counting, membership and caps",
            "重复计算、指标范围与上限",
            acc.flags,
            labels={"kind": "Kind 类型", "indicators": "Indicators 指标", "status": "Status 状态", "note": "Note 说明"},
        ),
        Table(
            "gep_parcels_sample",
            "Parcel accounts: first 500 parcels (all parcels: greenfin gep account)",
            "地块核算结果（前500个地块）",
            parcels.head(500),
            html_rows=15,
        ),
    )
    return Section(
        key=KEY,
        title_en="GEP accounts of the sample county",
        title_zh="样本县生态系统生产总值（GEP）核算",
        key_figures=tuple(key_figures),
        tables=tables,
        figures=tuple(figures),
        notes=tuple(notes),
        params=used,
    )
