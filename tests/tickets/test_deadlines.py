"""The scheduler's work on tickets (backend/tickets/services/deadlines.py): the escalation ladder
of each clock, and closing tickets nobody evaluated. Times are passed in, never slept for.

The tickets here run on hour clocks from T0: response due after 2 h (grace 1 h), resolution due
after 24 h (grace 12 h).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.accounts.models import Membership
from backend.core.audit.models import AuditEntry
from backend.core.db import db
from backend.core.notifications.models import Notification
from backend.core.scheduler import collect_jobs
from backend.tickets.models import Ticket, TicketCategory, TicketEvent, TicketSupport
from backend.tickets.services import deadlines, notices
from backend.tickets.services.deadlines import (
    auto_close_unevaluated,
    escalate_overdue,
    grace,
    level_due,
)
from tests import factories

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
RESPONSE, RESOLUTION = timedelta(hours=2), timedelta(hours=24)
SECOND = timedelta(seconds=1)
NOTHING = {"response": 0, "resolution": 0}
# clock -> (a ticket whose only running clock is this one, its deadline, its grace)
LADDERS = {
    "response": ({"status": "assigned"}, T0 + RESPONSE, timedelta(hours=1)),
    "resolution": (
        {"status": "in_progress", "responded_at": T0 + timedelta(minutes=30)},
        T0 + RESOLUTION,
        timedelta(hours=12),
    ),
}


def new_ticket(world, **fields) -> Ticket:
    """A ticket of community A dispatched at T0 to its property company; `fields` override."""
    category = db.session.scalar(sa.select(TicketCategory).where(TicketCategory.code == "lighting"))
    values = {
        "community_id": world.a,
        "category_id": category.id,
        "status": "assigned",
        "description": "1号楼楼道灯不亮",
        "building_id": world.building,
        "deadline_class": category.deadline_class,
        "reporter_id": world.resident,
        "handler_organisation_id": world.property_company,
        "dispatched_at": T0,
        "response_due_at": T0 + RESPONSE,
        "resolution_due_at": T0 + RESOLUTION,
    }
    values.update(fields)
    ticket = Ticket(**values)
    db.session.add(ticket)
    db.session.flush()
    return ticket


def run(app, job, now):
    with app.app_context():
        return job(now)


def escalate(app, now) -> dict:
    return run(app, escalate_overdue, now)


def ticket_row(app, ticket_id) -> Ticket:
    with app.app_context():
        return db.session.get(Ticket, ticket_id)


def notified(app, *kinds) -> list[tuple[str, int]]:
    """(kind, user) of every notification of these kinds, in the order they were written."""
    with app.app_context():
        query = sa.select(Notification.kind, Notification.user_id).order_by(Notification.id)
        if kinds:
            query = query.where(Notification.kind.in_(kinds))
        return [tuple(row) for row in db.session.execute(query)]


def timeline(app, ticket_id, kind="escalated") -> list[TicketEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
                .order_by(TicketEvent.id)
            )
        )


def audited(app, action) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


@pytest.fixture
def other_street_admin(world, make) -> int:
    """A street official of community B's street, who must never hear of A's tickets."""

    def setup():
        official = factories.user("street_admin_b")
        factories.grant(official, "street_admin", region_id=world.street_b)
        return official.id

    return make(setup)


# ---------------------------------------------------------------- the grace


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (timedelta(hours=1), timedelta(hours=1)),  # urgent response: half is 30 min, at least 1 h
        (timedelta(hours=2), timedelta(hours=1)),
        (timedelta(hours=24), timedelta(hours=12)),
        (timedelta(days=6), timedelta(days=3)),
        (timedelta(days=15), timedelta(days=3)),  # at most 3 days
    ],
)
def test_the_grace_is_half_the_deadline_between_an_hour_and_three_days(length, expected):
    assert grace(T0, T0 + length) == expected


def test_without_a_start_the_grace_is_an_hour():
    assert grace(None, T0) == timedelta(hours=1)


def test_levels_start_strictly_after_each_threshold():
    due, step = T0 + RESPONSE, timedelta(hours=1)
    assert [
        level_due(T0, due, now)
        for now in (
            due,
            due + SECOND,
            due + step,
            due + step + SECOND,
            due + 2 * step,
            due + 2 * step + SECOND,
            due + timedelta(days=30),
        )
    ] == [0, 1, 1, 2, 2, 3, 3]


# ---------------------------------------------------------------- the ladder


@pytest.mark.parametrize("clock", list(LADDERS))
def test_each_clock_climbs_handler_committee_street_at_its_exact_boundaries(
    app, world, make, other_street_admin, clock
):
    fields, due, step = LADDERS[clock]
    ticket_id = make(lambda: new_ticket(world, **fields).id)
    climbed = {**NOTHING, clock: 1}

    assert escalate(app, due - SECOND) == NOTHING
    assert escalate(app, due) == NOTHING  # the deadline itself is still in time
    assert notified(app) == []

    assert escalate(app, due + SECOND) == climbed
    assert notified(app) == [("ticket_overdue", world.property_staff)]
    assert escalate(app, due + step) == NOTHING

    assert escalate(app, due + step + SECOND) == climbed
    # Community A's committee, not B's (the `outsider`).
    assert notified(app)[1:] == [("ticket_escalated", world.committee)]
    assert escalate(app, due + 2 * step) == NOTHING

    assert escalate(app, due + 2 * step + SECOND) == climbed
    # A's street, not B's.
    assert notified(app)[2:] == [("ticket_escalated", world.street_admin)]
    assert other_street_admin not in {user for _, user in notified(app)}

    assert escalate(app, due + 3 * step) == NOTHING  # the top of the ladder
    row = ticket_row(app, ticket_id)
    assert getattr(row, f"{clock}_escalation") == 3
    assert getattr(row, f"{'resolution' if clock == 'response' else 'response'}_escalation") == 0
    events = timeline(app, ticket_id)
    assert [(e.data["clock"], e.data["level"]) for e in events] == [
        (clock, 1),
        (clock, 2),
        (clock, 3),
    ]
    assert [e.data["overdue_minutes"] for e in events] == [
        0,
        step // timedelta(minutes=1),
        2 * step // timedelta(minutes=1),
    ]
    assert {(e.actor_id, e.actor_role, e.from_status, e.to_status) for e in events} == {
        (None, "system", fields["status"], fields["status"])
    }
    assert [e.created_at for e in events] == [
        due + SECOND,
        due + step + SECOND,
        due + 2 * step + SECOND,
    ]
    entries = audited(app, "ticket.escalate")
    assert [(e.details["clock"], e.details["level"]) for e in entries] == [
        (clock, 1),
        (clock, 2),
        (clock, 3),
    ]
    assert {(e.actor_user_id, e.actor_role, e.target_id) for e in entries} == {
        (None, "scheduler", str(ticket_id))
    }


@pytest.mark.parametrize("status", ["accepted", "returned"])
def test_without_a_handler_the_first_warning_goes_to_the_committee(app, world, make, status):
    make(lambda: new_ticket(world, status=status, handler_organisation_id=None).id)
    assert escalate(app, T0 + RESPONSE + SECOND) == {"response": 1, "resolution": 0}
    assert notified(app) == [("ticket_overdue", world.committee)]


def test_a_handler_without_staff_the_first_warning_goes_to_the_committee(app, world, make):
    def setup():
        db.session.execute(
            sa.update(Membership)
            .where(Membership.user_id == world.property_staff)
            .values(status="revoked")
        )
        return new_ticket(world).id

    make(setup)
    assert escalate(app, T0 + RESPONSE + SECOND)["response"] == 1
    assert notified(app) == [("ticket_overdue", world.committee)]


def test_both_clocks_climb_each_their_own_ladder(app, world, make):
    ticket_id = make(lambda: new_ticket(world).id)
    # Unsigned a day after dispatch: response level 3, resolution just past its deadline.
    assert escalate(app, T0 + RESOLUTION + SECOND) == {"response": 1, "resolution": 1}
    row = ticket_row(app, ticket_id)
    assert (row.response_escalation, row.resolution_escalation) == (3, 1)


def test_a_responded_ticket_never_escalates_on_the_response_clock(app, world, make):
    def setup():
        signed = new_ticket(world, status="signed", responded_at=T0 + timedelta(hours=3))
        # Signed late, then handed back: the response was made, only resolution runs.
        returned = new_ticket(
            world,
            status="returned",
            handler_organisation_id=None,
            responded_at=T0 + timedelta(minutes=10),
        )
        return signed.id, returned.id

    ids = make(setup)
    assert escalate(app, T0 + RESOLUTION) == NOTHING
    assert escalate(app, T0 + RESOLUTION + SECOND) == {"response": 0, "resolution": 2}
    assert [e.data["clock"] for ticket_id in ids for e in timeline(app, ticket_id)] == [
        "resolution",
        "resolution",
    ]


@pytest.mark.parametrize("status", ["submitted", "resolved", "closed", "rejected"])
def test_tickets_not_running_never_escalate(app, world, make, status):
    make(lambda: new_ticket(world, status=status, resolved_at=T0 + timedelta(hours=1)).id)
    assert escalate(app, T0 + timedelta(days=60)) == NOTHING
    assert notified(app) == []


def test_an_approved_extension_starts_a_new_ladder_after_the_new_deadline(app, world, make):
    fields, due, step = LADDERS["resolution"]
    ticket_id = make(lambda: new_ticket(world, **fields).id)
    assert escalate(app, due + step + SECOND)["resolution"] == 1  # handler, then committee

    extended = due + timedelta(days=2)

    def approve():
        # What decide_extension does on approval.
        ticket = db.session.get(Ticket, ticket_id)
        ticket.extension_status = "approved"
        ticket.resolution_due_at = extended
        ticket.resolution_escalation = 0

    make(approve)
    assert escalate(app, extended) == NOTHING
    assert ticket_row(app, ticket_id).resolution_escalation == 0
    assert escalate(app, extended + SECOND)["resolution"] == 1
    assert ticket_row(app, ticket_id).resolution_escalation == 1
    assert notified(app)[2:] == [("ticket_overdue", world.property_staff)]
    # Dispatch to the new deadline is 3 days: the grace is now 36 hours.
    new_grace = grace(T0, extended)
    assert new_grace == timedelta(hours=36)
    assert escalate(app, extended + new_grace) == NOTHING
    assert escalate(app, extended + new_grace + SECOND)["resolution"] == 1
    assert [e.data["level"] for e in timeline(app, ticket_id)] == [1, 2, 1, 2]


def test_running_twice_does_not_repeat_a_step(app, world, make):
    ticket_id = make(lambda: new_ticket(world).id)
    now = T0 + RESPONSE + timedelta(minutes=7)
    assert escalate(app, now) == {"response": 1, "resolution": 0}
    assert escalate(app, now) == NOTHING
    assert escalate(app, now + timedelta(minutes=5)) == NOTHING
    assert len(timeline(app, ticket_id)) == 1
    assert len(notified(app)) == 1
    assert len(audited(app, "ticket.escalate")) == 1


def test_a_late_run_takes_every_step_the_time_calls_for(app, world, make, other_street_admin):
    fields, due, step = LADDERS["resolution"]
    ticket_id = make(lambda: new_ticket(world, **fields).id)
    # The scheduler was down for two days: one run, three steps.
    now = due + timedelta(days=2)
    assert escalate(app, now) == {"response": 0, "resolution": 1}
    assert ticket_row(app, ticket_id).resolution_escalation == 3
    events = timeline(app, ticket_id)
    assert [e.data["level"] for e in events] == [1, 2, 3]
    assert {e.data["overdue_minutes"] for e in events} == {2 * 24 * 60}
    assert {e.created_at for e in events} == {now}
    assert notified(app) == [
        ("ticket_overdue", world.property_staff),
        ("ticket_escalated", world.committee),
        ("ticket_escalated", world.street_admin),
    ]
    assert [e.details["level"] for e in audited(app, "ticket.escalate")] == [1, 2, 3]
    # From level 1 straight to 3 as well.
    assert escalate(app, now) == NOTHING


def test_a_partly_climbed_ticket_continues_from_its_level(app, world, make):
    fields, due, step = LADDERS["response"]
    ticket_id = make(lambda: new_ticket(world, **fields).id)
    assert escalate(app, due + SECOND)["response"] == 1
    assert escalate(app, due + 3 * step) == {"response": 1, "resolution": 0}
    assert [e.data["level"] for e in timeline(app, ticket_id)] == [1, 2, 3]
    assert [kind for kind, _ in notified(app)] == [
        "ticket_overdue",
        "ticket_escalated",
        "ticket_escalated",
    ]


def test_many_tickets_are_read_in_batches(app, world, make, monkeypatch):
    monkeypatch.setattr(deadlines, "BATCH_SIZE", 3)

    def setup():
        # Several share a deadline: the batches continue by (deadline, id).
        return [
            new_ticket(world, response_due_at=T0 + RESPONSE + timedelta(minutes=i // 2)).id
            for i in range(8)
        ]

    ids = make(setup)
    assert escalate(app, T0 + RESPONSE + timedelta(minutes=10)) == {"response": 8, "resolution": 0}
    assert {ticket_row(app, i).response_escalation for i in ids} == {1}
    assert escalate(app, T0 + RESPONSE + timedelta(minutes=10)) == NOTHING


def test_one_broken_ticket_does_not_stop_the_others(app, world, make, monkeypatch, caplog):
    broken, fine = make(lambda: (new_ticket(world).id, new_ticket(world).id))
    tell_handler = notices.tell_handler

    def fails_for_one(ticket, *args):
        if ticket.id == broken:
            raise RuntimeError("13800000000 unreachable")
        tell_handler(ticket, *args)

    monkeypatch.setattr(notices, "tell_handler", fails_for_one)
    now = T0 + RESPONSE + SECOND
    with caplog.at_level(logging.ERROR, logger=deadlines.__name__):
        assert escalate(app, now) == {"response": 1, "resolution": 0}
    assert f"ticket {broken}: response escalation failed: RuntimeError" in caplog.text
    assert "13800000000" not in caplog.text  # the message may hold personal data
    # The broken one is left as it was, whole: no level, no timeline, no audit.
    assert ticket_row(app, broken).response_escalation == 0
    assert timeline(app, broken) == []
    assert ticket_row(app, fine).response_escalation == 1
    assert [e.target_id for e in audited(app, "ticket.escalate")] == [str(fine)]

    monkeypatch.setattr(notices, "tell_handler", tell_handler)
    assert escalate(app, now) == {"response": 1, "resolution": 0}
    assert ticket_row(app, broken).response_escalation == 1


# ---------------------------------------------------------------- closing unevaluated tickets


def resolved_ticket(world, **fields) -> Ticket:
    values = {
        "status": "resolved",
        "responded_at": T0 + timedelta(minutes=30),
        "resolved_at": T0,
        "reply": "已更换灯泡",
    }
    return new_ticket(world, **{**values, **fields})


def test_a_resolved_ticket_closes_unevaluated_after_exactly_seven_days(app, world, make):
    def setup():
        ticket = resolved_ticket(world)
        db.session.add(TicketSupport(ticket_id=ticket.id, user_id=world.claimant))
        recent = resolved_ticket(world, resolved_at=T0 + timedelta(hours=1))
        return ticket.id, recent.id

    ticket_id, recent = make(setup)
    week = T0 + timedelta(days=7)
    assert run(app, auto_close_unevaluated, week - SECOND) == 0
    assert run(app, auto_close_unevaluated, week) == 0  # the reporter's last moment
    assert ticket_row(app, ticket_id).status == "resolved"

    now = week + SECOND
    assert run(app, auto_close_unevaluated, now) == 1
    row = ticket_row(app, ticket_id)
    assert (row.status, row.evaluation, row.closed_at) == ("closed", "not_evaluated", now)
    # Not evaluated is not satisfied, nor fixed.
    assert (row.rating, row.fixed) == (None, None)
    assert ticket_row(app, recent).status == "resolved"
    [event] = timeline(app, ticket_id, "auto_closed")
    assert (event.actor_id, event.actor_role, event.from_status, event.to_status) == (
        None,
        "system",
        "resolved",
        "closed",
    )
    assert event.created_at == now
    assert notified(app) == [
        ("ticket_auto_closed", world.resident),
        ("ticket_auto_closed", world.claimant),  # who joined the ticket hears too
        ("ticket_auto_closed", world.property_staff),
    ]
    [entry] = audited(app, "ticket.auto_close")
    assert (entry.actor_user_id, entry.actor_role, entry.target_id) == (
        None,
        "scheduler",
        str(ticket_id),
    )
    assert entry.details["evaluation"] == "not_evaluated"

    assert run(app, auto_close_unevaluated, now) == 0
    assert len(timeline(app, ticket_id, "auto_closed")) == 1


@pytest.mark.parametrize("status", ["in_progress", "closed", "rejected"])
def test_only_resolved_tickets_close_by_themselves(app, world, make, status):
    ticket_id = make(lambda: resolved_ticket(world, status=status).id)
    assert run(app, auto_close_unevaluated, T0 + timedelta(days=30)) == 0
    assert ticket_row(app, ticket_id).evaluation is None


def test_closing_goes_on_past_a_broken_ticket(app, world, make, monkeypatch, caplog):
    broken, fine = make(lambda: (resolved_ticket(world).id, resolved_ticket(world).id))
    tell_reporter = notices.tell_reporter

    def fails_for_one(ticket, *args):
        if ticket.id == broken:
            raise RuntimeError("boom")
        tell_reporter(ticket, *args)

    monkeypatch.setattr(notices, "tell_reporter", fails_for_one)
    with caplog.at_level(logging.ERROR, logger=deadlines.__name__):
        assert run(app, auto_close_unevaluated, T0 + timedelta(days=8)) == 1
    assert f"ticket {broken}: auto-close failed: RuntimeError" in caplog.text
    assert (ticket_row(app, broken).status, ticket_row(app, fine).status) == ("resolved", "closed")
    assert timeline(app, broken, "auto_closed") == []


# ---------------------------------------------------------------- locking and registration


def test_a_ticket_another_scheduler_holds_is_skipped(app, world, make):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks: PostgreSQL only (SQLite has one writer at a time)")
    held, free = make(lambda: (new_ticket(world).id, new_ticket(world).id))
    now = T0 + RESPONSE + SECOND
    with app.app_context():
        other = db.engine.connect()
        try:
            transaction = other.begin()
            other.execute(sa.select(Ticket.id).where(Ticket.id == held).with_for_update())
            assert escalate_overdue(now) == {"response": 1, "resolution": 0}
            transaction.rollback()
        finally:
            other.close()
    assert ticket_row(app, held).response_escalation == 0
    assert ticket_row(app, free).response_escalation == 1
    # Released: the next run takes it.
    assert escalate(app, now) == {"response": 1, "resolution": 0}


def test_the_jobs_are_registered_with_the_scheduler():
    jobs = {job.name: job for job in collect_jobs()}
    assert jobs["tickets.escalate_overdue"].run is escalate_overdue
    assert jobs["tickets.escalate_overdue"].every == {"minutes": 5}
    assert jobs["tickets.auto_close"].run is auto_close_unevaluated
    assert jobs["tickets.auto_close"].every == {"hours": 1}
