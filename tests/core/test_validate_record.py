"""validate_record (one row as a mapping, checked in Python) agrees with validate_frame on a one-row table.

Either both accept and give the same typed values, or both raise the same DataError: the record path
must never accept what the table path refuses, nor word an error differently.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenfin._validation import ColumnSpec, validate_frame, validate_record
from greenfin.errors import DataError

SPECS = (
    ColumnSpec(name="parcel_id", kind="str"),
    ColumnSpec(name="area_ha", gt=0.0, description="parcel area in hectares"),
    ColumnSpec(name="land_class", kind="str", allowed=("forest", "cropland")),
    ColumnSpec(name="count", kind="int", required=False, nullable=True, ge=0),
    ColumnSpec(name="insured", kind="bool", required=False, nullable=True),
    ColumnSpec(name="term_end", kind="date", required=False, nullable=False),
    ColumnSpec(name="share", required=False, nullable=True, ge=0.0, le=1.0),
)

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from((0.0, -0.0, 1e-300, 1.0, 1.5, float("nan"), float("inf"))),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(("forest", "cropland", "mine", "", "2035-12-31", "2035-1-5", "2035-02-30", "true", "yes", "7")),
    st.dates(dt.date(1990, 1, 1), dt.date(2060, 1, 1)),
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def _frame_path(record: dict[str, Any]) -> dict[str, Any] | str:
    try:
        frame = validate_frame(pl.DataFrame([record]), SPECS, source="request")
    except DataError as exc:
        return str(exc)
    return frame.row(0, named=True)


VALID: dict[str, Any] = {
    "parcel_id": "a",
    "area_ha": 2.5,
    "land_class": "forest",
    "count": 3,
    "insured": True,
    "term_end": "2035-12-31",
    "share": 0.5,
}


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record with a few fields replaced by arbitrary values or dropped."""
    record = dict(VALID)
    for name in draw(st.lists(st.sampled_from(sorted(VALID)), max_size=3, unique=True)):
        if draw(st.integers(0, 4)) == 0:
            del record[name]
        else:
            record[name] = draw(ANY_VALUE)
    return record


@settings(max_examples=400, deadline=None)
@given(record=records())
def test_record_and_frame_paths_agree(record: dict[str, Any]) -> None:
    try:
        want = _frame_path(record)
    except Exception:  # polars cannot even build a one-row table from these values (a mixed-type column)
        return
    try:
        got: dict[str, Any] | str = validate_record(record, SPECS, source="request")
    except DataError as exc:
        got = str(exc)
    if isinstance(want, str):
        assert got == want
    else:
        assert isinstance(got, dict)
        assert set(got) == set(want)
        assert all(_same(got[k], want[k]) for k in want), (got, want)


def test_plain_record_is_typed_without_a_table() -> None:
    got = validate_record({"parcel_id": "a", "area_ha": 2, "land_class": "forest", "term_end": "2035-12-31"}, SPECS)
    assert got["area_ha"] == 2.0
    assert isinstance(got["area_ha"], float)
    assert got["term_end"] == dt.date(2035, 12, 31)
    assert got["count"] is None
    assert got["insured"] is None


def test_bad_record_names_column_and_row_one() -> None:
    with pytest.raises(DataError, match=r"request, column area_ha, row 1: must be > 0.0"):
        validate_record({"parcel_id": "a", "area_ha": -1.0, "land_class": "forest"}, SPECS, source="request")
    with pytest.raises(DataError, match="required column 'land_class' is missing"):
        validate_record({"parcel_id": "a", "area_ha": 1.0}, SPECS)


def test_text_in_a_bool_column_is_a_data_error_not_a_crash() -> None:
    frame = pl.DataFrame({"parcel_id": ["a", "b"], "area_ha": [1.0, 2.0], "land_class": ["forest"] * 2})
    ok = validate_frame(frame.with_columns(insured=pl.Series(["TRUE", "false"])), SPECS)
    assert ok["insured"].to_list() == [True, False]
    with pytest.raises(DataError, match=r"column insured, row 2: value 'yes' is not a valid bool"):
        validate_frame(frame.with_columns(insured=pl.Series(["true", "yes"])), SPECS)
    with pytest.raises(DataError, match="column area_ha, row 1"):
        validate_frame(frame.with_columns(area_ha=pl.Series([[1.0], [2.0]])), SPECS)
