"""Small helpers shared by the tickets behaviour tests: URLs, a ticket filed and moved through
HTTP (`photo`, the upload, is every domain's: tests/helpers.py)."""

from __future__ import annotations

from tests.helpers import assert_ok, photo, url


def turl(community_id: int, *parts) -> str:
    return url(community_id, "tickets", *parts)


def report(client, headers: dict, community_id: int, **fields):
    body = {"category": "lighting", "description": "3号路灯不亮了", **fields}
    return client.post(turl(community_id), json=body, headers=headers)


def move(client, headers: dict, community_id: int, ticket_id: int, path: str, **body):
    return client.post(turl(community_id, ticket_id, path), json=body, headers=headers)


def resolved_ticket(client, world, auth, **fields) -> int:
    """A ticket of the world's resident, dispatched to the property company and resolved."""
    resident, committee, staff = (auth(world.resident), auth(world.committee),
                                  auth(world.property_staff))
    ticket = assert_ok(report(client, resident, world.a, building_id=world.building, **fields),
                       201)["id"]
    assert_ok(move(client, committee, world.a, ticket, "accept",
                   organisation_id=world.property_company))
    assert_ok(move(client, staff, world.a, ticket, "sign"))
    assert_ok(move(client, staff, world.a, ticket, "resolve", reply="已更换灯泡",
                   after_photos=[photo(client, staff, world.a)]))
    return ticket
