"""Write greenfin/data/calendar_cn_ib.json, the maintained China interbank holiday table.

Years up to QuantLib's last complete year are read from QuantLib's ``China(IB)`` calendar (itself kept
from the State Council's annual holiday notices, 国务院办公厅关于部分节假日安排的通知) so the table can
be checked day by day against it (``tests/core/test_dates.py``). A year QuantLib does not cover is
added by hand from the State Council notice for that year; the notice is usually published in
November of the year before. Run: ``python scripts/make_calendar_table.py`` (needs QuantLib).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import QuantLib as ql  # noqa: TID251  # a generator script reads QuantLib once

FIRST_YEAR = 2018
LAST_YEAR = 2026  # QuantLib 1.44 carries complete data through 2026; 2027 has only New Year's Day
OUT = Path(__file__).resolve().parents[1] / "greenfin" / "data" / "calendar_cn_ib.json"


def main() -> None:
    """Write the table."""
    cal = ql.China(ql.China.IB)
    sse = ql.China(ql.China.SSE)
    years: dict[str, dict[str, object]] = {}
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        holidays = [d.ISO() for d in ql.Calendar.holidayList(cal, ql.Date(1, 1, year), ql.Date(31, 12, year), False)]
        working_weekends, exchange_only = [], []
        day = dt.date(year, 1, 1)
        while day.year == year:
            qd = ql.Date(day.day, day.month, day.year)
            if day.weekday() >= 5 and cal.isBusinessDay(qd):
                working_weekends.append(day.isoformat())
            if day.weekday() < 5 and cal.isBusinessDay(qd) and not sse.isBusinessDay(qd):
                exchange_only.append(day.isoformat())
            day += dt.timedelta(days=1)
        years[str(year)] = {
            "holidays": holidays,
            "working_weekends": working_weekends,
            "exchange_only_holidays": exchange_only,
        }
    table = {
        "id": "calendar-cn-ib",
        "version": f"{FIRST_YEAR}-{LAST_YEAR}",
        "title": (
            "China interbank market (银行间市场) holidays and make-up working days (调休); weekdays on which "
            "the exchanges close but the interbank market opens (exchange_only_holidays)"
        ),
        "source": (
            "State Council holiday notices (国务院办公厅关于部分节假日安排的通知), one per year, as carried by "
            "QuantLib 1.44 China::IB"
        ),
        "confidence": "secondary",
        "years": years,
    }
    OUT.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({FIRST_YEAR}-{LAST_YEAR})")


if __name__ == "__main__":
    main()
