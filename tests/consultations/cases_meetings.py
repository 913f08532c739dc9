"""Who may call the joint meetings routes (collected by tests/consultations/route_cases.py)."""

from __future__ import annotations

from datetime import date

from tests.permission_table import MANAGERS, ROLES, Case

MEETINGS = "/api/v1/communities/<int:community_id>/meetings"
MEETING = f"{MEETINGS}/<int:meeting_id>"
# Every member of the community, residents included; the auditor reads the audit log only.
MEMBERS = frozenset(ROLES) - {"auditor"}


def _meeting(world) -> dict:
    """A meeting of community a, recorded by its committee."""
    from backend.consultations.models import JointMeeting
    from backend.core.db import db

    row = JointMeeting(
        community_id=world.a,
        held_on=date(2024, 5, 1),
        topic="加装电梯协调会",
        attendees_count=15,
        recorded_by_id=world.committee,
    )
    db.session.add(row)
    db.session.commit()
    return {"meeting_id": row.id}


CASES = {
    ("GET", MEETINGS): Case(MEMBERS, params=_meeting),
    ("POST", MEETINGS): Case(
        MANAGERS,
        status=201,
        body={"held_on": "2024-05-01", "topic": "停车位改造议事会", "attendees_count": 20},
    ),
    ("GET", MEETING): Case(MEMBERS, params=_meeting),
    ("PATCH", MEETING): Case(MANAGERS, body={"attendees_count": 18}, params=_meeting),
    ("DELETE", MEETING): Case(MANAGERS, status=204, params=_meeting),
}
