"""Who may call the routes of filing, reading and moving tickets (collected by
tests/tickets/route_cases.py).

Each case's params make the ticket its route acts on, in the state the route expects: reported
by the world's resident in building 1 (inside the grid worker's grid), public, and, once
dispatched, assigned to the world's property company. So every role that may act gets a real
success, and the others are refused by the policy (403) before the ticket is looked at; whether
a ticket a role may not see answers 404 is tested in tests/tickets/test_permissions.py.
"""

from __future__ import annotations

from datetime import timedelta

from tests.permission_table import MANAGERS, MEMBERS, OVERSEERS, Case

COMMUNITY = "/api/v1/communities/<int:community_id>"
LIST = f"{COMMUNITY}/tickets"
ONE = f"{LIST}/<int:ticket_id>"
CATEGORIES = f"{COMMUNITY}/ticket-categories"

# ticket.view: every member of the community but the professional (the auditor is no member).
READERS = MEMBERS - {"professional"}
# ticket.report and ticket.evaluate: residents and grid workers (evaluating: the reporter only).
REPORTERS = frozenset({"resident", "grid_worker"})
RESIDENT = frozenset({"resident"})
HANDLER = frozenset({"property_staff"})


def ticket(status: str, *, by: str = "resident", **fields):
    """A params function: a lighting ticket of community a in `status`, committed. From
    "accepted" on its clocks run; from "assigned" on it is the property company's."""

    def make(world) -> dict:
        import sqlalchemy as sa

        from backend.core.db import db, utcnow
        from backend.tickets.models import Ticket, TicketCategory, TicketEvent

        category = db.session.scalar(
            sa.select(TicketCategory).where(TicketCategory.code == "lighting")
        )
        now = utcnow()
        values = {
            "community_id": world.a,
            "category_id": category.id,
            "status": status,
            "description": "1号楼门口路灯不亮",
            "building_id": world.building,
            "grid_id": world.grid,
            "deadline_class": category.deadline_class,
            "reporter_id": world.user_id(by),
            "channel": "grid_worker" if by == "grid_worker" else "resident",
            "public": True,
            "photos": [],
            "after_photos": [],
        }
        if status != "submitted":
            values.update(
                dispatched_at=now - timedelta(hours=1),
                response_due_at=now + timedelta(days=1),
                resolution_due_at=now + timedelta(days=7),
            )
        if status in ("assigned", "signed", "in_progress", "resolved", "closed"):
            values["handler_organisation_id"] = world.property_company
        if status in ("signed", "in_progress", "resolved", "closed"):
            values["responded_at"] = now - timedelta(minutes=30)
        if status in ("resolved", "closed"):
            values.update(reply="已更换灯泡", resolved_at=now - timedelta(minutes=5))
        values.update(fields)
        row = Ticket(**values)
        db.session.add(row)
        db.session.flush()
        db.session.add(
            TicketEvent(
                ticket_id=row.id,
                kind="submitted",
                actor_id=row.reporter_id,
                actor_role="reporter",
                to_status="submitted",
                note=row.description,
            )
        )
        db.session.commit()
        return {"ticket_id": row.id}

    return make


def with_pending_extension(world) -> dict:
    from backend.core.db import utcnow

    return ticket(
        "in_progress",
        extension_status="pending",
        extension_until=utcnow() + timedelta(days=30),
        extension_reason="需要采购配件",
    )(world)


def staff_photo(world) -> str:
    """A photo the property staff uploaded in community a, not yet attached: its key."""
    from tests.core.storage.route_cases import stored_photo

    return stored_photo(world, world.property_staff)


def _report(world) -> dict:
    return {"category": "lighting", "description": "2号路灯不亮", "building_id": world.building}


def _duplicates_query(world) -> dict:
    return {"category": "lighting", "building_id": world.building}


def _assign_to_company(world) -> dict:
    return {"organisation_id": world.property_company}


CASES = {
    ("GET", LIST): Case(READERS, params=ticket("assigned")),
    ("POST", LIST): Case(REPORTERS, status=201, body=_report),
    ("GET", f"{LIST}/duplicates"): Case(
        REPORTERS, params=ticket("submitted"), extra={"query": _duplicates_query}
    ),
    ("GET", ONE): Case(READERS, params=ticket("assigned")),
    ("GET", f"{ONE}/timeline"): Case(READERS, params=ticket("assigned")),
    # The grid worker's ticket: the resident's support is a real change.
    ("POST", f"{ONE}/support"): Case(RESIDENT, params=ticket("submitted", by="grid_worker")),
    ("GET", CATEGORIES): Case(READERS),
    ("PATCH", f"{CATEGORIES}/<string:code>"): Case(
        OVERSEERS, body={"response_amount": 4, "response_unit": "hours"}
    ),
    # dispatching: the committee (and the system admin)
    ("POST", f"{ONE}/accept"): Case(MANAGERS, body=_assign_to_company, params=ticket("submitted")),
    ("POST", f"{ONE}/assign"): Case(MANAGERS, body=_assign_to_company, params=ticket("accepted")),
    ("POST", f"{ONE}/reject"): Case(
        MANAGERS, body={"reason": "invalid", "note": "不属于本社区"}, params=ticket("submitted")
    ),
    ("POST", f"{ONE}/extension/decision"): Case(
        MANAGERS, body={"decision": "approve"}, params=with_pending_extension
    ),
    # handling: staff of the company it is assigned to
    ("POST", f"{ONE}/return"): Case(
        HANDLER, body={"reason": "属于供电公司管辖"}, params=ticket("assigned")
    ),
    ("POST", f"{ONE}/sign"): Case(
        HANDLER, body={"note": "已联系报告人"}, params=ticket("assigned")
    ),
    ("POST", f"{ONE}/start"): Case(HANDLER, params=ticket("signed")),
    ("POST", f"{ONE}/resolve"): Case(
        HANDLER,
        body=lambda w: {"reply": "已更换灯泡", "after_photos": [staff_photo(w)]},
        params=ticket("in_progress"),
    ),
    ("POST", f"{ONE}/extension"): Case(
        HANDLER,
        body={"until": "2099-01-01T00:00:00+08:00", "reason": "需要采购配件"},
        params=ticket("signed"),
    ),
    # evaluating: the reporter only (the grid worker sees the ticket, but did not report it: 403)
    ("POST", f"{ONE}/confirm"): Case(
        RESIDENT, body={"rating": 5, "fixed": True}, params=ticket("resolved")
    ),
    ("POST", f"{ONE}/reopen"): Case(
        RESIDENT, body={"reason": "灯又不亮了"}, params=ticket("resolved")
    ),
}
