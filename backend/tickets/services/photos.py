"""Ticket photos: WeChat's check of the reporter's photos, and who sees which photo.

The photos a reporter files go through WeChat's media check as needs' photos do (the platform's
photo rule, `core.wechat.media`): each is sent with a signed absolute link WeChat can fetch, and
an author without an openid (a grid worker, usually) or WeChat unreachable sends it to the
committee's manual review instead.

Who sees them: the ticket's parties (its reporter and the staff working on it) see every photo,
whatever its check says. Neighbours who see a public ticket see the photos that passed, and none
of an anonymous ticket: a picture taken from one's own window names its author as surely as a
signature.

Photos the handler's staff add (on starting, as proof after the work) are not checked: staff
act under their organisation's name and have no openid, so every one of them would wait for a
committee member, and the proof the reporter needs to confirm the work would wait with it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import g

from backend.core.auth import Actor
from backend.core.db import db
from backend.core.storage.links import checked_photo_url, photo_reference, photo_url
from backend.core.wechat.content import Scene
from backend.core.wechat.media import media_visible_to, submit_media_check_for
from backend.core.wechat.models import MediaCheck
from backend.tickets.models import Ticket

MEDIA_OWNER = "ticket"


def links(keys: Iterable[str]) -> list[str]:
    """Signed links to stored photos, for a caller already allowed to see them."""
    return [photo_url(key) for key in keys]


def check_reported_photos(ticket: Ticket, *, author: Actor, openid: str | None) -> None:
    """Ask WeChat to check each photo of a ticket just filed (inside the filing transaction)."""
    for key in ticket.photos or []:
        submit_media_check_for(
            owner_kind=MEDIA_OWNER,
            owner_id=ticket.id,
            community_id=ticket.community_id,
            author_user_id=author.user_id,
            author_openid=openid,
            url=photo_reference(key),
            fetch_url=checked_photo_url(key),
            scene=Scene.FORUM,
        )


def shown_photos(ticket: Ticket, *, party: bool, actor: Actor) -> list[str]:
    """Signed links to the reported photos `actor` may see: all of them for a `party` to the
    ticket; for anyone else, those of a public, named ticket that passed the check."""
    keys = list(ticket.photos or [])
    if party or not keys:
        return links(keys)
    if not _shown_to_neighbours(ticket):
        return []
    checks = _checks_of([ticket.id]).get(ticket.id, {})
    return links(
        key
        for key in keys
        if (check := checks.get(photo_reference(key))) is not None
        and media_visible_to(check, actor=actor, moderator=False)
    )


def prepare_photo_checks(tickets: list[Ticket]) -> None:
    """Read the checks of a page of tickets at once, for `shown_photos` to find (kept for the
    request, as a list shows each ticket in turn)."""
    wanted = [ticket.id for ticket in tickets if ticket.photos and _shown_to_neighbours(ticket)]
    if wanted:
        g.ticket_photo_checks = _read_checks(wanted)


def _shown_to_neighbours(ticket: Ticket) -> bool:
    return ticket.public and not ticket.anonymous


def _checks_of(ticket_ids: list[int]) -> dict[int, dict[str, MediaCheck]]:
    prepared = g.get("ticket_photo_checks", {})
    if all(ticket_id in prepared for ticket_id in ticket_ids):
        return prepared
    return _read_checks(ticket_ids)


def _read_checks(ticket_ids: list[int]) -> dict[int, dict[str, MediaCheck]]:
    """The media checks of these tickets' photos: by ticket, by the photo's reference."""
    checks: dict[int, dict[str, MediaCheck]] = {ticket_id: {} for ticket_id in ticket_ids}
    for check in db.session.scalars(
        sa.select(MediaCheck)
        .where(MediaCheck.owner_kind == MEDIA_OWNER, MediaCheck.owner_id.in_(ticket_ids))
        .order_by(MediaCheck.id)
    ):
        checks[check.owner_id][check.url] = check
    return checks
