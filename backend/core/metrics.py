"""The registry of measurements: named, documented, period-bounded numbers that domains provide
and scoring reads (no domain imports scoring; scoring imports nothing but this registry).

Each domain lists its measurements in `metrics.py` as `METRICS = [Metric(...)]`, like its jobs.
A measurement is computed for many communities at once (`compute(communities, period)`), one
set-based query per measurement, never one query per community. `communities` is a
`Communities`: their ids, with the time zones the caller read with them (the registry never reads
a community), so local periods cost one query per zone. `evidence(community_ids, period)`
names the records behind each community's value, for the scorecard, the same way: one query (per
time zone) for all the communities, at most `EVIDENCE_LIMIT` records each (`first_per_community`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from importlib import import_module
from importlib.util import find_spec
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.packages import PACKAGES

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Period:
    """Local calendar dates, `start` included and `end` excluded, in each community's zone."""

    start: date
    end: date

    @classmethod
    def calendar_year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    def utc_bounds(self, timezone: str = DEFAULT_TIMEZONE) -> tuple[datetime, datetime]:
        zone = ZoneInfo(timezone)
        return (
            datetime.combine(self.start, time(), zone).astimezone(UTC),
            datetime.combine(self.end, time(), zone).astimezone(UTC),
        )


@dataclass(frozen=True)
class Evidence:
    """One record behind a measured value: what it is, its id, a line to show."""

    kind: str
    id: int
    label: str


class Communities(tuple[int, ...]):
    """The communities a measurement runs for: their ids in order (it is a tuple of them), and
    `zones`, the ids by time zone, for measurements over local periods."""

    zones: dict[str, list[int]]

    def __new__(cls, timezones: Mapping[int, str | None]) -> Communities:
        self = super().__new__(cls, timezones)
        self.zones = {}
        for community_id, timezone in timezones.items():
            self.zones.setdefault(timezone or DEFAULT_TIMEZONE, []).append(community_id)
        return self


Value = int | Decimal | None
EvidenceByCommunity = dict[int, list[Evidence]]
# Records listed behind one community's value at most (a scorecard shows them; the rest are the
# same kind of record, found by the measurement's definition).
EVIDENCE_LIMIT = 50


@dataclass(frozen=True)
class Metric:
    name: str
    title: str  # Chinese, shown to committees
    unit: str
    definition: str  # Chinese: exactly what is counted, so an assessor can check it by hand
    compute: Callable[[Communities, Period], dict[int, Value]]
    evidence: Callable[[Communities, Period], EvidenceByCommunity] | None = None


def registry(packages: Iterable[str] | None = None) -> dict[str, Metric]:
    """Every domain's measurements, by name (packages default to the app's PACKAGES)."""
    if packages is None:
        packages = PACKAGES
    metrics: dict[str, Metric] = {}
    for package in packages:
        module_name = f"backend.{package}.metrics"
        if find_spec(module_name) is None:
            continue
        for metric in import_module(module_name).METRICS:
            if metric.name in metrics:
                raise ValueError(f"two measurements are named {metric.name}")
            metrics[metric.name] = metric
    return metrics


def per_zone(
    community_ids: Communities,
    period: Period,
    query: Callable[[list[int], datetime, datetime], Iterable[tuple[int, Value]]],
) -> dict[int, Value]:
    """Run `query(ids, utc_start, utc_end)` once per time zone; communities it returns no row
    for are given 0."""
    values: dict[int, Value] = dict.fromkeys(community_ids, 0)
    for timezone, ids in community_ids.zones.items():
        start, end = period.utc_bounds(timezone)
        values.update(dict(query(ids, start, end)))
    return values


def first_per_community(
    query: sa.Select,
    order_by: Sequence[sa.ColumnElement],
    limit: int = EVIDENCE_LIMIT,
) -> sa.Select:
    """`query`'s rows, only the first `limit` of each community in `order_by` order, as one
    statement for all communities (a window function, not a LIMIT per community). `query`'s first
    column is the community id; the rows keep `query`'s columns, ordered by community, then
    `order_by`."""
    community_id = query.selected_columns[0]
    rank = (
        sa.func.row_number()
        .over(partition_by=community_id, order_by=list(order_by))
        .label("evidence_rank")
    )
    ranked = query.add_columns(rank).subquery()
    kept = [column for column in ranked.c if column.name != "evidence_rank"]
    return (
        sa.select(*kept)
        .where(ranked.c.evidence_rank <= limit)
        .order_by(kept[0], ranked.c.evidence_rank)
    )


def values_by_community(
    community_ids: Sequence[int], default: Value, rows: Iterable[tuple[int, Value]]
) -> dict[int, Value]:
    """Values as `(community_id, value)` rows; every community asked for is listed, with
    `default` when no row names it."""
    values: dict[int, Value] = dict.fromkeys(community_ids, default)
    values.update((community_id, value) for community_id, value in rows)
    return values


def evidence_by_community(
    community_ids: Sequence[int], rows: Iterable[tuple[int, Evidence]]
) -> EvidenceByCommunity:
    """Evidence as `(community_id, evidence)` pairs, in their order, gathered by community;
    every community asked for is listed, with an empty list when it has no records."""
    evidence: EvidenceByCommunity = {community_id: [] for community_id in community_ids}
    for community_id, item in rows:
        evidence[community_id].append(item)
    return evidence


def evidence_per_zone(
    community_ids: Communities,
    period: Period,
    query: Callable[[list[int], datetime, datetime, ZoneInfo], Iterable[tuple[int, Evidence]]],
) -> EvidenceByCommunity:
    """Run `query(ids, utc_start, utc_end, zone)` once per time zone (the zone, for labels in
    the communities' local dates); it yields `(community_id, evidence)` pairs, in order."""
    evidence = evidence_by_community(community_ids, ())
    for timezone, ids in community_ids.zones.items():
        start, end = period.utc_bounds(timezone)
        for community_id, item in query(ids, start, end, ZoneInfo(timezone)):
            evidence[community_id].append(item)
    return evidence
