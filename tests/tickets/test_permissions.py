"""Who sees which ticket (services/common.py, `visible_tickets` and `shown`), role by role.

One set of tickets in community a, each reachable by a different rule, and one in community b:
every role lists exactly the tickets it may see and gets 404 `ticket_not_found` for the others
of the community, as if they did not exist.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.core.db import db
from tests.helpers import assert_error, assert_ok
from tests.tickets.helpers import turl

# ticket name -> how it is reachable
#   public:  the resident's, public, in the grid, not yet dispatched
#   private: the resident's, not public, in the grid
#   patrol:  the grid worker's, not public, in the grid
#   ours:    a neighbour's, not public, outside any grid, assigned to the world's property company
#   rivals:  a neighbour's, not public, outside any grid, assigned to another company serving a
#   b:       a ticket of community b
A_TICKETS = ("public", "private", "patrol", "ours", "rivals")
EVERY_TICKET_OF_A = frozenset(A_TICKETS)

# actor -> the tickets of community a it lists (None: the list itself is refused, with status)
VISIBLE = {
    "resident": {"public", "private"},
    "neighbour": {"public", "ours", "rivals"},
    "grid_worker": {"public", "private", "patrol"},
    "property_staff": {"ours"},
    "rival_staff": {"rivals"},
    "committee": EVERY_TICKET_OF_A,
    "street_admin": EVERY_TICKET_OF_A,
    "system_admin": EVERY_TICKET_OF_A,
}
REFUSED = {
    "professional": 403,  # a member of the community, but tickets are not theirs to read
    "auditor": 403,  # the audit log and nothing else
    "outsider": 404,  # committee of community b
    "claimant": 404,  # a resident whose claim is not yet verified
    "street_b_admin": 404,  # the admin of another street
}


@pytest.fixture
def scene(world, make):
    """The tickets, the extra users; returns (ticket ids by name, user ids by actor)."""

    def build():
        from backend.communities.models import Organisation, ServiceArea
        from tests.consultations.helpers import owner
        from tests.factories import grant, user

        rival = Organisation(code="RIVAL", name="别家物业", kind="property_company")
        db.session.add(rival)
        db.session.flush()
        db.session.add(ServiceArea(community_id=world.a, organisation_id=rival.id))
        rival_staff = user("rival_staff")
        grant(rival_staff, "property_staff", organisation_id=rival.id)
        street_b_admin = user("street_b_admin")
        grant(street_b_admin, "street_admin", region_id=world.street_b)
        neighbour, _ = owner(world.spare_unit, "201", "70.00")

        in_grid = {"building_id": world.building, "grid_id": world.grid}
        outside = {"building_id": world.empty_building, "grid_id": None}
        tickets = {
            "public": new_ticket(
                world, reporter_id=world.resident, public=True, photos=["a" * 32], **in_grid
            ),
            "private": new_ticket(world, reporter_id=world.resident, public=False, **in_grid),
            "patrol": new_ticket(
                world, reporter_id=world.grid_worker, public=False, channel="grid_worker", **in_grid
            ),
            "ours": new_ticket(
                world,
                reporter_id=neighbour,
                public=False,
                status="assigned",
                handler_organisation_id=world.property_company,
                **outside,
            ),
            "rivals": new_ticket(
                world,
                reporter_id=neighbour,
                public=False,
                status="assigned",
                handler_organisation_id=rival.id,
                **outside,
            ),
            "b": new_ticket(
                world,
                community_id=world.b,
                reporter_id=world.outsider,
                public=True,
                building_id=world.b_building,
                grid_id=world.b_grid,
            ),
        }
        users = {
            role: world.user_id(role)
            for role in (
                "resident",
                "grid_worker",
                "property_staff",
                "committee",
                "street_admin",
                "system_admin",
                "professional",
                "auditor",
                "outsider",
                "claimant",
            )
        }
        users.update(
            neighbour=neighbour, rival_staff=rival_staff.id, street_b_admin=street_b_admin.id
        )
        return tickets, users

    return make(build)


def new_ticket(world, **fields) -> int:
    """A lighting ticket of community a (unless `fields` say otherwise); its id."""
    from backend.tickets.models import Ticket, TicketCategory

    category = db.session.scalar(sa.select(TicketCategory).where(TicketCategory.code == "lighting"))
    values = {
        "community_id": world.a,
        "category_id": category.id,
        "status": "submitted",
        "description": "路灯不亮",
        "deadline_class": category.deadline_class,
        "channel": "resident",
        "photos": [],
        "after_photos": [],
        **fields,
    }
    row = Ticket(**values)
    db.session.add(row)
    db.session.flush()
    return row.id


@pytest.mark.parametrize("actor", sorted(VISIBLE))
def test_each_role_lists_and_opens_exactly_the_tickets_it_may_see(
    client, world, auth, scene, actor
):
    tickets, users = scene
    headers = auth(users[actor])
    listed = assert_ok(client.get(turl(world.a), query_string={"page_size": 100}, headers=headers))
    names = {name for name, ticket_id in tickets.items() if ticket_id in {t["id"] for t in listed}}
    assert names == VISIBLE[actor]
    for name in A_TICKETS:
        response = client.get(turl(world.a, tickets[name]), headers=headers)
        if name in VISIBLE[actor]:
            assert assert_ok(response)["id"] == tickets[name]
        else:
            assert_error(response, 404, "ticket_not_found")
    # Another community's ticket, asked for under community a's address, does not exist there.
    assert_error(client.get(turl(world.a, tickets["b"]), headers=headers), 404, "ticket_not_found")


@pytest.mark.parametrize("actor", sorted(REFUSED))
def test_roles_without_sight_of_community_as_tickets_are_refused(client, world, auth, scene, actor):
    tickets, users = scene
    headers = auth(users[actor])
    status = REFUSED[actor]
    code = "forbidden" if status == 403 else "not_found"
    assert_error(client.get(turl(world.a), headers=headers), status, code)
    assert_error(client.get(turl(world.a, tickets["public"]), headers=headers), status, code)
    assert_error(
        client.get(turl(world.a, tickets["public"], "timeline"), headers=headers), status, code
    )


def test_the_street_admin_of_street_b_sees_community_b_and_nothing_of_a(client, world, auth, scene):
    tickets, users = scene
    headers = auth(users["street_b_admin"])
    listed = assert_ok(client.get(turl(world.b), headers=headers))
    assert [t["id"] for t in listed] == [tickets["b"]]
    assert_ok(client.get(turl(world.b, tickets["b"]), headers=headers))
    for name in A_TICKETS:
        assert_error(client.get(turl(world.a, tickets[name]), headers=headers), 404, "not_found")
    # Nor by asking for a's ticket under b's address.
    assert_error(
        client.get(turl(world.b, tickets["public"]), headers=headers), 404, "ticket_not_found"
    )


def test_the_outsider_sees_their_own_communitys_ticket_only(client, world, auth, scene):
    tickets, users = scene
    headers = auth(users["outsider"])
    assert [t["id"] for t in assert_ok(client.get(turl(world.b), headers=headers))] == [
        tickets["b"]
    ]


def test_the_mine_filter_narrows_to_the_callers_own_reports(client, world, auth, scene):
    tickets, users = scene
    listed = assert_ok(
        client.get(turl(world.a), query_string={"mine": "true"}, headers=auth(users["neighbour"]))
    )
    assert {t["id"] for t in listed} == {tickets["ours"], tickets["rivals"]}
    assert all(t["mine"] for t in listed)


def test_a_returned_ticket_leaves_the_companys_sight(client, world, auth, scene, make):
    from backend.tickets.models import Ticket

    tickets, users = scene

    def hand_back():
        row = db.session.get(Ticket, tickets["ours"])
        row.status, row.handler_organisation_id = "returned", None

    make(hand_back)
    headers = auth(users["property_staff"])
    assert assert_ok(client.get(turl(world.a), headers=headers)) == []
    assert_error(
        client.get(turl(world.a, tickets["ours"]), headers=headers), 404, "ticket_not_found"
    )


# -- what a visible ticket shows: personal data only to the reporter and the staff on it


PERSONAL = {"lat", "lng", "on_behalf_name", "on_behalf_phone"}


def _second_role(kind: str):
    """Give the neighbour (a verified resident of a) one more role that has nothing to do with
    the public ticket of the scene."""

    def give(world, neighbour_id):
        from backend.accounts.models import User
        from backend.communities.models import Grid, GridWorker
        from tests.factories import grant

        person = db.session.get(User, neighbour_id)
        if kind == "professional":
            grant(person, "professional", community_id=world.a)
        elif kind == "auditor":
            person.is_auditor = True
        elif kind == "staff_of_another_company":
            # The world's company serves a; the public ticket is not assigned to anyone.
            grant(person, "property_staff", organisation_id=world.property_company)
        elif kind == "grid_worker_of_another_grid":
            grant(person, "grid_worker", community_id=world.a)
            db.session.add(
                Grid(community_id=world.a, name="第二网格", workers=[GridWorker(user_id=person.id)])
            )

    return give


@pytest.mark.parametrize(
    "kind", ["professional", "auditor", "staff_of_another_company", "grid_worker_of_another_grid"]
)
def test_a_second_unrelated_role_does_not_open_a_neighbours_personal_data(
    client, world, auth, scene, make, kind
):
    from backend.tickets.models import Ticket

    tickets, users = scene

    def enrich():
        row = db.session.get(Ticket, tickets["public"])
        row.lat, row.lng = 45.75, 126.65
        row.on_behalf_name = "王阿姨"
        _second_role(kind)(world, users["neighbour"])

    make(enrich)
    headers = auth(users["neighbour"])
    seen = assert_ok(client.get(turl(world.a, tickets["public"]), headers=headers))
    assert not PERSONAL & set(seen) and "reporter_id" not in seen
    assert seen["photos"] == []  # its photo has not passed WeChat's check
    assert_error(
        client.get(turl(world.a, tickets["public"], "timeline"), headers=headers),
        403,
        "timeline_private",
    )


def test_a_plain_neighbour_sees_the_public_ticket_without_personal_data(client, world, auth, scene):
    tickets, users = scene
    seen = assert_ok(client.get(turl(world.a, tickets["public"]), headers=auth(users["neighbour"])))
    assert not PERSONAL & set(seen) and "reporter_id" not in seen
    assert seen["photos"] == []  # its photo has not passed WeChat's check
    assert seen["mine"] is False


def test_the_staff_on_a_ticket_see_its_personal_data(client, world, auth, scene):
    tickets, users = scene
    for actor, name in (
        ("property_staff", "ours"),
        ("grid_worker", "public"),
        ("committee", "rivals"),
        ("street_admin", "private"),
    ):
        seen = assert_ok(client.get(turl(world.a, tickets[name]), headers=auth(users[actor])))
        assert {"lat", "photos", "reporter_id"} <= set(seen), actor
