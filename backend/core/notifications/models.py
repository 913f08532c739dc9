"""Models of the notifications platform service: the in-app inbox, the residents' subscribe
message credits, and the outbox of WeChat subscribe messages the scheduler sends."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, Timestamped, utcnow

TITLE_LENGTH = 100
BODY_LENGTH = 500
LINK_LENGTH = 256
TEMPLATE_ID_LENGTH = 64

# pending: waits for its next attempt; sending: claimed by one scheduler (next_attempt_at is then
# the end of its lease); the others are final.
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "refused", "no_credit", "skipped")


class Notification(Base):
    """One line of a user's in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH))
    body: Mapped[str] = mapped_column(sa.String(BODY_LENGTH))
    # A mini-program page path, e.g. "pages/tickets/detail?id=12".
    link: Mapped[str | None] = mapped_column(sa.String(LINK_LENGTH))
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubscriptionCredit(Base, Timestamped):
    """How many subscribe messages of one template a user still allows us to send.

    WeChat's one-time subscriptions: each acceptance in the mini-program allows one message.
    """

    __tablename__ = "subscription_credits"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "template_id"),
        sa.CheckConstraint("credits >= 0", name="credits_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    template_id: Mapped[str] = mapped_column(sa.String(TEMPLATE_ID_LENGTH))
    credits: Mapped[int] = mapped_column(default=0)


class OutboxMessage(Base, Timestamped):
    """A WeChat subscribe message to send, one per recipient; `data` was already fitted to
    WeChat's field rules when it was queued. The openid is looked up when sending, not copied."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_outbox_messages_community_id_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"))
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL"), index=True
    )
    template_id: Mapped[str] = mapped_column(sa.String(TEMPLATE_ID_LENGTH))
    page: Mapped[str | None] = mapped_column(sa.String(LINK_LENGTH))
    data: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Our error code (e.g. "wechat_unavailable"), never WeChat's text or anything personal.
    last_error: Mapped[str | None] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime | None]
