"""Evaluation: the reporter confirms a resolved ticket (rating it, fixed or not) or reopens it
within EVALUATION_WINDOW of its resolution; after that window the scheduler closes the ones
nobody answered. Each checks its move against the table (`moves.py`).
"""

from __future__ import annotations

from datetime import datetime

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict
from backend.core.tenancy.models import Community
from backend.tickets import sla
from backend.tickets.models import Ticket, TicketCategory
from backend.tickets.services import notices
from backend.tickets.services.common import Context, record, ticket_deadlines
from backend.tickets.services.flow.moves import (
    EVALUATION_WINDOW,
    MOVES,
    advance,
    audit_move,
    begin,
)


def confirm(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The reporter rates the work (1–5) and says whether it is fixed; the ticket closes.
    "Not fixed" closes it too, rated, and counts against the resolution rate; to have it worked
    on again the reporter reopens it.

    Outcomes: the ticket; 403 `not_ticket_reporter`; 409 `ticket_wrong_status`.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="confirm")
        ticket = context.ticket
        before = advance(ticket, "confirm")
        ticket.rating = data["rating"]
        ticket.fixed = data["fixed"]
        ticket.evaluation = "confirmed"
        ticket.closed_at = utcnow()
        record(
            ticket,
            "confirmed",
            actor_id=actor.user_id,
            side="reporter",
            from_status=before,
            note=data.get("comment"),
            data={"rating": ticket.rating, "fixed": ticket.fixed},
        )
        notices.tell_handler(
            ticket,
            "ticket_confirmed",
            "工单已评价",
            f"工单 #{ticket.id} 评价 {ticket.rating} 星，{'已解决' if ticket.fixed else '未解决'}",
        )
        audit_move(context, "confirm", rating=ticket.rating, fixed=ticket.fixed)
        return context


def reopen(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The reporter reopens a ticket that is not really fixed, within 7 days of its resolution:
    back to the same handler with a new resolution clock, counted against them.

    Outcomes: the ticket; 403 `not_ticket_reporter`; 409 `ticket_wrong_status`,
    `reopen_window_over`.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="reopen")
        ticket = context.ticket
        now = utcnow()
        if ticket.resolved_at is None or now > ticket.resolved_at + EVALUATION_WINDOW:
            raise Conflict("已超过办结后 7 天，不能重新打开", code="reopen_window_over")
        category = db.session.get(TicketCategory, ticket.category_id)
        _, resolution = ticket_deadlines(ticket, category)
        before = advance(ticket, "reopen")
        ticket.reopen_count += 1
        ticket.resolution_due_at = sla.due_at(now, resolution, context.community.timezone)
        ticket.resolution_escalation = 0
        ticket.resolved_at = ticket.closed_at = None
        ticket.rating = ticket.fixed = ticket.evaluation = None
        record(
            ticket,
            "reopened",
            actor_id=actor.user_id,
            side="reporter",
            from_status=before,
            note=data["reason"],
            data={"reopen_count": ticket.reopen_count},
            at=now,
        )
        notices.tell_handler(
            ticket, "ticket_reopened", "工单被重新打开", f"报告人认为工单 #{ticket.id} 未解决"
        )
        audit_move(context, "reopen", reopen_count=ticket.reopen_count)
        return context


def unevaluated(now: datetime) -> list:
    """The tickets the scheduler closes at `now`: resolved more than EVALUATION_WINDOW ago, and
    neither confirmed nor reopened since (at exactly the window's end the reporter may answer)."""
    return [
        Ticket.status.in_(MOVES["auto_close"].sources),
        Ticket.resolved_at < now - EVALUATION_WINDOW,
    ]


def close_unevaluated(ticket: Ticket, now: datetime) -> None:
    """Close a ticket nobody evaluated (the caller holds its lock): evaluation "not_evaluated",
    no rating and no "fixed", so it counts neither as satisfied nor as fixed. The reporter and
    the handler are told."""
    community = db.session.get(Community, ticket.community_id)
    before = advance(ticket, "auto_close")
    ticket.evaluation = "not_evaluated"
    ticket.closed_at = now
    record(ticket, "auto_closed", actor_id=None, side="system", from_status=before, at=now)
    notices.tell_reporter(
        ticket,
        "ticket_auto_closed",
        "工单已自动关闭",
        f"工单 #{ticket.id} 办结后 7 天内未评价，已自动关闭，记为未评价",
    )
    notices.tell_handler(
        ticket,
        "ticket_auto_closed",
        "工单已自动关闭",
        f"工单 #{ticket.id} 报告人 7 天内未评价，已自动关闭（不计为满意）",
    )
    audit.record(
        action="ticket.auto_close",
        target_type="ticket",
        target_id=ticket.id,
        community=community,
        actor_role="scheduler",
        details={"status": ticket.status, "evaluation": ticket.evaluation},
    )
