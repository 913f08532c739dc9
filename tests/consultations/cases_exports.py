"""Who may download a vote's result and ballot list (collected by
tests/consultations/route_cases.py): the committee, the street and the system admin. One rule
serves the four files; the walk fetches the ballot list as CSV of a closed owners' decision."""

from __future__ import annotations

from tests.permission_table import COMMITTEE_OR_STREET, Case

EXPORT = (
    "/api/v1/communities/<int:community_id>/consultations/<int:consultation_id>"
    "/exports/<any(result,ballots):part>.<any(csv,xlsx):file_format>"
)


def _closed_vote(world) -> dict:
    """A closed owners' decision of community a, tallied as the close tallies it."""
    from backend.consultations.services.results import compute
    from backend.core.db import db
    from tests.consultations.factories import consultation

    row = consultation(world.a, world.committee, status="closed", method="owners_decision")
    row.result = compute(row, final=True)
    db.session.commit()
    return {"consultation_id": row.id, "part": "ballots", "file_format": "csv"}


CASES = {
    ("GET", EXPORT): Case(COMMITTEE_OR_STREET, params=_closed_vote),
}
