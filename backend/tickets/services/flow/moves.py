"""The table of moves: which status each move of a ticket goes from and to, and who makes it.
Every use case of the flow begins with `begin` (the mover's permission, that the actor is the
ticket's handler or reporter where the move is theirs, the status) and changes the status with
`advance`; the scheduler's auto-close reads the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.errors import Conflict, Forbidden
from backend.tickets.models import STATUSES, Ticket
from backend.tickets.services.common import Context, load

DISPATCHER, HANDLER, REPORTER, SCHEDULER = "dispatcher", "handler", "reporter", "scheduler"
# The permission a mover's move checks (permissions.py says which roles hold it).
ACTIONS = {DISPATCHER: "ticket.dispatch", HANDLER: "ticket.handle", REPORTER: "ticket.evaluate"}

# The reporter may reopen (and the scheduler closes unanswered tickets) this long after resolution.
EVALUATION_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Move:
    by: str
    sources: tuple[str, ...] | None  # None: from any status, the move's own condition decides
    target: str | None  # None: the status stays


MOVES: dict[str, Move] = {
    # dispatch; an accepted ticket named a handler at once is assigned in the same step
    "accept": Move(DISPATCHER, ("submitted",), "accepted"),
    "assign": Move(DISPATCHER, ("accepted", "returned"), "assigned"),
    "reject": Move(DISPATCHER, ("submitted", "accepted", "returned"), "rejected"),
    "return": Move(HANDLER, ("assigned", "signed"), "returned"),
    # handling
    "sign": Move(HANDLER, ("assigned",), "signed"),
    "start": Move(HANDLER, ("signed",), "in_progress"),
    "resolve": Move(HANDLER, ("signed", "in_progress"), "resolved"),
    "request_extension": Move(HANDLER, ("assigned", "signed", "in_progress"), None),
    "decide_extension": Move(DISPATCHER, None, None),  # a request is pending
    # evaluation; reopening a closed ticket, and closing an unanswered one, within or after
    # EVALUATION_WINDOW of its resolution
    "confirm": Move(REPORTER, ("resolved",), "closed"),
    "reopen": Move(REPORTER, ("resolved", "closed"), "in_progress"),
    "auto_close": Move(SCHEDULER, ("resolved",), "closed"),
}


def begin(*, actor: Actor, community_id: int, ticket_id: int, move: str) -> Context:
    """The ticket, locked, for `move`: 403 without the mover's permission, `not_ticket_handler`
    / `not_ticket_reporter` for a handler's or reporter's move by someone else; 404
    `ticket_not_found`; 409 `ticket_wrong_status`."""
    rule = MOVES[move]
    context = load(
        actor=actor,
        community_id=community_id,
        ticket_id=ticket_id,
        action=ACTIONS[rule.by],
        lock=True,
    )
    if rule.by == HANDLER and not context.is_handler:
        raise Forbidden("只有被派单的单位可以处理该工单", code="not_ticket_handler")
    if rule.by == REPORTER and not context.is_reporter:
        raise Forbidden("只有报告人可以评价该工单", code="not_ticket_reporter")
    ticket = context.ticket
    if rule.sources is not None and ticket.status not in rule.sources:
        raise Conflict(
            f"工单当前状态为「{STATUSES[ticket.status]}」，不能进行此操作",
            code="ticket_wrong_status",
            errors={"status": ticket.status, "allowed_from": list(rule.sources)},
        )
    return context


def advance(ticket: Ticket, move: str) -> str:
    """Put the ticket in the status `move` leads to; returns the status it left."""
    before, ticket.status = ticket.status, MOVES[move].target
    return before


def audit_move(context: Context, move: str, **details) -> None:
    audit.record(
        action=f"ticket.{move}",
        target_type="ticket",
        target_id=context.ticket.id,
        community=context.community,
        actor=context.actor,
        details={"status": context.ticket.status, **details},
    )
