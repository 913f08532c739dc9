"""The caller's inbox, and the subscribe-message credits residents give us."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import NotFound
from backend.core.notifications.models import Notification, SubscriptionCredit


def list_inbox(*, actor: Actor, filters: dict) -> sa.Select:
    """The caller's notifications, newest first; `unread=True` keeps the unread ones."""
    query = sa.select(Notification).where(Notification.user_id == actor.user_id)
    if filters.get("unread") is True:
        query = query.where(Notification.read_at.is_(None))
    elif filters.get("unread") is False:
        query = query.where(Notification.read_at.is_not(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(*, actor: Actor) -> int:
    """How many of the caller's notifications are unread (the badge on the mini-program's tab)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    )


def mark_read(*, actor: Actor, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read (again is harmless: the first time stays).

    404 notification_not_found when it is not the caller's.
    """
    with transaction() as tx:
        notification = tx.scalar(
            sa.select(Notification).where(
                Notification.id == notification_id, Notification.user_id == actor.user_id
            )
        )
        if notification is None:
            raise NotFound("未找到该通知", code="notification_not_found")
        if notification.read_at is None:
            notification.read_at = utcnow()
        return notification


def mark_all_read(*, actor: Actor) -> int:
    """Mark every unread notification of the caller read; how many were."""
    with transaction() as tx:
        return tx.execute(
            sa.update(Notification)
            .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount


# -- subscriptions


def accept_subscriptions(*, actor: Actor, template_ids: list[str]) -> list[SubscriptionCredit]:
    """The phone reports the templates the resident accepted in wx.requestSubscribeMessage: one
    more credit each (a template named twice in one report counts once, as WeChat grants it
    once). Returns all of the caller's credits."""
    now = utcnow()
    with transaction() as tx:
        for template_id in dict.fromkeys(template_ids):
            tx.execute(_add_one_credit(tx, actor.user_id, template_id, now))
        return list(tx.scalars(_credits_of(actor).execution_options(populate_existing=True)))


def _add_one_credit(session, user_id: int, template_id: str, now: datetime):
    """An upsert, so two reports at once cannot both insert (or lose an increment)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SubscriptionCredit).values(
        user_id=user_id, template_id=template_id, credits=1, created_at=now, updated_at=now
    )
    return statement.on_conflict_do_update(
        index_elements=["user_id", "template_id"],
        set_={"credits": SubscriptionCredit.credits + 1, "updated_at": now},
    )


def list_subscriptions(*, actor: Actor) -> sa.Select:
    """The caller's remaining credits, per template."""
    return _credits_of(actor)


def _credits_of(actor: Actor) -> sa.Select:
    return (
        sa.select(SubscriptionCredit)
        .where(SubscriptionCredit.user_id == actor.user_id)
        .order_by(SubscriptionCredit.template_id)
    )
