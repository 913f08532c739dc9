"""The deadline clock of tickets: response and resolution deadlines in hours or working days.

Pure: no database, no Flask. Times come in and go out timezone-aware in UTC; only the counting of
working days looks at the community's local time zone (Asia/Shanghai by default).

Two kinds of deadline
- "N hours" (小时): calendar hours around the clock, nights and holidays included: start + N h.
- "N working days" (工作日): the day on which the ticket arrives (local date of `start`) does not
  count, however early it arrived. The deadline is the END of the N-th working day after it, i.e.
  local midnight starting the following day, converted to UTC. Dispatched Friday 2026-11-20
  15:00 in Shanghai with 1 working day: due at the end of Monday 2026-11-23, 2026-11-23T16:00Z.
  `working_days_between` is the same clock run backwards: the working days that have fully elapsed
  after the start's local day, so `working_days_between(s, due_at(s, N working days)) == N`.

Where the working days come from
- The `chinese_calendar` library (PyPI `chinesecalendar`, MIT, github.com/LKI/chinese-calendar)
  holds the State Council's yearly schedule: statutory holidays are not working days, and the
  adjusted working days (调休, e.g. Saturday 2026-10-10) are, although they fall on a weekend.
- The State Council publishes the next year's schedule around November and a new release of the
  library follows within days: upgrade `chinesecalendar` EVERY YEAR, before 1 January.
- For a year the library does not cover (version 1.11 covers 2004–2026) it raises
  NotImplementedError; we then count Monday–Friday as working days for that year, knowing no
  holiday or 调休, and log a warning once per year and process so operators see the stale library.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

UNITS = ("hours", "working_days")
UNIT_TEXT = {"hours": "小时", "working_days": "个工作日"}
DEFAULT_TZ = "Asia/Shanghai"

_warned_years: set[int] = set()


@dataclass(frozen=True)
class Deadline:
    """A response or resolution deadline: `amount` hours or working days."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        # bool is an int to Python, but True hours is a bug, not a deadline.
        if not isinstance(self.amount, int) or isinstance(self.amount, bool) or self.amount < 1:
            raise ValueError(f"deadline amount must be a positive integer, got {self.amount!r}")
        if self.unit not in UNITS:
            raise ValueError(f"deadline unit must be one of {UNITS}, got {self.unit!r}")

    def as_text(self) -> str:
        """In Chinese, for screens and notices: "2 小时", "7 个工作日"."""
        return f"{self.amount} {UNIT_TEXT[self.unit]}"


# Beijing's 接诉即办 classes: class -> (response deadline, resolution deadline).
DEADLINE_CLASSES: dict[str, tuple[Deadline, Deadline]] = {
    "urgent": (Deadline(1, "hours"), Deadline(2, "hours")),
    "utilities": (Deadline(2, "hours"), Deadline(24, "hours")),
    "general": (Deadline(1, "working_days"), Deadline(7, "working_days")),
    "complex": (Deadline(1, "working_days"), Deadline(15, "working_days")),
}
DEADLINE_CLASS_TITLES = {
    "urgent": "紧急",
    "utilities": "水电气热",
    "general": "一般",
    "complex": "复杂",
}


def is_working_day(day: date) -> bool:
    """True on a working day in mainland China, 调休 included; Monday–Friday where no data exists."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinesecalendar has no holiday data for %d: counting Monday-Friday as working "
                "days; upgrade chinesecalendar",
                day.year,
            )
        return day.weekday() < 5


def due_at(start: datetime, deadline: Deadline, tz: str = DEFAULT_TZ) -> datetime:
    """When a clock started at `start` runs out (UTC); see the module docstring."""
    start = _as_utc(start)
    if deadline.unit == "hours":
        return start + timedelta(hours=deadline.amount)
    zone = ZoneInfo(tz)
    day, counted = start.astimezone(zone).date(), 0
    while counted < deadline.amount:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return _local_midnight(day + timedelta(days=1), zone)


def working_days_between(start: datetime, end: datetime, tz: str = DEFAULT_TZ) -> int:
    """Working days fully elapsed between `start` and `end`, for reports; 0 if `end` is earlier.

    The start's own local day never counts, as in `due_at`; a later working day counts once its
    local midnight has passed.
    """
    zone = ZoneInfo(tz)
    first = _as_utc(start).astimezone(zone).date() + timedelta(days=1)
    stop = _as_utc(end).astimezone(zone).date()  # the end's local day has not fully elapsed
    return sum(is_working_day(first + timedelta(days=i)) for i in range((stop - first).days))


def _as_utc(moment: datetime) -> datetime:
    # Arithmetic on an aware datetime in a zone with DST is wall-clock arithmetic; in UTC it is
    # elapsed time, which is what a deadline in hours means.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("deadline times must be timezone-aware (UTC)")
    return moment.astimezone(UTC)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
