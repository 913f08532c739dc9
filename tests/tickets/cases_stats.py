"""Who may read the ticket figures (collected by tests/tickets/route_cases.py): a community's
for its committee, the street, the system admin and the property staff serving it (their own
organisation's figures); a street's dashboard for the admins of that street only, everyone else
answered 404 as if the region did not exist."""

from __future__ import annotations

from tests.permission_table import COMMITTEE_OR_STREET, REGION, REGION_ADMINS, Case

COMMUNITY_STATS = "/api/v1/communities/<int:community_id>/ticket-stats"
REGION_STATS = "/api/v1/regions/<int:region_id>/ticket-stats"


def _street_a(world) -> dict:
    return {"region_id": world.street_a}


CASES = {
    ("GET", COMMUNITY_STATS): Case(COMMITTEE_OR_STREET | {"property_staff"}),
    ("GET", REGION_STATS): Case(
        REGION_ADMINS,
        params=_street_a,
        scope=REGION,
        denied=404,
    ),
}
