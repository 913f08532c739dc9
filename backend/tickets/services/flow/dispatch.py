"""Dispatch: the committee accepts, assigns (or re-routes) and rejects tickets; the handler
hands back one that is not theirs. Each use case checks its move against the table (`moves.py`),
changes the ticket, writes the timeline and tells who must know, in one transaction.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.communities.models import Organisation, ServiceArea
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.tickets.models import OPEN, REJECT_REASONS, Ticket, TicketCategory
from backend.tickets.services import notices
from backend.tickets.services.common import Context, add_support, record, start_clocks
from backend.tickets.services.flow.moves import advance, audit_move, begin


def handler_for(community_id: int, organisation_id: int) -> Organisation:
    """A handler must serve the community (property company) or be a department or utility
    the community may name; another community's company is not found."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("未找到该单位", code="organisation_not_found")
    if organisation.kind == "department":
        return organisation
    serves = db.session.scalar(
        sa.select(ServiceArea.id).where(
            ServiceArea.organisation_id == organisation_id,
            ServiceArea.community_id == community_id,
        )
    )
    if serves is None:
        raise InvalidInput("该单位不服务本社区，不能派单给它", code="handler_not_serving_community")
    return organisation


def _assign_to(
    context: Context, organisation: Organisation, note: str | None, *, by_system: bool = False
) -> None:
    ticket = context.ticket
    ticket.handler_organisation_id = organisation.id
    before = advance(ticket, "assign")
    record(
        ticket,
        "assigned",
        actor_id=None if by_system else context.actor.user_id,
        side="system" if by_system else context.side(),
        from_status=before,
        note=note,
        data={"organisation_id": organisation.id, "organisation": organisation.name},
    )
    notices.tell_handler(
        ticket, "ticket_assigned", "新工单待签收", f"工单 #{ticket.id} 已派给贵单位，请及时签收处理"
    )


def dispatch_now(
    context: Context, organisation: Organisation | None, now: datetime, *, by_system: bool = False
) -> None:
    """Accept (start the clocks) and, with a handler, assign: by the committee or, for
    categories set to dispatch automatically, on submission (`by_system`: the timeline says
    the system did it, not the reporter)."""
    ticket = context.ticket
    category = db.session.get(TicketCategory, ticket.category_id)
    start_clocks(ticket, context.community, category, now)
    before = advance(ticket, "accept")
    record(
        ticket,
        "accepted",
        actor_id=None if by_system else context.actor.user_id,
        side="system" if by_system else context.side(),
        from_status=before,
        data={
            "deadline_class": ticket.deadline_class,
            "response_due_at": ticket.response_due_at.isoformat(),
            "resolution_due_at": ticket.resolution_due_at.isoformat(),
        },
        at=now,
    )
    if organisation is not None:
        _assign_to(context, organisation, None, by_system=by_system)
    notices.tell_reporter(
        ticket, "ticket_accepted", "您的报告已受理", f"工单 #{ticket.id} 已受理，我们将尽快处理"
    )


def accept(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The committee accepts a submitted ticket: the clocks start; with `organisation_id` it is
    assigned at once. `urgent: true` confirms a claimed urgency (the urgent clocks apply);
    `publish: true` shows a ticket held back for review to other residents, unless its
    reporter asked to keep it private.

    Outcomes: the ticket; 409 `ticket_wrong_status`; 422 `handler_not_serving_community`.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="accept")
        organisation = None
        if data.get("organisation_id") is not None:
            organisation = handler_for(community_id, data["organisation_id"])
        if data.get("urgent"):
            context.ticket.deadline_class = "urgent"
        if data.get("publish"):
            # The committee read a text WeChat (or the lack of an openid) left for a person.
            category = db.session.get(TicketCategory, context.ticket.category_id)
            context.ticket.public = category.public and not context.ticket.reporter_private
        dispatch_now(context, organisation, utcnow())
        audit_move(context, "accept", organisation_id=data.get("organisation_id"))
        return context


def assign(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """Assign an accepted ticket, or re-route a returned one. Its clocks keep running.

    Outcomes: the ticket; 409 `ticket_wrong_status`; 404 `organisation_not_found`; 422
    `handler_not_serving_community`.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="assign")
        organisation = handler_for(community_id, data["organisation_id"])
        _assign_to(context, organisation, data.get("note"))
        audit_move(context, "assign", organisation_id=organisation.id)
        return context


def reject(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """Refuse a ticket as invalid, or as a duplicate of another open ticket of the community
    (its reporter then joins that one). The reason is shown to the reporter.

    Outcomes: the ticket; 409 `ticket_wrong_status`; 422 `duplicate_of_required`,
    `duplicate_of_itself`; 404 `ticket_not_found` for a duplicate elsewhere.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="reject")
        ticket = context.ticket
        reason = data["reason"]
        original = None
        if reason == "duplicate":
            if data.get("duplicate_of_id") is None:
                raise InvalidInput("请指明重复的工单", code="duplicate_of_required")
            if data["duplicate_of_id"] == ticket.id:
                raise InvalidInput("工单不能与自己重复", code="duplicate_of_itself")
            original = db.session.scalar(
                sa.select(Ticket).where(
                    Ticket.id == data["duplicate_of_id"],
                    Ticket.community_id == community_id,
                )
            )
            if original is None:
                raise NotFound("未找到该工单", code="ticket_not_found")
            if original.status not in OPEN:
                raise Conflict("重复的原工单已结束，请按不予受理处理", code="ticket_not_open")
        before = advance(ticket, "reject")
        ticket.reject_reason = reason
        ticket.reject_note = data.get("note")
        ticket.closed_at = utcnow()
        if original is not None:
            ticket.duplicate_of_id = original.id
            if ticket.reporter_id is not None:
                add_support(original, ticket.reporter_id)
        record(
            ticket,
            "rejected",
            actor_id=actor.user_id,
            side=context.side(),
            from_status=before,
            note=data.get("note"),
            data={"reason": reason, "duplicate_of_id": ticket.duplicate_of_id},
        )
        notices.tell_reporter(
            ticket,
            "ticket_rejected",
            "您的报告未予受理",
            f"工单 #{ticket.id}：{REJECT_REASONS[reason]}。{data.get('note') or ''}".strip(),
        )
        audit_move(context, "reject", reason=reason, duplicate_of_id=ticket.duplicate_of_id)
        return context


def return_ticket(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler hands the ticket back (not theirs to fix), with a reason. It goes back to the
    dispatcher, who re-routes it; the clocks keep running.

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="return")
        ticket = context.ticket
        organisation_id = ticket.handler_organisation_id
        before = advance(ticket, "return")
        ticket.handler_organisation_id = None
        record(
            ticket,
            "returned",
            actor_id=actor.user_id,
            side="handler",
            from_status=before,
            note=data["reason"],
            data={"organisation_id": organisation_id},
        )
        notices.tell_committee(
            ticket, "ticket_returned", "工单被退回", f"工单 #{ticket.id} 被处理单位退回，请重新派单"
        )
        audit_move(context, "return", organisation_id=organisation_id)
        return context
