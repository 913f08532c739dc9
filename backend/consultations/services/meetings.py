"""Offline joint meetings (联合议事会议): the committee records them, every member reads them.

Minutes are not sent to the WeChat text check. They are written by the committee (staff who sign
in with a password and have no openid, so the check could not be asked anyway: `moderate_text`
would hold every minute for review by the very people who wrote it) and are published under the
committee's own responsibility, like its notices. Residents' text is what the check is for.

Photos do go through the platform's photo rule (`submit_media_check_for`): everyone sees a photo
once WeChat passed it; until then only its author and the committee (the moderators) see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.consultations.models import JointMeeting
from backend.consultations.permissions import policy
from backend.consultations.services.common import consultation_or_404
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import InvalidInput, NotFound
from backend.core.metrics import DEFAULT_TIMEZONE
from backend.core.tenancy.models import Community
from backend.core.wechat.client import Scene
from backend.core.wechat.identity import wechat_openid
from backend.core.wechat.media import media_visible_to, submit_media_check_for
from backend.core.wechat.models import MediaCheck

MEDIA_KIND = "joint_meeting"
FIELDS = ("held_on", "topic", "attendees_count", "minutes", "photos", "consultation_id")


def list_meetings(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    """The community's meetings, newest first; `year` keeps those held in that calendar year,
    `consultation_id` those about one consultation. Every member of the community reads them."""
    community = policy.community(actor, "consultation.view_meetings", community_id)
    query = (
        sa.select(JointMeeting)
        .where(JointMeeting.community_id == community.id)
        .order_by(JointMeeting.held_on.desc(), JointMeeting.id.desc())
    )
    if filters.get("year") is not None:
        year = filters["year"]
        query = query.where(
            JointMeeting.held_on >= date(year, 1, 1), JointMeeting.held_on < date(year + 1, 1, 1)
        )
    if filters.get("consultation_id") is not None:
        query = query.where(JointMeeting.consultation_id == filters["consultation_id"])
    return query


def get_meeting(*, actor: Actor, community_id: int, meeting_id: int) -> JointMeeting:
    """One meeting. Outcomes: the meeting; 404 meeting_not_found (also another community's)."""
    community = policy.community(actor, "consultation.view_meetings", community_id)
    return show_photos([_meeting_or_404(meeting_id, community)], actor=actor)[0]


def record_meeting(*, actor: Actor, community_id: int, data: dict) -> JointMeeting:
    """The committee records a meeting it held.

    Outcomes: the meeting (audit `meeting.recorded`; each photo sent to the photo check);
    403 unless committee or system admin; 422 meeting_in_future when `held_on` is after today
    in the community's time zone; 404 consultation_not_found for a consultation that is not
    this community's.
    """
    with transaction() as tx:
        community = policy.community(actor, "consultation.record_meeting", community_id)
        _check_held_on(data["held_on"], community)
        if data.get("consultation_id") is not None:
            consultation_or_404(data["consultation_id"], community)
        meeting = JointMeeting(
            **{"minutes": "", "photos": [], **data},
            community_id=community.id,
            recorded_by_id=actor.user_id,
        )
        tx.add(meeting)
        tx.flush()
        _check_photos(meeting, meeting.photos, actor)
        audit.record(
            action="meeting.recorded",
            community=community,
            actor=actor,
            target_type="joint_meeting",
            target_id=meeting.id,
            details={
                "held_on": meeting.held_on.isoformat(),
                "consultation_id": meeting.consultation_id,
            },
        )
    return show_photos([meeting], actor=actor)[0]


def correct_meeting(
    *, actor: Actor, community_id: int, meeting_id: int, changes: dict
) -> JointMeeting:
    """The committee corrects a meeting entered wrongly; any field, validated as when recorded.

    Outcomes: the meeting (audit `meeting.corrected` naming the fields that changed; photos new
    to the meeting are sent to the check, removed ones forgotten); 403; 404 meeting_not_found;
    422 meeting_in_future; 404 consultation_not_found.
    """
    with transaction() as tx:
        community = policy.community(actor, "consultation.record_meeting", community_id)
        meeting = _meeting_or_404(meeting_id, community)
        if "held_on" in changes:
            _check_held_on(changes["held_on"], community)
        if changes.get("consultation_id") is not None:
            consultation_or_404(changes["consultation_id"], community)
        changed = sorted(
            name for name in FIELDS if name in changes and changes[name] != getattr(meeting, name)
        )
        if "photos" in changed:
            kept = set(meeting.photos)
            _forget_photos(meeting, set(meeting.photos) - set(changes["photos"]))
            _check_photos(meeting, [url for url in changes["photos"] if url not in kept], actor)
        for name in changed:
            setattr(meeting, name, changes[name])
        if changed:
            tx.flush()
            audit.record(
                action="meeting.corrected",
                community=community,
                actor=actor,
                target_type="joint_meeting",
                target_id=meeting.id,
                details={
                    "fields": changed,
                    "held_on": meeting.held_on.isoformat(),
                    "consultation_id": meeting.consultation_id,
                },
            )
    return show_photos([meeting], actor=actor)[0]


def remove_meeting(*, actor: Actor, community_id: int, meeting_id: int) -> None:
    """The committee removes a meeting entered by mistake.

    Outcomes: gone, with its photo checks (audit `meeting.removed`); 403; 404 meeting_not_found.
    """
    with transaction() as tx:
        community = policy.community(actor, "consultation.record_meeting", community_id)
        meeting = _meeting_or_404(meeting_id, community)
        _forget_photos(meeting, set(meeting.photos))
        audit.record(
            action="meeting.removed",
            community=community,
            actor=actor,
            target_type="joint_meeting",
            target_id=meeting.id,
            details={
                "held_on": meeting.held_on.isoformat(),
                "consultation_id": meeting.consultation_id,
            },
        )
        tx.delete(meeting)


def show_photos(meetings: Iterable[JointMeeting], *, actor: Actor) -> list[JointMeeting]:
    """Give each meeting `visible_photos` (the photos `actor` may see, in their order) and
    `photos_awaiting_check` (those not yet shown to everyone); one query for them all."""
    meetings = list(meetings)
    checks: dict[tuple[int, str], MediaCheck] = {}
    if meetings:
        rows = db.session.scalars(
            sa.select(MediaCheck)
            .where(
                MediaCheck.owner_kind == MEDIA_KIND,
                MediaCheck.owner_id.in_([meeting.id for meeting in meetings]),
            )
            .order_by(MediaCheck.id)
        )
        checks = {(check.owner_id, check.url): check for check in rows}  # the latest wins
    moderates: dict[int, bool] = {}
    for meeting in meetings:
        if meeting.community_id not in moderates:
            community = db.session.get(Community, meeting.community_id)
            moderates[meeting.community_id] = policy.can(actor, "consultation.moderate", community)
        moderator = moderates[meeting.community_id]
        found = [(url, checks.get((meeting.id, url))) for url in meeting.photos]
        meeting.visible_photos = [
            url
            for url, check in found
            if check is not None and media_visible_to(check, actor=actor, moderator=moderator)
        ]
        meeting.photos_awaiting_check = sum(
            check is None or check.status != "pass" for _, check in found
        )
    return meetings


def local_today(community: Community) -> date:
    return utcnow().astimezone(ZoneInfo(community.timezone or DEFAULT_TIMEZONE)).date()


def _check_held_on(held_on: date, community: Community) -> None:
    if held_on > local_today(community):
        raise InvalidInput(
            "会议日期不能晚于今天",
            code="meeting_in_future",
            errors={"json": {"held_on": ["会议日期不能晚于今天"]}},
        )


def _meeting_or_404(meeting_id: int, community: Community) -> JointMeeting:
    meeting = db.session.scalar(
        sa.select(JointMeeting).where(
            JointMeeting.id == meeting_id, JointMeeting.community_id == community.id
        )
    )
    if meeting is None:
        raise NotFound("未找到该议事会议记录", code="meeting_not_found")
    return meeting


def _check_photos(meeting: JointMeeting, urls: Iterable[str], actor: Actor) -> None:
    urls = list(urls)
    if not urls:
        return
    # Staff usually have no openid: their photos then wait for a moderator.
    openid = wechat_openid(actor.user_id)
    for url in urls:
        submit_media_check_for(
            owner_kind=MEDIA_KIND,
            owner_id=meeting.id,
            community_id=meeting.community_id,
            author_user_id=actor.user_id,
            author_openid=openid,
            url=url,
            scene=Scene.FORUM,
        )


def _forget_photos(meeting: JointMeeting, urls: set[str]) -> None:
    """Drop the checks of photos no longer on the meeting: SQLite may give a removed meeting's
    id to the next one, which must not inherit its photos' verdicts."""
    if urls:
        db.session.execute(
            sa.delete(MediaCheck).where(
                MediaCheck.owner_kind == MEDIA_KIND,
                MediaCheck.owner_id == meeting.id,
                MediaCheck.url.in_(urls),
            )
        )
