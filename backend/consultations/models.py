"""Consultations (议事协商): needs collected, deliberated and voted on, owners' decisions included.

A consultation runs through draft → (scheduled) → collecting (征集, optional) → voting (表决) →
closed → published, or is cancelled. When voting opens, the households in scope are written to
the electorate (`ConsultationElector`) with their exclusive area: the roll the result is counted
on, whatever the register says later.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from backend.communities.models import Building, Unit
from backend.consultations.tally import MATTER_TITLES
from backend.core.db import Base, Timestamped, utcnow

STATUSES = ("draft", "scheduled", "collecting", "voting", "closed", "published", "cancelled")
# Still running: these accept a close or a cancel, and the scheduler moves them on.
RUNNING = ("scheduled", "collecting", "voting")

METHODS = {
    "single": "单选",
    "multiple": "多选",
    "ranking": "排序（博尔达计数）",
    "points": "分配积分",
    "owners_decision": "业主共同决定（民法典第二百七十八条）",
}
DECISIONS = {"agree": "同意", "disagree": "反对", "abstain": "弃权"}

# Civil Code art. 278, paragraph 1: the matters owners decide jointly (worded in tally.py).
MATTERS = MATTER_TITLES

SCOPES = {"community": "全社区", "buildings": "指定楼栋", "units": "指定单元"}
ELECTORATES = {"residents": "全体居民", "owners": "仅业主"}
BALLOT_UNITS = {"household": "每户一票", "resident": "每人一票"}
CHANNELS = {"online": "线上", "paper": "书面", "proxy": "委托代理"}

NEED_CLASSES = {"basic": "基础类", "improve": "完善类", "upgrade": "提升类"}
# review: the text check asked for a person; only its author and moderators see it.
NEED_STATUSES = ("review", "published", "rejected", "merged")
COMMENT_STATUSES = ("review", "published", "rejected", "hidden")

consultation_buildings = sa.Table(
    "consultation_buildings",
    Base.metadata,
    sa.Column(
        "consultation_id",
        sa.ForeignKey("consultations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "building_id",
        sa.ForeignKey("buildings.id"),
        primary_key=True,
        info={"counted_as": "个议事协商"},
    ),
)

consultation_units = sa.Table(
    "consultation_units",
    Base.metadata,
    sa.Column(
        "consultation_id",
        sa.ForeignKey("consultations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "unit_id", sa.ForeignKey("units.id"), primary_key=True, info={"counted_as": "个议事协商"}
    ),
)


class Consultation(Base, Timestamped):
    __tablename__ = "consultations"
    __table_args__ = (
        # The scheduler's question every minute: which running consultations are due.
        sa.Index("ix_consultations_due", "status", "voting_closes_at"),
        sa.CheckConstraint("matter IS NULL OR matter BETWEEN 1 AND 9", name="matter_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    question: Mapped[str] = mapped_column(sa.String(2000), default="")
    # [{"title": "方案图", "url": "https://..."}]
    documents: Mapped[list] = mapped_column(sa.JSON, default=list)
    method: Mapped[str] = mapped_column(sa.String(16))
    matter: Mapped[int | None]
    min_choices: Mapped[int | None]
    max_choices: Mapped[int | None]
    points_budget: Mapped[int | None]
    scope: Mapped[str] = mapped_column(sa.String(16), default="community")
    electorate: Mapped[str] = mapped_column(sa.String(16), default="residents")
    ballot_per: Mapped[str] = mapped_column(sa.String(16), default="household")
    allow_change: Mapped[bool] = mapped_column(default=False)
    live_results: Mapped[bool] = mapped_column(default=False)

    needs_opens_at: Mapped[datetime | None]
    needs_closes_at: Mapped[datetime | None]
    voting_opens_at: Mapped[datetime]
    voting_closes_at: Mapped[datetime]

    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    # Why it closed early, was extended or was cancelled: shown to residents.
    status_reason: Mapped[str | None] = mapped_column(sa.String(200))
    voting_opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    # What keeps the scheduler from moving it on (an error code such as
    # `household_area_missing`) and since when: the committee hears of each problem once.
    stalled_code: Mapped[str | None] = mapped_column(sa.String(40))
    stalled_at: Mapped[datetime | None]
    # The roll when voting opened: households, owners by head, their exclusive area; and for
    # per-resident ballots the verified residents in scope. Denominators of turnout and the law.
    roll_households: Mapped[int | None]
    roll_heads: Mapped[int | None]
    roll_area: Mapped[Decimal | None]
    eligible_residents: Mapped[int | None]
    # The tally computed at the close (see services/results.py), recounted only when a paper
    # ballot received before the close is entered or voided before the result is published.
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    options: Mapped[list[ConsultationOption]] = relationship(
        order_by="(ConsultationOption.position, ConsultationOption.id)",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    # Loaded when asked for (lists load them with the rows): casting a ballot needs neither.
    buildings: Mapped[list[Building]] = relationship(
        secondary=consultation_buildings, order_by="Building.id"
    )
    units: Mapped[list[Unit]] = relationship(secondary=consultation_units, order_by="Unit.id")

    @property
    def building_ids(self) -> list[int]:
        return [building.id for building in self.buildings]

    @property
    def unit_ids(self) -> list[int]:
        return [unit.id for unit in self.units]

    @property
    def is_owners_decision(self) -> bool:
        return self.method == "owners_decision"


class ConsultationOption(Base):
    """One answer a ballot can mark (owners' decisions have none: agree / disagree / abstain)."""

    __tablename__ = "consultation_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    # The need this option puts to the vote, when it came from the needs phase.
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consultation_needs.id"))
    position: Mapped[int] = mapped_column(default=0)


# How the register counts roll entries when it refuses to delete what they name.
ROLL_ENTRIES = "条表决名册记录"


class ConsultationElector(Base):
    """A household on the roll of a consultation, as it stood when voting opened.

    `owner_no` numbers the owners by head within the consultation: households with the same
    `owner_ref` (one owner's several units, a developer's unsold units) share a number; a
    household without a ref is an owner of its own.
    """

    __tablename__ = "consultation_electors"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE")
    )
    household_id: Mapped[int] = mapped_column(
        sa.ForeignKey("households.id"), index=True, info={"counted_as": ROLL_ENTRIES}
    )
    building_id: Mapped[int] = mapped_column(
        sa.ForeignKey("buildings.id"), info={"counted_as": ROLL_ENTRIES}
    )
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id"), info={"counted_as": ROLL_ENTRIES}
    )
    owner_no: Mapped[int]
    # The owner holds several households on the roll: only such owners' ballots need grouping
    # per owner to count heads (see services/results.py); anyone else is one ballot, one head.
    shared_owner: Mapped[bool] = mapped_column(default=False)
    area: Mapped[Decimal | None]


class Ballot(Base):
    """The ballot that counts for one voter (a household, or a resident when so configured).

    One row per voter, enforced by the database; a changed ballot is updated in place and its
    previous version goes to `BallotHistory`. Owners' decisions copy the elector's area and owner
    number here so the tally is one aggregate over this table.
    """

    __tablename__ = "consultation_ballots"
    __table_args__ = (
        sa.UniqueConstraint("consultation_id", "voter_key"),
        sa.Index(
            "ix_consultation_ballots_tally",
            "consultation_id",
            "shared_owner",
            "owner_no",
            "decision",
        ),
        sa.Index(None, "consultation_id", "building_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE")
    )
    # "h<household id>" or "u<user id>": what one ballot is allowed per.
    voter_key: Mapped[str] = mapped_column(sa.String(24))
    household_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("households.id"), index=True, info={"counted_as": "张选票"}
    )
    building_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("buildings.id"), info={"counted_as": "张选票"}
    )
    owner_no: Mapped[int | None]
    shared_owner: Mapped[bool] = mapped_column(default=False)
    area: Mapped[Decimal | None]
    decision: Mapped[str | None] = mapped_column(sa.String(8))
    channel: Mapped[str] = mapped_column(sa.String(8), default="online")
    proxy_name: Mapped[str | None] = mapped_column(sa.String(50))
    # Where the signed paper form is kept (a scan's reference), for paper and proxy ballots.
    paper_ref: Mapped[str | None] = mapped_column(sa.String(200))
    # The voter online; the committee member who entered a paper ballot.
    cast_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # SHA-256 of the receipt code handed to the voter; the bulletin lists it.
    receipt_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    revision: Mapped[int] = mapped_column(default=1)
    # When it was cast: online, when sent; on paper, when the signed form was received.
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Loaded only by the bulletin (services/turnout.py): which ballots one owner of several
    # households cast, so that anyone can count heads from the bulletin alone.
    owner_group: Mapped[str | None] = query_expression()

    marks: Mapped[list[BallotMark]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="BallotMark.option_id"
    )


class BallotMark(Base):
    """What a ballot says about one option: chosen, its rank, or the points given."""

    __tablename__ = "consultation_ballot_marks"
    __table_args__ = (sa.Index(None, "consultation_id", "option_id"),)

    ballot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_ballots.id", ondelete="CASCADE"), primary_key=True
    )
    option_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_options.id", ondelete="CASCADE"), primary_key=True
    )
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE")
    )
    rank: Mapped[int | None]
    points: Mapped[int | None]


class BallotHistory(Base):
    """A ballot that no longer counts: replaced by the voter, or voided by the committee."""

    __tablename__ = "consultation_ballot_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    voter_key: Mapped[str] = mapped_column(sa.String(24))
    household_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("households.id"), info={"counted_as": "条已失效的选票"}
    )
    channel: Mapped[str] = mapped_column(sa.String(8))
    receipt_hash: Mapped[str] = mapped_column(sa.String(64))
    # {"decision": ...} or {"marks": [[option_id, rank, points], ...]}
    choice: Mapped[dict] = mapped_column(sa.JSON)
    revision: Mapped[int]
    cast_at: Mapped[datetime]
    ended_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_reason: Mapped[str] = mapped_column(sa.String(16))  # changed | voided
    ended_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(sa.String(200))


class Need(Base, Timestamped):
    """A renovation need a resident proposes in the needs phase (征集)."""

    __tablename__ = "consultation_needs"
    __table_args__ = (sa.Index(None, "consultation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE")
    )
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    need_class: Mapped[str] = mapped_column(sa.String(16))
    photos: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default="review")
    decision_reason: Mapped[str | None] = mapped_column(sa.String(200))
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consultation_needs.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    support_count: Mapped[int] = mapped_column(default=0)


class NeedSupport(Base):
    __tablename__ = "consultation_need_supports"

    need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_needs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base, Timestamped):
    """A comment on a consultation or one of its needs; replies go one level deep."""

    __tablename__ = "consultation_comments"
    __table_args__ = (sa.Index(None, "consultation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="CASCADE")
    )
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation_needs.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation_comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(16), default="review")
    decision_reason: Mapped[str | None] = mapped_column(sa.String(200))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    report_count: Mapped[int] = mapped_column(default=0)


class CommentReport(Base):
    """A resident's report of an abusive comment; one per resident and comment."""

    __tablename__ = "consultation_comment_reports"

    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation_comments.id", ondelete="CASCADE"), primary_key=True
    )
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JointMeeting(Base, Timestamped):
    """An offline joint consultation meeting (联合议事会议) the committee records."""

    __tablename__ = "joint_meetings"
    __table_args__ = (sa.Index(None, "community_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    consultation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultations.id", ondelete="SET NULL"), index=True
    )
    # The community's local date the meeting was held on.
    held_on: Mapped[date]
    topic: Mapped[str] = mapped_column(sa.String(100))
    attendees_count: Mapped[int]
    minutes: Mapped[str] = mapped_column(sa.String(5000), default="")
    photos: Mapped[list] = mapped_column(sa.JSON, default=list)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
