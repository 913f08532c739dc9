"""Checks of user photos: WeChat's asynchronous verdict, or a moderator when it does not come.

A photo is visible to everyone only once WeChat passed it; until then its author and moderators
see it. Nothing is lost: WeChat unreachable, or no verdict within MEDIA_CHECK_REVIEW_AFTER, sends
the photo to manual review instead.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, NotFound, ServiceUnavailable
from backend.core.wechat.client import SUGGESTIONS, OpenidRefused, wechat_client
from backend.core.wechat.models import MediaCheck
from backend.core.wechat.permissions import policy

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
    fetch_url: str | None = None,
) -> MediaCheck:
    """Ask WeChat to check the photo at `url`, which belongs to `owner_kind` #`owner_id`.

    `fetch_url`: where WeChat fetches it when `url` only names the photo (a stored photo's
    short-lived signed link; the check keeps `url`, which outlives the link).

    Outcomes: a `pending` check awaiting WeChat's push; `manual_review` when WeChat is unreachable,
    the author has no openid, or WeChat will not check for it (40003, 61010: see
    content.moderate_text), logged with the reason.

    The check joins the caller's unit of work (added to db.session, flushed, not committed), so it
    is saved together with the row it belongs to.
    """
    trace_id, status = None, "manual_review"
    if author_openid:
        try:
            trace_id = wechat_client().submit_media_check(
                fetch_url or url, openid=author_openid, scene=scene
            )
            status = "pending"
        except (ServiceUnavailable, OpenidRefused) as exc:
            log.warning("media check not asked (%s); photo sent to manual review", exc.code)
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


def install_media_opener(app, opener) -> None:
    """How a moderator opens a checked photo: `opener(url)` turns what a check keeps (a stored
    photo's own path, which opens nothing by itself) into a link that opens it. Storage, above
    this package, installs the signer of its links; any other url (an https link a resident
    gave) is shown as it is."""
    app.extensions["media_opener"] = opener


def media_link(check: MediaCheck) -> str:
    """The link a moderator opens `check`'s photo by (`install_media_opener`)."""
    opener = current_app.extensions.get("media_opener")
    return opener(check.url) if opener else check.url


def media_visible_to(check: MediaCheck, *, actor: Actor | None, moderator: bool) -> bool:
    """Everyone sees a passed photo; its author and moderators see it whatever its state."""
    if check.status == "pass" or moderator:
        return True
    return actor is not None and actor.user_id == check.author_user_id


def record_media_verdict(payload: dict) -> MediaCheck | None:
    """Record WeChat's verdict pushed for a media check (event `wxa_media_check`).

    Outcomes: the check with status pass/review/risky; None for a trace_id we do not know (a
    check whose row was never committed) or a payload without a verdict. A check that already has
    a verdict keeps it. Joins the push's unit of work (push.py), which commits it together with
    the push's nonce.
    """
    trace_id, result = payload.get("trace_id"), payload.get("result")
    suggest = result.get("suggest") if isinstance(result, dict) else None
    if not isinstance(trace_id, str) or suggest not in SUGGESTIONS:
        log.warning("media check push without trace_id or verdict")
        return None
    check = db.session.execute(
        sa.select(MediaCheck).where(MediaCheck.trace_id == trace_id).with_for_update()
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


def list_media_checks(*, actor: Actor, community_id: int, status: str) -> sa.Select:
    """The community's photos in `status`, oldest first: by default those waiting for a person
    because WeChat could not decide (unreachable, no verdict in time, an author without openid)."""
    community = _reviewed_community(actor, community_id)
    return (
        sa.select(MediaCheck)
        .where(MediaCheck.community_id == community.id, MediaCheck.status == status)
        .order_by(MediaCheck.id)
    )


def decide_media_check(*, actor: Actor, community_id: int, check_id: int, verdict: str):
    """A moderator decides a photo: `pass` shows it to everyone, `risky` keeps it to its author
    and moderators. A later decision may correct an earlier one (the undo).

    Outcomes: the check; 404 `media_check_not_found` (another community's photo included); 409
    `media_check_pending` while WeChat's own verdict is still awaited.
    """
    with transaction() as session:
        community = _reviewed_community(actor, community_id)
        check = session.scalar(
            sa.select(MediaCheck)
            .where(MediaCheck.id == check_id, MediaCheck.community_id == community.id)
            .with_for_update()
        )
        if check is None:
            raise NotFound("未找到该图片", code="media_check_not_found")
        if check.status == "pending":
            raise Conflict("微信内容安全检测尚未返回结果，请稍后再审核", code="media_check_pending")
        previous, check.status, check.verdict_at = check.status, verdict, utcnow()
        audit.record(
            action="media.reviewed",
            target_type="media_check",
            target_id=check.id,
            community=community,
            actor=actor,
            details={"owner_kind": check.owner_kind, "owner_id": check.owner_id,
                     "from": previous, "to": verdict},
        )
        return check


def _reviewed_community(actor: Actor, community_id: int):
    community = policy.community(actor, "media.review", community_id)
    return community
