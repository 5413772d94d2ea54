"""Demo stage: score the sample county's eco-credit borrowers (生态信贷评分) with reasons.

Reads ``county_borrowers``; when the GEP stage ran (``ctx.results["gep"]["parcels"]``) the eco features are
re-derived from its parcel accounts (village GEP per hectare and realisable share; each borrower's pledged-
parcel GEP per hectare anchored to its village's accounted GEP), otherwise the sample's own columns are used.
Fits a scorecard on a seeded 70 % training split, validates on the other 30 % (AUC with a bootstrap
interval, KS, calibration by grade), validates grouped by township, reports within- vs between-group lift
and fairness by the audit-only attribute, and scores every borrower. Leaves in ``ctx.results["scoring"]``:
``scores`` (borrower_id, pd, points, grade, reason_1..3 en/zh, counterfactual en/zh), ``model`` (the fitted
Scorecard, usable with ``greenfin.scoring.score_frame``) and ``summary``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np
import polars as pl

from greenfin.datasets import load_sample
from greenfin.datasets._county import COUNTY_ID
from greenfin.report._model import Figure, KeyFigure, Section, Table, figure_png
from greenfin.report.demo import DemoContext
from greenfin.scoring import (
    BoostedPD,
    FeatureSpec,
    Scorecard,
    WoEBinner,
    bootstrap_ci,
    calibration_by_grade,
    discrimination,
    eco_features,
    fairness_report,
    group_lift_report,
    grouped_validation,
    psi_by_segment,
    scoring_params,
)

ORDER = 20
KEY = "scoring"
LABEL = "Scoring borrowers · 借款人评分"

_DROP = ("borrower_id", "village_id", "applicant_sex", "village_gep_per_ha_cny", "default_flag")


def _specs() -> tuple[FeatureSpec, ...]:
    raw = json.loads(resources.files("greenfin.scoring").joinpath("data/county_features.json").read_text("utf-8"))
    return tuple(FeatureSpec.model_validate(x) for x in raw["features"])


def _borrowers(ctx: DemoContext) -> tuple[pl.DataFrame, str]:
    accounts = load_sample("assessment_gep_accounts")
    county = accounts.filter(pl.col("county_id").cast(pl.String) == COUNTY_ID)
    b = eco_features(load_sample("county_borrowers"), counties=county if county.height else None)
    gep = ctx.results.get("gep")
    parcels = gep.get("parcels") if isinstance(gep, dict) else None
    if isinstance(parcels, pl.DataFrame) and {"village_id", "area_ha", "gep_cny"} <= set(parcels.columns):
        premium = b["parcel_gep_per_ha_cny"] / b["village_gep_per_ha_cny"]
        out = eco_features(b.drop("parcel_gep_per_ha_cny"), parcels)
        out = out.with_columns(
            (pl.col("village_gep_per_ha_cny") * premium)
            .fill_null(b["parcel_gep_per_ha_cny"])
            .alias("parcel_gep_per_ha_cny")
        )
        return out, "GEP stage parcel accounts (GEP 环节地块核算)"
    return b, "county_borrowers sample columns (GEP stage absent)"


def run(ctx: DemoContext) -> Section:
    """Fit, validate and apply the county scorecard.

    Parameters
    ----------
    ctx : DemoContext
        Shared demo context (reads ``gep`` parcels when present; writes ``scoring``).

    Returns
    -------
    Section
        The scoring section of the report.
    """
    from sklearn.model_selection import train_test_split

    borrowers, eco_source = _borrowers(ctx)
    borrowers = borrowers.with_columns(
        (pl.col("loan_amount_cny") / pl.col("annual_income_cny")).alias("loan_to_income")
    )
    y = borrowers["default_flag"].to_numpy()
    x = borrowers.drop([c for c in _DROP if c in borrowers.columns])
    tr, va = train_test_split(np.arange(y.size), test_size=0.3, stratify=y, random_state=ctx.seed % (2**31))
    tr, va = np.sort(tr), np.sort(va)
    template = Scorecard(binner=WoEBinner(features=_specs()))
    card = template.fit(x[tr], y[tr])
    pd_va = card.predict_pd(x[va])
    metrics = discrimination(y[va], pd_va)
    ci = bootstrap_ci(y[va], pd_va, "auc", n_boot=200, seed=ctx.seed)
    calib = calibration_by_grade(y[va], pd_va, card.master_scale_)
    boosted = BoostedPD(random_state=ctx.seed % (2**31)).fit(x[tr], y[tr])
    auc_boosted = discrimination(y[va], boosted.predict_pd(x[va]))["auc"]
    township = borrowers["village_id"].str.slice(0, 3)
    grouped = grouped_validation(template, x, y, township, n_splits=4)
    lift = group_lift_report(
        borrowers.select(
            "past_delinquencies",
            "eco_points",
            "parcel_gep_per_ha_cny",
            "village_gep_per_ha_cny",
            *[c for c in ("county_gep_cny",) if c in borrowers.columns],
        ),
        y,
        township,
    )
    eco = bootstrap_ci(y, -borrowers["eco_points"].cast(pl.Float64).to_numpy(), "auc", n_boot=200, seed=ctx.seed)
    pd_all = card.predict_pd(x)
    fair = fairness_report(y, pd_all, {"applicant_sex": borrowers["applicant_sex"]})
    stability = psi_by_segment(card.predict_pd(x[tr]), pd_va, x["borrower_type"][tr], x["borrower_type"][va])
    scores = card.explain(x).insert_column(0, borrowers["borrower_id"])
    scores = scores.select(
        "borrower_id", "pd", "points", "grade",
        *[f"reason_{k}_{lang}" for k in (1, 2, 3) for lang in ("en", "zh")],
        "counterfactual_en", "counterfactual_zh",
    )  # fmt: skip
    summary = {
        "model": "Scorecard",
        "features": list(card.selected_),
        "validation_auc": metrics["auc"],
        "validation_auc_ci95": (ci["lower"], ci["upper"]),
        "validation_ks": metrics["ks"],
        "boosted_validation_auc": auc_boosted,
        "grouped_auc_mean": float(np.nanmean(grouped["auc"].to_numpy())),
        "eco_source": eco_source,
        "eco_points_auc_ci95": (eco["lower"], eco["upper"]),
        "eco_points_in_card": "eco_points" in card.selected_,
        "base_points": card.base_points_,
        "pdo": card._scaling_values()[0],
    }
    ctx.results[KEY] = {"scores": scores, "model": card, "summary": summary, "calibration": calib}
    return _section(card, scores, summary, metrics, calib, lift, fair, grouped, stability, y, pd_all)


def _figure(scores: pl.DataFrame, y: np.ndarray[Any, Any], calib: pl.DataFrame) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    pts = scores["points"].to_numpy()
    ax[0].hist([pts[y == 0], pts[y == 1]], bins=40, stacked=True, label=["repaid", "defaulted"])
    ax[0].set(title="Points by outcome (all borrowers)", xlabel="points")
    ax[0].legend()
    ax[1].bar(calib["grade"].to_list(), calib["observed_rate"].to_list(), alpha=0.6, label="observed")
    ax[1].plot(calib["grade"].to_list(), calib["mean_pd"].to_list(), "o-", c="k", label="mean PD")
    ax[1].set(title="Calibration by grade (validation)", ylabel="default rate")
    ax[1].legend()
    fig.tight_layout()
    return fig


def _section(
    card: Scorecard,
    scores: pl.DataFrame,
    summary: dict[str, Any],
    metrics: dict[str, float],
    calib: pl.DataFrame,
    lift: pl.DataFrame,
    fair: pl.DataFrame,
    grouped: pl.DataFrame,
    stability: pl.DataFrame,
    y: np.ndarray[Any, Any],
    pd_all: np.ndarray[Any, Any],
) -> Section:
    lo, hi = summary["validation_auc_ci95"]
    dropped = [f"{r['feature']} ({r['reason']})" for r in card.manifest_["iterations"] if r["step"] == "drop"]
    e_lo, e_hi = summary["eco_points_auc_ci95"]
    verdict = (
        "the interval excludes 0.5, so the card may use them (it does)"
        if summary["eco_points_in_card"] and e_lo > 0.5
        else "no evidence they predict default, so they are only an overlay"
    )
    eco_note = (
        f"Eco-points as a predictor: AUC of eco_points alone {e_lo:.3f}–{e_hi:.3f} (95% bootstrap CI); {verdict}. "
        "The promised rate discounts and limit uplifts stay a separate, auditable overlay in greenfin.lending."
    )
    unmet = card.binner_.trend_report_.filter(pl.col("meets_trend") == False)["feature"].to_list()  # noqa: E712
    return Section(
        key=KEY,
        title_en="Eco-credit scoring",
        title_zh="生态信贷评分",
        key_figures=(
            KeyFigure("Borrowers scored", "评分借款人", f"{scores.height:,}"),
            KeyFigure(
                "Validation AUC (95% CI)", "验证集AUC（95%置信区间）", f"{metrics['auc']:.3f} ({lo:.3f}–{hi:.3f})"
            ),
            KeyFigure("Validation KS", "验证集KS", f"{metrics['ks']:.3f}"),
            KeyFigure("Mean PD", "平均违约概率", f"{float(np.mean(pd_all)):.2%}"),
            KeyFigure(
                "Boosted model validation AUC", "梯度提升模型验证集AUC", f"{summary['boosted_validation_auc']:.3f}"
            ),
            KeyFigure("Grouped CV AUC (by township)", "按乡镇分组交叉验证AUC", f"{summary['grouped_auc_mean']:.3f}"),
        ),
        tables=(
            Table(
                "scoring_scores",
                "Borrower scores with reasons",
                "借款人评分及主要扣分原因",
                scores,
                labels={
                    "pd": "PD 违约概率",
                    "points": "Points 分数",
                    "grade": "Grade 等级",
                    "reason_1_zh": "主要扣分原因1",
                    "reason_2_zh": "主要扣分原因2",
                    "reason_3_zh": "主要扣分原因3",
                },
                html_rows=15,
            ),
            Table(
                "scoring_points_table",
                "Points table",
                "评分卡分值表",
                card.points_table(),
                labels={"points": "Points 分值", "woe": "WOE 证据权重"},
            ),
            Table(
                "scoring_calibration",
                "Calibration by grade (validation, binomial test)",
                "分级校准（验证集，二项检验）",
                calib,
                labels={"observed_rate": "Observed 实际违约率", "mean_pd": "Mean PD 平均预测"},
            ),
            Table(
                "scoring_group_lift",
                "Within- vs between-township lift",
                "乡镇内与乡镇间区分力",
                lift,
                labels={"within_group_auc": "Within 组内AUC", "between_group_auc": "Between 组间AUC"},
            ),
            Table("scoring_grouped_cv", "Validation grouped by township (GroupKFold)", "按乡镇分组验证", grouped),
            Table(
                "scoring_fairness",
                "Fairness by audit-only attribute",
                "公平性（仅审计属性）",
                fair,
                labels={"approval_ratio": "Approval ratio 批准率比"},
            ),
            Table("scoring_psi", "PSI train → validation by borrower type", "按借款人类型PSI", stability),
            Table("scoring_trend_report", "Binning trend report", "分箱单调性报告", card.binner_.trend_report_),
        ),
        figures=(
            Figure(
                "scoring_points",
                "Points by outcome and calibration by grade · 分数分布与分级校准",
                figure_png(_figure(scores, y, calib)),
            ),
        ),
        notes=(
            "Synthetic sample county (合成数据): defaults are drawn from a known PD model (county_borrowers.md).",
            f"Eco features from {summary['eco_source']}.",
            "Scorecard fitted on a seeded 70% stratified split and validated on the other 30%; all borrowers are "
            "scored with that card. Points = base points + bin points; PD is computed from the points.",
            "Feature registry: applicant_sex, village_id and village GEP are audit-only (never inputs); "
            "annual income and loan-to-income are consent-gated (rows without consent score neutral).",
            f"Dropped in fit: {', '.join(dropped) or 'none'}.",
            f"Features that cannot meet their declared trend: {', '.join(unmet) or 'none'}.",
            eco_note,
            "Township (乡镇) stands in for county in grouped validation: the sample has one county. County GEP and "
            "its trend (assessment_gep_accounts, county 369901) are the same for every borrower, so they carry no "
            "individual information and the card drops them (constant WOE); the lift table shows it.",
            "Points scaling, master scale, PSI thresholds and the approval cut-off are house conventions "
            "(unverified ⚠), see the parameter table.",
        ),
        params=scoring_params().to_frame(),
    )
