"""Bad input and safety: each gets a clear refusal naming the reason and the fix."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

from greenfin.collateral import assess_collateral, drawdown_quantile, validate_prices, value_rights
from greenfin.errors import DataError, SpecError

AS_OF = dt.date(2026, 6, 30)


def right(right_type: str, **cols: Any) -> dict[str, Any]:
    """One rights-table row with defaults for the always-required columns."""
    row: dict[str, Any] = {
        "right_id": cols.pop("right_id", "R1"),
        "borrower_id": cols.pop("borrower_id", "B00001"),
        "right_type": right_type,
        "term_end": cols.pop("term_end", "2040-12-31"),
    }
    row.update(cols)
    return row


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    """A rights table from rows (columns united; missing values null)."""
    return pl.DataFrame(list(rows), infer_schema_length=None)


def _forest(**cols: Any) -> dict[str, Any]:
    base = {"area_ha": 2.0, "species_group": "chinese_fir", "stand_age_years": 20.0, "registry": "real_estate"}
    base.update(cols)
    return right("forest_right", **base)


def test_expired_right_is_refused_with_reason() -> None:
    rights = frame(_forest(term_end="2026-01-31"))
    with pytest.raises(
        SpecError, match=r"Right 'R1' \(forest_right\) is refused: expired: the right ended on 2026-01-31"
    ):
        assess_collateral(rights, as_of=AS_OF)
    flagged = assess_collateral(rights, as_of=AS_OF, on_refusal="flag")
    assert flagged["eligible"].to_list() == [False]
    assert flagged["binding_bound"].to_list() == ["refused"]
    assert flagged["max_loan_cny"].to_list() == [0.0]
    assert flagged["value_cny"].to_list() == [0.0]
    assert flagged["remaining_term_years"].to_list() == [0.0]


def test_tenor_past_term_is_refused() -> None:
    rights = frame(_forest(term_end="2029-06-30", loan_tenor_years=5.0))
    with pytest.raises(SpecError, match=r"tenor 5.0 years is past the right's remaining term 3.0 years .*shorten"):
        assess_collateral(rights, as_of=AS_OF)
    ok = assess_collateral(frame(_forest(term_end="2029-06-30", loan_tenor_years=2.5)), as_of=AS_OF)
    assert ok["eligible"].to_list() == [True]


def test_public_benefit_forest_is_refused() -> None:
    with pytest.raises(SpecError, match="public-benefit forest"):
        assess_collateral(frame(_forest(forest_category="public_welfare")), as_of=AS_OF)


def test_unknown_species_names_row_and_fix() -> None:
    rights = frame(_forest(right_id="a"), _forest(right_id="b", species_group="eucalyptus"))
    with pytest.raises(
        DataError, match=r"column species_group, row 2: unknown species group 'eucalyptus'.*chinese_fir"
    ):
        value_rights(rights, as_of=AS_OF, source="rights.csv")


def test_unknown_right_type_and_duplicate_ids() -> None:
    with pytest.raises(DataError, match="column right_type, row 1: value 'gep' is not allowed"):
        value_rights(frame(right("gep")), as_of=AS_OF)
    with pytest.raises(DataError, match="right_id 'a' appears more than once"):
        value_rights(frame(_forest(right_id="a"), _forest(right_id="a")), as_of=AS_OF)


def test_eco_income_without_realisable_flows_refuses_gep() -> None:
    rights = frame(right("eco_income_right", gep_cny=1e9, realisable_cash_flow_cny_per_year=None))
    with pytest.raises(DataError, match=r"REALISABLE cash flows only.*never collateral"):
        value_rights(rights, as_of=AS_OF)


def test_missing_type_column_names_it() -> None:
    with pytest.raises(DataError, match="a water_right needs permit_quantity_per_year\\+unit_price_cny"):
        value_rights(frame(right("water_right", permit_quantity_per_year=1.0)), as_of=AS_OF)


def _prices(dates: list[str], values: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"series": ["cea"] * len(dates), "date": dates, "price_cny": values})


def test_price_series_with_gap_is_refused() -> None:
    with pytest.raises(DataError, match=r"row 3: series 'cea' has a gap of 59 days between 2025-01-03 and 2025-03-03"):
        validate_prices(_prices(["2025-01-02", "2025-01-03", "2025-03-03"], [90.0, 91.0, 92.0]), source="p.csv")


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_non_positive_price_is_refused(bad: float) -> None:
    with pytest.raises(DataError, match=r"column price_cny, row 2: price .* is not positive"):
        validate_prices(_prices(["2025-01-02", "2025-01-03"], [90.0, bad]))


def test_missing_and_duplicate_prices_are_refused() -> None:
    with pytest.raises(DataError, match="missing value"):
        validate_prices(_prices(["2025-01-02", "2025-01-03"], [90.0, float("nan")]))
    with pytest.raises(DataError, match="two prices on 2025-01-03"):
        validate_prices(_prices(["2025-01-02", "2025-01-03", "2025-01-03"], [90.0, 91.0, 92.0]))


def test_stale_or_absent_mark_is_refused() -> None:
    prices = _prices(["2025-01-02", "2025-01-03"], [90.0, 91.0])
    rights = frame(right("carbon_allowance", allowance_tco2e=10.0))
    with pytest.raises(DataError, match="stale at 2026-06-30"):
        value_rights(rights, as_of=AS_OF, prices=prices)
    with pytest.raises(DataError, match="no price for right type"):
        value_rights(rights, as_of=AS_OF)
    other = frame(right("carbon_allowance", allowance_tco2e=10.0, price_series="gdea"))
    with pytest.raises(DataError, match="no price of series 'gdea'"):
        value_rights(other, as_of=dt.date(2025, 1, 3), prices=prices)


def test_history_too_short_for_horizon() -> None:
    with pytest.raises(SpecError, match="too short for a 20-day liquidation horizon"):
        drawdown_quantile(np.array([1.0, 2.0, 3.0]), 20, 0.95)
    with pytest.raises(SpecError, match="'quantile' parameter"):
        drawdown_quantile(np.array([1.0, 2.0, 3.0]), 1, 1.5)


def test_bad_on_refusal_value() -> None:
    with pytest.raises(SpecError, match="'on_refusal' parameter of assess_collateral"):
        assess_collateral(frame(_forest()), as_of=AS_OF, on_refusal="ignore")  # type: ignore[arg-type]
