"""Consultations written straight to the database, in the state a test needs.

Call inside an app context (e.g. through the `make` fixture) and commit; behaviour is then
exercised through HTTP.
"""

from __future__ import annotations

from datetime import timedelta

from backend.consultations.models import Consultation, ConsultationOption
from backend.consultations.services.electorate import snapshot_electorate
from backend.core.db import db, utcnow

DAY = timedelta(days=1)


def consultation(
    community_id: int,
    created_by_id: int,
    *,
    status: str = "collecting",
    method: str = "single",
    options: tuple[str, ...] = ("加装电梯", "改造停车位", "增设充电桩"),
    with_needs_phase: bool = True,
    **fields,
) -> Consultation:
    """A consultation of community `community_id` in `status`, with dates that fit the status.

    `voting` (and later) statuses have their electorate snapshotted, as opening voting does.
    Owners' decisions get no options. Other columns may be set through `fields`.
    """
    now = utcnow()
    if status in ("draft", "scheduled"):
        start = now + DAY
    elif status == "collecting":
        start = now - DAY
    else:
        start = now - 8 * DAY
    needs_opens_at = start if with_needs_phase else None
    needs_closes_at = start + 7 * DAY if with_needs_phase else None
    voting_opens_at = needs_closes_at or start
    values = {
        "community_id": community_id,
        "created_by_id": created_by_id,
        "title": "老旧小区改造需求征集",
        "question": "本次改造优先做哪些项目？",
        "method": method,
        "status": status,
        "needs_opens_at": needs_opens_at,
        "needs_closes_at": needs_closes_at,
        "voting_opens_at": voting_opens_at,
        "voting_closes_at": voting_opens_at + 7 * DAY,
    }
    if method == "owners_decision":
        values.update(matter=7, electorate="owners", ballot_per="household")
    elif method == "multiple":
        values.update(min_choices=1, max_choices=2)
    elif method == "points":
        values.update(points_budget=10)
    values.update(fields)
    row = Consultation(**values)
    if method != "owners_decision":
        row.options = [
            ConsultationOption(label=label, position=index) for index, label in enumerate(options)
        ]
    db.session.add(row)
    db.session.flush()
    if status in ("voting", "closed", "published"):
        row.voting_opened_at = row.voting_opens_at
        snapshot_electorate(row)
    if status in ("closed", "published"):
        row.closed_at = row.voting_closes_at
    return row


def between_phases(community_id: int, created_by_id: int, **fields) -> Consultation:
    """A consultation whose needs phase closed a minute ago and whose voting opens tomorrow: its
    status stays `collecting` until voting opens."""
    now = utcnow()
    return consultation(
        community_id,
        created_by_id,
        needs_opens_at=now - 7 * DAY,
        needs_closes_at=now - timedelta(minutes=1),
        voting_opens_at=now + DAY,
        voting_closes_at=now + 8 * DAY,
        **fields,
    )
