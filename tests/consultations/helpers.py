"""Small helpers of the consultation tests: URLs, the people and homes of a vote, ballots."""

from __future__ import annotations

import sqlalchemy as sa

from backend.communities.models import Unit
from backend.consultations.models import Ballot, Consultation
from backend.core.db import db
from backend.core.notifications.models import Notification
from tests import factories
from tests.helpers import assert_ok

API = "/api/v1"


def curl(community_id: int, consultation_id: int | None = None, *parts) -> str:
    """`curl(a, 5, "ballots")` -> /api/v1/communities/<a>/consultations/5/ballots"""
    base = f"{API}/communities/{community_id}/consultations"
    if consultation_id is None:
        return base
    return "/".join([f"{base}/{consultation_id}", *map(str, parts)])


def owner(unit_id: int, room: str, area: str, owner_ref: str | None = None, *,
          relation: str = "owner", community_id: int | None = None) -> tuple[int, int]:
    """A household in `unit_id` with a verified resident of it; returns (user id, household id).

    Call inside an app context (e.g. through `make`)."""
    unit = db.session.get(Unit, unit_id)
    home = factories.household(unit, room, area, owner_ref)
    person = factories.user(f"owner-{unit_id}-{room}-{relation}")
    factories.grant(person, "resident", community_id=community_id or unit.community_id,
                    household_id=home.id, relation=relation)
    return person.id, home.id


def notices_of(app, kind: str) -> list[int]:
    """The users told `kind` (one entry per notice), in user order."""
    with app.app_context():
        return list(db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == kind)
            .order_by(Notification.user_id)))


# ---------------------------------------------------------------- ballots


def options_of(app, consultation_id: int) -> list[int]:
    with app.app_context():
        return [o.id for o in db.session.get(Consultation, consultation_id).options]


def counted(app, consultation_id: int) -> list[Ballot]:
    with app.app_context():
        return list(db.session.scalars(
            sa.select(Ballot).where(Ballot.consultation_id == consultation_id)))


def vote(client, headers, community_id, consultation_id, **choice):
    return client.post(curl(community_id, consultation_id, "ballots"), headers=headers,
                       json=choice)


def paper(client, headers, community_id, consultation_id, household_id, **fields):
    body = {"household_id": household_id, "channel": "paper", "paper_ref": "扫描件-001"}
    body.update(fields)
    return client.post(curl(community_id, consultation_id, "paper-ballots"), headers=headers,
                       json=body)


def close(client, committee, community_id, consultation_id):
    return assert_ok(client.post(curl(community_id, consultation_id, "close"), headers=committee,
                                 json={"reason": "测试截止"}))
