"""Demo stage: securitize the county's approved eco loans and a small-hydro income stream; price and stress them.

Inputs: ``ctx.results["lending"]["approved"]`` (loan_id, principal_cny, rate, tenor_months, pd, lgd) when the
lending stage ran, else the bundled ``abs_loan_tape``; the bundled ``deal_eco_loans`` (structure template) and
``deal_hydro`` deals. Leaves in ``ctx.results["securitization"]``: ``pool`` (loan tape used), ``eco_deal`` and
``hydro_deal`` (DealSpec), ``pricing``, ``stress_grid``, ``break_even`` and ``expected_loss`` frames.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from greenfin.datasets import load_sample
from greenfin.report._model import Figure, KeyFigure, Section, Table, figure_png
from greenfin.report.demo import DemoContext
from greenfin.securitization import (
    DealResult,
    DealSpec,
    break_even,
    load_deal,
    measure_cashflows,
    monte_carlo_el,
    params,
    run_deal,
    stress_grid,
    z_spread,
)
from greenfin.units import money_label, yuan_to

ORDER = 50
KEY = "securitization"
LABEL = "Securitization · 资产证券化"

_TRANCHE_LABELS = {
    "tranche": "Tranche 档次",
    "balance_cny": "Balance 本金 (CNY)",
    "coupon": "Coupon 票面利率",
    "yield_cn_act365_annual": "Yield ACT/365 annual 收益率",
    "yield_bey_30360": "Yield bond-equiv. 30/360 债券等价收益率",
    "wal_years": "Average life 加权平均期限 (years)",
    "modified_duration_years": "Modified duration 修正久期",
    "convexity": "Convexity 凸性",
    "z_spread_bp": "Z-spread Z利差 (bp)",
}


def _pool_tape(ctx: DemoContext) -> tuple[pl.DataFrame, str]:
    lending = ctx.results.get("lending")
    approved = lending.get("approved") if isinstance(lending, dict) else None
    need = {"loan_id", "principal_cny", "rate", "tenor_months", "pd", "lgd"}
    if isinstance(approved, pl.DataFrame) and approved.height > 0 and need <= set(approved.columns):
        return approved.select(sorted(need)), "lending stage: approved loans"
    tape: pl.DataFrame = load_sample("abs_loan_tape")
    return tape.select(sorted(need)), "bundled sample abs_loan_tape (lending stage not run)"


def _eco_deal(tape: pl.DataFrame) -> DealSpec:
    p = params()
    strip = float(p.value("demo_servicing_strip"))
    lines = (
        tape.with_columns((pl.col("principal_cny") * pl.col("rate")).alias("_w"))
        .group_by("tenor_months")
        .agg(pl.col("principal_cny").sum().alias("balance_cny"), (pl.col("_w").sum() / pl.col("principal_cny").sum()))
        .sort("tenor_months")
    )
    raw: dict[str, Any] = load_sample("deal_eco_loans")
    pool = float(lines["balance_cny"].sum())
    total = float(tape["principal_cny"].sum())
    wpd = float((tape["pd"] * tape["principal_cny"]).sum()) / total
    wlgd = float((tape["lgd"] * tape["principal_cny"]).sum()) / total
    max_term = int(lines["tenor_months"].max())  # type: ignore[arg-type]
    raw["collateral"]["lines"] = [
        {
            "balance_cny": float(r["balance_cny"]),
            "gross_rate": float(r["_w"]),
            "net_rate": max(float(r["_w"]) - strip, 0.0),
            "original_term_months": int(r["tenor_months"]),
            "remaining_term_months": int(r["tenor_months"]),
            "amortisation": "level",
        }
        for r in lines.iter_rows(named=True)
    ]
    assumptions = raw["collateral"]["assumptions"]
    assumptions.update(
        {
            "prepay": {"kind": "cpr", "value": float(p.value("demo_cpr"))},
            "default": {"kind": "cdr", "value": min(wpd, 0.5)},
            "severity": min(max(wlgd, 0.0), 1.0),
            "lag_months": int(p.value("demo_lag_months")),
        }
    )
    final = -(-max_term // 3) + 4
    a, b = round(pool * 0.80, 2), round(pool * 0.08, 2)
    sub = round(pool - a - b, 2)
    for t, size in zip(raw["tranches"], (a, b, sub), strict=True):
        t["balance_cny"] = size
        t["legal_final_period"] = final
    raw["tranches"][2]["retained_cny"] = sub
    raw["initial_pool_cny"] = round(pool, 2)
    raw["accounts"][0]["initial_cny"] = round(pool * 0.01, 2)
    raw["name"] = "Sample County approved eco-loan ABS (样本县生态贷资产支持证券, demo)"
    return load_deal(raw)


def _pricing(spec: DealSpec, res: DealResult) -> pl.DataFrame:
    p = params()
    settle = spec.issue_date
    tenors = [float(x) for x in p.value("demo_cgb_zero_tenors_years")]
    rates = [float(x) for x in p.value("demo_cgb_zero_rates")]
    nodes = [settle + dt.timedelta(days=round(365 * t)) for t in tenors]
    flows = res.tranche_cashflows(0)
    rows = []
    first = spec.first_payment_date
    months = spec.payment_frequency_months
    for t in spec.tranches:
        f = flows.filter(pl.col("tranche") == t.name)
        cash = (f["interest_paid_cny"] + f["principal_paid_cny"] + f["residual_cny"]).to_numpy()
        prin = f["principal_paid_cny"].to_numpy()
        if prin.sum() <= 0 or t.kind == "subordinated":
            continue
        kw = {"price": 100.0, "face": t.balance_cny, "settle": settle, "first_pay": first, "months_between": months}
        cn = measure_cashflows(cash, prin, day_count="ACT/365", compounding="annual", **kw)  # type: ignore[arg-type]
        us = measure_cashflows(cash, prin, day_count="30/360", compounding="semiannual", **kw)  # type: ignore[arg-type]
        z = z_spread(
            cash,
            price=100.0,
            face=t.balance_cny,
            settle=settle,
            first_pay=first,
            months_between=months,
            curve_dates=nodes,
            zero_rates=rates,
            extrapolate=True,  # deliberate: the illustrative curve ends at 15 years; noted in the section
        )
        rows.append(
            {
                "deal": spec.name,
                "tranche": t.name,
                "balance_cny": t.balance_cny,
                "coupon": t.coupon,
                "yield_cn_act365_annual": cn.yield_,
                "yield_bey_30360": us.yield_,
                "wal_years": cn.average_life_years,
                "modified_duration_years": cn.modified_duration_years,
                "convexity": cn.convexity,
                "z_spread_bp": z * 1e4,
            }
        )
    return pl.DataFrame(rows)


def _plots(eco: DealResult, hydro: DealResult, be: pl.DataFrame) -> tuple[Figure, ...]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    bal = eco.arrays["balance"][0]
    for j, name in enumerate(eco.tranche_names):
        ax.plot(range(1, bal.shape[0] + 1), bal[:, j] / 1e6, label=name)
    ax.set_xlabel("payment period (quarter)")
    ax.set_ylabel("balance (million CNY)")
    ax.set_title("Eco-loan ABS: tranche balances, base case")
    ax.legend()
    f1 = Figure("abs_tranche_balances", "Tranche balances over time · 各档证券本金余额", figure_png(fig))

    fig, ax = plt.subplots(figsize=(7, 3.6))
    cov = hydro.arrays["coverage"][0]
    live = hydro.arrays["balance_open"][0] > 0.01
    for j, name in enumerate(hydro.tranche_names[:-1]):
        y = np.where(live[:, j] & np.isfinite(cov[:, j]), cov[:, j], np.nan)
        ax.plot(range(1, cov.shape[0] + 1), y, marker=".", label=name)
    ax.axhline(float(params().value("senior_coverage_typical")), color="grey", linestyle="--", label="1.2x")
    ax.set_xlabel("payment period (quarter)")
    ax.set_yscale("log")
    ax.set_ylabel("coverage multiple (log scale)")
    ax.set_title("Hydro ABS: cumulative coverage of senior dues, base case")
    ax.legend(ncol=3, fontsize=8)
    f2 = Figure("abs_hydro_coverage", "Coverage multiples per period · 现金流覆盖倍数", figure_png(fig))

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, deal, ylabel in (
        (axes[0], "eco_loans", "multiple of base CDR"),
        (axes[1], "hydro", "cash-flow haircut (share)"),
    ):
        part = be.filter(pl.col("deal") == deal)
        raw = part["break_even"].to_numpy()
        ax.bar(part["tranche"].to_list(), np.where(np.isfinite(raw), raw, np.nan))
        ax.set_ylabel(ylabel)
        ax.set_title(f"{deal}: first missed payment")
    fig.tight_layout()
    f3 = Figure("abs_break_even", "Break-even stress per tranche · 各档盈亏平衡压力", figure_png(fig))
    return f1, f2, f3


def run(ctx: DemoContext) -> Section:
    """Securitize the approved eco loans and the hydro stream, price tranches and build the stress pack.

    Parameters
    ----------
    ctx : DemoContext
        Shared demo context (reads ``lending`` approved loans when present).

    Returns
    -------
    Section
        The securitization section of the report.
    """
    tape, tape_src = _pool_tape(ctx)
    eco = _eco_deal(tape)
    hydro = load_deal(load_sample("deal_hydro"))
    eco_res = run_deal(eco)
    hydro_res = run_deal(hydro)
    pricing = pl.concat([_pricing(eco, eco_res), _pricing(hydro, hydro_res)])
    grid = pl.concat(
        [
            stress_grid(eco).with_columns(pl.lit("eco_loans").alias("deal")),
            stress_grid(hydro).with_columns(pl.lit("hydro").alias("deal")),
        ]
    )
    be_eco = break_even(eco, "default_multiple", points=21).table
    be_hydro = break_even(hydro, "cash_haircut", points=21).table
    be = pl.concat(
        [
            be_eco.select("tranche", "break_even", "unit").with_columns(pl.lit("eco_loans").alias("deal")),
            be_hydro.select("tranche", "break_even", "unit").with_columns(pl.lit("hydro").alias("deal")),
        ]
    ).with_columns((pl.col("deal") + ":" + pl.col("tranche")).alias("label"))
    el = pl.concat(
        [
            monte_carlo_el(eco, n_scenarios=500, seed=ctx.seed).with_columns(pl.lit("eco_loans").alias("deal")),
            monte_carlo_el(hydro, n_scenarios=300, seed=ctx.seed).with_columns(pl.lit("hydro").alias("deal")),
        ]
    )
    report_fen = eco_res.distribution_report(0)
    fen_check = report_fen.group_by("side").agg(pl.col("amount_fen").sum()).sort("side")
    ctx.results[KEY] = {
        "pool": tape,
        "eco_deal": eco,
        "hydro_deal": hydro,
        "pricing": pricing,
        "stress_grid": grid,
        "break_even": be,
        "expected_loss": el,
    }
    yi = money_label("yi_yuan")
    pool_cny = float(tape["principal_cny"].sum())
    senior = pricing.filter(pl.col("tranche") == "A")
    be_a = be_eco.filter(pl.col("tranche") == "A")
    hydro_cov = hydro_res.arrays["coverage"][0]
    hydro_live = hydro_res.arrays["balance_open"][0] > 0.01
    senior_cols = [j for j, t in enumerate(hydro.tranches) if t.kind == "senior"]
    min_cov = float(np.nanmin(np.where(hydro_live[:, senior_cols], hydro_cov[:, senior_cols], np.nan)))
    key_figures = (
        KeyFigure("Eco-loan pool", "生态贷资产池", f"{float(yuan_to(pool_cny, 'yi_yuan')):.3f} {yi}"),
        KeyFigure("Loans pooled", "入池贷款笔数", f"{tape.height}"),
        KeyFigure(
            "Senior A yield (ACT/365)",
            "优先A收益率",
            f"{float(senior['yield_cn_act365_annual'][0]) * 100:.3f} %" if senior.height else "n/a",
        ),
        KeyFigure(
            "Senior A break-even CDR",
            "优先A盈亏平衡违约率",
            f"{float(be_a['break_even_cdr'][0]) * 100:.1f} %" if "break_even_cdr" in be_a.columns else "n/a",
        ),
        KeyFigure("Hydro senior min. coverage", "水电优先级最低覆盖倍数", f"{min_cov:.2f}x"),
        KeyFigure("Distribution report reconciles", "分配报告轧差", "to the fen 精确到分"),
    )
    tables = (
        Table(
            "abs_tranche_pricing",
            "Tranche pricing at par",
            "各档证券定价（平价）",
            pricing,
            labels=_TRANCHE_LABELS,
        ),
        Table(
            "abs_eco_tranche_cashflows",
            "Eco-loan ABS tranche cash flows (base case)",
            "生态贷ABS各档现金流（基准情景）",
            eco_res.tranche_cashflows(0),
            labels={"tranche": "Tranche 档次", "coverage": "Coverage 覆盖倍数"},
        ),
        Table(
            "abs_hydro_periods",
            "Hydro ABS periods: collections, accounts, triggers (base case)",
            "水电ABS各期归集、账户与触发事件（基准情景）",
            hydro_res.deal_periods(0),
            labels={"collections_cny": "Collections 归集 (CNY)", "state": "Deal state 状态"},
        ),
        Table(
            "abs_stress_grid",
            "Stress grid (regulator pack)",
            "压力测试矩阵（监管报送）",
            grid,
            labels={
                "principal_loss_share": "Principal loss 本金损失占比",
                "min_coverage": "Min. coverage 最低覆盖倍数",
            },
        ),
        Table(
            "abs_break_even",
            "Break-even stress per tranche",
            "各档盈亏平衡压力",
            be.drop("label"),
            labels={"break_even": "Break-even 盈亏平衡点"},
        ),
        Table(
            "abs_expected_loss",
            "Monte Carlo expected loss and rating-style scale",
            "蒙特卡洛预期损失与评级式映射",
            el,
            labels={"expected_loss_share": "Expected loss 预期损失", "rating_style": "Rating-style 评级式"},
        ),
        Table(
            "abs_fen_reconciliation",
            "Distribution report totals in fen (eco-loan ABS, base)",
            "分配报告合计（分）",
            fen_check,
            labels={"amount_fen": "Amount 金额 (fen 分)"},
        ),
    )
    notes = (
        f"Loan pool from {tape_src}; grouped into representative lines by tenor (level pay), gross coupon = "
        "balance-weighted rate, net coupon = gross - the demo servicing strip (unverified).",
        "Base case for the eco-loan pool: CDR = balance-weighted PD, severity = balance-weighted LGD, 5 % CPR and a "
        "6-month liquidation lag (demo assumptions, unverified); the SF default recursion is applied to each line.",
        "Both deals run past the holiday table's last year (2026) and were run with past_end='weekends' "
        "(weekends only, no public holidays after 2026): payment dates after 2026 are projections.",
        "Coverage multiple = (period collections + opening cash + reserves) / cumulative fees and dues down to the "
        "tranche; pass-through principal dues make loan-pool coverage close to 1 by construction.",
        "Hydro deal: collections wait one quarter in the supervised account, so period 1 draws a little on the "
        "差额支付 provider; the principal accumulation account (本金归集) funds the annual senior bullets.",
        "Z-spreads are over an ILLUSTRATIVE government zero curve (not 中债 data), extrapolated flat beyond 15 years.",
        "Rating-style labels use an unverified illustrative expected-loss scale, not an agency table.",
        "Open-period puts are modelled as redemptions funded outside the pool by the originator (no resale).",
    )
    return Section(
        key=KEY,
        title_en="Securitization: eco-loan ABS and small-hydro income ABS",
        title_zh="资产证券化：生态贷ABS与小水电收费收益权ABS",
        key_figures=key_figures,
        tables=tables,
        figures=_plots(eco_res, hydro_res, be),
        notes=notes,
        params=params().to_frame(),
    )
