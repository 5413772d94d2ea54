"""Seeded generator of the securitization samples: an eco-loan tape, a hydro station's inflow history, two deals.

Run ``python scripts/make_samples.py securitization``. Everything is synthetic (合成数据) and refers to the
sample county's villages (:mod:`greenfin.datasets._county`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from greenfin.datasets._county import COUNTY_ID, VILLAGES

__all__ = ["SEED", "generate"]

SEED = 20260606
"""Seed of every draw in this generator."""

_PURPOSES = ("oil_tea", "bamboo", "eco_tourism", "forest_management", "tea_garden", "hydro_smallholder")
_TENORS = (12, 24, 36, 60, 120)


def _loan_tape(rng: np.random.Generator) -> pl.DataFrame:
    n = 400
    tenor = rng.choice(np.array(_TENORS), size=n, p=[0.15, 0.2, 0.3, 0.25, 0.1])
    seasoning = np.minimum((rng.random(n) * 0.4 * tenor).astype(np.int64), tenor - 1)
    amort = np.where(
        tenor <= 12,
        "interest_only",
        rng.choice(np.array(["level", "equal_principal", "seasonal"]), size=n, p=[0.55, 0.35, 0.10]),
    )
    pd_ = np.round(np.clip(rng.lognormal(np.log(0.018), 0.6, n), 0.003, 0.12), 5)
    return pl.DataFrame(
        {
            "loan_id": [f"ABS{i:04d}" for i in range(1, n + 1)],
            "county_id": [COUNTY_ID] * n,
            "village_id": rng.choice(np.array(VILLAGES), size=n),
            "purpose": rng.choice(np.array(_PURPOSES), size=n),
            "principal_cny": np.round(np.exp(rng.uniform(np.log(5e4), np.log(3e6), n)), -2),
            "rate": np.round(rng.uniform(0.035, 0.062, n), 4),
            "tenor_months": tenor.astype(np.int64),
            "remaining_term_months": (tenor - seasoning).astype(np.int64),
            "amortisation": amort,
            "pd": pd_,
            "lgd": np.round(rng.uniform(0.3, 0.6, n), 3),
        }
    )


def _hydro_history(rng: np.random.Generator) -> pl.DataFrame:
    years = np.arange(2014, 2026)
    # Jiangxi: wet season April-June (梅雨), dry October-January; mean monthly inflow in m3
    profile = np.array([0.45, 0.6, 1.0, 1.5, 1.9, 2.1, 1.3, 0.9, 0.7, 0.55, 0.5, 0.45])
    mean_m3 = 1.1e8 * profile / profile.mean()
    rows = []
    x = 0.0
    for y in years:
        drought = 0.75 if y in (2019, 2022) else 1.0  # multi-year dry spells seen in Jiangxi records (illustrative)
        for m in range(12):
            x = 0.55 * x + np.sqrt(1 - 0.55**2) * rng.standard_normal()
            flow = mean_m3[m] * drought * np.exp(0.28 * x - 0.5 * 0.28**2)
            rows.append((int(y), m + 1, float(np.round(flow, -3))))
    return pl.DataFrame(rows, schema={"year": pl.Int64, "month": pl.Int64, "inflow_m3": pl.Float64}, orient="row")


def _rep_lines(tape: pl.DataFrame) -> list[dict[str, Any]]:
    grouped = (
        tape.with_columns((pl.col("principal_cny") * pl.col("rate")).alias("_w"))
        .group_by("tenor_months", "amortisation")
        .agg(
            pl.col("principal_cny").sum().alias("balance_cny"),
            (pl.col("_w").sum() / pl.col("principal_cny").sum()).alias("gross_rate"),
            ((pl.col("remaining_term_months") * pl.col("principal_cny")).sum() / pl.col("principal_cny").sum()).alias(
                "wam"
            ),
        )
        .sort("tenor_months", "amortisation")
    )
    return [
        {
            "balance_cny": round(float(r["balance_cny"]), 2),
            "gross_rate": round(float(r["gross_rate"]), 6),
            "net_rate": round(float(r["gross_rate"]) - 0.003, 6),
            "original_term_months": int(r["tenor_months"]),
            "remaining_term_months": max(1, round(float(r["wam"]))),
            "amortisation": str(r["amortisation"]),
        }
        for r in grouped.iter_rows(named=True)
    ]


def _eco_loan_deal(tape: pl.DataFrame) -> dict[str, Any]:
    lines = _rep_lines(tape)
    pool = round(sum(x["balance_cny"] for x in lines), 2)
    a, b = round(pool * 0.80, 2), round(pool * 0.08, 2)
    sub = round(pool - a - b, 2)
    src = ["distribution", "liquidity_reserve"]
    return {
        "name": "Sample County eco-loan green credit ABS 2026-1 (样本县生态贷绿色信贷资产支持证券)",
        "issue_date": "2026-07-15",
        "first_payment_date": "2026-10-26",
        "payment_frequency_months": 3,
        "day_count": "ACT/365",
        "calendar": "CN-IB",
        "past_end": "weekends",
        "collateral": {
            "kind": "loans",
            "lines": lines,
            "assumptions": {
                "prepay": {"kind": "cpr", "value": 0.05},
                "default": {"kind": "cdr", "value": 0.015},
                "lag_months": 6,
                "severity": 0.45,
                "advancing": False,
                "seasonal_weights": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
                "first_payment_month": 8,
            },
        },
        "initial_pool_cny": pool,
        "tranches": [
            {"name": "A", "kind": "senior", "balance_cny": a, "coupon": 0.028, "legal_final_period": 44},
            {"name": "B", "kind": "mezzanine", "balance_cny": b, "coupon": 0.035, "legal_final_period": 44},
            {
                "name": "Sub",
                "kind": "subordinated",
                "balance_cny": sub,
                "coupon": 0.0,
                "legal_final_period": 44,
                "retained_cny": sub,
            },
        ],
        "fees": [
            {"name": "trustee", "basis": "pool_balance", "rate_per_year": 0.0005},
            {"name": "servicer", "basis": "pool_balance", "rate_per_year": 0.003},
            {"name": "admin", "basis": "fixed", "fixed_cny": 20000.0},
        ],
        "accounts": [
            {
                "name": "liquidity_reserve",
                "initial_cny": round(pool * 0.01, 2),
                "target": "next_senior_interest",
                "target_multiple": 1.0,
            },
        ],
        "triggers": [
            {
                "name": "cum_default_5pct",
                "predicate": "cumulative_default",
                "threshold": 0.05,
                "effect": "accelerate_amortisation",
                "curable": False,
            },
            {
                "name": "senior_missed",
                "predicate": "senior_interest_shortfall",
                "effect": "enforcement",
                "curable": False,
            },
            {
                "name": "servicer_downgrade",
                "predicate": "rating_downgrade",
                "effect": "accelerate_sweep",
                "curable": False,
            },
            {
                "name": "servicer_downgrade_perfection",
                "predicate": "rating_downgrade",
                "effect": "perfection",
                "curable": False,
            },
        ],
        "cleanup_call": {"threshold_share": 0.10, "earliest_date": "2027-07-15", "price_share": 1.0},
        "oc_target_cny": 0.0,
        "sweep_lag_periods": 0,
        "waterfalls": {
            "normal": [
                {"kind": "pay_fee", "fee": "trustee", "sources": src},
                {"kind": "pay_fee", "fee": "servicer"},
                {"kind": "pay_fee", "fee": "admin"},
                {"kind": "pay_interest", "tranches": ["A"], "sources": src},
                {"kind": "pay_interest", "tranches": ["B"], "sources": src},
                {"kind": "fund_account", "account": "liquidity_reserve"},
                {"kind": "release_account", "account": "liquidity_reserve"},
                {"kind": "pay_principal", "tranches": ["A", "B", "Sub"], "mode": "sequential", "amount": "due"},
                {"kind": "pay_residual", "tranche": "Sub"},
            ],
            "accelerated": [
                {"kind": "pay_fee", "fee": "trustee", "sources": src},
                {"kind": "pay_fee", "fee": "servicer"},
                {"kind": "pay_fee", "fee": "admin"},
                {"kind": "pay_interest", "tranches": ["A"], "sources": src},
                {"kind": "pay_interest", "tranches": ["B"], "sources": src},
                {"kind": "fund_account", "account": "liquidity_reserve"},
                {"kind": "pay_principal", "tranches": ["A", "B", "Sub"], "mode": "sequential", "amount": "all"},
                {"kind": "pay_residual", "tranche": "Sub"},
            ],
            "enforcement": [
                {"kind": "pay_fee", "fee": "trustee", "sources": src},
                {"kind": "pay_fee", "fee": "servicer"},
                {"kind": "pay_fee", "fee": "admin"},
                {"kind": "pay_interest", "tranches": ["A"], "sources": src},
                {"kind": "pay_principal", "tranches": ["A"], "mode": "sequential", "amount": "all", "sources": src},
                {"kind": "pay_interest", "tranches": ["B"]},
                {"kind": "pay_principal", "tranches": ["B", "Sub"], "mode": "sequential", "amount": "all"},
                {"kind": "pay_residual", "tranche": "Sub"},
            ],
        },
    }


def _hydro_deal(history: pl.DataFrame) -> dict[str, Any]:
    # calibration as in greenfin.securitization.hydro_from_history (datasets sits below securitization)
    flow = history["inflow_m3"].to_numpy()
    month = history["month"].to_numpy()
    means = np.array([flow[month == m].mean() for m in range(1, 13)])
    ratio = flow / means[month - 1]
    logr = np.log(ratio)
    capacity_kw, kwh_per_m3, tariff, curtail, opex = 20000.0, round(9.81 * 40.0 * 0.85 / 3600.0, 6), 0.33, 0.03, 9e5
    model = {
        "kind": "hydro",
        "capacity_kw": capacity_kw,
        "kwh_per_m3": kwh_per_m3,
        "inflow_mean_m3": [round(float(x), 2) for x in means],
        "inflow_cv": round(float(np.std(ratio)), 6),
        "inflow_ar1": round(float(np.clip(np.corrcoef(logr[:-1], logr[1:])[0, 1], 0.0, 0.95)), 6),
        "tariff_cny_per_kwh": tariff,
        "curtailment_share": curtail,
        "opex_cny_per_month": opex,
    }
    days = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    gen = np.minimum(means * kwh_per_m3, capacity_kw * 24 * days) * (1 - curtail)
    annual = float((gen * tariff - opex).sum())
    senior_per_year = round(annual / 1.45 / 1e6, 1) * 1e6  # about 1.45x coverage of each year's senior payments
    coupons = [0.034, 0.037, 0.040, 0.043, 0.045]
    tranches: list[dict[str, Any]] = [
        {
            "name": f"A{k + 1}",
            "kind": "senior",
            "balance_cny": senior_per_year * (0.6 if k == 0 else 1.0),  # year 1 has 3 swept quarters (lag)
            "coupon": coupons[k],
            "expected_maturity_period": 4 * (k + 1),
            "legal_final_period": 4 * (k + 1) + 4,
        }
        for k in range(5)
    ]
    sub = round(4.6 * senior_per_year * 0.08 / 0.92, -4)
    tranches.append(
        {
            "name": "Sub",
            "kind": "subordinated",
            "balance_cny": sub,
            "coupon": 0.0,
            "legal_final_period": 24,
            "retained_cny": sub,
        }
    )
    seniors = [t["name"] for t in tranches[:5]]
    src = ["distribution", "payment_reserve", "parent_support"]
    prin_src = ["distribution", "principal_accumulation", "payment_reserve", "parent_support"]
    return {
        "name": "Sample County small-hydro fee-income green ABS 2026 (样本县小水电收费收益权绿色资产支持专项计划)",
        "issue_date": "2026-07-01",
        "first_payment_date": "2026-10-15",
        "payment_frequency_months": 3,
        "day_count": "ACT/365",
        "calendar": "CN-SSE",
        "past_end": "weekends",
        "collateral": {"kind": "income", "model": model, "start_month": 7},
        "initial_pool_cny": round(4.6 * senior_per_year + sub, 2),
        "tranches": tranches,
        "fees": [
            {"name": "manager", "basis": "notes_balance", "rate_per_year": 0.001},
            {"name": "custodian", "basis": "fixed", "fixed_cny": 25000.0},
        ],
        "accounts": [
            {
                "name": "payment_reserve",
                "initial_cny": round(senior_per_year * 0.06, 2),
                "target": "next_senior_interest",
                "target_multiple": 1.0,
            },
            {
                "name": "principal_accumulation",
                "initial_cny": 0.0,
                "target": "senior_principal_ahead",
                "target_periods": 4,
            },
        ],
        "support": {"name": "parent_support", "rating": "AA+", "cap_cny": round(senior_per_year * 0.5, 2)},
        "triggers": [
            {
                "name": "collections_below_80pct_plan",
                "predicate": "collections_below_plan",
                "threshold": 0.8,
                "effect": "accelerate_sweep",
                "curable": True,
            },
            {
                "name": "provider_downgrade",
                "predicate": "rating_downgrade",
                "effect": "accelerate_sweep",
                "curable": False,
            },
            {
                "name": "originator_downgrade_perfection",
                "predicate": "rating_downgrade",
                "effect": "perfection",
                "curable": False,
            },
            {
                "name": "senior_missed",
                "predicate": "senior_interest_shortfall",
                "effect": "enforcement",
                "curable": False,
            },
        ],
        "open_periods": [
            {"period": 12, "tranches": ["A4", "A5"], "coupon_reset": 0.042, "put_funded_by": "originator"}
        ],
        "sweep_lag_periods": 1,
        "waterfalls": {
            "normal": [
                {"kind": "pay_fee", "fee": "manager"},
                {"kind": "pay_fee", "fee": "custodian"},
                {"kind": "pay_interest", "tranches": seniors, "sources": src},
                {
                    "kind": "pay_principal",
                    "tranches": seniors,
                    "mode": "sequential",
                    "amount": "due",
                    "sources": prin_src,
                },
                {"kind": "fund_account", "account": "payment_reserve"},
                {"kind": "fund_account", "account": "principal_accumulation"},
                {"kind": "release_account", "account": "payment_reserve"},
                {"kind": "release_account", "account": "principal_accumulation"},
                {"kind": "pay_principal", "tranches": ["Sub"], "mode": "sequential", "amount": "due"},
                {"kind": "pay_residual", "tranche": "Sub"},
            ],
            "enforcement": [
                {"kind": "pay_fee", "fee": "manager"},
                {"kind": "pay_fee", "fee": "custodian"},
                {"kind": "pay_interest", "tranches": seniors, "sources": src},
                {
                    "kind": "pay_principal",
                    "tranches": seniors,
                    "mode": "pro_rata",
                    "amount": "all",
                    "sources": prin_src,
                },
                {"kind": "pay_principal", "tranches": ["Sub"], "mode": "sequential", "amount": "all"},
                {"kind": "pay_residual", "tranche": "Sub"},
            ],
        },
    }


def generate() -> dict[str, object]:
    """The securitization samples.

    Returns
    -------
    dict
        ``abs_loan_tape`` and ``hydro_station`` (polars DataFrames), ``deal_eco_loans`` and ``deal_hydro``
        (JSON deal specs).
    """
    rng = np.random.default_rng(SEED)
    tape = _loan_tape(rng)
    history = _hydro_history(rng)
    return {
        "abs_loan_tape": tape,
        "hydro_station": history,
        "deal_eco_loans": _eco_loan_deal(tape),
        "deal_hydro": _hydro_deal(history),
    }
