"""Standards a street uploaded, which standards each community is assessed on, the judgements
people make on items, and the assessments: snapshots that later data never changes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, Timestamped

DRAFT = "draft"
FINAL = "final"
ASSESSMENT_STATES = {DRAFT: "草稿", FINAL: "已定稿"}

Points = sa.Numeric(10, 2, asdecimal=True)


class UploadedStandard(Base, Timestamped):
    """A standard a street (or any region) wrote for itself; the shipped ones are files."""

    __tablename__ = "standards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    document: Mapped[dict] = mapped_column(sa.JSON)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class CommunityStandard(Base):
    """A standard the community is assessed on (none listed: the shipped ones)."""

    __tablename__ = "community_standards"

    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), primary_key=True)
    standard_code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime]


class Judgement(Base, Timestamped):
    """A person's decision on an item for one community and period: met, partly met or not
    met, with a note and evidence. Every run reads the judgement as it stands then."""

    __tablename__ = "item_judgements"
    __table_args__ = (
        sa.UniqueConstraint(
            "community_id",
            "standard_code",
            "period_start",
            "period_end",
            "item_code",
            name="uq_item_judgements_decision",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    standard_code: Mapped[str] = mapped_column(sa.String(64))
    period_start: Mapped[date]
    period_end: Mapped[date]
    item_code: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    photos: Mapped[list] = mapped_column(sa.JSON, default=list)
    documents: Mapped[list] = mapped_column(sa.JSON, default=list)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_name: Mapped[str] = mapped_column(sa.String(100))
    decided_as: Mapped[str] = mapped_column(sa.String(20))
    decided_at: Mapped[datetime]


class AssessmentRun(Base):
    """One evaluation of a standard over a period for one or many communities. It keeps the
    standard's text and the measurements' definitions as they were, once for all its
    assessments."""

    __tablename__ = "assessment_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    standard_version: Mapped[int]
    standard: Mapped[dict] = mapped_column(sa.JSON)
    definitions: Mapped[dict] = mapped_column(sa.JSON)
    period_start: Mapped[date]
    period_end: Mapped[date]
    communities: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # None: the nightly job.
    run_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Assessment(Base):
    """A snapshot: one community × one standard × one period, every item's status, points,
    values and evidence as measured at `computed_at`. A draft is replaced by the next run; a
    final one never changes."""

    __tablename__ = "assessments"
    __table_args__ = (
        sa.Index(None, "community_id", "standard_code", "period_start", "computed_at"),
        sa.Index(
            "uq_assessments_one_draft",
            "community_id",
            "standard_code",
            "period_start",
            "period_end",
            unique=True,
            sqlite_where=sa.text("state = 'draft'"),
            postgresql_where=sa.text("state = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_runs.id"), index=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    standard_code: Mapped[str] = mapped_column(sa.String(64))
    period_start: Mapped[date]
    period_end: Mapped[date]
    state: Mapped[str] = mapped_column(sa.String(10), default=DRAFT)
    computed_at: Mapped[datetime]
    points: Mapped[Decimal] = mapped_column(Points)
    max_points: Mapped[Decimal] = mapped_column(Points)
    passing_points: Mapped[Decimal] = mapped_column(Points)
    meets_standard: Mapped[bool]
    items_met: Mapped[int]
    items_partly_met: Mapped[int]
    items_not_met: Mapped[int]
    items_needing_assessment: Mapped[int]
    items_total: Mapped[int]
    areas: Mapped[list] = mapped_column(sa.JSON)
    items: Mapped[list] = mapped_column(sa.JSON)
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
