"""Problem reports (工单): what residents and grid workers report, who answers it, on what clock.

Which status a ticket may move to from which, and who moves it, is the table of moves in
`services/flow/moves.py`.

The clocks start when the ticket is dispatched (accepted): the response deadline runs until the
handler signs it (contact made), the resolution deadline until it is resolved. A returned ticket
keeps its clock; a reopened one gets a new resolution clock and counts against the handler.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.crypto import EncryptedText
from backend.core.db import Base, Timestamped, utcnow

STATUSES = {
    "submitted": "待受理",
    "accepted": "已受理",
    "assigned": "已派单",
    "returned": "已退回",
    "signed": "已签收",
    "in_progress": "处理中",
    "resolved": "已办结待评价",
    "closed": "已关闭",
    "rejected": "不予受理",
}
# Still somebody's work: these count as open, and their clocks run.
OPEN = ("submitted", "accepted", "assigned", "returned", "signed", "in_progress")
# Dispatched and not yet resolved: the resolution clock runs.
RUNNING = ("accepted", "assigned", "returned", "signed", "in_progress")
# Dispatched and nobody has signed yet: the response clock runs.
AWAITING_RESPONSE = ("accepted", "assigned", "returned")

# Open311 knows two states; `status_notes` carries ours.
OPEN311_STATUS = {
    status: ("closed" if status in ("closed", "rejected") else "open") for status in STATUSES
}

REJECT_REASONS = {"invalid": "不属于受理范围", "duplicate": "重复报告"}
# How a closed ticket was evaluated: by the reporter, or not at all (auto-closed after 7 days).
EVALUATIONS = {"confirmed": "已评价", "not_evaluated": "未评价（超时自动关闭）"}
# Who filed it.
CHANNELS = {"resident": "居民上报", "grid_worker": "网格员巡查", "open311": "Open311 接口"}
EXTENSION_STATUSES = ("pending", "approved", "rejected")
HANDLER_KINDS = {"property": "服务该楼栋的物业服务企业", "organisation": "指定单位"}


class TicketCategory(Base, Timestamped):
    """A kind of problem, with its default deadlines and handler; communities may override them
    (`CategorySetting`)."""

    __tablename__ = "ticket_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    description: Mapped[str | None] = mapped_column(sa.String(500))
    # A class of sla.DEADLINE_CLASSES: urgent, utilities, general, complex.
    deadline_class: Mapped[str] = mapped_column(sa.String(16))
    handler_kind: Mapped[str] = mapped_column(sa.String(16), default="property")
    # Tickets of this category may be shown to other residents (without personal data).
    public: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class CategorySetting(Base, Timestamped):
    """A community's own deadlines and handler for a category (absent: the category's defaults)."""

    __tablename__ = "ticket_category_settings"
    __table_args__ = (sa.UniqueConstraint("community_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket_categories.id"))
    enabled: Mapped[bool] = mapped_column(default=True)
    # Deadlines as (amount, unit) of sla.UNITS; None: the deadline class's.
    response_amount: Mapped[int | None]
    response_unit: Mapped[str | None] = mapped_column(sa.String(16))
    resolution_amount: Mapped[int | None]
    resolution_unit: Mapped[str | None] = mapped_column(sa.String(16))
    # A named organisation (a department, a utility) instead of the building's property company.
    handler_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    # Dispatch on submission to the default handler, without the committee's hand.
    auto_dispatch: Mapped[bool] = mapped_column(default=False)


class Ticket(Base, Timestamped):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index("ix_tickets_community_status", "community_id", "status", "created_at"),
        sa.Index("ix_tickets_community_category", "community_id", "category_id", "created_at"),
        sa.Index("ix_tickets_handler_status", "handler_organisation_id", "status", "created_at"),
        sa.Index("ix_tickets_grid_status", "grid_id", "status", "created_at"),
        sa.Index("ix_tickets_reporter", "reporter_id", "created_at"),
        # The deadline job and the overdue lists walk the running tickets by due time.
        sa.Index("ix_tickets_response_due", "status", "response_due_at"),
        sa.Index("ix_tickets_resolution_due", "status", "resolution_due_at"),
        sa.Index(
            "ix_tickets_community_handler", "community_id", "handler_organisation_id", "created_at"
        ),
        # The dashboards read every figure of a street's tickets from this index alone
        # (PostgreSQL's INCLUDE; SQLite ignores it): 1,000,000 wide rows are too slow to visit.
        sa.Index(
            "ix_tickets_dispatched",
            "community_id",
            "dispatched_at",
            postgresql_include=[
                "category_id",
                "handler_organisation_id",
                "status",
                "responded_at",
                "response_due_at",
                "resolution_due_at",
                "resolved_at",
                "evaluation",
                "fixed",
                "rating",
                "reopen_count",
            ],
        ),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket_categories.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted")
    description: Mapped[str] = mapped_column(sa.String(2000))
    # Where: a building/unit, a point (only with the reporter's consent to precise location), both.
    building_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("buildings.id"), index=True, info={"counted_as": "张工单"}
    )
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id"), info={"counted_as": "张工单"}
    )
    lat: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    lng: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    location_note: Mapped[str | None] = mapped_column(sa.String(200))
    grid_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("grids.id"), info={"counted_as": "张工单"}
    )
    photos: Mapped[list] = mapped_column(sa.JSON, default=list)
    urgency_claimed: Mapped[bool] = mapped_column(default=False)
    deadline_class: Mapped[str] = mapped_column(sa.String(16))

    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(sa.String(16), default="resident")
    # Filed by a grid worker for a resident: optional name and phone of that resident.
    on_behalf_name: Mapped[str | None] = mapped_column(sa.String(50))
    on_behalf_phone: Mapped[str | None] = mapped_column(EncryptedText)
    # Hidden from the handler and other residents; the committee always sees who.
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Shown to other residents: the category allows it, the reporter did not ask to keep it
    # private (`reporter_private`), and the text passed WeChat's check or the committee's.
    public: Mapped[bool] = mapped_column(default=True)
    reporter_private: Mapped[bool] = mapped_column(default=False)
    supporters: Mapped[int] = mapped_column(default=0)

    handler_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    dispatched_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # How far each missed deadline went up: 0 none, 1 the handler, 2 the committee, 3 the street.
    response_escalation: Mapped[int] = mapped_column(default=0)
    resolution_escalation: Mapped[int] = mapped_column(default=0)

    reply: Mapped[str | None] = mapped_column(sa.String(2000))
    after_photos: Mapped[list] = mapped_column(sa.JSON, default=list)
    rating: Mapped[int | None]
    fixed: Mapped[bool | None]
    evaluation: Mapped[str | None] = mapped_column(sa.String(16))
    reopen_count: Mapped[int] = mapped_column(default=0)

    reject_reason: Mapped[str | None] = mapped_column(sa.String(16))
    reject_note: Mapped[str | None] = mapped_column(sa.String(500))
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))

    extension_status: Mapped[str | None] = mapped_column(sa.String(16))
    extension_until: Mapped[datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(sa.String(500))

    # From the Open311 client that filed it: its organisation and the requester's contact.
    open311_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))


class TicketEvent(Base):
    """One line of a ticket's timeline: who did what, when, with a note and photos."""

    __tablename__ = "ticket_events"
    __table_args__ = (sa.Index(None, "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The actor's side, shown instead of their name where the reader may not know who:
    # reporter, committee, handler, grid_worker, street, system.
    actor_role: Mapped[str] = mapped_column(sa.String(16))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str | None] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.String(2000))
    photos: Mapped[list] = mapped_column(sa.JSON, default=list)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketSupport(Base):
    """A resident who saw the same problem and joined the ticket instead of filing another."""

    __tablename__ = "ticket_supports"

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Open311Key(Base, Timestamped):
    """An Open311 api_key issued to an organisation; only its SHA-256 is kept."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    # The communities whose tickets it may file and read: those of this region (a street).
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
