"""Seeded generator of the lending samples: the sample county's loan applications and its fund specs.

``county_applications`` has one 生态信贷通 application per borrower of ``county_borrowers`` (same
``borrower_id``, village, amount, tenor, consent and eco points), with the product the borrower applies
for, cash-flow data (only where consent was given), a pledged right for eco-rights products, and a
model-estimated PD with points and grade so that lending runs without the scoring stage.
``fund_spec.json`` is the county's 财农信贷通 fund; ``fund_designs.json`` lists alternative scheme designs.
Run ``python scripts/make_samples.py lending``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from greenfin.datasets import load_sample
from greenfin.datasets._county import COUNTY_ID
from greenfin.datasets._gen_scoring import true_log_odds

__all__ = ["generate"]

SEED = 20260630 + 5

_SECTORS = ("rice", "tea", "oil_tea", "navel_orange", "hogs", "aquaculture", "forestry", "eco_tourism")
_SECTOR_PURPOSE = {
    "rice": "crop_production",
    "tea": "crop_production",
    "oil_tea": "crop_production",
    "navel_orange": "crop_production",
    "hogs": "livestock",
    "aquaculture": "aquaculture",
    "forestry": "forestry",
    "eco_tourism": "eco_tourism",
}
_SECTOR_P_FARM = (0.3, 0.15, 0.15, 0.12, 0.12, 0.08, 0.08, 0.0)
_SECTOR_P_ENTERPRISE = (0.1, 0.15, 0.15, 0.1, 0.05, 0.05, 0.2, 0.2)
_HAIRCUT = {"forest_right": 0.5, "land_management_right": 0.6, "eco_income_right": 0.85, "water_right": 0.6}


def _borrower_type(scoring_type: npt.NDArray[np.str_], area_mu: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    out = np.where(scoring_type == "eco_business", "agri_enterprise", scoring_type)
    return np.where(
        (out == "farmer") & (area_mu >= 30.0), "large_grower", np.where(out == "farmer", "farm_household", out)
    )


def _products(btype: npt.NDArray[np.str_], rng: np.random.Generator) -> npt.NDArray[np.str_]:
    u = rng.random(btype.size)
    return np.select(
        [
            btype == "agri_enterprise",
            btype == "cooperative",
            btype == "family_farm",
            btype == "large_grower",
        ],
        [
            np.where(u < 0.6, "jinxi-shengtaitong", "zixi-eco-rights-pledge"),
            np.where(u < 0.6, "cainong-xindaitong-2022", "jinxi-shengtaitong"),
            np.where(u < 0.7, "cainong-xindaitong-2022", "jinxi-shengtaitong"),
            np.full(btype.size, "cainong-xindaitong-2022"),
        ],
        default="jinxi-shengtaitong",
    )


def county_applications(seed: int = SEED) -> pl.DataFrame:
    """One application per sample-county borrower (columns documented in county_applications.md)."""
    borrowers: pl.DataFrame = load_sample("county_borrowers")
    rng = np.random.default_rng(seed)
    n = borrowers.height
    btype = _borrower_type(borrowers["borrower_type"].to_numpy(), borrowers["farm_area_mu"].to_numpy())
    product = _products(btype, rng)
    enterprise = btype == "agri_enterprise"
    sector_farm = rng.choice(len(_SECTORS), size=n, p=_SECTOR_P_FARM)
    sector_ent = rng.choice(len(_SECTORS), size=n, p=_SECTOR_P_ENTERPRISE)
    sector = np.asarray(_SECTORS)[np.where(enterprise, sector_ent, sector_farm)]
    purpose = np.asarray([_SECTOR_PURPOSE[s] for s in sector])
    amount = borrowers["loan_amount_cny"].to_numpy().astype(np.float64)
    tenor = borrowers["loan_term_years"].to_numpy().astype(np.int64) * 12
    consent_cf = borrowers["consent_income"].to_numpy().astype(bool)
    income = borrowers["annual_income_cny"].to_numpy().astype(np.float64)  # null (NaN) where no consent
    margin = rng.uniform(0.35, 0.65, size=n)
    net_cf = np.round(income * margin, -2)
    debt = np.round(income * rng.uniform(0.0, 0.15, size=n), -2)
    # Right pledged for eco-rights products; the fiscal-fund product needs none.
    right_type = np.where(
        product == "zixi-eco-rights-pledge",
        "eco_income_right",
        np.where(
            sector == "forestry", "forest_right", np.where(rng.random(n) < 0.7, "land_management_right", "forest_right")
        ),
    )
    needs_right = product != "cainong-xindaitong-2022"
    coverage = rng.lognormal(np.log(1.8), 0.45, size=n)
    value = np.where(needs_right, np.round(amount * coverage, -2), np.nan)
    haircut = np.where(needs_right, np.asarray([_HAIRCUT[r] for r in right_type]), np.nan)
    term_left = np.where(rng.random(n) < 0.04, rng.uniform(0.5, 1.0, size=n), rng.uniform(3.0, 30.0, size=n))
    term_left = np.where(needs_right, np.round(term_left, 1), np.nan)
    # A model's estimate of the PD: the sample's true log-odds plus estimation noise.
    z = true_log_odds() + rng.normal(0.0, 0.3, size=n)
    pd = np.round(1.0 / (1.0 + np.exp(-z)), 5)
    points = np.round(600.0 - 20.0 / np.log(2.0) * np.log(pd / (1.0 - pd) * 50.0), 0)
    grade = np.asarray(["A", "B", "C", "D", "E"])[np.searchsorted([0.02, 0.05, 0.08, 0.15], pd, side="left")]
    natural = btype != "agri_enterprise"
    age = np.where(natural, np.round(rng.uniform(22.0, 66.0, size=n)), np.nan)
    age = np.where(natural & (rng.random(n) < 0.003), 17.0, age)
    frame = pl.DataFrame(
        {
            "application_id": [f"A{i:05d}" for i in range(1, n + 1)],
            "borrower_id": borrowers["borrower_id"],
            "village_id": borrowers["village_id"],
            "county_id": np.full(n, COUNTY_ID),
            "borrower_type": btype,
            "sector": sector,
            "purpose": purpose,
            "product_id": product,
            "amount_cny": amount,
            "tenor_months": tenor,
            "consent_credit_assessment": rng.random(n) >= 0.002,
            "consent_cash_flow": consent_cf,
            "net_cash_flow_cny_per_year": net_cf,
            "existing_debt_service_cny_per_year": np.where(consent_cf, debt, np.nan),
            "request_human_review": rng.random(n) < 0.01,
            "age_years": age,
            "eco_points": borrowers["eco_points"].cast(pl.Float64),
            "eco_points_age_years": np.round(rng.uniform(0.0, 3.0, size=n), 1),
            "pd": pd,
            "points": points,
            "grade": grade,
            "collateral_right_type": pl.Series(right_type).set(pl.Series(~needs_right), None),
            "collateral_value_cny": value,
            "collateral_haircut": haircut,
            "collateral_remaining_term_years": term_left,
        }
    )
    return frame.with_columns(pl.col(pl.Float64).fill_nan(None))


def _fund_spec() -> dict[str, Any]:
    return {
        "id": f"{COUNTY_ID}-cainong-2022",
        "fund_cny": 8_000_000.0,
        "contributors": [
            {"name": "provincial_guarantee", "name_zh": "省农业信贷融资担保公司（省农担）", "share": 0.5},
            {"name": "city", "name_zh": "设区市财政", "share": 0.2},
            {"name": "county", "name_zh": "县财政", "share": 0.3},
        ],
        "leverage_multiple": 8.0,
        "fund_loss_share": 0.5,
        "npl_trigger": 0.05,
        "top_up": "restore_annually",
        "top_up_cap_share": 0.5,
        "horizon_years": 3,
        "copula": {"asset_correlation": 0.15, "weight_global": 0.5, "weight_county": 0.2, "weight_sector": 0.3},
        "sources": {
            "contributors": {
                "source": '《关于完善"财农信贷通"工作机制的实施方案》 2022-08-02: 省农担 : city : county = 5 : 2 : 3',
                "confidence": "confirmed",
                "note": "",
            },
            "leverage_multiple": {
                "source": "2022 方案: banks lend ≥ 8× the fund",
                "confidence": "confirmed",
                "note": "",
            },
            "fund_loss_share": {
                "source": "not confirmed (assessment.md §9.1 ⚠); Gansu county comparator 50:50 (ask.fsou.com)",
                "confidence": "unverified",
                "note": "",
            },
            "npl_trigger": {
                "source": "not confirmed for Jiangxi; 普惠型涉农贷款 NPL tolerance up to 3 pp above the bank's average "
                "(上海保险 2021-11); Gansu comparator stops above 10%",
                "confidence": "unverified",
                "note": "5% assumed",
            },
            "fund_cny": {"source": "synthetic sample county (合成数据)", "confidence": "unverified", "note": ""},
            "top_up": {
                "source": "greenfin assumption: contributors restore up to half the fund yearly",
                "confidence": "unverified",
                "note": "",
            },
            "copula": {
                "source": "greenfin assumption: asset correlation 0.15 (Basel retail 0.03-0.16, BCBS 2006 §328-330)",
                "confidence": "unverified",
                "note": "",
            },
        },
    }


def _fund_designs() -> dict[str, Any]:
    return {
        "base": _fund_spec(),
        "scale_book_to_multiple": True,
        "designs": [
            {"id": "cainong-8x", "label": "财农信贷通 8×, fund 50%, stop at 5% NPL", "leverage_multiple": 8.0},
            {"id": "xinyu-10x", "label": "新余-style 10×", "leverage_multiple": 10.0},
            {"id": "anhui-5x", "label": "Anhui-style 5×", "leverage_multiple": 5.0},
            {"id": "fund-80", "label": "生态通-style fund share 80%", "fund_loss_share": 0.8},
            {"id": "fund-30", "label": "fund share 30%", "fund_loss_share": 0.3},
            {"id": "trigger-10", "label": "Gansu-style stop at 10% NPL", "npl_trigger": 0.10},
            {"id": "no-top-up", "label": "no yearly top-up", "top_up": "none"},
        ],
    }


def generate() -> dict[str, object]:
    """Samples of the lending domain: name -> DataFrame or JSON-able dict."""
    return {
        "county_applications": county_applications(),
        "fund_spec": _fund_spec(),
        "fund_designs": _fund_designs(),
    }
