"""assess_right (one right as a mapping, no polars query) is the row assess_collateral gives for it.

The two entry points share every kernel; these tests guard the parts that differ (record validation,
column access, label assembly, refusal texts) by comparing them value for value, on random rights, on
the bundled sample county (which takes the table path's polars branch for codes) and on bad input, where
both must raise the same message.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin.collateral import ASSESSMENT_SCHEMA, assess_collateral, assess_right
from greenfin.datasets import load_sample
from greenfin.errors import DataError, SpecError
from tests.collateral.test_properties import AS_OF, rights_row


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b) and type(a) is type(b)


def _table_row(record: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return assess_collateral(pl.DataFrame([record], infer_schema_length=None), **kwargs).row(0, named=True)


@st.composite
def loan_fields(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if draw(st.booleans()):
        fields["loan_cny"] = draw(st.floats(0.0, 1e9))
    if draw(st.booleans()):
        fields["loan_tenor_years"] = draw(st.floats(0.1, 40.0))
    if draw(st.booleans()):
        fields["forest_category"] = draw(st.sampled_from(("public_welfare", "commercial")))
    if draw(st.booleans()):
        fields["land_only"] = draw(st.booleans())
    if draw(st.booleans()):
        fields["price_volatility_per_year"] = draw(st.floats(0.0, 1.5))
    if draw(st.booleans()):
        fields["parcel_id"] = draw(st.sampled_from(("P1", "P-2")))
    return fields


@settings(max_examples=150, deadline=None)
@given(row=rights_row(), extra=loan_fields(), as_of_shift=st.integers(-4000, 4000))
def test_one_right_matches_the_table_row(row: dict[str, Any], extra: dict[str, Any], as_of_shift: int) -> None:
    record = {**row, **extra}
    as_of = AS_OF + dt.timedelta(days=as_of_shift)  # also moves rights past their term (refused, value 0)
    got = assess_right(record, as_of=as_of, on_refusal="flag")
    want = _table_row(record, as_of=as_of, on_refusal="flag")
    assert list(got) == list(ASSESSMENT_SCHEMA)
    different = {k: (got[k], want[k]) for k in want if not _same(got[k], want[k])}
    assert not different


def test_every_sample_right_matches_the_table_path() -> None:
    # 1,980 rights: the table path codes its text columns in polars (not the small-table dict branch), so
    # this compares the two column readers on every right type. Allowances valued on the CEA price
    # series need a price table, which assess_right does not take: they are left out here.
    rights = load_sample("county_rights").filter(pl.col("right_type") != "carbon_allowance")
    as_of = dt.date(2026, 6, 30)
    table = assess_collateral(rights, as_of=as_of, on_refusal="flag")
    assert table.height > 64
    for record, want in zip(rights.iter_rows(named=True), table.iter_rows(named=True), strict=True):
        got = assess_right(record, as_of=as_of, on_refusal="flag")
        different = {k: (got[k], want[k]) for k in want if not _same(got[k], want[k])}
        assert not different, record["right_id"]


GOOD = {
    "right_id": "W1",
    "borrower_id": "B1",
    "right_type": "water_right",
    "term_end": "2035-12-31",
    "permit_quantity_per_year": 1.36e8,
    "unit_price_cny": 0.15,
}


@pytest.mark.parametrize(
    "change",
    [
        {"permit_quantity_per_year": -5.0},  # negative volume
        {"right_type": "forest"},  # unknown type
        {"term_end": "2035-13-40"},  # not a date
        {"term_end": "31/12/2035"},  # wrong date format
        {"unit_price_cny": None},  # a column the type needs, left empty
        {"unit_price_cny": "0.15"},  # a number sent as text: cast like the table path does
        {"right_type": "forest_right", "area_ha": 3.0, "stand_age_years": 12.0, "species_group": "杉木"},
        {"registry": "bank_ledger"},
        {"insured": "yes"},
        {"right_id": None},
    ],
)
def test_bad_right_gets_the_table_paths_message(change: dict[str, Any]) -> None:
    record = {**GOOD, **change}
    want: dict[str, Any] | str
    try:
        want = _table_row(record, as_of=AS_OF)
    except DataError as exc:
        want = str(exc)
    got: dict[str, Any] | str
    try:
        got = assess_right(record, as_of=AS_OF, source="rights table")
    except DataError as exc:
        got = str(exc)
    assert got == want  # the same message, or (a value the table path casts) the same result


def test_missing_required_column_is_named() -> None:
    record = {k: v for k, v in GOOD.items() if k != "term_end"}
    with pytest.raises(DataError, match="term_end"):
        assess_right(record, as_of=AS_OF)


def test_refused_right_raises_the_same_message() -> None:
    record = {**GOOD, "term_end": "2020-01-01"}
    with pytest.raises(SpecError) as want:
        _table_row(record, as_of=AS_OF)
    with pytest.raises(SpecError) as got:
        assess_right(record, as_of=AS_OF)
    assert str(got.value) == str(want.value)
    assert "expired" in str(got.value)
    flagged = assess_right(record, as_of=AS_OF, on_refusal="flag")
    assert flagged["eligible"] is False
    assert flagged["advance_rate"] == 0.0
    assert flagged["binding_bound"] == "refused"


def test_tenor_past_term_is_refused_with_the_numbers() -> None:
    record = {**GOOD, "term_end": "2030-06-30", "loan_tenor_years": 5.5}
    row = assess_right(record, as_of=AS_OF, on_refusal="flag")
    assert row["refusal_reason"].startswith("tenor 5.5 years is past the right's remaining term 4.0 years")
    assert row == _table_row(record, as_of=AS_OF, on_refusal="flag")


def test_on_refusal_must_be_raise_or_flag() -> None:
    with pytest.raises(SpecError, match="on_refusal"):
        assess_right(GOOD, as_of=AS_OF, on_refusal="keep")  # type: ignore[arg-type]


def test_right_on_a_price_series_needs_its_price_without_a_table() -> None:
    allowance = {**GOOD, "right_type": "carbon_allowance", "allowance_tco2e": 100.0, "unit_price_cny": None}
    with pytest.raises(DataError, match=r"request, column unit_price_cny, row 1: a carbon_allowance .* needs"):
        assess_right(allowance, as_of=AS_OF, source="request")
    priced = assess_right({**allowance, "unit_price_cny": 80.0}, as_of=AS_OF)
    assert priced["value_cny"] == _table_row({**allowance, "unit_price_cny": 80.0}, as_of=AS_OF)["value_cny"]
    assert priced["method"] == "mark_to_market"
