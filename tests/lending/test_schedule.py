import datetime as dt

import numpy as np
import polars as pl
import pytest

from greenfin.errors import SpecError
from greenfin.lending import amortisation_schedule, loan_schedules

START = dt.date(2026, 6, 30)


def test_annuity_matches_closed_form_payment() -> None:
    s = amortisation_schedule(300_000, 0.0415, 36, method="annuity", start=START)
    r = 0.0415 / 12
    level = 300_000 * r / (1 - (1 + r) ** -36)
    assert s["payment_cny"][0] == pytest.approx(round(level, 2), abs=0.006)
    assert s["payment_fen"][:-1].n_unique() == 1
    assert abs(int(s["payment_fen"][-1]) - int(s["payment_fen"][0])) <= 36  # last instalment absorbs rounding
    assert int(s["principal_fen"].sum()) == 30_000_000
    assert int(s["closing_fen"][-1]) == 0


@pytest.mark.reference
def test_annuity_textbook_example() -> None:
    """100,000 yuan, 12 months at 6% p.a.: level instalment 8,606.64 (standard 等额本息 formula, r = 0.5%/month)."""
    s = amortisation_schedule(100_000, 0.06, 12, method="annuity", start=START)
    assert s["payment_cny"][0] == pytest.approx(8606.64, abs=0.005)
    assert s["interest_cny"][0] == pytest.approx(500.00, abs=0.005)


def test_equal_principal_parts_differ_by_at_most_one_fen() -> None:
    s = amortisation_schedule(100_000.01, 0.05, 7, method="equal_principal", start=START)
    parts = s["principal_fen"].to_numpy()
    assert parts.sum() == 10_000_001
    assert parts.max() - parts.min() <= 1
    assert (np.diff(s["interest_fen"].to_numpy()) <= 0).all()


def test_interest_only_balloon() -> None:
    s = amortisation_schedule(50_000, 0.048, 12, method="interest_only", start=START)
    assert s["principal_fen"][:-1].sum() == 0
    assert s["principal_fen"][-1] == 5_000_000
    assert s["interest_fen"].n_unique() == 1  # balance constant until maturity
    assert s["interest_fen"][0] == 20_000


def test_seasonal_principal_falls_in_harvest_months() -> None:
    s = amortisation_schedule(120_000, 0.04, 24, method="seasonal", crop="rice", start=dt.date(2026, 1, 10))
    paying = s.filter(pl.col("principal_fen") > 0)
    assert set(paying["payment_date"].dt.month().to_list()) <= {7, 8, 10, 11}
    assert int(s["principal_fen"].sum()) == 12_000_000


def test_seasonal_without_harvest_in_tenor_is_a_balloon() -> None:
    s = amortisation_schedule(10_000, 0.04, 2, method="seasonal", crop="oil_tea", start=dt.date(2026, 1, 1))
    assert s["principal_fen"].to_list() == [0, 1_000_000]


def test_custom_harvest_weights() -> None:
    w = [0.0] * 11 + [1.0]
    s = amortisation_schedule(10_000, 0.04, 12, method="seasonal", harvest_weights=w, start=dt.date(2026, 1, 1))
    assert s.filter(pl.col("principal_fen") > 0)["payment_date"].to_list() == [dt.date(2026, 12, 1)]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"principal_cny": -1.0}, "principal_cny"),
        ({"annual_rate": 4.15}, "Rates are fractions"),
        ({"n_months": 0}, "n_months"),
        ({"method": "balloon"}, "method"),
        ({"method": "seasonal"}, "crop"),
        ({"method": "seasonal", "harvest_weights": [1.0] * 11}, "harvest_weights"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, match: str) -> None:
    args = {"principal_cny": 1000.0, "annual_rate": 0.04, "n_months": 12, "method": "annuity", **kwargs}
    with pytest.raises(SpecError, match=match):
        amortisation_schedule(start=START, **args)


def test_many_loans_at_once_equal_single_schedules() -> None:
    loans = pl.DataFrame(
        {
            "loan_id": ["a", "b", "c"],
            "principal_cny": [1000.0, 2345.67, 99.99],
            "rate": [0.04, 0.05, 0.0],
            "tenor_months": [3, 3, 5],
        }
    )
    many = loan_schedules(loans, start=START, method="annuity")
    for row in loans.iter_rows(named=True):
        one = amortisation_schedule(row["principal_cny"], row["rate"], row["tenor_months"], start=START)
        mine = many.filter(pl.col("loan_id") == row["loan_id"]).drop("loan_id")
        assert mine.equals(one)


def test_dates_follow_the_convention() -> None:
    s = amortisation_schedule(1000.0, 0.04, 3, start=dt.date(2026, 1, 31))
    assert s["payment_date"].to_list() == [dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30)]
    adjusted = amortisation_schedule(1000.0, 0.04, 3, start=dt.date(2026, 9, 1), convention="cn-ib-abs")
    assert adjusted["payment_date"][0] == dt.date(2026, 10, 8)  # National Day holiday rolls forward
