"""Seeded generator of the green-credit assessment samples: 20 banks x 8 quarters of loan-level reports.

A fictional Jiangxi prefecture (样本市, counties 369901-369910; 369901 is the shared sample county) with 20
bank branches reporting loan by loan at each quarter end from 2023Q3 to 2025Q2. Loans persist across
quarters (a panel: the same ``loan_id`` reappears until it matures, its balance amortising), new loans are
drawn each quarter, and banks differ in size, green share, growth, NPL and eco-product lending, so the
rankings have something to say. Synthetic data, not real banks.

``generate()`` makes the bundled sample (a few hundred loans per bank-quarter at most). ``make_samples(
loans_scale=10.0)`` makes a larger set with the same structure (about ten times as many loans).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from greenfin.datasets._county import COUNTY_ID

__all__ = ["QUARTERS", "SEED", "generate", "make_samples"]

SEED = 20260708
"""Seed of the bundled samples."""

QUARTERS: tuple[str, ...] = ("2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2")
"""The eight sample quarters."""

_NONE: Any = None  # numpy's stubs do not accept None as a where() branch; the object arrays hold None fine

PREFECTURE_COUNTIES: tuple[str, ...] = tuple(f"3699{i:02d}" for i in range(1, 11))

_BANK_TYPES = (
    ("large_state", "国有大型银行分行", 5),
    ("joint_stock", "股份制银行分行", 5),
    ("policy", "政策性银行分行", 2),
    ("city_commercial", "城市商业银行", 3),
    ("rural_commercial", "农村商业银行", 5),
)

_GREEN_CODES = {
    "2013CBRC": ["2013CBRC.01", "2013CBRC.02", "2013CBRC.04", "2013CBRC.06", "2013CBRC.07", "2013CBRC.08"],
    "2019": ["2019.1", "2019.2", "2019.3", "2019.3.C", "2019.4", "2019.5", "2019.6"],
    "2024": ["2024.1", "2024.2", "2024.3", "2024.4", "2024.4.C", "2024.5", "2024.6", "2024.7"],
}
_INDUSTRY = {"enterprise": ["D4415", "N7721", "C3039", "A0211", "G5411", "E4813"], "farm": ["A0111", "A0151", "A0311"]}
_ECO_RIGHTS = ("forest_right", "carbon_sink_income", "water_right", "land_management_right", "eco_income_right")
_OTHER_COLLATERAL = ("real_estate", "guarantee", "credit", "equipment")


def _quarter_end(q: str) -> dt.date:
    year, n = int(q[:4]), int(q[5])
    return dt.date(year, 3 * n, 31 if n in (1, 4) else 30)


def _banks(rng: np.random.Generator) -> pl.DataFrame:
    rows = []
    i = 0
    for kind, zh, count in _BANK_TYPES:
        for _ in range(count):
            i += 1
            rows.append(
                {
                    "bank_code": f"B{i:02d}",
                    "bank_name": f"Bank {i:02d} ({zh})",
                    "bank_type": kind,
                    "size": float(rng.lognormal(0.0, 0.45)),
                    "green_prob": float(rng.uniform(0.12, 0.5)),
                    "growth": float(rng.uniform(-0.02, 0.10)),
                    "npl_prob": float(rng.uniform(0.0, 0.04)),
                    "eco_prob": float(
                        rng.uniform(0.25, 0.6) if kind == "rural_commercial" else rng.uniform(0.02, 0.25)
                    ),
                    "bond_share": float(rng.uniform(0.0, 0.15) if kind in ("large_state", "joint_stock") else 0.0),
                    "d_mult": float(rng.uniform(1.2, 1.8)),
                    "qual": rng.uniform(0.55, 0.95, 3),
                }
            )
    return pl.DataFrame(rows)


def _projects(rng: np.random.Generator, n: int) -> pl.DataFrame:
    kinds = rng.choice(
        ["renewable", "efficiency", "wastewater", "water_saving", "ecology"], size=n, p=[0.3, 0.25, 0.2, 0.1, 0.15]
    )
    invest = np.round(rng.lognormal(np.log(8e7), 0.9, n), -3)
    scale = invest / 1e8
    renewable = kinds == "renewable"
    eff = kinds == "efficiency"
    ww = kinds == "wastewater"
    water = kinds == "water_saving"
    coal = np.where(eff, np.round(scale * rng.uniform(2000, 9000, n), 1), np.nan)
    co2 = np.where(eff, np.round(coal * rng.uniform(2.2, 2.7, n), 1), np.nan)
    power = np.where(renewable, np.round(scale * rng.uniform(5e7, 1.5e8, n), -3), np.nan)
    vintage = rng.integers(2019, 2025, n)
    dq = np.where(rng.random(n) < 0.3, 1, rng.integers(2, 6, n))
    verified = rng.random(n) < 0.4
    return pl.DataFrame(
        {
            "project_id": [f"P{i:04d}" for i in range(1, n + 1)],
            "project_name": [f"{k} project {i:04d}" for i, k in enumerate(kinds, start=1)],
            "total_investment_cny": invest,
            "coal_saved_tce_per_year": coal,
            "co2_reduced_tco2e_per_year": co2,
            "cod_reduced_t_per_year": np.where(ww, np.round(scale * rng.uniform(200, 900, n), 2), 0.0),
            "nh3n_reduced_t_per_year": np.where(ww, np.round(scale * rng.uniform(20, 90, n), 2), 0.0),
            "so2_reduced_t_per_year": np.where(eff | renewable, np.round(scale * rng.uniform(5, 60, n), 2), 0.0),
            "nox_reduced_t_per_year": np.where(eff | renewable, np.round(scale * rng.uniform(5, 50, n), 2), 0.0),
            "water_saved_t_per_year": np.where(water, np.round(scale * rng.uniform(2e5, 1e6, n), 0), 0.0),
            "power_exported_kwh_per_year": power,
            "benefit_method": kinds,
            "factor_vintage": vintage,
            "verifier": pl.Series(np.where(verified, "Verifier Co. (synthetic)", _NONE).tolist(), dtype=pl.String),
            "benefit_dq_score": dq,
        }
    ).with_columns(pl.col(pl.Float64).fill_nan(None))


def _version_for(approval: np.ndarray) -> np.ndarray:
    return np.where(
        approval >= np.datetime64("2024-03-01"),
        "2024",
        np.where(approval >= np.datetime64("2019-02-14"), "2019", "2013CBRC"),
    )


def _new_loans(
    rng: np.random.Generator, bank: dict[str, Any], n: int, start: dt.date, end: dt.date, invest: np.ndarray
) -> dict[str, np.ndarray]:
    span = (end - start).days
    drawdown = np.datetime64(start) + rng.integers(0, max(span, 1), n).astype("timedelta64[D]")
    approval = drawdown - rng.integers(5, 120, n).astype("timedelta64[D]")
    tenor_q = rng.integers(4, 24, n)
    kind = rng.choice(["enterprise", "farm_household", "new_operator"], size=n, p=[0.5, 0.3, 0.2])
    ent = kind == "enterprise"
    amount = np.where(
        ent,
        rng.lognormal(np.log(1.2e7), 0.9, n),
        np.where(kind == "farm_household", rng.lognormal(np.log(1.5e5), 0.6, n), rng.lognormal(np.log(8e5), 0.7, n)),
    )
    amount = np.round(amount * float(bank["size"]) ** 0.3, -2)
    green = rng.random(n) < float(bank["green_prob"])
    version = _version_for(approval)
    stale = rng.random(n) < 0.1  # some banks keep labelling under an older catalogue
    version = np.where(stale & (version == "2024"), "2019", version)
    codes = np.array([rng.choice(_GREEN_CODES[v]) for v in version], dtype=object)
    eco = green & (rng.random(n) < float(bank["eco_prob"]))
    collateral = np.where(eco, rng.choice(_ECO_RIGHTS, n), rng.choice(_OTHER_COLLATERAL, n))
    has_project = green & ent & (rng.random(n) < 0.6)
    pick = rng.integers(0, len(invest), n)
    project = np.where(has_project, np.array([f"P{i + 1:04d}" for i in pick]), _NONE)
    # a project loan funds a slice of the project's total investment (several banks may co-finance)
    amount = np.where(has_project, np.round(invest[pick] * rng.uniform(0.03, 0.3, n), -2), amount)
    industry = np.where(ent, rng.choice(_INDUSTRY["enterprise"], n), rng.choice(_INDUSTRY["farm"], n))
    reported = ent & (rng.random(n) < 0.5)
    evic = np.where(reported, np.round(amount * rng.uniform(3, 20, n), -3), np.nan)
    scope1 = np.where(reported, np.round(evic / 1e4 * rng.uniform(0.05, 1.5, n), 1), np.nan)
    scope2 = np.where(reported, np.round(scope1 * rng.uniform(0.1, 0.6, n), 1), np.nan)
    programme = np.where(
        (kind != "enterprise") & (rng.random(n) < 0.4),
        "cainong_xindaitong",
        np.where(eco & (rng.random(n) < 0.3), "eco_xindaitong", _NONE),
    )
    return {
        "borrower_type": kind,
        "industry_gb4754": industry,
        "region_code": rng.choice(PREFECTURE_COUNTIES, n, p=[0.28] + [0.08] * 9),
        "drawdown_date": drawdown,
        "approval_date": approval,
        "tenor_q": tenor_q,
        "committed_amount_cny": amount,
        "interest_rate": np.round(rng.uniform(0.028, 0.055, n) + np.where(green, -0.004, 0.0), 4),
        "green_flag": green,
        "taxonomy_version": np.where(green, version, _NONE),
        "taxonomy_code": np.where(green, codes, _NONE),
        "project_id": project,
        "collateral_type": collateral,
        "programme_flag": programme,
        "pcaf_asset_class": np.where(ent, np.where(has_project, "project_finance", "business_loan"), "business_loan"),
        "evic_or_equity_plus_debt_cny": evic,
        "borrower_scope1_tco2e": scope1,
        "borrower_scope2_tco2e": scope2,
        "pcaf_dq_score": np.where(reported, rng.integers(1, 5, n), -1),
    }


def make_samples(seed: int = SEED, *, loans_scale: float = 1.0, n_projects: int = 160) -> dict[str, pl.DataFrame]:
    """Generate the assessment samples (loans, bank-quarter file, projects, county GEP accounts).

    Parameters
    ----------
    seed : int
        Seed.
    loans_scale : float
        Multiplier of loan counts (1.0: the bundled size, a few hundred loans per bank-quarter at most).
    n_projects : int
        Number of green projects.

    Returns
    -------
    dict of str to polars.DataFrame
        ``assessment_loans``, ``assessment_banks``, ``assessment_projects``, ``assessment_gep_accounts``.
    """
    rng = np.random.default_rng(seed)
    banks = _banks(rng)
    projects = _projects(rng, n_projects)
    invest = projects["total_investment_cny"].to_numpy()
    loan_frames = []
    bank_rows = []
    first_start = dt.date(2022, 7, 1)
    for bank in banks.iter_rows(named=True):
        n0 = round(min(90 * float(bank["size"]) + 60, 260) * loans_scale)
        book = _new_loans(rng, bank, n0, dt.date(2019, 1, 1), first_start, invest)
        book["loan_no"] = np.arange(n0)
        next_no = n0
        bonds = float(bank["bond_share"])
        for qi, q in enumerate(QUARTERS):
            end = _quarter_end(q)
            start = dt.date(end.year, end.month - 2, 1)
            n_new = round(max(n0 * (0.08 + float(bank["growth"]) * (1 + 0.3 * rng.standard_normal())), 1))
            fresh = _new_loans(rng, bank, n_new, start, end, invest)
            fresh["loan_no"] = np.arange(next_no, next_no + n_new)
            next_no += n_new
            book = {k: np.concatenate([book[k], fresh[k]]) for k in book}
            elapsed_q = ((np.datetime64(end) - book["drawdown_date"]).astype(np.int64) / 91.3).clip(0, None)
            alive = elapsed_q < book["tenor_q"]
            book = {k: v[alive] for k, v in book.items()}
            elapsed_q = elapsed_q[alive]
            n = len(book["loan_no"])
            balance = np.round(book["committed_amount_cny"] * (1 - elapsed_q / book["tenor_q"]) * 0.98 + 100, -2)
            npl = rng.random(n) < float(bank["npl_prob"]) * (1 + qi / 8)
            five = np.where(
                npl,
                rng.choice(["substandard", "doubtful", "loss"], n),
                np.where(rng.random(n) < 0.03, "special_mention", "normal"),
            )
            overdue = np.where(
                npl, rng.integers(91, 400, n), np.where(five == "special_mention", rng.integers(1, 90, n), 0)
            )
            maturity = book["drawdown_date"] + (book["tenor_q"] * 91.3).astype("timedelta64[D]")
            frame = pl.DataFrame(
                {
                    "report_date": [end] * n,
                    "bank_code": [bank["bank_code"]] * n,
                    "loan_id": [f"{bank['bank_code']}-{no:06d}" for no in book["loan_no"]],
                    "borrower_type": pl.Series(book["borrower_type"].tolist(), dtype=pl.String),
                    "industry_gb4754": pl.Series(book["industry_gb4754"].tolist(), dtype=pl.String),
                    "region_code": pl.Series(book["region_code"].tolist(), dtype=pl.String),
                    "approval_date": pl.Series(book["approval_date"].astype("datetime64[D]"), dtype=pl.Date),
                    "drawdown_date": pl.Series(book["drawdown_date"].astype("datetime64[D]"), dtype=pl.Date),
                    "maturity_date": pl.Series(maturity.astype("datetime64[D]"), dtype=pl.Date),
                    "balance_cny": balance,
                    "committed_amount_cny": book["committed_amount_cny"],
                    "interest_rate": book["interest_rate"],
                    "five_class": pl.Series(five.tolist(), dtype=pl.String),
                    "overdue_days": overdue.astype(np.int64),
                    "green_flag": book["green_flag"].astype(bool),
                    "taxonomy_version": pl.Series(book["taxonomy_version"].tolist(), dtype=pl.String),
                    "taxonomy_code": pl.Series(book["taxonomy_code"].tolist(), dtype=pl.String),
                    "project_id": pl.Series(book["project_id"].tolist(), dtype=pl.String),
                    "collateral_type": pl.Series(book["collateral_type"].tolist(), dtype=pl.String),
                    "programme_flag": pl.Series(book["programme_flag"].tolist(), dtype=pl.String),
                    "pcaf_asset_class": pl.Series(book["pcaf_asset_class"].tolist(), dtype=pl.String),
                    "evic_or_equity_plus_debt_cny": book["evic_or_equity_plus_debt_cny"],
                    "borrower_scope1_tco2e": book["borrower_scope1_tco2e"],
                    "borrower_scope2_tco2e": book["borrower_scope2_tco2e"],
                    "pcaf_dq_score": book["pcaf_dq_score"].astype(np.int64),
                },
                strict=False,
            )
            loan_frames.append(frame)
            total = float(balance.sum())
            green_bal = float(balance[book["green_flag"].astype(bool)].sum())
            bonds_held = round(green_bal * bonds * (1 + 0.05 * qi), -2)
            qual = bank["qual"] * np.array([30.0, 40.0, 30.0]) + rng.normal(0, 1.0, 3)
            bank_rows.append(
                {
                    "bank_code": bank["bank_code"],
                    "quarter": q,
                    "bank_name": bank["bank_name"],
                    "green_bonds_held_cny": bonds_held,
                    "green_bond_default_cny": 0.0,
                    "denominator_total_business_cny": round(total * float(bank["d_mult"]) + bonds_held, -2),
                    "qualitative_a": round(float(np.clip(qual[0], 0, 30)), 1),
                    "qualitative_b": round(float(np.clip(qual[1], 0, 40)), 1),
                    "qualitative_c": round(float(np.clip(qual[2], 0, 30)), 1),
                    "peer_group": "prefecture",
                }
            )
    loans = pl.concat(loan_frames, how="vertical_relaxed").with_columns(
        pl.col(pl.Float64).fill_nan(None),
        pl.when(pl.col("pcaf_dq_score") < 0).then(None).otherwise(pl.col("pcaf_dq_score")).alias("pcaf_dq_score"),
    )
    years = list(range(2021, 2026))
    gep_rows = []
    for i, county in enumerate(PREFECTURE_COUNTIES):
        level = float(rng.uniform(150e8, 450e8)) if county != COUNTY_ID else 300e8
        trend = float(rng.uniform(-0.01, 0.04))
        for k, year in enumerate(years):
            gep_rows.append(
                {
                    "county_id": county,
                    "year": year,
                    "gep_cny": round(level * (1 + trend) ** k * (1 + 0.005 * rng.standard_normal()), -4),
                }
            )
        del i
    return {
        "assessment_loans": loans,
        "assessment_banks": pl.DataFrame(bank_rows),
        "assessment_projects": projects,
        "assessment_gep_accounts": pl.DataFrame(gep_rows),
    }


def generate() -> dict[str, object]:
    """The bundled samples (seed :data:`SEED`, ``loans_scale=1.0``).

    Returns
    -------
    dict of str to object
        Sample name -> polars DataFrame.
    """
    return dict(make_samples())
