"""Who manages the Open311 api keys of a region (collected by tests/tickets/route_cases.py):
street admins of that street (or above) and system admins; to everyone else the region's keys
do not exist (404), as for the street's dashboard."""

from __future__ import annotations

from tests.permission_table import REGION, REGION_ADMINS, Case

KEYS = "/api/v1/regions/<int:region_id>/open311-keys"


def _street_a(world) -> dict:
    return {"region_id": world.street_a}


def _issued_key(world) -> dict:
    from tests.tickets.test_open311 import issue_key

    _secret, key_id = issue_key(world, world.street_a)
    return {"region_id": world.street_a, "key_id": key_id}


CASES = {
    ("GET", KEYS): Case(REGION_ADMINS, params=_street_a, scope=REGION, denied=404),
    ("POST", KEYS): Case(
        REGION_ADMINS,
        status=201,
        params=_street_a,
        body=lambda w: {"organisation_id": w.property_company, "label": "区 12345 热线"},
        scope=REGION,
        denied=404,
    ),
    ("POST", f"{KEYS}/<int:key_id>/revoke"): Case(
        REGION_ADMINS, params=_issued_key, scope=REGION, denied=404
    ),
}
