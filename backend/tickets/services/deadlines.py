"""What the scheduler does to tickets on their clocks: escalate missed deadlines, close tickets
the reporter never evaluated.

The escalation ladder (one per clock: response and resolution)
| level | when | who hears |
|---|---|---|
| 1 | the deadline has passed | the handler's staff (no handler yet, or none with staff: the committee) |
| 2 | overdue by more than one grace | the committee (社区居委会) |
| 3 | overdue by more than two graces | the street officials of the community's street and above |

`grace(...)`: half the deadline's length (from dispatch to the due time), at least 1 hour, at most
3 days. Urgent (1 h / 2 h) → 1 h; utilities' 24 h resolution → 12 h; 7 or 15 working days → 3 days.
After an extension or a reopen the length still counts from dispatch, so the grace grows with
the new deadline (and stays within 3 days).

Every level reached is its own step: the ticket's `*_escalation` records it, the timeline gets an
"escalated" entry (side "system"), its audience a notice and the audit log an entry. A run that
comes late (the scheduler was down) climbs straight to the level the time calls for but still
takes each step below it: the timeline shows the whole ladder, and the handler hears that the
ticket is overdue even when the street hears in the same minute.

Each ticket moves in a transaction of its own, its row locked with FOR UPDATE SKIP LOCKED on
PostgreSQL: a second scheduler process passes over a ticket the first is handling, and finds the
step already taken once it is done. One ticket failing is logged and the others go on.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.core.audit import services as audit
from backend.core.db import db, transaction, utcnow
from backend.core.tenancy.models import Community
from backend.tickets.models import AWAITING_RESPONSE, RUNNING, Ticket
from backend.tickets.services import notices
from backend.tickets.services.common import record
from backend.tickets.services.flow.evaluation import close_unevaluated, unevaluated

log = logging.getLogger(__name__)

TOP_LEVEL = 3
GRACE_MIN = timedelta(hours=1)
GRACE_MAX = timedelta(days=3)
# Tickets read per query; each is then locked and moved in a transaction of its own.
BATCH_SIZE = 200


@dataclass(frozen=True)
class Clock:
    name: str
    title: str  # in notices: 响应 / 办结
    statuses: tuple[str, ...]
    due: sa.orm.InstrumentedAttribute
    level: sa.orm.InstrumentedAttribute

    def overdue(self, now: datetime) -> list:
        """Tickets whose clock runs, has run out before `now`, and may still climb."""
        where = [Ticket.status.in_(self.statuses), self.due < now, self.level < TOP_LEVEL]
        if self.name == "response":
            where.append(Ticket.responded_at.is_(None))
        return where


CLOCKS = (
    Clock(
        "response", "响应", AWAITING_RESPONSE, Ticket.response_due_at, Ticket.response_escalation
    ),
    Clock("resolution", "办结", RUNNING, Ticket.resolution_due_at, Ticket.resolution_escalation),
)


def grace(started_at: datetime | None, due_at: datetime) -> timedelta:
    """How long each level of the ladder waits after the one below: half the deadline's length
    (`due_at - started_at`), at least 1 hour, at most 3 days. Without a start, 1 hour."""
    half = (due_at - started_at) / 2 if started_at is not None else GRACE_MIN
    return min(max(half, GRACE_MIN), GRACE_MAX)


def level_due(started_at: datetime | None, due_at: datetime, now: datetime) -> int:
    """The level a clock due at `due_at` has reached at `now`: 0 until the deadline (inclusive),
    1 once past it, 2 once past it by more than a grace, 3 by more than two."""
    if now <= due_at:
        return 0
    step = grace(started_at, due_at)
    overdue = now - due_at
    return 1 + (overdue > step) + (overdue > 2 * step)


def escalate_overdue(now: datetime | None = None) -> dict[str, int]:
    """Climb the ladder of every ticket whose response or resolution deadline has passed.

    Returns how many tickets took at least one step, per clock: {"response": n, "resolution": m}.
    Running it again at the same time does nothing.
    """
    now = now or utcnow()
    done = {clock.name: 0 for clock in CLOCKS}
    for clock in CLOCKS:
        rows = _walk(clock.due, clock.overdue(now), Ticket.dispatched_at, clock.level)
        for ticket_id, due_at, started_at, level in rows:
            # Most overdue tickets already stand where the time puts them: no lock needed.
            if level_due(started_at, due_at, now) <= level:
                continue
            if _guarded(
                f"{clock.name} escalation", ticket_id, _escalate_one, ticket_id, clock, now
            ):
                done[clock.name] += 1
    return done


def auto_close_unevaluated(now: datetime | None = None) -> int:
    """Close the tickets resolved more than 7 days (`EVALUATION_WINDOW`) ago whose reporter
    neither confirmed nor reopened them: evaluation "not_evaluated", no rating and no "fixed", so
    they count neither as satisfied nor as fixed. The reporter and the handler are told.

    Returns how many were closed. At exactly 7 days the reporter may still answer.
    """
    now = now or utcnow()
    closed = 0
    for ticket_id, _ in _walk(Ticket.resolved_at, unevaluated(now)):
        if _guarded("auto-close", ticket_id, _auto_close_one, ticket_id, now):
            closed += 1
    return closed


# ---------------------------------------------------------------- one ticket


def _escalate_one(ticket_id: int, clock: Clock, now: datetime) -> bool:
    with transaction():
        ticket = _lock(ticket_id, clock.overdue(now))
        if ticket is None:
            return False
        due_at = getattr(ticket, clock.due.key)
        current = getattr(ticket, clock.level.key)
        target = level_due(ticket.dispatched_at, due_at, now)
        if target <= current:
            return False
        community = db.session.get(Community, ticket.community_id)
        overdue_minutes = int((now - due_at).total_seconds() // 60)
        for level in range(current + 1, target + 1):
            setattr(ticket, clock.level.key, level)
            record(
                ticket,
                "escalated",
                actor_id=None,
                side="system",
                from_status=ticket.status,
                data={
                    "clock": clock.name,
                    "level": level,
                    "overdue_minutes": overdue_minutes,
                    "due_at": due_at.isoformat(),
                },
                at=now,
            )
            _tell_level(ticket, community, clock, level, overdue_minutes)
        # Last: appending to the audit chain locks its head until the commit.
        for level in range(current + 1, target + 1):
            audit.record(
                action="ticket.escalate",
                target_type="ticket",
                target_id=ticket.id,
                community=community,
                actor_role="scheduler",
                details={"status": ticket.status, "clock": clock.name, "level": level},
            )
        return True


def _tell_level(
    ticket: Ticket, community: Community, clock: Clock, level: int, overdue_minutes: int
) -> None:
    late = f"已超过{clock.title}时限{_duration(overdue_minutes)}"
    if level == 1:
        if ticket.handler_organisation_id is not None and notices.handler_staff(ticket):
            notices.tell_handler(
                ticket, "ticket_overdue", "工单已超时", f"工单 #{ticket.id} {late}，请尽快处理"
            )
        else:
            notices.tell_committee(
                ticket,
                "ticket_overdue",
                "工单已超时",
                f"工单 #{ticket.id} {late}，尚无处理单位接手，请尽快派单",
            )
    elif level == 2:
        notices.tell_committee(
            ticket,
            "ticket_escalated",
            "超时工单升级至社区",
            f"工单 #{ticket.id} {late}，请督促处理单位办理",
        )
    else:
        notices.tell_street(
            ticket,
            community,
            "ticket_escalated",
            "超时工单升级至街道",
            f"{community.name}工单 #{ticket.id} {late}，请督办",
        )


def _auto_close_one(ticket_id: int, now: datetime) -> bool:
    with transaction():
        ticket = _lock(ticket_id, unevaluated(now))
        if ticket is None:
            return False
        close_unevaluated(ticket, now)
        return True


def _lock(ticket_id: int, still: list) -> Ticket | None:
    """The ticket, locked, if it still qualifies; None if it moved on meanwhile or another
    scheduler holds it (SKIP LOCKED on PostgreSQL; SQLite has one writer anyway)."""
    return db.session.scalar(
        sa.select(Ticket)
        .where(Ticket.id == ticket_id, *still)
        .with_for_update(skip_locked=True)
        # The session keeps objects across the job's transactions: read the row as it is now.
        .execution_options(populate_existing=True)
    )


def _guarded(what: str, ticket_id: int, step, *args) -> bool:
    try:
        return step(*args)
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        # The database is gone or locked: every other ticket would fail too; the next run retries.
        raise
    except Exception as error:
        # Where it failed, not what it said: an exception's text may quote personal data.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("ticket %s: %s failed: %s\n%s", ticket_id, what, type(error).__name__, frames)
        return False


# ---------------------------------------------------------------- reading in batches


def _walk(order, where: list, *columns) -> Iterator[sa.Row]:
    """(id, `order`, *`columns`) of the tickets matching `where`, BATCH_SIZE per query, in
    (`order`, id) order. Each query starts after the last row of the one before: a ticket that
    moved on meanwhile is not read twice, and the (status, due) indexes serve every query."""
    after = None
    while True:
        query = (
            sa.select(Ticket.id, order, *columns)
            .where(*where)
            .order_by(order, Ticket.id)
            .limit(BATCH_SIZE)
        )
        if after is not None:
            query = query.where(sa.tuple_(order, Ticket.id) > after)
        rows = db.session.execute(query).all()
        yield from rows
        if len(rows) < BATCH_SIZE:
            return
        after = (rows[-1][1], rows[-1][0])


def _duration(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f" {days} 天 {hours} 小时"
    if hours:
        return f" {hours} 小时 {minutes} 分钟"
    return f" {minutes} 分钟"
