"""The outbox of WeChat subscribe messages: the scheduler's job sends it; the committee sees it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from backend.core.auth import Actor
from backend.core.db import transaction, utcnow
from backend.core.errors import DomainError, ServiceUnavailable
from backend.core.notifications.models import OutboxMessage, SubscriptionCredit
from backend.core.notifications.permissions import policy
from backend.core.wechat.client import SubscriptionRefused, wechat_client
from backend.core.wechat.models import WechatIdentity

log = logging.getLogger(__name__)

# A claimed message must be finished within this, else it counts as interrupted (see below).
SEND_LEASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=1)

OUTCOMES = ("sent", "no_credit", "refused", "retried", "failed", "skipped", "interrupted")

# WeChat spends a subscription only on a delivered message; a refusal means none is left.
GIVE_BACK = {"credits": SubscriptionCredit.credits + 1}
ZERO = {"credits": 0}


def list_outbox(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    """The community's subscribe messages and whether they went out, newest first (committee,
    street). Rows of other communities never appear."""
    community = policy.community(actor, "notification.view_outbox", community_id)
    query = sa.select(OutboxMessage).where(OutboxMessage.community_id == community.id)
    if filters.get("status"):
        query = query.where(OutboxMessage.status == filters["status"])
    return query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())


def send_due_messages(now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """The scheduler's job: send up to `limit` subscribe messages that are due; counts by outcome.

    Each message, claimed by this run alone, ends as one of:
    - sent: one credit of its template used;
    - no_credit: the resident has no credit left for the template; not sent, never retried;
    - refused: WeChat says the user did not subscribe (43101); their credit for the template
      is zeroed and the message is never retried;
    - retried: WeChat is unavailable; the credit is given back and the message waits
      1, 2, 4, … minutes (at most an hour); `failed` after OUTBOX_MAX_ATTEMPTS attempts;
    - failed: WeChat refused the template or its data, or something unexpected broke;
    - skipped: the user no longer signs in through WeChat.
    The template data of a message is dropped once its status is final.
    Two schedulers may run this at once: a message is claimed by one atomic UPDATE (status
    `sending`, with a lease) before it is sent, so it goes out at most once. A claim whose lease
    ran out (its scheduler died mid-send) is failed as `send_interrupted`, not sent again: we
    cannot know whether WeChat delivered it.
    """
    now = now or utcnow()
    counts = dict.fromkeys(OUTCOMES, 0)
    with transaction() as tx:
        counts["interrupted"] = tx.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now)
            .values(status="failed", last_error="send_interrupted", data={}, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        due = tx.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).all()
    for message_id in due:
        outcome = _send_one(message_id, now)
        if outcome:
            counts[outcome] += 1
    if any(counts.values()):
        log.info("outbox run: %s", counts)
    return counts


def _send_one(message_id: int, now: datetime) -> str | None:
    message, openid, outcome = _claim(message_id, now)
    if openid is None:
        return outcome
    try:
        wechat_client().send_subscribe_message(
            openid=openid, template_id=message.template_id, data=message.data, page=message.page
        )
    except SubscriptionRefused as exc:
        return _finish(message_id, now, "refused", exc.code, credits=ZERO)
    except ServiceUnavailable as exc:
        return _finish(message_id, now, "retried", exc.code, credits=GIVE_BACK)
    except DomainError as exc:
        return _finish(message_id, now, "failed", exc.code, credits=GIVE_BACK)
    except Exception:
        log.exception("subscribe message %s could not be sent", message_id)
        return _finish(message_id, now, "failed", "internal_error", credits=GIVE_BACK)
    return _finish(message_id, now, "sent", None)


def _claim(message_id: int, now: datetime) -> tuple[OutboxMessage | None, str | None, str | None]:
    """Take the message for this run and use one credit: (message, openid to send to, outcome
    when it is already decided). Credits are used before sending so two messages of a template
    cannot both spend the resident's last one."""
    with transaction() as tx:
        claimed = tx.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= now,
            )
            .values(status="sending", next_attempt_at=now + SEND_LEASE, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return None, None, None  # another scheduler has it
        message = tx.get(OutboxMessage, message_id, populate_existing=True)
        openid = tx.scalar(
            sa.select(WechatIdentity.openid)
            .where(
                WechatIdentity.user_id == message.user_id,
                WechatIdentity.appid == current_app.config["WECHAT_APPID"],
            )
            .order_by(WechatIdentity.id)
            .limit(1)
        )
        if openid is None:
            _close(message, "skipped", "no_wechat_identity")
            return message, None, "skipped"
        used = tx.execute(
            sa.update(SubscriptionCredit)
            .where(_credit_of(message), SubscriptionCredit.credits > 0)
            .values(credits=SubscriptionCredit.credits - 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if used != 1:
            _close(message, "no_credit", "no_subscription_credit")
            return message, None, "no_credit"
        return message, openid, None


def _finish(
    message_id: int, now: datetime, outcome: str, error: str | None, credits: dict | None = None
) -> str:
    with transaction() as tx:
        message = tx.get(OutboxMessage, message_id, populate_existing=True)
        message.attempts += 1
        if credits:
            tx.execute(
                sa.update(SubscriptionCredit)
                .where(_credit_of(message))
                .values(**credits, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        if outcome == "retried" and message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            outcome = "failed"
        if outcome == "retried":
            message.status, message.last_error = "pending", error
            message.next_attempt_at = now + backoff(message.attempts)
        else:
            _close(message, outcome, error)
        if outcome == "sent":
            message.sent_at = now
        return outcome


def _close(message: OutboxMessage, status: str, error: str | None) -> None:
    """A final status. The content goes: it may be personal and is of no use any more."""
    message.status, message.last_error, message.data = status, error, {}


def _credit_of(message: OutboxMessage):
    return sa.and_(
        SubscriptionCredit.user_id == message.user_id,
        SubscriptionCredit.template_id == message.template_id,
    )


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4, 8 … minutes, at most BACKOFF_CAP."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 10)), BACKOFF_CAP)
