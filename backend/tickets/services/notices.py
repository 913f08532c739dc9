"""Who hears about a ticket: its reporter and supporters, the handler's staff, the committee, the
street. Notices join the caller's transaction (see core.notifications.notify)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import Membership
from backend.accounts.services.memberships import committee_user_ids
from backend.core.auth import Role
from backend.core.db import db
from backend.core.notifications.services import WechatMessage, notify
from backend.core.tenancy.models import Community, Region
from backend.tickets.models import STATUSES, Ticket, TicketSupport


def link_to(ticket: Ticket) -> str:
    return f"/pages/tickets/detail?id={ticket.id}"


def _tell(user_ids, ticket: Ticket, kind: str, title: str, body: str) -> None:
    template_id = current_app.config.get("WECHAT_TEMPLATE_TICKET")
    wechat = None
    if template_id:
        wechat = WechatMessage(
            template_id=template_id,
            data={"character_string1": str(ticket.id), "phrase2": STATUSES[ticket.status][:5]},
        )
    notify(
        user_ids=user_ids,
        kind=kind,
        title=title,
        body=body,
        community_id=ticket.community_id,
        link=link_to(ticket),
        wechat=wechat,
    )


def tell_reporter(ticket: Ticket, kind: str, title: str, body: str) -> None:
    """The reporter and the residents who joined the ticket."""
    supporters = db.session.scalars(
        sa.select(TicketSupport.user_id).where(TicketSupport.ticket_id == ticket.id)
    )
    users = [ticket.reporter_id] if ticket.reporter_id else []
    _tell([*users, *supporters], ticket, kind, title, body)


def handler_staff(ticket: Ticket) -> list[int]:
    if ticket.handler_organisation_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.organisation_id == ticket.handler_organisation_id,
                Membership.role == Role.PROPERTY_STAFF,
                Membership.status == "verified",
            )
        )
    )


def street_officials(community: Community) -> list[int]:
    """Street admins of the community's street or any region above it."""
    return list(
        db.session.scalars(
            sa.select(Membership.user_id)
            .join(Region, Region.id == Membership.region_id)
            .where(
                Membership.role == Role.STREET_ADMIN,
                Membership.status == "verified",
                sa.literal(community.region_path).startswith(Region.path),
            )
        )
    )


def tell_handler(ticket: Ticket, kind: str, title: str, body: str) -> None:
    _tell(handler_staff(ticket), ticket, kind, title, body)


def tell_committee(ticket: Ticket, kind: str, title: str, body: str) -> None:
    _tell(committee_user_ids(ticket.community_id), ticket, kind, title, body)


def tell_street(ticket: Ticket, community: Community, kind: str, title: str, body: str) -> None:
    _tell(street_officials(community), ticket, kind, title, body)
