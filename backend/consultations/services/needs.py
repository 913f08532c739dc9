"""The needs phase (征集): residents propose renovation needs and support each other's.

Who sees a need: everyone who may see the consultation sees the published ones; a resident also
sees their own in any state (awaiting review, rejected with the reason, merged into another);
overseers (committee, street, system admin) see all. A photo is shown to others only once
WeChat's check passed it (`media_visible_to`).

Support counts change by one atomic UPDATE each, never read-modify-write, and the primary key of
`NeedSupport` keeps one support per resident and need, whatever the requests race.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.consultations.models import Consultation, Need, NeedSupport
from backend.consultations.services.common import (
    Context,
    contribution_or_404,
    eligible_memberships,
    load,
    oversees,
)
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.tenancy.models import Community
from backend.core.wechat.content import Scene, Verdict, moderate_text
from backend.core.wechat.identity import wechat_openid
from backend.core.wechat.media import media_visible_to, submit_media_check_for
from backend.core.wechat.models import MediaCheck

MEDIA_OWNER = "consultation_need"


# -- shared by needs, comments and moderation


def require_participant(actor: Actor, context: Context) -> None:
    """A resident takes part in the discussion through any of their households in scope: unlike
    a ballot, a need or a comment is not cast for one household.

    Outcome: 403 `not_eligible` when they have none.
    """
    if not eligible_memberships(actor.user_id, context.consultation):
        raise Forbidden("您不在本次议事协商的参与范围内", code="not_eligible")


def visible_needs(actor: Actor) -> sa.ColumnElement[bool]:
    """What a non-overseer sees: published needs, and their own in any state."""
    return sa.or_(Need.status == "published", Need.author_id == actor.user_id)


# -- reading


def list_needs(*, actor: Actor, community_id: int, consultation_id: int, filters: dict):
    """The needs of a consultation, most supported first.

    Outcomes: a select of the needs the actor may see, filtered by class and state; 404 when the
    consultation is not theirs to see; 403 for callers without a role that views consultations.
    """
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.view",
    )
    query = (
        sa.select(Need)
        .where(Need.consultation_id == context.consultation.id)
        .order_by(Need.support_count.desc(), Need.id)
    )
    if not context.oversees:
        query = query.where(visible_needs(actor))
    if filters.get("need_class"):
        query = query.where(Need.need_class == filters["need_class"])
    if filters.get("status"):
        query = query.where(Need.status == filters["status"])
    return query


def get_need(*, actor: Actor, community_id: int, consultation_id: int, need_id: int) -> Need:
    """One need. Outcomes: the need as the actor may see it; 404 `need_not_found` when it is not
    theirs to see."""
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.view",
    )
    need = contribution_or_404(Need, need_id, context, visible=visible_needs(actor))
    return present_needs(actor=actor, rows=[need])[0]


def present_needs(*, actor: Actor, rows: Sequence[Need]) -> list[Need]:
    """Mark each need for the actor: `mine`, `supported`, and `shown_photos` (the photos they
    may see). Needs of one community, as one page of a list holds."""
    needs = list(rows)
    if not needs:
        return needs
    moderator = oversees(actor, db.session.get(Community, needs[0].community_id))
    ids = [need.id for need in needs]
    supported = set(
        db.session.scalars(
            sa.select(NeedSupport.need_id).where(
                NeedSupport.user_id == actor.user_id, NeedSupport.need_id.in_(ids)
            )
        )
    )
    checks = {
        (check.owner_id, check.url): check
        for check in db.session.scalars(
            sa.select(MediaCheck).where(
                MediaCheck.owner_kind == MEDIA_OWNER, MediaCheck.owner_id.in_(ids)
            )
        )
    }
    for need in needs:
        mine = need.author_id == actor.user_id
        need.mine = mine
        need.supported = need.id in supported
        need.shown_photos = [
            url
            for url in need.photos or []
            if mine or moderator or _passed(checks.get((need.id, url)), actor)
        ]
    return needs


def _passed(check: MediaCheck | None, actor: Actor) -> bool:
    return check is not None and media_visible_to(check, actor=actor, moderator=False)


# -- proposing and supporting


def require_needs_phase_open(consultation: Consultation) -> None:
    """Needs are proposed and supported between the phase's dates, not only while the status
    says collecting: voting may open well after the needs phase closed, and until it does the
    status stays `collecting`.

    Outcome: 409 `needs_phase_closed` outside the window.
    """
    if consultation.status != "collecting" or not (
        consultation.needs_opens_at <= utcnow() < consultation.needs_closes_at
    ):
        raise Conflict("需求征集阶段未开放或已结束", code="needs_phase_closed")


def _proposal_context(actor: Actor, community_id: int, consultation_id: int) -> Context:
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.participate",
    )
    require_participant(actor, context)
    require_needs_phase_open(context.consultation)
    return context


def propose_need(*, actor: Actor, community_id: int, consultation_id: int, data: dict) -> Need:
    """A resident proposes a need while the needs phase is open.

    Outcomes: the need, `published` when WeChat's text check passed it, else `review` (waiting
    in the committee's queue, seen by its author only); each photo sent to WeChat's check;
    audit `need.proposed`. Refusals, nothing written: 404 consultation not theirs to see, 403
    for non-residents, 403 `not_eligible`, 409 `needs_phase_closed`, 422 `content_risky`.
    The author does not support their own need: supporting is a separate, deliberate act.
    """
    with transaction():  # read-only: refuse before asking WeChat anything
        _proposal_context(actor, community_id, consultation_id)
        openid = wechat_openid(actor.user_id)
    text = "\n".join(part for part in (data["title"], data["description"]) if part)
    verdict = moderate_text(text=text, author_openid=openid, scene=Scene.FORUM)
    with transaction():
        # Checked again: the phase may have closed while WeChat was answering.
        context = _proposal_context(actor, community_id, consultation_id)
        need = Need(
            consultation_id=context.consultation.id,
            community_id=context.community.id,
            author_id=actor.user_id,
            title=data["title"],
            description=data["description"],
            need_class=data["need_class"],
            photos=list(data["photos"]),
            status="published" if verdict is Verdict.PUBLISH else "review",
        )
        db.session.add(need)
        db.session.flush()
        for url in need.photos:
            submit_media_check_for(
                owner_kind=MEDIA_OWNER,
                owner_id=need.id,
                community_id=context.community.id,
                author_user_id=actor.user_id,
                author_openid=openid,
                url=url,
                scene=Scene.FORUM,
            )
        audit.record(
            action="need.proposed",
            community=context.community,
            actor=actor,
            target_type="consultation_need",
            target_id=need.id,
            details={
                "consultation_id": context.consultation.id,
                "status": need.status,
                "photos": len(need.photos),
            },
        )
    return present_needs(actor=actor, rows=[need])[0]


def _support_context(
    actor: Actor, community_id: int, consultation_id: int, need_id: int
) -> tuple[Context, Need]:
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.participate",
    )
    require_participant(actor, context)
    need = contribution_or_404(Need, need_id, context, visible=visible_needs(actor))
    if need.status != "published":
        raise Conflict("只能支持已公开的需求", code="need_not_published")
    require_needs_phase_open(context.consultation)
    return context, need


def _change_support_count(need: Need, delta: int) -> None:
    """Add `delta` in one UPDATE that also re-checks the need is still published: on PostgreSQL
    it waits for a merge or rejection holding the row and then sees its outcome."""
    changed = db.session.execute(
        sa.update(Need)
        .where(Need.id == need.id, Need.status == "published")
        .values(support_count=Need.support_count + delta)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict("只能支持已公开的需求", code="need_not_published")
    db.session.expire(need, ["support_count"])


def support_need(
    *, actor: Actor, community_id: int, consultation_id: int, need_id: int
) -> Need:
    """A resident supports a published need, once.

    Outcomes: the need with its new count; 409 `need_already_supported` (the primary key is the
    referee, so two racing requests count once); 409 `need_not_published`,
    `needs_phase_closed`; 403 `not_eligible`; 404 `need_not_found`. Nothing written on refusal.
    """
    with transaction():
        _, need = _support_context(actor, community_id, consultation_id, need_id)
        db.session.add(NeedSupport(need_id=need.id, user_id=actor.user_id))
        try:
            db.session.flush()
        except IntegrityError:
            raise Conflict("您已支持过该需求", code="need_already_supported") from None
        _change_support_count(need, +1)
    return present_needs(actor=actor, rows=[need])[0]


def withdraw_support(
    *, actor: Actor, community_id: int, consultation_id: int, need_id: int
) -> None:
    """A resident takes back their support while the needs phase is open.

    Outcomes: done; 404 `support_not_found` when they had not supported it; 409
    `need_not_published`, `needs_phase_closed`; 403 `not_eligible`; 404 `need_not_found`.
    """
    with transaction():
        _, need = _support_context(actor, community_id, consultation_id, need_id)
        removed = db.session.execute(
            sa.delete(NeedSupport).where(
                NeedSupport.need_id == need.id, NeedSupport.user_id == actor.user_id
            )
        ).rowcount
        if removed != 1:
            raise NotFound("您尚未支持该需求", code="support_not_found")
        _change_support_count(need, -1)
