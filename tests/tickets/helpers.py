"""Small helpers shared by the tickets behaviour tests: URLs, a photo upload, a ticket filed and
moved through HTTP."""

from __future__ import annotations

import io

from tests.core.test_storage import PNG
from tests.helpers import assert_ok, url


def turl(community_id: int, *parts) -> str:
    return url(community_id, "tickets", *parts)


def photo(client, headers: dict, community_id: int) -> str:
    """Upload a small PNG as that user; its key."""
    response = client.post(
        url(community_id, "photos"),
        data={"file": (io.BytesIO(PNG), "p.png", "image/png")},
        content_type="multipart/form-data",
        headers=headers,
    )
    return assert_ok(response, 201)["key"]


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
