"""Handling: the handler signs for a ticket, starts the work, resolves it with proof, asks for
more time; the committee decides on that request. Each use case checks its move against the
table (`moves.py`), changes the ticket, writes the timeline and tells who must know, in one
transaction.
"""

from __future__ import annotations

from backend.core.auth import Actor
from backend.core.db import transaction, utcnow
from backend.core.errors import Conflict, InvalidInput
from backend.core.storage.services import attach_photos
from backend.tickets.services import notices
from backend.tickets.services.common import Context, record
from backend.tickets.services.flow.moves import advance, audit_move, begin


def sign(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler signs for the ticket: contact is made, the response clock stops.

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="sign")
        ticket = context.ticket
        now = utcnow()
        before = advance(ticket, "sign")
        ticket.responded_at = now
        record(
            ticket,
            "signed",
            actor_id=actor.user_id,
            side="handler",
            from_status=before,
            note=data.get("note"),
            data={"in_time": ticket.response_due_at is None or now <= ticket.response_due_at},
            at=now,
        )
        notices.tell_reporter(
            ticket, "ticket_signed", "工单已签收", f"工单 #{ticket.id} 已由处理单位签收"
        )
        audit_move(context, "sign")
        return context


def start(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler starts the work (a note and photos of the site are welcome).

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`; 422
    `photo_unknown`.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="start")
        ticket = context.ticket
        photos = _photos(data.get("photos") or [], community_id, actor)
        before = advance(ticket, "start")
        record(
            ticket,
            "started",
            actor_id=actor.user_id,
            side="handler",
            from_status=before,
            note=data.get("note"),
            photos=photos,
        )
        notices.tell_reporter(ticket, "ticket_started", "工单处理中", f"工单 #{ticket.id} 正在处理")
        audit_move(context, "start")
        return context


def resolve(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler reports the problem fixed: a reply and photos after the work are required
    (a closure without proof is how fake closures happen). The reporter then confirms.

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`; 422
    `photo_unknown`.
    """
    with transaction():
        context = begin(actor=actor, community_id=community_id, ticket_id=ticket_id, move="resolve")
        ticket = context.ticket
        photos = _photos(data["after_photos"], community_id, actor)
        now = utcnow()
        before = advance(ticket, "resolve")
        ticket.reply = data["reply"]
        ticket.after_photos = photos
        ticket.resolved_at = now
        if ticket.responded_at is None:
            ticket.responded_at = now
        record(
            ticket,
            "resolved",
            actor_id=actor.user_id,
            side="handler",
            from_status=before,
            note=data["reply"],
            photos=photos,
            data={"in_time": ticket.resolution_due_at is None or now <= ticket.resolution_due_at},
            at=now,
        )
        notices.tell_reporter(
            ticket,
            "ticket_resolved",
            "工单已办结，请评价",
            f"工单 #{ticket.id} 已办结：{data['reply'][:60]}。请确认是否解决并评价",
        )
        audit_move(context, "resolve")
        return context


def request_extension(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler asks for more time, before the resolution deadline, with a reason; the
    committee decides.

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`,
    `extension_too_late` (the deadline has passed), `extension_pending`; 422
    `extension_not_later`.
    """
    with transaction():
        context = begin(
            actor=actor,
            community_id=community_id,
            ticket_id=ticket_id,
            move="request_extension",
        )
        ticket = context.ticket
        now = utcnow()
        if ticket.extension_status == "pending":
            raise Conflict("已有待审批的延期申请", code="extension_pending")
        if ticket.resolution_due_at is not None and now > ticket.resolution_due_at:
            raise Conflict("已超过办理时限，不能再申请延期", code="extension_too_late")
        if ticket.resolution_due_at is not None and data["until"] <= ticket.resolution_due_at:
            raise InvalidInput(
                "延期后的时限须晚于当前时限", code="extension_not_later", errors={"until": []}
            )
        ticket.extension_status = "pending"
        ticket.extension_until = data["until"]
        ticket.extension_reason = data["reason"]
        record(
            ticket,
            "extension_requested",
            actor_id=actor.user_id,
            side="handler",
            from_status=ticket.status,
            note=data["reason"],
            data={"until": data["until"].isoformat()},
        )
        notices.tell_committee(
            ticket,
            "ticket_extension_requested",
            "工单延期申请待审批",
            f"工单 #{ticket.id} 的处理单位申请延期",
        )
        audit_move(context, "request_extension")
        return context


def decide_extension(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The committee approves (the resolution deadline moves) or rejects a pending request.

    Outcomes: the ticket; 409 `no_extension_pending`.
    """
    with transaction():
        context = begin(
            actor=actor, community_id=community_id, ticket_id=ticket_id, move="decide_extension"
        )
        ticket = context.ticket
        if ticket.extension_status != "pending":
            raise Conflict("没有待审批的延期申请", code="no_extension_pending")
        approved = data["decision"] == "approve"
        ticket.extension_status = "approved" if approved else "rejected"
        if approved:
            ticket.resolution_due_at = ticket.extension_until
            # A new deadline starts a new escalation ladder.
            ticket.resolution_escalation = 0
        record(
            ticket,
            "extension_approved" if approved else "extension_rejected",
            actor_id=actor.user_id,
            side=context.side(),
            from_status=ticket.status,
            note=data.get("note"),
            data={"until": ticket.extension_until.isoformat()},
        )
        notices.tell_handler(
            ticket,
            "ticket_extension_decided",
            "延期申请已批准" if approved else "延期申请未批准",
            f"工单 #{ticket.id} 的延期申请{'已批准' if approved else '未批准'}",
        )
        audit_move(context, "decide_extension", approved=approved)
        return context


def _photos(keys: list[str], community_id: int, actor: Actor) -> list[str]:
    # Staff's photos skip WeChat's check (tickets/services/photos.py says why).
    if not keys:
        return []
    return attach_photos(
        keys, community_id=community_id, uploader_id=actor.user_id, purpose="ticket"
    )
