"""Fixtures of the assessment tests: a hand-built bank-quarter panel and the bundled sample."""

from __future__ import annotations

import polars as pl
import pytest

from greenfin.assessment import (
    aggregate_loans,
    bank_quarter_panel,
    classify_loans,
    validate_bank_quarters,
    validate_loans,
)
from greenfin.datasets import load_sample

HAND_QUARTERS = ("2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2")


def hand_aggregates(current: dict[str, dict[str, float]], history: dict[str, dict[str, float]]) -> pl.DataFrame:
    """Aggregates with ``history`` values in 2024Q1..2025Q1 and ``current`` values in 2025Q2."""
    rows = []
    for bank in current:
        for q in HAND_QUARTERS:
            v = current[bank] if q == "2025Q2" else history[bank]
            rows.append(
                {
                    "bank_code": bank,
                    "quarter": q,
                    "n_loans": 10,
                    "n_green_loans": 5,
                    "total_loans_cny": v.get("total", 2 * v["g"]),
                    "green_loans_cny": v["g"],
                    "green_npl_cny": v["npl"],
                    "eco_green_loans_cny": v.get("eco", 0.0),
                    "green_rate_x_balance_cny": v.get("rate", 0.04) * v["g"],
                    "green_rated_balance_cny": v["g"],
                }
            )
    return pl.DataFrame(rows)


def hand_bank_file(denominators: dict[str, float], qual: dict[str, tuple[float, float, float]]) -> pl.DataFrame:
    rows = []
    for bank, d in denominators.items():
        for q in HAND_QUARTERS:
            a, b, c = qual[bank]
            rows.append(
                {
                    "bank_code": bank,
                    "quarter": q,
                    "green_bonds_held_cny": 0.0,
                    "green_bond_default_cny": 0.0,
                    "denominator_total_business_cny": d,
                    "qualitative_a": a,
                    "qualitative_b": b,
                    "qualitative_c": c,
                    "peer_group": "all",
                }
            )
    return validate_bank_quarters(pl.DataFrame(rows))


@pytest.fixture
def hand_panel() -> pl.DataFrame:
    """Three banks, hand-computed in test_scoring.test_hand_case_pboc_2021."""
    history = {"A": {"g": 100.0, "npl": 1.0}, "B": {"g": 50.0, "npl": 0.0}, "C": {"g": 200.0, "npl": 4.0}}
    current = {"A": {"g": 120.0, "npl": 1.2}, "B": {"g": 45.0, "npl": 0.9}, "C": {"g": 240.0, "npl": 2.4}}
    banks = hand_bank_file(
        {"A": 1000.0, "B": 500.0, "C": 800.0}, {"A": (20, 30, 25), "B": (10, 20, 10), "C": (25, 35, 20)}
    )
    return bank_quarter_panel(hand_aggregates(current, history), banks)


@pytest.fixture(scope="session")
def sample_loans() -> pl.DataFrame:
    loans = classify_loans(validate_loans(load_sample("assessment_loans")))
    assert isinstance(loans, pl.DataFrame)
    return loans


@pytest.fixture(scope="session")
def sample_panel(sample_loans: pl.DataFrame) -> pl.DataFrame:
    return bank_quarter_panel(aggregate_loans(sample_loans), validate_bank_quarters(load_sample("assessment_banks")))


@pytest.fixture(scope="session")
def build_panel() -> object:
    """A callable building a panel from (current, history, denominators, qualitative) dicts."""

    def build(
        current: dict[str, dict[str, float]],
        history: dict[str, dict[str, float]],
        denominators: dict[str, float],
        qual: dict[str, tuple[float, float, float]],
    ) -> pl.DataFrame:
        return bank_quarter_panel(hand_aggregates(current, history), hand_bank_file(denominators, qual))

    return build
