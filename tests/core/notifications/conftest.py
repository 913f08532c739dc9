"""Raising notifications as a domain would, giving users a WeChat identity, reading the outbox."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.core.db import db, transaction
from backend.core.notifications.models import OutboxMessage, SubscriptionCredit
from backend.core.notifications.services import WechatMessage, notify
from backend.core.wechat.models import WechatIdentity

TEMPLATE = "tpl-ticket-progress"
DATA = {"thing1": "电梯维修", "time2": "2026-11-03 09:30", "phrase3": "已受理"}


@pytest.fixture
def raise_notification(app):
    """`raise_notification(user_ids, wechat=True, **fields)`: what a domain's service does, in its
    own transaction; returns the new notifications' ids."""

    def run(user_ids, *, wechat: bool | WechatMessage = False, **fields):
        message = wechat or None
        if wechat is True:
            message = WechatMessage(TEMPLATE, DATA, "pages/tickets/detail?id=1")
        values = {"kind": "ticket_progress", "title": "报修进度", "body": "您的报修已受理",
                  **fields}
        with app.app_context(), transaction():
            return [n.id for n in notify(user_ids=user_ids, wechat=message, **values)]

    return run


@pytest.fixture
def give_openid(app):
    """`give_openid(user_id, openid)`: the user signs in through WeChat with that openid."""

    def run(user_id: int, openid: str) -> None:
        with app.app_context(), transaction() as tx:
            tx.add(WechatIdentity(user_id=user_id, appid=app.config["WECHAT_APPID"],
                                  openid=openid))

    return run


@pytest.fixture
def outbox(app):
    """The outbox rows, oldest first, as plain dicts."""

    def read() -> list[dict]:
        with app.app_context():
            rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
            return [
                {column: getattr(row, column) for column in (
                    "id", "user_id", "community_id", "notification_id", "template_id", "page",
                    "data", "status", "attempts", "next_attempt_at", "last_error", "sent_at")}
                for row in rows
            ]

    return read


@pytest.fixture
def credits(app):
    """`credits(user_id)` -> {template_id: credits}."""

    def read(user_id: int) -> dict[str, int]:
        with app.app_context():
            rows = db.session.execute(
                sa.select(SubscriptionCredit.template_id, SubscriptionCredit.credits)
                .where(SubscriptionCredit.user_id == user_id)
            )
            return dict(rows.all())

    return read


@pytest.fixture
def run_job(app):
    """`run_job(now=None)`: one run of the scheduler's outbox job."""
    from backend.core.notifications.services import send_due_messages

    def run(**kwargs) -> dict[str, int]:
        with app.app_context():
            return send_due_messages(**kwargs)

    return run
