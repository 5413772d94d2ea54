"""Assessment benchmark: 10 million loan rows per quarter x 8 quarters classified, scored and attributed.

Run: ``python -m benchmarks.assessment [rows_per_quarter] [n_banks]`` (defaults 10,000,000 and 200).
One JSON line per case (rows, seconds, peak RSS increase). The rows are generated here, in memory, one
quarter at a time (generation is timed apart and not counted); nothing is shipped.

Cases:

- ``assess_80m``: for each of 8 quarters, 10 million loans are mapped to the 2025 catalogue through the
  crosswalk (``classify_loans``), summed to bank-quarter figures (``aggregate_loans``), their benefits
  attributed by the CBRC method (``attribute_benefits``) and their PCAF financed emissions computed
  (``financed_emissions``); then the 8-quarter panel is built and every bank scored for the last four
  quarters under the PBoC 2021 rulebook (``score_banks``). Quarters are processed one after the other and
  only their aggregates are kept, so peak memory is that of one quarter.
- ``validate_10m``: the boundary validation of one quarter (``validate_loans``), reported apart.

No peer: no installable open-source library scores banks under the PBoC scheme or does CBRC attribution.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time

import numpy as np
import polars as pl

from benchmarks._harness import emit, machine, measure
from greenfin.assessment import (
    aggregate_loans,
    attribute_benefits,
    bank_quarter_panel,
    classify_loans,
    financed_emissions,
    load_rulebook,
    score_banks,
    validate_bank_quarters,
    validate_loans,
    validate_projects,
)

QUARTERS = ("2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2")
CODES = ("2013CBRC.07", "2019.1", "2019.3", "2019.3.C", "2019.5", "2024.1", "2024.4", "2024.4.C", "2024.5", "2024.6")
COLLATERAL = ("forest_right", "water_right", "real_estate", "guarantee", "credit")
INDUSTRY = ("A0111", "C3039", "D4415", "E4813", "G5411", "N7721")
CLASSES = ("normal", "special_mention", "substandard")
N_PROJECTS = 20_000


def _pick(rng: np.random.Generator, labels: tuple[str, ...], n: int, p: tuple[float, ...] | None = None) -> pl.Series:
    """Labels drawn as integer codes, turned into strings inside polars (fast for 10 million rows)."""
    codes = rng.choice(len(labels), size=n, p=p).astype(np.uint32)
    return pl.Series(list(labels), dtype=pl.String).gather(codes)


def quarter_rows(q_idx: int, n: int, n_banks: int, seed: int = 11) -> pl.DataFrame:
    """``n`` loan rows of quarter ``q_idx`` (loan i is the same loan in every quarter, balances drift)."""
    rng = np.random.default_rng([seed, q_idx])
    ids = np.arange(n)
    bank = (ids % n_banks).astype(np.uint32)
    bank_labels = [f"B{b:03d}" for b in range(n_banks)]
    end = dt.date(2023 + (q_idx + 2) // 4, ((q_idx + 2) % 4) * 3 + 3, 30)
    green = rng.random(n) < 0.3
    has_project = green & (rng.random(n) < 0.3)
    reported = rng.random(n) < 0.4
    approval = np.datetime64("2015-01-01") + rng.integers(0, 3800, n).astype("timedelta64[D]")
    balance = rng.lognormal(np.log(2e6), 1.0, n) * (1 + 0.02 * q_idx)
    evic = balance * rng.uniform(3, 20, n)
    return (
        pl.DataFrame(
            {
                "bank_code": pl.Series(bank_labels, dtype=pl.String).gather(bank),
                "quarter": pl.repeat(QUARTERS[q_idx], n, eager=True),
                "loan_id": pl.select(pl.format("L{}", pl.int_range(n))).to_series(),
                "report_date": pl.repeat(end, n, eager=True),
                "balance_cny": balance,
                "interest_rate": rng.uniform(0.025, 0.06, n),
                "five_class": _pick(rng, CLASSES, n, (0.95, 0.03, 0.02)),
                "green_flag": green,
                "taxonomy_code": _pick(rng, CODES, n),
                "approval_date": pl.Series(approval, dtype=pl.Date),
                "collateral_type": _pick(rng, COLLATERAL, n),
                "project_id": pl.Series(np.where(has_project, rng.integers(0, N_PROJECTS, n), -1)).cast(pl.String),
                "_has_project": has_project,
                "industry_gb4754": _pick(rng, INDUSTRY, n),
                "evic_or_equity_plus_debt_cny": np.where(reported, evic, np.nan),
                "borrower_scope1_tco2e": np.where(reported, evic / 1e4 * rng.uniform(0.05, 1.5, n), np.nan),
                "borrower_scope2_tco2e": np.where(reported, evic / 1e5, np.nan),
                "pcaf_dq_score": pl.Series(np.where(reported, rng.integers(1, 5, n), 0)),
            }
        )
        .with_columns(
            pl.col(pl.Float64).fill_nan(None),
            pl.when(pl.col("_has_project")).then(pl.col("project_id")).alias("project_id"),
            pl.when(pl.col("green_flag")).then(pl.col("taxonomy_code")).alias("taxonomy_code"),
            pl.when(pl.col("pcaf_dq_score") > 0).then(pl.col("pcaf_dq_score")).alias("pcaf_dq_score"),
        )
        .drop("_has_project")
    )


def projects(seed: int = 5) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = N_PROJECTS
    return validate_projects(
        pl.DataFrame(
            {
                "project_id": pl.int_range(n, eager=True).cast(pl.String),
                "total_investment_cny": rng.lognormal(np.log(5e8), 0.8, n),
                "coal_saved_tce_per_year": rng.uniform(100, 5000, n),
                "co2_reduced_tco2e_per_year": rng.uniform(200, 12000, n),
                "cod_reduced_t_per_year": rng.uniform(0, 50, n),
                "nh3n_reduced_t_per_year": rng.uniform(0, 5, n),
                "so2_reduced_t_per_year": rng.uniform(0, 20, n),
                "nox_reduced_t_per_year": rng.uniform(0, 20, n),
                "water_saved_t_per_year": rng.uniform(0, 1e5, n),
                "benefit_method": ["efficiency"] * n,
                "factor_vintage": rng.integers(2019, 2025, n),
                "benefit_dq_score": rng.integers(1, 6, n),
            }
        )
    )


def bank_file(n_banks: int, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        {
            "bank_code": f"B{b:03d}",
            "quarter": q,
            "green_bonds_held_cny": float(rng.uniform(0, 1e9)),
            "green_bond_default_cny": 0.0,
            "denominator_total_business_cny": float(rng.uniform(5e10, 2e11)),
            "qualitative_a": float(rng.uniform(15, 30)),
            "qualitative_b": float(rng.uniform(20, 40)),
            "qualitative_c": float(rng.uniform(15, 30)),
        }
        for b in range(n_banks)
        for q in QUARTERS
    ]
    return validate_bank_quarters(pl.DataFrame(rows))


def assess_all(rows_per_quarter: int, n_banks: int, proj: pl.DataFrame, banks: pl.DataFrame) -> dict[str, object]:
    """The timed pipeline; returns figures and the seconds spent generating rows (to subtract)."""
    rulebook = load_rulebook("pboc-2021")
    aggs, benefit_totals, emission_totals = [], [], []
    gen_seconds = gen_cpu = 0.0
    for qi in range(len(QUARTERS)):
        t0, c0 = time.perf_counter(), _cpu()
        rows = quarter_rows(qi, rows_per_quarter, n_banks)
        gen_seconds += time.perf_counter() - t0
        gen_cpu += _cpu() - c0
        classified = classify_loans(rows)
        del rows
        assert isinstance(classified, pl.DataFrame)
        aggs.append(aggregate_loans(classified))
        benefit_totals.append(attribute_benefits(classified, proj).by_bank)
        emission_totals.append(financed_emissions(classified, keep_loans=False).by_bank)
        del classified
    panel = bank_quarter_panel(pl.concat(aggs), banks)
    result = score_banks(panel, rulebook, QUARTERS[-4:])
    benefits = pl.concat(benefit_totals)
    emissions = pl.concat(emission_totals)
    return {
        "gen_seconds": gen_seconds,
        "gen_cpu": gen_cpu,
        "banks_scored": result.scores.filter(pl.col("quarter") == QUARTERS[-1]).height,
        "co2_reduced_tco2e": float(benefits["co2_reduced_tco2e"].sum()),
        "financed_tco2e": float(emissions["financed_tco2e"].sum()),
    }


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def main(rows_per_quarter: int = 10_000_000, n_banks: int = 200) -> None:
    proj = projects()
    banks = bank_file(n_banks)
    cpu0 = _cpu()
    out, seconds, peak = measure(lambda: assess_all(rows_per_quarter, n_banks, proj, banks))
    cpu = _cpu() - cpu0
    assert isinstance(out, dict)
    gen = float(out.pop("gen_seconds"))  # type: ignore[arg-type]
    gen_cpu = float(out.pop("gen_cpu"))  # type: ignore[arg-type]
    emit(
        "assess_80m",
        rows=rows_per_quarter * len(QUARTERS),
        rows_per_quarter=rows_per_quarter,
        quarters=len(QUARTERS),
        banks=n_banks,
        seconds=round(seconds - gen, 2),
        seconds_including_generation=round(seconds, 2),
        generation_seconds=round(gen, 2),
        cpu_seconds=round(cpu - gen_cpu, 1),
        cpu_seconds_including_generation=round(cpu, 1),
        peak_mem_mb=round(peak / 2**20),
        **out,
        machine=machine(),
    )
    rows = quarter_rows(len(QUARTERS) - 1, rows_per_quarter, n_banks).with_columns(
        pl.col("taxonomy_code").str.split(".").list.first().alias("taxonomy_version")
    )
    cpu0 = _cpu()
    _, seconds, peak = measure(lambda: validate_loans(rows))
    emit(
        "validate_10m",
        rows=rows_per_quarter,
        seconds=round(seconds, 2),
        cpu_seconds=round(_cpu() - cpu0, 1),
        peak_mem_mb=round(peak / 2**20),
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
