"""What tickets measure for scoring: the three rates of the 12345 hotlines (response,
resolution, satisfaction), the reopen rate, overdue and open tickets, the median time to resolve.

A ticket counts in a period by its dispatch (`dispatched_at`, the moment it was accepted and the
clocks started), in the community's local calendar (`core.metrics.Period`). Tickets rejected as
invalid or duplicate are no work owed by a handler and count nowhere. Overdue and open tickets
are a state, not a flow: they are counted as the tickets stand, at the period's end or now,
whichever is earlier.

The figures are defined once, here, as SQL over `tickets` (`COUNTED`, `overdue_and_open`,
`median_resolve_seconds`); the registry's measurements below and the dashboards of
`services/stats.py` group the same expressions differently. Two definitions differ between
authorities and are settings:

- `TICKET_RESPONSE_RATE_BASE`: "dispatched" (default: in time ÷ dispatched, a ticket nobody
  answered is a miss) or "responded" (in time ÷ answered at all).
- `TICKET_RESOLUTION_COUNTS_UNEVALUATED`: False (default: fixed ÷ evaluated by the reporter) or
  True (tickets closed without the reporter's answer join the denominator, never the numerator).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app

from backend.core.db import db, utcnow
from backend.core.metrics import (
    Communities,
    Evidence,
    EvidenceByCommunity,
    Metric,
    Period,
    Value,
    evidence_by_community,
    first_per_community,
    per_zone,
)
from backend.tickets.models import OPEN, STATUSES, Ticket, TicketCategory
from backend.tickets.services.common import overdue_clause

CENT = Decimal("0.01")
SECONDS_PER_HOUR = Decimal(3600)
RESPONSE_BASES = ("dispatched", "responded")
# Categories whose open tickets several standard items ask about.
OPEN_BY_CATEGORY = {
    "waterlogging": "内涝积水",
    "fire_lane": "消防/生命通道堵塞",
    "noise": "噪声扰民",
    "illegal_building": "私搭乱建",
}


def response_base() -> str:
    base = current_app.config.get("TICKET_RESPONSE_RATE_BASE", "dispatched")
    if base not in RESPONSE_BASES:
        raise ValueError(f"TICKET_RESPONSE_RATE_BASE must be one of {RESPONSE_BASES}, not {base}")
    return base


def resolution_counts_unevaluated() -> bool:
    return bool(current_app.config.get("TICKET_RESOLUTION_COUNTS_UNEVALUATED", False))


# ---------------------------------------------------------------- the counted figures


# Where communities keep different clocks, each group of them (ids, UTC start, UTC end of the
# period in their zone) is one of `Zones`; usually there is one.
Zones = Sequence[tuple[Sequence[int], datetime, datetime]]


def dispatched_in(zones: Zones):
    """Tickets of the period: dispatched in each community's [start, end), not rejected
    afterwards."""
    return sa.and_(
        sa.or_(
            *(
                sa.and_(
                    Ticket.community_id.in_(ids),
                    Ticket.dispatched_at >= start,
                    Ticket.dispatched_at < end,
                )
                for ids, start, end in zones
            )
        ),
        Ticket.status != "rejected",
    )


# What is counted over the tickets of a period, each a condition on one ticket. A ticket is
# "responded" once the handler signed it (or resolved it straight away); exactly at the
# deadline is still in time.
COUNTED = {
    "dispatched": None,
    "responded": Ticket.responded_at.is_not(None),
    "responded_in_time": Ticket.responded_at <= Ticket.response_due_at,
    "evaluated": Ticket.evaluation == "confirmed",
    "not_evaluated": Ticket.evaluation == "not_evaluated",
    "fixed": sa.and_(Ticket.evaluation == "confirmed", Ticket.fixed.is_(True)),
    "rated": Ticket.rating.is_not(None),
    "satisfied": Ticket.rating >= 4,
    "reopened": Ticket.reopen_count > 0,
    "resolved_once": sa.or_(Ticket.resolved_at.is_not(None), Ticket.reopen_count > 0),
}


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> Decimal | None:
        """Numerator ÷ denominator × 100, two decimals rounded half up; None when nothing was
        there to count."""
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * 100 / Decimal(self.denominator)).quantize(
            CENT, ROUND_HALF_UP
        )


@dataclass
class Counts:
    """The counted figures of a group of tickets; groups add up (a street is its communities)."""

    dispatched: int = 0
    responded: int = 0
    responded_in_time: int = 0
    evaluated: int = 0
    not_evaluated: int = 0
    fixed: int = 0
    rated: int = 0
    satisfied: int = 0
    reopened: int = 0
    resolved_once: int = 0

    def add(self, other: Counts) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def response_rate(self, base: str | None = None) -> Rate:
        base = base or response_base()
        denominator = self.responded if base == "responded" else self.dispatched
        return Rate(self.responded_in_time, denominator)

    def resolution_rate(self, counts_unevaluated: bool | None = None) -> Rate:
        if counts_unevaluated is None:
            counts_unevaluated = resolution_counts_unevaluated()
        denominator = self.evaluated + (self.not_evaluated if counts_unevaluated else 0)
        return Rate(self.fixed, denominator)

    def satisfaction_rate(self) -> Rate:
        return Rate(self.satisfied, self.rated)

    def reopen_rate(self) -> Rate:
        return Rate(self.reopened, self.resolved_once)


def counted(group_by: Sequence, *where) -> sa.Select:
    """One row per group: the keys, then each of COUNTED (in one pass over the tickets)."""
    columns = [
        (sa.func.count() if condition is None else sa.func.count().filter(condition)).label(name)
        for name, condition in COUNTED.items()
    ]
    return sa.select(*group_by, *columns).where(*where).group_by(*group_by)


def _key(row, keys: int) -> Hashable:
    """The group of a row whose first `keys` columns are its keys: None for no keys (the one
    group of everything), the value for one, a tuple for several."""
    if keys == 0:
        return None
    return row[0] if keys == 1 else tuple(row[:keys])


def counts_by_key(query: sa.Select, keys: int) -> dict[Hashable, Counts]:
    """Run a `counted` select grouped by `keys` columns: {key: Counts}."""
    return {_key(row, keys): Counts(*row[keys:]) for row in db.session.execute(query)}


# ---------------------------------------------------------------- the state at a moment


def state_at(end: datetime) -> datetime:
    """The moment a state is counted at: the period's end, or now if that is earlier."""
    return min(end, utcnow())


def open_and_overdue_conditions(zones: Zones):
    """(open, overdue): open tickets filed before the moment of `state_at`, and past a
    deadline then (the ticket list's own `overdue` filter), as they stand now."""
    moments = [(ids, state_at(end)) for ids, _start, end in zones]
    filed = sa.or_(
        *(
            sa.and_(Ticket.community_id.in_(ids), Ticket.created_at < moment)
            for ids, moment in moments
        )
    )
    overdue = sa.or_(
        *(sa.and_(Ticket.community_id.in_(ids), overdue_clause(moment)) for ids, moment in moments)
    )
    return sa.and_(Ticket.status.in_(OPEN), filed), overdue


def overdue_and_open(group_by: Sequence, zones: Zones, *where) -> sa.Select:
    """One row per group: the keys, overdue tickets, open tickets."""
    open_, overdue = open_and_overdue_conditions(zones)
    return (
        sa.select(
            *group_by,
            sa.func.count().filter(overdue).label("overdue"),
            sa.func.count().label("open"),
        )
        .where(open_, *where)
        .group_by(*group_by)
    )


# ---------------------------------------------------------------- time to resolve


def resolve_seconds(dialect: str):
    """Whole seconds from dispatch to resolution; both ends truncated to the second, so every
    engine gets the same integer."""
    if dialect == "postgresql":
        # date_part's float, not extract's numeric nor date_trunc's time zone lookups: a
        # million rows in tens of milliseconds. Exact to the microsecond at today's epochs.

        def epoch(column):
            return sa.func.floor(sa.func.date_part("epoch", column))

    else:

        def epoch(column):
            return sa.cast(sa.func.strftime("%s", column), sa.Integer)

    return sa.cast(epoch(Ticket.resolved_at) - epoch(Ticket.dispatched_at), sa.BigInteger)


def median_resolve_seconds(group_by: Sequence, *where, method: str | None = None) -> sa.Select:
    """One row per group: the keys, the median of `resolve_seconds` over tickets resolved.

    `method` "percentile" (PostgreSQL's percentile_cont, its default) or "middle" (elsewhere:
    the middle row, or the mean of the two middle rows, of each group in order); both give the
    same number, which the tests check on PostgreSQL.
    """
    dialect = db.session.get_bind().dialect.name
    method = method or ("percentile" if dialect == "postgresql" else "middle")
    seconds = resolve_seconds(dialect)
    where = (Ticket.resolved_at.is_not(None), *where)
    if method == "percentile":
        # Typed as a float: the function would otherwise take the type of the seconds.
        median = sa.type_coerce(sa.func.percentile_cont(0.5).within_group(seconds), sa.Float)
        return sa.select(*group_by, median.label("median")).where(*where).group_by(*group_by)
    partition = list(group_by) or None
    keys = [column.label(f"k{index}") for index, column in enumerate(group_by)]
    ranked = (
        sa.select(
            *keys,
            seconds.label("seconds"),
            sa.func.row_number().over(partition_by=partition, order_by=seconds).label("position"),
            sa.func.count().over(partition_by=partition).label("size"),
        )
        .where(*where)
        .subquery()
    )
    outer_keys = [ranked.c[key.name] for key in keys]
    # Integer division: odd n picks row (n+1)/2 twice, even n rows n/2 and n/2 + 1.
    return (
        sa.select(*outer_keys, sa.func.avg(ranked.c.seconds).label("median"))
        .where(ranked.c.position.between((ranked.c.size + 1) // 2, (ranked.c.size + 2) // 2))
        .group_by(*outer_keys)
    )


def as_hours(seconds) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / SECONDS_PER_HOUR).quantize(CENT, ROUND_HALF_UP)


def medians_by_key(query: sa.Select, keys: int) -> dict[Hashable, Decimal | None]:
    """Run a `median_resolve_seconds` select grouped by `keys` columns: {key: hours}."""
    return {_key(row, keys): as_hours(row[keys]) for row in db.session.execute(query)}


# ---------------------------------------------------------------- the measurements


def _per_community_counts(ids: list[int], start: datetime, end: datetime) -> dict[int, Counts]:
    return counts_by_key(
        counted([Ticket.community_id], dispatched_in([(ids, start, end)])),
        1,
    )


def tickets_dispatched(community_ids: Communities, period: Period) -> dict[int, Value]:
    def query(ids, start, end):
        return [
            (key, counts.dispatched)
            for key, counts in _per_community_counts(ids, start, end).items()
        ]

    return per_zone(community_ids, period, query)


def _rate_metric(rate_of):
    def compute(community_ids: Communities, period: Period) -> dict[int, Value]:
        def query(ids, start, end):
            found = _per_community_counts(ids, start, end)
            return [(cid, rate_of(found.get(cid, Counts())).percent) for cid in ids]

        return per_zone(community_ids, period, query)

    return compute


ticket_response_rate = _rate_metric(lambda counts: counts.response_rate())
ticket_resolution_rate = _rate_metric(lambda counts: counts.resolution_rate())
ticket_satisfaction_rate = _rate_metric(lambda counts: counts.satisfaction_rate())
ticket_reopen_rate = _rate_metric(lambda counts: counts.reopen_rate())


def tickets_overdue(community_ids: Communities, period: Period) -> dict[int, Value]:
    def query(ids, start, end):
        rows = db.session.execute(overdue_and_open([Ticket.community_id], [(ids, start, end)]))
        return [(cid, overdue) for cid, overdue, _open in rows]

    return per_zone(community_ids, period, query)


def ticket_median_resolve_hours(community_ids: Communities, period: Period) -> dict[int, Value]:
    def query(ids, start, end):
        found = medians_by_key(
            median_resolve_seconds([Ticket.community_id], dispatched_in([(ids, start, end)])),
            1,
        )
        return [(cid, found.get(cid)) for cid in ids]

    return per_zone(community_ids, period, query)


def _category_id(code: str):
    return sa.select(TicketCategory.id).where(TicketCategory.code == code).scalar_subquery()


def open_of_category(code: str):
    def compute(community_ids: Communities, period: Period) -> dict[int, Value]:
        def query(ids, start, end):
            rows = db.session.execute(
                overdue_and_open(
                    [Ticket.community_id],
                    [(ids, start, end)],
                    Ticket.category_id == _category_id(code),
                )
            )
            return [(cid, open_) for cid, _overdue, open_ in rows]

        return per_zone(community_ids, period, query)

    return compute


# ---------------------------------------------------------------- evidence


def _zones_of(community_ids: Communities, period: Period) -> Zones:
    return [(ids, *period.utc_bounds(timezone)) for timezone, ids in community_ids.zones.items()]


def _ticket_evidence(
    community_ids: Communities,
    period: Period,
    order_by: sa.ColumnElement,
    where_of: Callable[[Zones], Sequence[sa.ColumnElement]],
) -> EvidenceByCommunity:
    """The tickets `where_of(zones)` selects, at most EVIDENCE_LIMIT of each community's in
    `order_by` order: one query for every zone (the labels show no dates), the conditions of each
    zone joined by `or`, as the counted figures are."""
    zones = _zones_of(community_ids, period)
    if not zones:
        return evidence_by_community(community_ids, ())
    rows = db.session.execute(
        first_per_community(
            sa.select(Ticket.community_id, Ticket.id, Ticket.status, TicketCategory.name)
            .join(TicketCategory, TicketCategory.id == Ticket.category_id)
            .where(*where_of(zones)),
            [order_by, Ticket.id],
        )
    )
    return evidence_by_community(
        community_ids,
        (
            (community_id, Evidence("ticket", id_, f"工单 #{id_} {category}（{STATUSES[status]}）"))
            for community_id, id_, status, category in rows
        ),
    )


def tickets_overdue_evidence(community_ids: Communities, period: Period) -> EvidenceByCommunity:
    return _ticket_evidence(
        community_ids, period, Ticket.dispatched_at, open_and_overdue_conditions
    )


def late_responses_evidence(community_ids: Communities, period: Period) -> EvidenceByCommunity:
    """The misses behind the response rate: not answered in time (under the "responded" base,
    only those answered late)."""
    late = ~sa.func.coalesce(Ticket.responded_at <= Ticket.response_due_at, False)
    if response_base() == "responded":
        late = sa.and_(late, Ticket.responded_at.is_not(None))
    return _ticket_evidence(
        community_ids, period, Ticket.dispatched_at, lambda zones: (dispatched_in(zones), late)
    )


def open_of_category_evidence(code: str):
    def evidence(community_ids: Communities, period: Period) -> EvidenceByCommunity:
        def where_of(zones: Zones):
            open_, _overdue = open_and_overdue_conditions(zones)
            return open_, Ticket.category_id == _category_id(code)

        return _ticket_evidence(community_ids, period, Ticket.created_at, where_of)

    return evidence


PERIOD_WORDS = (
    "工单按派单（受理）时间归入统计期，统计期按社区所在时区的当地日期计算，含起始日、不含截止日"
    "（默认一个自然年）；受理后又被认定为无效或重复而不予受理的工单不计。"
)
STATE_WORDS = (
    "按工单目前的状态，统计截至统计期末（统计期尚未结束的，截至当前时刻）的情况，不限派单时间。"
)
RATE_WORDS = "四舍五入保留两位小数；分母为 0 时无数值。"

METRICS = [
    Metric(
        name="tickets_dispatched",
        title="受理派单的工单数",
        unit="件",
        definition="统计期内受理并派单（开始计时）的工单数量，每件计 1。" + PERIOD_WORDS,
        compute=tickets_dispatched,
    ),
    Metric(
        name="ticket_response_rate",
        title="工单响应率",
        unit="%",
        definition=(
            "在响应时限内联系（处理单位签收，或未签收直接办结）的工单数 ÷ 统计期内派单的工单数"
            " × 100%。恰好在时限那一刻签收的算按时；从未签收的算未按时。若配置"
            " TICKET_RESPONSE_RATE_BASE=responded，分母改为已签收的工单数。"
            + RATE_WORDS
            + PERIOD_WORDS
        ),
        compute=ticket_response_rate,
        evidence=late_responses_evidence,
    ),
    Metric(
        name="ticket_resolution_rate",
        title="工单解决率",
        unit="%",
        definition=(
            "报告人评价“已解决”的工单数 ÷ 报告人作出评价的工单数 × 100%。报告人 7 天未评价、"
            "系统自动关闭的工单（未评价）既不算解决，也不计入分母；若配置"
            " TICKET_RESOLUTION_COUNTS_UNEVALUATED=True，未评价的工单计入分母（仍不算解决）。"
            "被重新打开、尚未再次评价的工单不计。" + RATE_WORDS + PERIOD_WORDS
        ),
        compute=ticket_resolution_rate,
    ),
    Metric(
        name="ticket_satisfaction_rate",
        title="工单满意率",
        unit="%",
        definition=(
            "报告人打 4 星或 5 星的工单数 ÷ 报告人打分的工单数 × 100%。未评价（超时自动关闭）"
            "的工单不计入分母，不视为满意。" + RATE_WORDS + PERIOD_WORDS
        ),
        compute=ticket_satisfaction_rate,
    ),
    Metric(
        name="ticket_reopen_rate",
        title="工单重新打开率",
        unit="%",
        definition=(
            "被报告人重新打开过（办结后认为并未解决）的工单数 ÷ 至少办结过一次的工单数 × 100%。"
            + RATE_WORDS
            + PERIOD_WORDS
        ),
        compute=ticket_reopen_rate,
    ),
    Metric(
        name="tickets_overdue",
        title="超时未办工单数",
        unit="件",
        definition=(
            "尚未办结的工单中，已过响应时限仍未签收，或已过办结时限（含批准延期后的时限）"
            "仍未办结的工单数量。" + STATE_WORDS
        ),
        compute=tickets_overdue,
        evidence=tickets_overdue_evidence,
    ),
    Metric(
        name="ticket_median_resolve_hours",
        title="工单办结用时中位数",
        unit="小时",
        definition=(
            "统计期内派单、已办结（含办结后已关闭，不含被重新打开尚未再次办结）的工单，从派单到最近一次办结所用时间的中位数，"
            "以小时计，保留两位小数（两端各取整到秒；工单数为偶数时取中间两件的平均值）；"
            "没有办结的工单时无数值。" + PERIOD_WORDS
        ),
        compute=ticket_median_resolve_hours,
    ),
    *(
        Metric(
            name=f"tickets_open_{code}",
            title=f"未办结的{name}工单数",
            unit="件",
            definition=(
                f"问题类别为“{name}”、尚未办结（待受理、已受理、已派单、已退回、已签收、处理中）"
                "的工单数量，不含已办结待评价、已关闭和不予受理的工单。" + STATE_WORDS
            ),
            compute=open_of_category(code),
            evidence=open_of_category_evidence(code),
        )
        for code, name in OPEN_BY_CATEGORY.items()
    ),
]
