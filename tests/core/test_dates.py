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


# 国务院办公厅关于2026年部分节假日安排的通知 (State Council General Office, 4 November 2025, as carried by
# Xinhua, e.g. politics.gmw.cn/2025-11/04/content_38391083.htm): every holiday range and every make-up
# working day (调休上班) of the notice, to the day. The interbank market is closed on the weekdays of each
# range and open on the make-up Saturdays and Sundays.
NOTICE_2026_HOLIDAYS = (
    (dt.date(2026, 1, 1), dt.date(2026, 1, 3)),  # 元旦
    (dt.date(2026, 2, 15), dt.date(2026, 2, 23)),  # 春节
    (dt.date(2026, 4, 4), dt.date(2026, 4, 6)),  # 清明节
    (dt.date(2026, 5, 1), dt.date(2026, 5, 5)),  # 劳动节
    (dt.date(2026, 6, 19), dt.date(2026, 6, 21)),  # 端午节
    (dt.date(2026, 9, 25), dt.date(2026, 9, 27)),  # 中秋节
    (dt.date(2026, 10, 1), dt.date(2026, 10, 7)),  # 国庆节
)
NOTICE_2026_WORKING_WEEKENDS = (
    dt.date(2026, 1, 4),
    dt.date(2026, 2, 14),
    dt.date(2026, 2, 28),
    dt.date(2026, 5, 9),
    dt.date(2026, 9, 20),
    dt.date(2026, 10, 10),
)


@pytest.mark.reference
def test_2026_matches_the_state_council_notice() -> None:
    ib = get_calendar("CN-IB")
    in_notice: set[dt.date] = set()
    for first, last in NOTICE_2026_HOLIDAYS:
        day = first
        while day <= last:
            in_notice.add(day)
            assert not ib.is_business_day(day), day
            day += dt.timedelta(days=1)
    for day in NOTICE_2026_WORKING_WEEKENDS:
        assert day.weekday() >= 5
        assert ib.is_business_day(day), day
    day = dt.date(2026, 1, 1)
    while day.year == 2026:  # every other day: weekdays open, weekends closed
        if day not in in_notice and day not in NOTICE_2026_WORKING_WEEKENDS:
            assert ib.is_business_day(day) == (day.weekday() < 5), day
        day += dt.timedelta(days=1)
