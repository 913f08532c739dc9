"""`notify`: the one service domains call to tell users something.

Domains never call WeChat themselves. `notify` writes inbox rows and queues subscribe messages in
the caller's own unit of work, so a notification exists exactly when the fact it reports was
committed; the scheduler's job (`outbox.send_due_messages`) sends the queue later.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from backend.core.db import db
from backend.core.notifications.models import (
    BODY_LENGTH,
    LINK_LENGTH,
    TEMPLATE_ID_LENGTH,
    TITLE_LENGTH,
    Notification,
    OutboxMessage,
)
from backend.core.wechat.client import TemplateDataInvalid
from backend.core.wechat.models import WechatIdentity
from backend.core.wechat.templates import fit_template_data

log = logging.getLogger(__name__)

KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class WechatMessage:
    """A subscribe message to send along with the inbox row.

    `data` maps the template's keys to plain values (`{"thing1": "电梯维修", "time2": "..."}`);
    `page` is the mini-program page it opens, by default the notification's link.
    """

    template_id: str
    data: dict[str, str] = field(default_factory=dict)
    page: str | None = None


def notify(
    *,
    user_ids: Iterable[int],
    kind: str,
    title: str,
    body: str,
    community_id: int | None = None,
    link: str | None = None,
    wechat: WechatMessage | None = None,
) -> list[Notification]:
    """Tell users something: one inbox row each, and a queued WeChat subscribe message for each
    recipient who signs in through WeChat when `wechat` is given (staff get the inbox only).

    Joins the caller's unit of work: it adds and flushes but never commits, so call it inside the
    caller's `with transaction():`; a rollback there takes the notifications with it.
    Title and body longer than the inbox keeps are cut with "…". Template data that breaks
    WeChat's field rules fails at once: the outbox row is written `failed` with the error's code
    (visible to the committee) and the inbox rows stand; the caller's use case goes on.
    A `kind` that is not snake_case, or an oversized link or template id, is a programming
    error (ValueError).
    """
    if not KIND.fullmatch(kind):
        raise ValueError(f"notification kind must be snake_case: {kind!r}")
    page = (wechat.page or link) if wechat else link
    if (link and len(link) > LINK_LENGTH) or (page and len(page) > LINK_LENGTH):
        raise ValueError(f"links and pages hold at most {LINK_LENGTH} characters")
    if wechat and not 0 < len(wechat.template_id) <= TEMPLATE_ID_LENGTH:
        raise ValueError(f"template ids hold 1 to {TEMPLATE_ID_LENGTH} characters")
    session = db.session
    notifications = [
        Notification(
            user_id=user_id,
            community_id=community_id,
            kind=kind,
            title=_cut(title, TITLE_LENGTH),
            body=_cut(body, BODY_LENGTH),
            link=link,
        )
        for user_id in dict.fromkeys(user_ids)
    ]
    session.add_all(notifications)
    session.flush()
    if wechat is not None and notifications:
        _enqueue(wechat, page, notifications)
    return notifications


def _cut(text: str, length: int) -> str:
    text = text.strip()
    return text if len(text) <= length else text[: length - 1] + "…"


def _enqueue(wechat: WechatMessage, page: str | None, notifications: list[Notification]) -> None:
    reachable = set(
        db.session.scalars(
            sa.select(WechatIdentity.user_id).where(
                WechatIdentity.user_id.in_([n.user_id for n in notifications]),
                WechatIdentity.appid == current_app.config["WECHAT_APPID"],
            )
        )
    )
    try:
        data, status, error = fit_template_data(dict(wechat.data)), "pending", None
    except TemplateDataInvalid as exc:
        # The same data would be refused by WeChat on every try: fail now, where it is visible.
        log.warning("subscribe message %s not queued: %s", wechat.template_id, exc.code)
        data, status, error = {}, "failed", exc.code
    db.session.add_all(
        OutboxMessage(
            user_id=notification.user_id,
            community_id=notification.community_id,
            notification_id=notification.id,
            template_id=wechat.template_id,
            page=page,
            data=data,
            status=status,
            last_error=error,
        )
        for notification in notifications
        if notification.user_id in reachable
    )
    db.session.flush()
