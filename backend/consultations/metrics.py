"""What consultations measure for scoring: consultations held, needs collected, households'
participation, offline joint meetings. Each value is one set-based query per time zone over all
the communities asked for; `evidence` lists the records behind each community's value, the
same way (at most `EVIDENCE_LIMIT` of each community's, one query per time zone, or one for all
where dates are local already).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.consultations.models import (
    Ballot,
    Consultation,
    ConsultationElector,
    JointMeeting,
    Need,
)
from backend.core.db import db
from backend.core.metrics import (
    Communities,
    Evidence,
    EvidenceByCommunity,
    Metric,
    Period,
    Value,
    evidence_by_community,
    evidence_per_zone,
    first_per_community,
    per_zone,
)

# Needs accepted as real needs of the residents: published, or merged into another as a duplicate.
COLLECTED_NEED_STATUSES = ("published", "merged")
# A consultation whose vote was counted (cancelled ones never were).
COUNTED_STATUSES = ("closed", "published")
NEED_STATUS_LABELS = {"published": "已发布", "merged": "已合并"}
CENT = Decimal("0.01")


def _local_day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


# ---------------------------------------------------------------- consultations held


def _published_between(query: sa.Select, start: datetime, end: datetime) -> sa.Select:
    return query.where(
        Consultation.status == "published",
        Consultation.published_at >= start,
        Consultation.published_at < end,
    )


def consultations_held(community_ids: Communities, period: Period) -> dict[int, Value]:
    def query(ids, start, end):
        return db.session.execute(
            _published_between(
                sa.select(Consultation.community_id, sa.func.count(Consultation.id)), start, end
            )
            .where(Consultation.community_id.in_(ids))
            .group_by(Consultation.community_id)
        ).all()

    return per_zone(community_ids, period, query)


def consultations_held_evidence(
    community_ids: Communities, period: Period
) -> EvidenceByCommunity:
    def query(ids, start, end, zone):
        rows = db.session.execute(
            first_per_community(
                _published_between(
                    sa.select(
                        Consultation.community_id,
                        Consultation.id,
                        Consultation.title,
                        Consultation.published_at,
                    ),
                    start,
                    end,
                ).where(Consultation.community_id.in_(ids)),
                [Consultation.published_at, Consultation.id],
            )
        )
        return [
            (
                community_id,
                Evidence(
                    "consultation", id_, f"{title}（{_local_day(published_at, zone)} 公布结果）"
                ),
            )
            for community_id, id_, title, published_at in rows
        ]

    return evidence_per_zone(community_ids, period, query)


# ---------------------------------------------------------------- needs collected


def _needs_between(query: sa.Select, start: datetime, end: datetime) -> sa.Select:
    return query.where(
        Need.status.in_(COLLECTED_NEED_STATUSES), Need.created_at >= start, Need.created_at < end
    )


def needs_collected(community_ids: Communities, period: Period) -> dict[int, Value]:
    def query(ids, start, end):
        return db.session.execute(
            _needs_between(sa.select(Need.community_id, sa.func.count(Need.id)), start, end)
            .where(Need.community_id.in_(ids))
            .group_by(Need.community_id)
        ).all()

    return per_zone(community_ids, period, query)


def needs_collected_evidence(community_ids: Communities, period: Period) -> EvidenceByCommunity:
    def query(ids, start, end, zone):
        rows = db.session.execute(
            first_per_community(
                _needs_between(
                    sa.select(Need.community_id, Need.id, Need.title, Need.status, Need.created_at),
                    start,
                    end,
                ).where(Need.community_id.in_(ids)),
                [Need.created_at, Need.id],
            )
        )
        return [
            (
                community_id,
                Evidence(
                    "need",
                    id_,
                    f"{title}（{_local_day(created_at, zone)} 提交，{NEED_STATUS_LABELS[status]}）",
                ),
            )
            for community_id, id_, title, status, created_at in rows
        ]

    return evidence_per_zone(community_ids, period, query)


# ---------------------------------------------------------------- participation


def _closed_in(query: sa.Select, start: datetime, end: datetime) -> sa.Select:
    return query.where(
        Consultation.status.in_(COUNTED_STATUSES),
        Consultation.closed_at >= start,
        Consultation.closed_at < end,
    )


def _closed_between(start: datetime, end: datetime) -> sa.Select:
    return _closed_in(sa.select(Consultation.id, Consultation.community_id), start, end)


def _roll_and_voters(closed: sa.Subquery, group_by) -> sa.Select:
    """Households on the rolls of the `closed` consultations, and those of them with a ballot,
    grouped by `group_by` (a column of `closed`)."""
    voted = (
        sa.select(Ballot.consultation_id, Ballot.household_id)
        .join(closed, closed.c.id == Ballot.consultation_id)
        .where(Ballot.household_id.is_not(None))
        .distinct()
        .subquery()
    )
    return (
        sa.select(
            group_by,
            sa.func.count(sa.distinct(ConsultationElector.household_id)).label("on_roll"),
            sa.func.count(sa.distinct(voted.c.household_id)).label("took_part"),
        )
        .select_from(closed)
        .join(ConsultationElector, ConsultationElector.consultation_id == closed.c.id)
        .outerjoin(
            voted,
            sa.and_(
                voted.c.consultation_id == ConsultationElector.consultation_id,
                voted.c.household_id == ConsultationElector.household_id,
            ),
        )
        .group_by(group_by)
    )


def _share(took_part: int, on_roll: int) -> Decimal | None:
    if not on_roll:
        return None
    return (Decimal(took_part) * 100 / Decimal(on_roll)).quantize(CENT, ROUND_HALF_UP)


def consultation_participation(community_ids: Communities, period: Period) -> dict[int, Value]:
    def query(ids, start, end):
        closed = _closed_between(start, end).where(Consultation.community_id.in_(ids)).subquery()
        counted = {
            community_id: _share(took_part, on_roll)
            for community_id, on_roll, took_part in db.session.execute(
                _roll_and_voters(closed, closed.c.community_id)
            )
        }
        # No consultation closed (or only empty rolls): there is no share to speak of.
        return [(community_id, counted.get(community_id)) for community_id in ids]

    return per_zone(community_ids, period, query)


def consultation_participation_evidence(
    community_ids: Communities, period: Period
) -> EvidenceByCommunity:
    def query(ids, start, end, zone):
        # The consultations listed, then each one's roll and voters: a CTE read twice, so the
        # rolls are counted for the listed consultations only, in the same statement.
        closed = first_per_community(
            _closed_in(
                sa.select(
                    Consultation.community_id,
                    Consultation.id,
                    Consultation.title,
                    Consultation.closed_at,
                ),
                start,
                end,
            ).where(Consultation.community_id.in_(ids)),
            [Consultation.closed_at, Consultation.id],
        ).cte("listed")
        counts = _roll_and_voters(closed, closed.c.id).subquery("counts")
        rows = db.session.execute(
            sa.select(
                closed.c.community_id,
                closed.c.id,
                closed.c.title,
                closed.c.closed_at,
                sa.func.coalesce(counts.c.on_roll, 0),
                sa.func.coalesce(counts.c.took_part, 0),
            )
            .outerjoin(counts, counts.c.id == closed.c.id)
            .order_by(closed.c.community_id, closed.c.closed_at, closed.c.id)
        )
        return [
            (
                community_id,
                Evidence(
                    "consultation",
                    id_,
                    f"{title}（{_local_day(closed_at, zone)} 截止，{took_part}/{on_roll} 户参与）",
                ),
            )
            for community_id, id_, title, closed_at, on_roll, took_part in rows
        ]

    return evidence_per_zone(community_ids, period, query)


# ---------------------------------------------------------------- joint meetings


def _held_in(query: sa.Select, period: Period) -> sa.Select:
    # held_on is already the community's local date: no zone to convert.
    return query.where(JointMeeting.held_on >= period.start, JointMeeting.held_on < period.end)


def joint_meetings_held(community_ids: Communities, period: Period) -> dict[int, Value]:
    values: dict[int, Value] = dict.fromkeys(community_ids, 0)
    values.update(
        db.session.execute(
            _held_in(sa.select(JointMeeting.community_id, sa.func.count(JointMeeting.id)), period)
            .where(JointMeeting.community_id.in_(community_ids))
            .group_by(JointMeeting.community_id)
        ).all()
    )
    return values


def joint_meetings_evidence(community_ids: Communities, period: Period) -> EvidenceByCommunity:
    # One query for every zone: held_on is a local date already.
    rows = db.session.execute(
        first_per_community(
            _held_in(
                sa.select(
                    JointMeeting.community_id,
                    JointMeeting.id,
                    JointMeeting.held_on,
                    JointMeeting.topic,
                    JointMeeting.attendees_count,
                ),
                period,
            ).where(JointMeeting.community_id.in_(community_ids)),
            [JointMeeting.held_on, JointMeeting.id],
        )
    )
    return evidence_by_community(
        community_ids,
        (
            (
                community_id,
                Evidence(
                    "joint_meeting", id_, f"{held_on.isoformat()} {topic}（{attendees} 人参加）"
                ),
            )
            for community_id, id_, held_on, topic, attendees in rows
        ),
    )


PERIOD_WORDS = "统计期按社区所在时区的当地日期计算，含起始日、不含截止日（默认一个自然年）。"

METRICS = [
    Metric(
        name="consultations_held",
        title="已公布结果的议事协商次数",
        unit="次",
        definition=(
            "统计期内公布了表决结果的议事协商数量：状态为“已公布”、且结果公布时间落在统计期内的"
            "议事协商，每次计 1。草稿、已取消、已截止但尚未公布结果的议事协商不计。" + PERIOD_WORDS
        ),
        compute=consultations_held,
        evidence=consultations_held_evidence,
    ),
    Metric(
        name="needs_collected",
        title="征集到的居民需求条数",
        unit="条",
        definition=(
            "统计期内居民提出、并被采纳为真实需求的条数：提交时间落在统计期内，且状态为“已发布”"
            "或“已合并”（作为重复需求并入另一条需求，仍是一位居民提出的一条需求）的需求，每条计 1。"
            "待审核和被驳回的需求不计。" + PERIOD_WORDS
        ),
        compute=needs_collected,
        evidence=needs_collected_evidence,
    ),
    Metric(
        name="consultation_participation",
        title="议事协商户参与率",
        unit="%",
        definition=(
            "统计期内表决截止的议事协商（状态为“已截止”或“已公布”、截止时间落在统计期内，"
            "已取消的不计）中：至少有一张有效选票的户数 ÷ 这些议事协商表决名册上的户数 × 100%，"
            "四舍五入保留两位小数。表决名册是表决开始时按范围固定下来的房屋名单；同一户出现在"
            "多次议事协商的名册上只计一次，在其中任何一次投过票即算参与；按人投票的议事协商以"
            "投票人所代表的房屋计；被作废或被替换的选票不计，线上、书面、委托投票都计。"
            "统计期内没有表决截止的议事协商（或名册为空）时无数值。" + PERIOD_WORDS
        ),
        compute=consultation_participation,
        evidence=consultation_participation_evidence,
    ),
    Metric(
        name="joint_meetings_held",
        title="线下联合议事会议次数",
        unit="次",
        definition=(
            "社区在平台上登记的线下联合议事会议中，会议日期（社区当地日期）落在统计期内的会议数量，"
            "每次会议计 1。作为误录删除的记录不计。统计期含起始日、不含截止日（默认一个自然年）。"
        ),
        compute=joint_meetings_held,
        evidence=joint_meetings_evidence,
    ),
]
