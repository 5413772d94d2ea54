import datetime as dt

import pytest
import QuantLib as ql  # noqa: TID251  # the cross-check reads QuantLib's own China calendar directly

from greenfin._quantlib import evaluation_date, from_ql_date, greenfin_calendar, to_ql_date
from greenfin.dates import add_months, calendar_coverage, get_calendar, parse_date
from greenfin.errors import SpecError


@pytest.mark.reference
@pytest.mark.parametrize("name", ["CN-IB", "CN-SSE"])
def test_table_matches_quantlib_every_day(name: str) -> None:
    """The maintained table agrees with QuantLib 1.44 China::IB / China::SSE on every day both cover."""
    ours = get_calendar(name)
    theirs = ql.China(ql.China.IB if name == "CN-IB" else ql.China.SSE)
    first, last = calendar_coverage()
    day = dt.date(first, 1, 1)
    while day.year <= min(last, 2026):
        assert ours.is_business_day(day) == theirs.isBusinessDay(to_ql_date(day)), day
        day += dt.timedelta(days=1)


def test_bespoke_quantlib_calendar_agrees() -> None:
    cal = greenfin_calendar("CN-IB")
    for day in (dt.date(2026, 10, 1), dt.date(2026, 10, 10), dt.date(2026, 2, 14), dt.date(2025, 1, 28)):
        assert cal.isBusinessDay(to_ql_date(day)) == get_calendar("CN-IB").is_business_day(day)


def test_golden_week_rolls() -> None:
    ib = get_calendar("CN-IB")
    assert ib.adjust(dt.date(2026, 10, 1)) == dt.date(2026, 10, 8)
    assert ib.adjust(dt.date(2026, 10, 1), "preceding") == dt.date(2026, 9, 30)
    assert ib.adjust(dt.date(2026, 10, 31), "modified_following") == dt.date(2026, 10, 30)
    assert ib.add_business_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)


def test_past_table_end_fails_loudly_unless_projected() -> None:
    _, last = calendar_coverage()
    beyond = dt.date(last + 1, 3, 15)
    with pytest.raises(SpecError, match="past the end"):
        get_calendar("CN-IB").is_business_day(beyond)
    with pytest.raises(SpecError, match="past the end"):
        get_calendar("CN-IB").schedule(dt.date(last, 6, 30), 12)
    projected = get_calendar("CN-IB", past_end="weekends")
    assert projected.is_business_day(beyond) == (beyond.weekday() < 5)


def test_table_covers_the_current_year() -> None:
    # Trips when the table runs out: add the State Council notice for the new year to calendar_cn_ib.json.
    assert calendar_coverage()[1] >= dt.date.today().year


def test_month_arithmetic_clips_to_month_end() -> None:
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 3, 31), -1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 12, 15), 1) == dt.date(2026, 1, 15)


def test_parse_date_names_the_field() -> None:
    with pytest.raises(SpecError, match="--as-of must be an ISO date"):
        parse_date("30/06/2026", field="--as-of")


def test_evaluation_date_restored() -> None:
    before = ql.Settings.instance().evaluationDate
    with evaluation_date(dt.date(2025, 5, 6)):
        assert from_ql_date(ql.Settings.instance().evaluationDate) == dt.date(2025, 5, 6)
    assert ql.Settings.instance().evaluationDate == before
