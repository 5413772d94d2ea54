"""Demo stage: green-credit assessment of the sample prefecture's banks (绿色信贷考核评价).

Scores the 20 sample banks for the latest sample quarter under the PBoC 2021 rulebook (with the quarter trend
over the last four quarters and the Jiangxi eco-product variant beside it), attributes environmental benefits
(CBRC method) and financed emissions (PCAF), and computes a GEP-linked transfer for the sample county. The
section builders here are also used by ``greenfin assess``.

GEP input: ``ctx.results["gep"]["total_cny"]`` when the GEP stage ran (county 369901's sample series is rescaled so
its latest year equals that total, keeping the sample's year-on-year path); otherwise the documented sample table
``assessment_gep_accounts``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from greenfin.assessment import (
    BankAssessment,
    BenefitResult,
    EmissionsResult,
    GepTransferRule,
    Rulebook,
    aggregate_loans,
    attribute_benefits,
    bank_quarter_panel,
    classify_loans,
    financed_emissions,
    gep_transfers,
    load_benefit_factors,
    load_gep_transfer_rule,
    load_pcaf_factors,
    load_rulebook,
    rulebook_formulas,
    score_banks,
    validate_bank_quarters,
    validate_loans,
    validate_projects,
)
from greenfin.datasets import load_sample
from greenfin.datasets._county import COUNTY_ID
from greenfin.report._model import Figure, KeyFigure, Section, Table, figure_png
from greenfin.report.demo import DemoContext
from greenfin.units import yuan_to

ORDER = 70
KEY = "assessment"
LABEL = "Green-credit assessment · 绿色信贷考核评价"

LABELS: dict[str, str] = {
    "rank": "Rank 排名",
    "bank_code": "Bank code 机构编码",
    "bank_name": "Bank 机构名称",
    "quarter": "Quarter 季度",
    "peer_group": "Peer group 同类组",
    "quantitative_score": "Quantitative 定量得分 (0-100)",
    "qualitative_score": "Qualitative 定性得分 (0-100)",
    "total_score": "Total 综合得分",
    "grade": "Grade 等级",
    "rank_basis": "Rank basis 排名依据",
    "indicator": "Indicator 指标",
    "name_en": "Indicator (EN)",
    "name_zh": "指标名称",
    "value": "Value 指标值",
    "history_mean": "Own 3-quarter mean 前三季均值",
    "longitudinal_points": "Longitudinal 纵向得分",
    "cross_sectional_points": "Cross-sectional 横向得分",
    "points": "Points 得分",
    "max_points": "Max 满分",
    "guard": "Guard applied 特殊处理",
    "formula_status": "Formula status 公式核实状态",
    "issue": "Issue 问题",
    "green_loans_cny": "Green loans 绿色贷款 (CNY)",
    "total_loans_cny": "All loans 各项贷款 (CNY)",
    "coal_saved_tce": "Coal saved 节约标准煤 (tce/yr)",
    "co2_reduced_tco2e": "CO2 reduced 二氧化碳减排 (tCO2e/yr)",
    "cod_reduced_t": "COD 化学需氧量 (t/yr)",
    "nh3n_reduced_t": "NH3-N 氨氮 (t/yr)",
    "so2_reduced_t": "SO2 二氧化硫 (t/yr)",
    "nox_reduced_t": "NOx 氮氧化物 (t/yr)",
    "water_saved_t": "Water saved 节水 (t/yr)",
    "balance_cny": "Balance 余额 (CNY)",
    "n_loans": "Loans 笔数",
    "benefit_dq_score_weighted": "Benefit data quality 效益数据质量 (1-5)",
    "financed_tco2e": "Financed emissions 融资排放 (tCO2e/yr)",
    "pcaf_dq_score_weighted": "PCAF data quality 数据质量 (1-5)",
    "share_reported": "Share with reported emissions 报告排放占比",
    "sector": "Sector GB/T 4754 行业门类",
    "category_code": "Category 绿色分类 (2025)",
    "county_id": "County 县区",
    "year": "Year 年份",
    "gep_cny": "GEP 生态系统生产总值 (CNY)",
    "gep_change_cny": "GEP change 变化 (CNY)",
    "transfer_cny": "Transfer 转移支付/生态补偿 (CNY)",
    "level_component_cny": "Level part 总量部分 (CNY)",
    "change_component_cny": "Change part 增量部分 (CNY)",
    "target": "Target 对象",
    "computed_points": "Computed 计算得分",
    "override_points": "Override 调整后得分",
    "reason": "Reason 理由",
    "author": "Author 调整人",
}


def _params_frame(
    rulebooks: Sequence[Rulebook] = (),
    *,
    benefit_factors: pl.DataFrame | None = None,
    pcaf: bool = False,
    gep_rule: GepTransferRule | None = None,
) -> pl.DataFrame:
    frames: list[pl.DataFrame] = []
    for rb in rulebooks:
        f = rulebook_formulas(rb)
        frames.append(
            f.select(
                pl.col("rulebook").alias("table"),
                (pl.col("item") + " · " + pl.col("part")).alias("parameter"),
                "value",
                pl.lit("").alias("unit"),
                pl.lit(None, dtype=pl.Int64).alias("price_year"),
                pl.col("status").alias("confidence"),
                "mark",
                "source",
                pl.lit("").alias("note"),
            )
        )
    if benefit_factors is not None:
        frames.append(benefit_factors)
    if pcaf:
        frames.append(load_pcaf_factors().to_frame())
    if gep_rule is not None:
        marks = {"confirmed": "✔", "secondary": "≈", "unverified": "⚠"}
        rows = [
            {
                "table": gep_rule.id,
                "parameter": name,
                "value": str(sv.value),
                "unit": "CNY/CNY",
                "price_year": None,
                "confidence": sv.status,
                "mark": marks[sv.status],
                "source": sv.source,
                "note": gep_rule.note,
            }
            for name, sv in (
                ("level_rate", gep_rule.level_rate),
                ("increase_rate", gep_rule.increase_rate),
                ("decrease_rate", gep_rule.decrease_rate),
            )
        ]
        frames.append(pl.DataFrame(rows, schema_overrides={"price_year": pl.Int64}))
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()


def _bank_label(names: Mapping[str, str], code: str) -> str:
    return names.get(code, code)


def _ranking_figure(scores: pl.DataFrame, rulebook: Rulebook, names: Mapping[str, str]) -> Figure:
    import matplotlib.pyplot as plt
    import numpy as np

    df = scores.sort("rank", descending=True)
    ids = [i.id for i in rulebook.indicators]
    w = rulebook.quantitative_weight.value
    fig, ax = plt.subplots(figsize=(8, 0.32 * df.height + 1.5))
    left = np.zeros(df.height)
    colours = plt.get_cmap("tab10")
    for k, ind in enumerate(ids):
        vals = df[ind].to_numpy() * w
        ax.barh(df["bank_code"].to_list(), vals, left=left, color=colours(k), label=f"{ind} (x{w:g})")
        left += vals
    if df["qualitative_score"].is_not_null().all():
        vals = df["qualitative_score"].to_numpy() * rulebook.qualitative_weight.value
        ax.barh(df["bank_code"].to_list(), vals, left=left, color="0.7", label="qualitative")
        left += vals
    for y, total in enumerate(left):
        ax.text(total + 0.5, y, f"{total:.1f}", va="center", fontsize=7)
    ax.set_xlabel("score (points of 100)")
    ax.set_xlim(0, 105)
    quarter = df["quarter"][0] if df.height else ""
    ax.set_title(f"Bank ranking {quarter}, rulebook {rulebook.id}")
    ax.legend(fontsize=7, loc="lower right")
    del names
    return Figure("ranking", f"Ranking and score build-up, {quarter} · 评价排名及得分构成", figure_png(fig))


def _trend_figure(trend: BankAssessment, panel: pl.DataFrame) -> Figure:
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    basis = "total_score" if trend.scores["total_score"].is_not_null().all() else "quantitative_score"
    latest = trend.scores.filter(pl.col("quarter") == max(trend.quarters)).sort("rank")
    top = latest["bank_code"].head(5).to_list()
    for bank, sub in trend.scores.sort("quarter").group_by("bank_code", maintain_order=True):
        code = str(bank[0])
        hi = code in top
        ax1.plot(sub["quarter"].to_list(), sub[basis].to_list(), marker="o" if hi else None,
                 color=None if hi else "0.8", lw=2 if hi else 1, label=code if hi else None)  # fmt: skip
    ax1.set_title(f"{basis.replace('_', ' ')} by quarter (top 5 of the latest quarter)")
    ax1.set_ylabel("points")
    ax1.legend(fontsize=7)
    g = (
        panel.group_by("quarter")
        .agg(pl.col("green_loans_cny").sum(), pl.col("eco_green_loans_cny").sum())
        .sort("quarter")
    )
    ax2.bar(g["quarter"].to_list(), yuan_to(g["green_loans_cny"].to_numpy(), "yi_yuan"), label="green loans")
    ax2.bar(g["quarter"].to_list(), yuan_to(g["eco_green_loans_cny"].to_numpy(), "yi_yuan"), label="eco-product backed")
    ax2.set_title("Green-loan balance, all banks (100 million CNY)")
    ax2.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", rotation=45, labelsize=7)
    fig.tight_layout()
    return Figure(
        "trends", "Quarter trends: scores and green-loan balance · 季度趋势：得分与绿色贷款余额", figure_png(fig)
    )


def _breakdown_figure(result: BankAssessment) -> Figure:
    import matplotlib.pyplot as plt
    import numpy as np

    bd = result.breakdown.with_columns((pl.col("points") / pl.col("max_points")).alias("frac"))
    wide = bd.pivot(on="indicator", index="bank_code", values="frac", aggregate_function="first").sort("bank_code")
    inds = [c for c in wide.columns if c != "bank_code"]
    mat = wide.select(inds).to_numpy().astype(np.float64)
    fig, ax = plt.subplots(figsize=(1.2 * len(inds) + 3, 0.3 * wide.height + 1.5))
    im = ax.imshow(mat, aspect="auto", cmap="YlGn", vmin=0, vmax=1)
    ax.set_xticks(range(len(inds)), inds, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(wide.height), wide["bank_code"].to_list(), fontsize=7)
    for (i, j), v in np.ndenumerate(mat):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color="white" if v > 0.6 else "black")
    fig.colorbar(im, ax=ax, label="share of maximum points")
    ax.set_title("Indicator breakdown (points / maximum)")
    return Figure("breakdown", "Indicator breakdown per bank · 分指标得分率", figure_png(fig))


def banks_section(
    result: BankAssessment,
    trend: BankAssessment | None,
    panel: pl.DataFrame,
    rulebook: Rulebook,
    names: Mapping[str, str],
    *,
    extra_notes: Sequence[str] = (),
) -> Section:
    """Section of the bank assessment: ranking, breakdown, trends, warnings, overrides and formula status."""
    quarter = result.quarters[-1]
    scores = result.scores.filter(pl.col("quarter") == quarter).with_columns(
        pl.col("bank_code").replace_strict(dict(names), default=pl.col("bank_code")).alias("bank_name")
    )
    ind_ids = [i.id for i in rulebook.indicators]
    ranking = scores.select(
        "rank", "bank_code", "bank_name", *ind_ids, "quantitative_score", "qualitative_score", "total_score", "grade"
    )
    labels = dict(LABELS) | {i.id: f"{i.name_en} {i.name_zh} ({i.points:g})" for i in rulebook.indicators}
    unverified = rulebook_formulas(rulebook).filter(pl.col("status") != "confirmed")
    top = ranking.row(0, named=True)
    basis = "total" if scores["total_score"].is_not_null().all() else "quantitative"
    green_now = panel.filter(pl.col("quarter") == quarter)["green_loans_cny"].sum()
    key = [
        KeyFigure("Banks scored", "参评机构", f"{scores.height}"),
        KeyFigure("Quarter", "评价季度", quarter),
        KeyFigure("Top bank", "排名第一", f"{top['bank_code']} ({top[f'{basis}_score']:.1f})"),
        KeyFigure("Median score", "得分中位数", f"{scores.select(pl.col(f'{basis}_score').median()).item():.1f}"),
        KeyFigure(
            "Green loans, all banks",
            "绿色贷款余额合计",
            f"{yuan_to([float(green_now)], 'yi_yuan')[0]:,.2f} 亿元",
        ),
    ]
    tables = [
        Table(
            "assessment_ranking",
            f"Bank ranking {quarter} ({rulebook.id})",
            f"银行业绿色金融评价排名（{quarter}）",
            ranking,
            labels,
        ),
        Table(
            "assessment_breakdown",
            "Indicator breakdown",
            "分指标得分明细",
            result.breakdown.drop("peer_group", "direction", "history_quarters", "peer_n", "peer_min", "peer_max"),
            labels,
            html_rows=20,
        ),
        Table(
            "assessment_formulas",
            "Rulebook formulas and their status",
            "评价规则公式及核实状态",
            rulebook_formulas(rulebook),
            labels,
            html_rows=40,
        ),
    ]
    if trend is not None:
        t = trend.scores.select(
            "quarter", "bank_code", "quantitative_score", "qualitative_score", "total_score", "rank"
        )
        tables.append(
            Table(
                "assessment_trend",
                "Scores by quarter",
                "各季度得分",
                t.sort("bank_code", "quarter"),
                labels,
                html_rows=24,
            )
        )
    if result.warnings.height:
        tables.append(Table("assessment_warnings", "Data issues met", "数据问题", result.warnings, labels))
    if result.overrides.height:
        tables.append(Table("assessment_overrides", "Manual overrides", "人工调整", result.overrides, labels))
    figures = [_ranking_figure(scores, rulebook, names), _breakdown_figure(result)]
    if trend is not None:
        figures.insert(1, _trend_figure(trend, panel))
    notes = [
        f"Rulebook {rulebook.id} v{rulebook.version}: {rulebook.title_en} / {rulebook.title_zh}. {rulebook.note}",
        f"{unverified.height} weights or formulas are not confirmed against the official annex (marked ≈ or ⚠ in "
        "the formula table); the V() and H() interpolations are the reference's proposal.",
        "Loans are mapped to the 2025 catalogue by approval date (crosswalk ⚠ unverified, grandfathering ≈); "
        "eco-product-value loans are those pledging an eco-product right "
        "(林权, 碳汇, 排污权, 取水权, GEP/VEP 收益权 …).",
        f"Ranked by the {basis} score; ties share a rank.",
        *extra_notes,
    ]
    return Section(
        KEY,
        "Green-credit assessment of banks",
        "银行业金融机构绿色金融评价",
        key_figures=tuple(key),
        tables=tuple(tables),
        figures=tuple(figures),
        notes=tuple(notes),
        params=_params_frame([rulebook]),
    )


def benefits_section(result: BenefitResult, quarter: str) -> Section:
    """Section of the CBRC environmental benefits for one quarter."""
    import matplotlib.pyplot as plt

    by_bank = result.by_bank.filter(pl.col("quarter") == quarter)
    by_sector = result.by_sector.filter(pl.col("quarter") == quarter)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(by_bank["bank_code"].to_list(), by_bank["co2_reduced_tco2e"].to_list(), color="tab:green")
    ax.set_title(f"CO2 reduction attributed to each bank, {quarter} (tCO2e/yr, CBRC method)")
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    key = [
        KeyFigure("Coal saved", "节约标准煤", f"{by_bank['coal_saved_tce'].sum():,.0f} tce/yr"),
        KeyFigure("CO2 reduced", "二氧化碳减排", f"{by_bank['co2_reduced_tco2e'].sum():,.0f} tCO2e/yr"),
        KeyFigure(
            "Projects over-attributed",
            "跨行重复归属项目",
            f"{result.double_counting.filter(pl.col('quarter') == quarter).height}",
        ),
    ]
    tables = [
        Table(
            "benefits_by_bank",
            f"Environmental benefits by bank {quarter}",
            f"各机构环境效益（{quarter}）",
            by_bank,
            LABELS,
        ),
        Table(
            "benefits_by_sector",
            f"Environmental benefits by category {quarter}",
            f"分类别环境效益（{quarter}）",
            by_sector,
            LABELS,
        ),
        Table(
            "benefits_double_counting",
            "Projects attributed above 100% across banks",
            "跨行归属超过100%的项目",
            result.double_counting,
            LABELS,
        ),
    ]
    return Section(
        KEY,
        "Environmental benefits of green loans",
        "绿色信贷环境效益",
        key_figures=tuple(key),
        tables=tuple(tables),
        figures=(Figure("benefits", f"CO2 reduction by bank {quarter} · 各机构二氧化碳减排", figure_png(fig)),),
        notes=(
            "Benefit = project annual benefit × loan balance ÷ project total investment (CBRC 2013 guide). "
            "Renewable projects without a coal figure use power × the factor vintage's coal rate (⚠ values).",
            "Balance-based attribution drifts as loans amortise; shares above 100% across banks are listed.",
        ),
        params=_params_frame(benefit_factors=result.factors_used),
    )


def emissions_section(result: EmissionsResult, quarter: str) -> Section:
    """Section of the PCAF financed emissions for one quarter."""
    import matplotlib.pyplot as plt

    by_bank = result.by_bank.filter(pl.col("quarter") == quarter)
    by_sector = result.by_sector.filter(pl.col("quarter") == quarter)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(by_sector["sector"].to_list(), by_sector["financed_tco2e"].to_list(), color="tab:brown")
    for x, (v, dq) in enumerate(
        zip(by_sector["financed_tco2e"].to_list(), by_sector["pcaf_dq_score_weighted"].to_list(), strict=True)
    ):
        ax.text(x, v, f"DQ {dq:.1f}", ha="center", va="bottom", fontsize=7)
    ax.set_title(f"Financed emissions by GB/T 4754 section, {quarter} (tCO2e/yr, PCAF)")
    total = float(by_bank["financed_tco2e"].sum())
    bal = float(by_bank["balance_cny"].sum())
    weighted = float((by_bank["pcaf_dq_score_weighted"] * by_bank["balance_cny"]).sum())
    dq = weighted / bal if bal else float("nan")
    key = [
        KeyFigure("Financed emissions", "融资排放", f"{total:,.0f} tCO2e/yr"),
        KeyFigure("Portfolio data quality", "组合数据质量", f"{dq:.2f} (1 best - 5 worst)"),
    ]
    return Section(
        KEY,
        "Financed emissions (PCAF)",
        "融资排放（PCAF）",
        key_figures=tuple(key),
        tables=(
            Table(
                "emissions_by_bank",
                f"Financed emissions by bank {quarter}",
                f"各机构融资排放（{quarter}）",
                by_bank,
                LABELS,
            ),
            Table(
                "emissions_by_sector",
                f"Financed emissions by sector {quarter}",
                f"分行业融资排放（{quarter}）",
                by_sector,
                LABELS,
            ),
        ),
        figures=(Figure("emissions", f"Financed emissions by sector {quarter} · 分行业融资排放", figure_png(fig)),),
        notes=(
            "Financed = attribution factor × (Scope 1 + Scope 2), AF = balance ÷ (EVIC or equity + debt), "
            "capped at 1 (⚠). Loans without borrower emissions use balance × sector intensity "
            "(⚠ illustrative factors) at data-quality score 5.",
        ),
        params=_params_frame(pcaf=True),
    )


def gep_section(transfers: pl.DataFrame, rule: GepTransferRule, county_id: str, gep_source: str) -> Section:
    """Section of the GEP-linked transfers."""
    latest = transfers.filter(pl.col("county_id") == county_id).sort("year").tail(1)
    key = []
    if latest.height:
        row = latest.row(0, named=True)
        key = [
            KeyFigure(
                f"GEP-linked transfer {row['year']}",
                "GEP挂钩转移支付",
                f"{yuan_to([row['transfer_cny']], 'wan_yuan')[0]:,.1f} 万元",
            ),
            KeyFigure("GEP change", "GEP变化", f"{row['gep_change_frac']:+.2%}"),
        ]
    table = transfers.select(
        "county_id", "year", "gep_cny", "gep_change_cny", "level_component_cny", "change_component_cny", "transfer_cny"
    )
    return Section(
        KEY,
        "GEP-linked transfers",
        "GEP挂钩生态补偿/转移支付",
        key_figures=tuple(key),
        tables=(
            Table("gep_transfers", f"Transfers under rule {rule.id}", f"转移支付（规则 {rule.id}）", table, LABELS),
        ),
        notes=(f"Rule {rule.id}: {rule.note} GEP source: {gep_source}.",),
        params=_params_frame(gep_rule=rule),
    )


def merge_sections(sections: Sequence[Section], title_en: str, title_zh: str) -> Section:
    """Merge several sections into one (the demo shows one section per stage)."""
    params = [s.params for s in sections if s.params is not None and s.params.height]
    return Section(
        KEY,
        title_en,
        title_zh,
        key_figures=tuple(k for s in sections for k in s.key_figures),
        tables=tuple(t for s in sections for t in s.tables),
        figures=tuple(f for s in sections for f in s.figures),
        notes=tuple(n for s in sections for n in s.notes),
        params=pl.concat(params, how="vertical_relaxed").unique(maintain_order=True) if params else None,
    )


def _sample_gep(ctx: DemoContext) -> tuple[pl.DataFrame, str]:
    gep = load_sample("assessment_gep_accounts").with_columns(pl.col("county_id").cast(pl.String))
    total: Any = ctx.results.get("gep", {}).get("total_cny") if isinstance(ctx.results.get("gep"), dict) else None
    if isinstance(total, int | float) and total > 0:
        county = gep.filter(pl.col("county_id") == COUNTY_ID).sort("year")
        factor = float(total) / float(county["gep_cny"][-1])
        # rescale the county's sample series so its latest year equals the GEP stage's total: the sample's
        # year-on-year path is kept, so the change the transfer rule rewards stays plausible
        gep = gep.with_columns(
            pl.when(pl.col("county_id") == COUNTY_ID)
            .then(pl.col("gep_cny") * factor)
            .otherwise(pl.col("gep_cny"))
            .alias("gep_cny")
        )
        return gep, (
            f"county {COUNTY_ID}: the sample series rescaled so its latest year equals the GEP stage's total_cny "
            f"(factor {factor:.3f}); other counties from the sample table"
        )
    return gep, "sample table assessment_gep_accounts (synthetic; GEP stage not run)"


def run(ctx: DemoContext) -> Section:
    """Assess the sample prefecture's banks for the latest sample quarter."""
    loans = classify_loans(validate_loans(load_sample("assessment_loans"), source="assessment_loans"))
    banks = validate_bank_quarters(load_sample("assessment_banks"), source="assessment_banks")
    names = dict(banks.select("bank_code", "bank_name").unique().iter_rows())
    panel = bank_quarter_panel(aggregate_loans(loans), banks)
    quarters = sorted(panel["quarter"].unique().to_list())
    latest = quarters[-1]
    rulebook = load_rulebook("pboc-2021")
    trend = score_banks(panel, rulebook, quarters[-4:])
    result = score_banks(panel, rulebook, latest)
    jx = score_banks(panel, load_rulebook("jiangxi-evr"), latest)
    moved = result.scores.select("bank_code", pl.col("rank").alias("rank_pboc")).join(
        jx.scores.select("bank_code", pl.col("rank").alias("rank_jiangxi")), on="bank_code"
    )
    n_moved = moved.filter(pl.col("rank_pboc") != pl.col("rank_jiangxi")).height
    banks_sec = banks_section(
        result,
        trend,
        panel,
        rulebook,
        names,
        extra_notes=(
            f"Under the Jiangxi eco-product variant (jiangxi-evr) {n_moved} of {moved.height} banks change rank.",
        ),
    )
    benefits = attribute_benefits(
        loans, validate_projects(load_sample("assessment_projects")), factors=load_benefit_factors()
    )
    emissions = financed_emissions(loans.filter(pl.col("quarter") == latest))
    rule = load_gep_transfer_rule("level-and-change")
    gep, gep_source = _sample_gep(ctx)
    transfers = gep_transfers(gep, rule)
    section = merge_sections(
        [
            banks_sec,
            benefits_section(benefits, latest),
            emissions_section(emissions, latest),
            gep_section(transfers, rule, COUNTY_ID, gep_source),
        ],
        "Green-credit assessment of the sample prefecture's banks",
        "样本市银行业绿色信贷考核评价",
    )
    county = transfers.filter(pl.col("county_id") == COUNTY_ID).sort("year").tail(1)
    ctx.results[KEY] = {
        "quarter": latest,
        "rulebook": rulebook.id,
        "scores": result.scores,
        "ranking": result.scores.select("bank_code", "rank", "total_score").to_dicts(),
        "co2_reduced_tco2e": float(benefits.by_bank.filter(pl.col("quarter") == latest)["co2_reduced_tco2e"].sum()),
        "financed_tco2e": float(emissions.by_bank["financed_tco2e"].sum()),
        "gep_transfer_cny": float(county["transfer_cny"][0]) if county.height else None,
    }
    return section
