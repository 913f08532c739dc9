"""The Open311 endpoints in the route permission table (collected by
tests/tickets/route_cases.py). They take no bearer token, so every caller, signed in or not, gets
the same answer: reading is public (public tickets only), filing is decided by the `api_key` in
the form, which each case sends.

The table's cases carry no query string, so the Open311 arguments ride on the `format` URL value
(`json?jurisdiction_id=A`), which fill_url puts at the end of the path.
"""

from __future__ import annotations

from urllib.parse import urlencode

from tests.permission_table import PUBLIC, SYSTEM, Case

V2 = "/open311/v2"
FORMAT = "<any(json, xml):format>"
# The secret of the key the filing case issues (only its hash is stored).
SECRET = "walk-the-routes-key"
JURISDICTION = "A"  # the code of the world's community a (tests/factories.py)


def _query(world, **values) -> dict:
    return {"format": f"json?{urlencode({'jurisdiction_id': JURISDICTION})}", **values}


def _key(world) -> dict:
    from tests.tickets.test_open311 import issue_key

    issue_key(world, world.street_a, secret=SECRET)
    return {"format": "json"}


def _filing() -> dict:
    # multipart here (the table's way of sending a form); clients send x-www-form-urlencoded
    return {
        "api_key": SECRET,
        "jurisdiction_id": JURISDICTION,
        "service_code": "lighting",
        "description": "3号路灯不亮",
        "address_string": "北门口",
    }


def _public_ticket(world) -> dict:
    from tests.tickets.test_open311 import ticket

    return _query(world, request_id=ticket(world).id)


CASES = {
    ("GET", f"{V2}/services.{FORMAT}"): Case(PUBLIC, params=_query, scope=SYSTEM),
    ("GET", f"{V2}/services/<string:service_code>.{FORMAT}"): Case(
        PUBLIC, params=lambda w: _query(w, service_code="lighting"), scope=SYSTEM
    ),
    ("GET", f"{V2}/requests.{FORMAT}"): Case(PUBLIC, params=_query, scope=SYSTEM),
    ("POST", f"{V2}/requests.{FORMAT}"): Case(
        PUBLIC, status=201, params=_key, files=_filing, scope=SYSTEM
    ),
    ("GET", f"{V2}/requests/<int:request_id>.{FORMAT}"): Case(
        PUBLIC, params=_public_ticket, scope=SYSTEM
    ),
}
