"""The deadline clock (backend/tickets/sla.py): hours, working days, holidays, 调休, fallback.

Dates are from the State Council's 2026 schedule as the chinesecalendar library holds it:
holidays 2/15–23 (Spring Festival), 9/25–27, 10/1–7; make-up working days 2/14, 2/28, 9/20, 10/10.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from backend.tickets import sla
from backend.tickets.sla import (
    DEADLINE_CLASS_TITLES,
    DEADLINE_CLASSES,
    Deadline,
    due_at,
    is_working_day,
    working_days_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS_1, HOURS_2, HOURS_24 = Deadline(1, "hours"), Deadline(2, "hours"), Deadline(24, "hours")
WD_1, WD_7, WD_15 = (
    Deadline(1, "working_days"),
    Deadline(7, "working_days"),
    Deadline(15, "working_days"),
)


def local(y, m, d, hh=10, mm=0):
    """A moment given in Shanghai wall time, as the UTC datetime the clock takes."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


def end_of_local_day(y, m, d):
    return datetime(y, m, d, tzinfo=SHANGHAI).astimezone(UTC) + timedelta(days=1)


@pytest.fixture
def warnings_reset(monkeypatch):
    monkeypatch.setattr(sla, "_warned_years", set())


@pytest.fixture
def library_ends_2026(monkeypatch, warnings_reset):
    """The library as of 1.11 (data up to 2026), so the 2027 cases survive next year's upgrade."""
    real = chinese_calendar.is_workday

    def is_workday(day):
        if day.year > 2026:
            raise NotImplementedError(f"no available data for year {day.year}")
        return real(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", is_workday)


class TestDeadline:
    def test_as_text_is_chinese(self):
        assert HOURS_2.as_text() == "2 小时"
        assert WD_7.as_text() == "7 个工作日"

    @pytest.mark.parametrize("amount", [0, -1, True, 1.5, "2", None])
    def test_amount_must_be_a_positive_integer(self, amount):
        with pytest.raises(ValueError, match="amount"):
            Deadline(amount, "hours")

    @pytest.mark.parametrize("unit", ["days", "hour", "", "WORKING_DAYS"])
    def test_unit_must_be_known(self, unit):
        with pytest.raises(ValueError, match="unit"):
            Deadline(1, unit)

    def test_classes_follow_beijing(self):
        assert DEADLINE_CLASSES == {
            "urgent": (HOURS_1, HOURS_2),
            "utilities": (HOURS_2, HOURS_24),
            "general": (WD_1, WD_7),
            "complex": (WD_1, WD_15),
        }
        assert DEADLINE_CLASS_TITLES.keys() == DEADLINE_CLASSES.keys()


class TestIsWorkingDay:
    @pytest.mark.parametrize(
        ("day", "working"),
        [
            (date(2026, 11, 19), True),  # Thursday
            (date(2026, 11, 21), False),  # Saturday
            (date(2026, 11, 22), False),  # Sunday
            (date(2026, 2, 16), False),  # Spring Festival, a Monday
            (date(2026, 2, 14), True),  # make-up Saturday
            (date(2026, 2, 28), True),  # make-up Saturday
            (date(2026, 9, 20), True),  # make-up Sunday
            (date(2026, 10, 7), False),  # National Day, a Wednesday
            (date(2026, 10, 10), True),  # make-up Saturday
            (date(2026, 10, 11), False),  # the Sunday after it stays a rest day
        ],
    )
    def test_follows_the_state_council_schedule(self, day, working):
        assert is_working_day(day) is working

    @pytest.mark.parametrize("year", [2003, 2100])
    def test_uncovered_year_falls_back_to_monday_to_friday(self, year, warnings_reset, caplog):
        monday = date(year, 1, 1) + timedelta(days=-date(year, 1, 1).weekday() + 7)
        with caplog.at_level(logging.WARNING, logger="backend.tickets.sla"):
            week = [is_working_day(monday + timedelta(days=i)) for i in range(7)]
        assert week == [True] * 5 + [False] * 2
        assert [r.getMessage() for r in caplog.records] == [
            f"chinesecalendar has no holiday data for {year}: counting Monday-Friday as working "
            "days; upgrade chinesecalendar"
        ]

    def test_fallback_warns_once_per_year(self, library_ends_2026, caplog):
        with caplog.at_level(logging.WARNING, logger="backend.tickets.sla"):
            for day in (date(2027, 1, 1), date(2027, 5, 3), date(2028, 1, 3), date(2027, 12, 31)):
                is_working_day(day)
        assert len(caplog.records) == 2
        assert "2027" in caplog.records[0].getMessage()
        assert "2028" in caplog.records[1].getMessage()


class TestDueAtHours:
    def test_runs_across_midnight(self):
        assert due_at(datetime(2026, 11, 20, 23, 0, tzinfo=UTC), HOURS_2) == datetime(
            2026, 11, 21, 1, 0, tzinfo=UTC
        )

    def test_ignores_weekends_and_holidays(self):
        assert due_at(local(2026, 9, 30, 20), HOURS_24) == local(2026, 10, 1, 20)

    def test_accepts_any_aware_start_and_answers_in_utc(self):
        start = datetime(2026, 11, 20, 15, 0, tzinfo=timezone(timedelta(hours=8)))
        due = due_at(start, HOURS_1)
        assert due == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
        assert due.utcoffset() == timedelta(0)

    def test_counts_elapsed_hours_across_a_dst_change(self):
        # New York falls back on 2026-11-01: wall-clock arithmetic would give 12:00 EST, 25 hours.
        start = datetime(2026, 10, 31, 12, 0, tzinfo=ZoneInfo("America/New_York"))
        assert due_at(start, HOURS_24) == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)


class TestDueAtWorkingDays:
    def test_example_friday_to_end_of_monday(self):
        due = due_at(local(2026, 11, 20, 15), WD_1)
        assert due == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
        assert due.tzinfo is UTC

    def test_plain_weekdays(self):
        assert due_at(local(2026, 11, 17, 9), WD_1) == end_of_local_day(2026, 11, 18)
        assert due_at(local(2026, 11, 17, 9), Deadline(3, "working_days")) == end_of_local_day(
            2026, 11, 20
        )

    def test_across_a_weekend(self):
        assert due_at(local(2026, 11, 18, 9), WD_7) == end_of_local_day(2026, 11, 27)

    def test_the_local_day_of_the_start_decides(self):
        # 23:30 Thursday in Shanghai is still Thursday; 00:30 is already Friday.
        assert due_at(local(2026, 11, 19, 23, 30), WD_1) == end_of_local_day(2026, 11, 20)
        assert due_at(local(2026, 11, 20, 0, 30), WD_1) == end_of_local_day(2026, 11, 23)

    def test_spring_festival(self):
        # Friday 2/13: the make-up Saturday 2/14 is day 1, then 2/15–23 off, 2/28 counts.
        assert due_at(local(2026, 2, 13), WD_1) == end_of_local_day(2026, 2, 14)
        assert due_at(local(2026, 2, 14), WD_1) == end_of_local_day(2026, 2, 24)
        assert due_at(local(2026, 2, 13), WD_7) == end_of_local_day(2026, 3, 2)

    def test_national_day(self):
        assert due_at(local(2026, 9, 30), WD_1) == end_of_local_day(2026, 10, 8)
        assert due_at(local(2026, 9, 24), Deadline(2, "working_days")) == end_of_local_day(
            2026, 9, 29
        )

    def test_make_up_days_count(self):
        assert due_at(local(2026, 10, 9), WD_1) == end_of_local_day(2026, 10, 10)  # Saturday
        assert due_at(local(2026, 9, 19), WD_1) == end_of_local_day(2026, 9, 20)  # Sunday

    def test_start_on_a_holiday(self):
        assert due_at(local(2026, 10, 3), WD_1) == end_of_local_day(2026, 10, 8)
        assert due_at(local(2026, 10, 3), Deadline(3, "working_days")) == end_of_local_day(
            2026, 10, 10
        )

    def test_uncovered_year_counts_monday_to_friday(self, library_ends_2026):
        # 2027-01-01 will be New Year's Day, but without data it is just a Friday.
        assert due_at(local(2026, 12, 31), WD_1) == end_of_local_day(2027, 1, 1)
        assert due_at(local(2027, 1, 1), WD_1) == end_of_local_day(2027, 1, 4)
        assert due_at(local(2027, 10, 1), WD_7) == end_of_local_day(2027, 10, 12)

    def test_fifteen_days_from_december_into_the_uncovered_year(self, library_ends_2026):
        # 12/22–25 and 12/28–31 from the data (8), then 1/1, 1/4–8 and 1/11 by weekday.
        assert due_at(local(2026, 12, 21), WD_15) == end_of_local_day(2027, 1, 11)
        assert due_at(local(2026, 12, 21), WD_15) == datetime(2027, 1, 11, 16, 0, tzinfo=UTC)

    def test_other_time_zones(self):
        start = datetime(
            2026, 11, 20, 20, 0, tzinfo=UTC
        )  # Friday in UTC, Saturday 04:00 in Shanghai
        assert due_at(start, WD_1, tz="UTC") == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
        assert due_at(start, WD_1, tz="Asia/Urumqi") == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
        assert due_at(start, WD_1) == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


class TestRefusals:
    def test_naive_start_is_refused(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            due_at(datetime(2026, 11, 20, 15, 0), HOURS_2)
        with pytest.raises(ValueError, match="timezone-aware"):
            due_at(datetime(2026, 11, 20, 15, 0), WD_1)

    def test_naive_times_are_refused_in_reports(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            working_days_between(local(2026, 11, 20), datetime(2026, 11, 25))


class TestWorkingDaysBetween:
    def test_counts_only_fully_elapsed_working_days(self):
        friday = local(2026, 11, 20, 15)
        assert working_days_between(friday, local(2026, 11, 20, 23)) == 0
        assert working_days_between(friday, local(2026, 11, 23, 23, 59)) == 0
        assert working_days_between(friday, end_of_local_day(2026, 11, 23)) == 1
        assert working_days_between(friday, local(2026, 11, 27, 12)) == 4

    def test_skips_holidays_and_counts_make_up_days(self):
        assert working_days_between(local(2026, 9, 30), end_of_local_day(2026, 10, 10)) == 3

    def test_end_before_start_is_zero(self):
        assert working_days_between(local(2026, 11, 20), local(2026, 11, 10)) == 0

    @pytest.mark.parametrize("amount", [1, 2, 7, 15])
    @pytest.mark.parametrize(
        "start",
        [
            local(2026, 2, 13),
            local(2026, 9, 19, 23, 59),
            local(2026, 10, 3),
            local(2026, 11, 20, 0, 1),
        ],
    )
    def test_is_due_at_run_backwards(self, start, amount):
        due = due_at(start, Deadline(amount, "working_days"))
        assert working_days_between(start, due) == amount
        assert working_days_between(start, due - timedelta(seconds=1)) == amount - 1

    def test_in_another_time_zone(self):
        start = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
        assert working_days_between(start, datetime(2026, 11, 24, 0, 0, tzinfo=UTC), tz="UTC") == 1
        assert working_days_between(start, datetime(2026, 11, 24, 0, 0, tzinfo=UTC)) == 1
        assert working_days_between(start, datetime(2026, 11, 23, 15, 0, tzinfo=UTC)) == 0
