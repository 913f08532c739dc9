"""A ticket's life after it is filed: dispatch, handling, evaluation, and their branches.

The moves, who makes them and from where (`MOVES`), in one table; each use case below checks
its move against it, changes the ticket, writes the timeline and tells who must know, in one
transaction.

| move | from | to | by |
|---|---|---|---|
| accept | submitted | accepted, or assigned when a handler is named | dispatcher |
| assign | accepted, returned | assigned | dispatcher |
| reject | submitted, accepted, returned | rejected | dispatcher |
| return | assigned, signed | returned | handler |
| sign | assigned | signed | handler |
| start | signed | in_progress | handler |
| resolve | signed, in_progress | resolved | handler |
| request_extension | assigned, signed, in_progress | (same) | handler |
| decide_extension | (pending request) | (same) | dispatcher |
| confirm | resolved | closed | reporter |
| reopen | resolved; closed within 7 days of resolution | in_progress | reporter |
| auto_close | resolved for 7 days | closed, not evaluated | scheduler |
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.communities.models import Organisation, ServiceArea
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.storage.services import attach_photos
from backend.tickets import sla
from backend.tickets.models import OPEN, REJECT_REASONS, STATUSES, Ticket, TicketCategory
from backend.tickets.services import notices
from backend.tickets.services.common import (
    Context,
    add_support,
    load,
    record,
    start_clocks,
    ticket_deadlines,
)

MOVES: dict[str, tuple[str, ...]] = {
    "accept": ("submitted",),
    "assign": ("accepted", "returned"),
    "reject": ("submitted", "accepted", "returned"),
    "return": ("assigned", "signed"),
    "sign": ("assigned",),
    "start": ("signed",),
    "resolve": ("signed", "in_progress"),
    "request_extension": ("assigned", "signed", "in_progress"),
    "confirm": ("resolved",),
    "reopen": ("resolved", "closed"),
    "auto_close": ("resolved",),
}
# The reporter may reopen (and the scheduler closes unanswered tickets) this long after resolution.
EVALUATION_WINDOW = timedelta(days=7)


def _require_move(ticket: Ticket, move: str) -> None:
    if ticket.status not in MOVES[move]:
        raise Conflict(
            f"工单当前状态为「{STATUSES[ticket.status]}」，不能进行此操作",
            code="ticket_wrong_status",
            errors={"status": ticket.status, "allowed_from": list(MOVES[move])},
        )


def _require_handler(context: Context) -> None:
    if not context.is_handler:
        raise Forbidden("只有被派单的单位可以处理该工单", code="not_ticket_handler")


def _require_reporter(context: Context) -> None:
    if not context.is_reporter:
        raise Forbidden("只有报告人可以评价该工单", code="not_ticket_reporter")


def _audit(context: Context, move: str, **details) -> None:
    audit.record(
        action=f"ticket.{move}",
        target_type="ticket",
        target_id=context.ticket.id,
        community=context.community,
        actor=context.actor,
        details={"status": context.ticket.status, **details},
    )


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


def _assign(
    context: Context, organisation: Organisation, note: str | None, *, by_system: bool = False
) -> None:
    ticket = context.ticket
    before = ticket.status
    ticket.handler_organisation_id = organisation.id
    ticket.status = "assigned"
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
    before, ticket.status = ticket.status, "accepted"
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
        _assign(context, organisation, None, by_system=by_system)
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
        context = _dispatcher_move(actor=actor, community_id=community_id, ticket_id=ticket_id)
        _require_move(context.ticket, "accept")
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
        _audit(context, "accept", organisation_id=data.get("organisation_id"))
        return context


def assign(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """Assign an accepted ticket, or re-route a returned one. Its clocks keep running.

    Outcomes: the ticket; 409 `ticket_wrong_status`; 404 `organisation_not_found`; 422
    `handler_not_serving_community`.
    """
    with transaction():
        context = _dispatcher_move(actor=actor, community_id=community_id, ticket_id=ticket_id)
        _require_move(context.ticket, "assign")
        organisation = handler_for(community_id, data["organisation_id"])
        _assign(context, organisation, data.get("note"))
        _audit(context, "assign", organisation_id=organisation.id)
        return context


def reject(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """Refuse a ticket as invalid, or as a duplicate of another open ticket of the community
    (its reporter then joins that one). The reason is shown to the reporter.

    Outcomes: the ticket; 409 `ticket_wrong_status`; 422 `duplicate_of_required`,
    `duplicate_of_itself`; 404 `ticket_not_found` for a duplicate elsewhere.
    """
    with transaction():
        context = _dispatcher_move(actor=actor, community_id=community_id, ticket_id=ticket_id)
        ticket = context.ticket
        _require_move(ticket, "reject")
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
        before = ticket.status
        ticket.status = "rejected"
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
        _audit(context, "reject", reason=reason, duplicate_of_id=ticket.duplicate_of_id)
        return context


def _dispatcher_move(*, actor: Actor, community_id: int, ticket_id: int) -> Context:
    return load(
        actor=actor,
        community_id=community_id,
        ticket_id=ticket_id,
        action="ticket.dispatch",
        lock=True,
    )


def _reporter_move(*, actor: Actor, community_id: int, ticket_id: int) -> Context:
    context = load(
        actor=actor,
        community_id=community_id,
        ticket_id=ticket_id,
        action="ticket.evaluate",
        lock=True,
    )
    _require_reporter(context)
    return context


def _handler_move(*, actor: Actor, community_id: int, ticket_id: int, move: str) -> Context:
    context = load(
        actor=actor,
        community_id=community_id,
        ticket_id=ticket_id,
        action="ticket.handle",
        lock=True,
    )
    _require_handler(context)
    _require_move(context.ticket, move)
    return context


def return_ticket(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler hands the ticket back (not theirs to fix), with a reason. It goes back to the
    dispatcher, who re-routes it; the clocks keep running.

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`.
    """
    with transaction():
        context = _handler_move(
            actor=actor, community_id=community_id, ticket_id=ticket_id, move="return"
        )
        ticket = context.ticket
        before = ticket.status
        organisation_id = ticket.handler_organisation_id
        ticket.status = "returned"
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
        _audit(context, "return", organisation_id=organisation_id)
        return context


def sign(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler signs for the ticket: contact is made, the response clock stops.

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`.
    """
    with transaction():
        context = _handler_move(
            actor=actor, community_id=community_id, ticket_id=ticket_id, move="sign"
        )
        ticket = context.ticket
        now = utcnow()
        ticket.status = "signed"
        ticket.responded_at = now
        record(
            ticket,
            "signed",
            actor_id=actor.user_id,
            side="handler",
            from_status="assigned",
            note=data.get("note"),
            data={"in_time": ticket.response_due_at is None or now <= ticket.response_due_at},
            at=now,
        )
        notices.tell_reporter(
            ticket, "ticket_signed", "工单已签收", f"工单 #{ticket.id} 已由处理单位签收"
        )
        _audit(context, "sign")
        return context


def start(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler starts the work (a note and photos of the site are welcome).

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`; 422
    `photo_unknown`.
    """
    with transaction():
        context = _handler_move(
            actor=actor, community_id=community_id, ticket_id=ticket_id, move="start"
        )
        ticket = context.ticket
        photos = _photos(data.get("photos") or [], community_id, actor)
        ticket.status = "in_progress"
        record(
            ticket,
            "started",
            actor_id=actor.user_id,
            side="handler",
            from_status="signed",
            note=data.get("note"),
            photos=photos,
        )
        notices.tell_reporter(ticket, "ticket_started", "工单处理中", f"工单 #{ticket.id} 正在处理")
        _audit(context, "start")
        return context


def resolve(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler reports the problem fixed: a reply and photos after the work are required
    (a closure without proof is how fake closures happen). The reporter then confirms.

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`; 422
    `photo_unknown`.
    """
    with transaction():
        context = _handler_move(
            actor=actor, community_id=community_id, ticket_id=ticket_id, move="resolve"
        )
        ticket = context.ticket
        photos = _photos(data["after_photos"], community_id, actor)
        now = utcnow()
        before = ticket.status
        ticket.status = "resolved"
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
        _audit(context, "resolve")
        return context


def request_extension(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The handler asks for more time, before the resolution deadline, with a reason; the
    committee decides.

    Outcomes: the ticket; 403 `not_ticket_handler`; 409 `ticket_wrong_status`,
    `extension_too_late` (the deadline has passed), `extension_pending`; 422
    `extension_not_later`.
    """
    with transaction():
        context = _handler_move(
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
        _audit(context, "request_extension")
        return context


def decide_extension(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The committee approves (the resolution deadline moves) or rejects a pending request.

    Outcomes: the ticket; 409 `no_extension_pending`.
    """
    with transaction():
        context = _dispatcher_move(actor=actor, community_id=community_id, ticket_id=ticket_id)
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
        _audit(context, "decide_extension", approved=approved)
        return context


def confirm(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The reporter rates the work (1–5) and says whether it is fixed; the ticket closes.
    "Not fixed" closes it too, rated, and counts against the resolution rate; to have it worked
    on again the reporter reopens it.

    Outcomes: the ticket; 403 `not_ticket_reporter`; 409 `ticket_wrong_status`.
    """
    with transaction():
        context = _reporter_move(actor=actor, community_id=community_id, ticket_id=ticket_id)
        ticket = context.ticket
        _require_move(ticket, "confirm")
        ticket.status = "closed"
        ticket.rating = data["rating"]
        ticket.fixed = data["fixed"]
        ticket.evaluation = "confirmed"
        ticket.closed_at = utcnow()
        record(
            ticket,
            "confirmed",
            actor_id=actor.user_id,
            side="reporter",
            from_status="resolved",
            note=data.get("comment"),
            data={"rating": ticket.rating, "fixed": ticket.fixed},
        )
        notices.tell_handler(
            ticket,
            "ticket_confirmed",
            "工单已评价",
            f"工单 #{ticket.id} 评价 {ticket.rating} 星，{'已解决' if ticket.fixed else '未解决'}",
        )
        _audit(context, "confirm", rating=ticket.rating, fixed=ticket.fixed)
        return context


def reopen(*, actor: Actor, community_id: int, ticket_id: int, data: dict) -> Context:
    """The reporter reopens a ticket that is not really fixed, within 7 days of its resolution:
    back to the same handler with a new resolution clock, counted against them.

    Outcomes: the ticket; 403 `not_ticket_reporter`; 409 `ticket_wrong_status`,
    `reopen_window_over`.
    """
    with transaction():
        context = _reporter_move(actor=actor, community_id=community_id, ticket_id=ticket_id)
        ticket = context.ticket
        _require_move(ticket, "reopen")
        now = utcnow()
        if ticket.resolved_at is None or now > ticket.resolved_at + EVALUATION_WINDOW:
            raise Conflict("已超过办结后 7 天，不能重新打开", code="reopen_window_over")
        before = ticket.status
        category = db.session.get(TicketCategory, ticket.category_id)
        _, resolution = ticket_deadlines(ticket, category)
        ticket.status = "in_progress"
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
        _audit(context, "reopen", reopen_count=ticket.reopen_count)
        return context


def _photos(keys: list[str], community_id: int, actor: Actor) -> list[str]:
    if not keys:
        return []
    return attach_photos(
        keys, community_id=community_id, uploader_id=actor.user_id, purpose="ticket"
    )
