"""Checks of user photos: WeChat's asynchronous verdict, or a moderator when it does not come.

A photo is visible to everyone only once WeChat passed it; until then its author and moderators
see it. Nothing is lost: WeChat unreachable, or no verdict within MEDIA_CHECK_REVIEW_AFTER, sends
the photo to manual review instead.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import ServiceUnavailable
from backend.core.wechat.client import SUGGESTIONS, wechat_client
from backend.core.wechat.models import MediaCheck

log = logging.getLogger(__name__)


def submit_media_check_for(
    *,
    owner_kind: str,
    owner_id: int,
    community_id: int | None,
    author_user_id: int | None,
    author_openid: str | None,
    url: str,
    scene: int,
) -> MediaCheck:
    """Ask WeChat to check the photo at `url`, which belongs to `owner_kind` #`owner_id`.

    Outcomes: a `pending` check awaiting WeChat's push; `manual_review` when WeChat is unreachable
    or the author has no openid (the check cannot be asked).

    The check joins the caller's unit of work (added to db.session, flushed, not committed), so it
    is saved together with the row it belongs to.
    """
    trace_id, status = None, "manual_review"
    if author_openid:
        try:
            trace_id = wechat_client().submit_media_check(url, openid=author_openid, scene=scene)
            status = "pending"
        except ServiceUnavailable as exc:
            log.warning("media check unavailable (%s); photo sent to manual review", exc.code)
    check = MediaCheck(
        trace_id=trace_id,
        owner_kind=owner_kind,
        owner_id=owner_id,
        community_id=community_id,
        author_user_id=author_user_id,
        url=url,
        status=status,
    )
    db.session.add(check)
    db.session.flush()
    return check


def media_visible_to(check: MediaCheck, *, actor: Actor | None, moderator: bool) -> bool:
    """Everyone sees a passed photo; its author and moderators see it whatever its state."""
    if check.status == "pass" or moderator:
        return True
    return actor is not None and actor.user_id == check.author_user_id


def record_media_verdict(payload: dict) -> MediaCheck | None:
    """Record WeChat's verdict pushed for a media check (event `wxa_media_check`).

    Outcomes: the check with status pass/review/risky; None for a trace_id we do not know (a
    check whose row was never committed) or a payload without a verdict. A check that already has
    a verdict keeps it: WeChat repeats pushes it thinks we missed.
    """
    trace_id = payload.get("trace_id")
    suggest = (payload.get("result") or {}).get("suggest")
    if not isinstance(trace_id, str) or suggest not in SUGGESTIONS:
        log.warning("media check push without trace_id or verdict")
        return None
    with transaction() as session:
        check = session.execute(
            sa.select(MediaCheck).where(MediaCheck.trace_id == trace_id)
        ).scalar_one_or_none()
        if check is None:
            log.warning("media check verdict for an unknown trace_id %s", trace_id)
            return None
        if check.status in ("pending", "manual_review"):
            check.status = suggest
            check.verdict_at = utcnow()
    return check


def send_stale_checks_to_review() -> int:
    """Pending checks whose verdict has not come within MEDIA_CHECK_REVIEW_AFTER go to manual
    review; returns how many."""
    cutoff = utcnow() - current_app.config["MEDIA_CHECK_REVIEW_AFTER"]
    with transaction() as session:
        result = session.execute(
            sa.update(MediaCheck)
            .where(MediaCheck.status == "pending", MediaCheck.created_at < cutoff)
            .values(status="manual_review")
        )
    return result.rowcount
