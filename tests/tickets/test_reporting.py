"""Filing a ticket through HTTP: likely duplicates first, joining one, the categories and their
deadlines, automatic dispatch, what is refused (and writes nothing), the content check, photos,
urgency, retries, and anonymity."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from backend.core.db import db
from backend.core.notifications.models import Notification
from backend.tickets.models import Ticket, TicketEvent
from tests.helpers import assert_error, assert_ok, photo, url, writes_nothing
from tests.tickets.helpers import move, report, turl

# A point, with the reporter's separate consent to give it.
HERE = {"lat": "45.750000", "lng": "126.650000", "location_consent": True}


@pytest.fixture
def wechat_token(app):
    """WeChat's access token fetched beforehand: the first content check stores it, and a
    refused request's row counts should compare the tickets' writes only."""
    from backend.core.wechat import wechat_client

    with app.app_context():
        wechat_client().access_token()


@pytest.fixture
def resident(world, auth, give_openid):
    """The world's resident, signed in through the mini-program: their texts are checked and
    pass, so their tickets are public."""
    give_openid(world.resident)
    return auth(world.resident)


@pytest.fixture
def neighbour(world, make, auth, give_openid):
    """Another verified resident of community a (user id, headers)."""
    from tests.consultations.helpers import owner

    user_id, _ = make(lambda: owner(world.spare_unit, "201", "70.00"))
    give_openid(user_id)
    return user_id, auth(user_id)


def categories_url(community_id: int, code: str | None = None) -> str:
    return url(community_id, "ticket-categories", *([code] if code else []))


def configure(client, headers, community_id, code="lighting", **body):
    return client.patch(categories_url(community_id, code), json=body, headers=headers)


def filed(response) -> dict:
    return assert_ok(response, 201)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def set_status(make, ticket_id: int, status: str) -> None:
    def change():
        db.session.get(Ticket, ticket_id).status = status

    make(change)


def notified(app, kind: str) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind))
        )


# -- likely duplicates, before saving


def duplicates(client, headers, community_id, **query):
    return assert_ok(
        client.get(
            turl(community_id, "duplicates"),
            query_string={"category": "lighting", **query},
            headers=headers,
        )
    )


def test_duplicates_are_open_tickets_of_the_same_category_in_the_same_building(
    client, world, resident, neighbour, make
):
    _, neighbour_headers = neighbour
    same = filed(report(client, resident, world.a, building_id=world.building))["id"]
    filed(report(client, resident, world.a, building_id=world.building, category="noise"))
    closed = filed(report(client, resident, world.a, building_id=world.building))["id"]
    set_status(make, closed, "closed")
    rejected = filed(report(client, resident, world.a, building_id=world.building))["id"]
    set_status(make, rejected, "rejected")
    filed(report(client, resident, world.a, building_id=world.empty_building))
    private = filed(report(client, resident, world.a, building_id=world.building, private=True))[
        "id"
    ]

    shown = duplicates(client, neighbour_headers, world.a, building_id=world.building)
    assert [t["id"] for t in shown] == [same]
    # Shown to another resident as any public ticket is: without personal data.
    assert "reporter_id" not in shown[0] and "lat" not in shown[0]
    # The reporter also sees their own private one.
    mine = duplicates(client, resident, world.a, building_id=world.building)
    assert {t["id"] for t in mine} == {same, private}
    # Asked by unit: the unit's building counts.
    assert [
        t["id"] for t in duplicates(client, neighbour_headers, world.a, unit_id=world.unit)
    ] == [same]


def test_duplicates_by_point_are_those_within_150_metres(client, world, resident, neighbour):
    _, neighbour_headers = neighbour
    base = filed(report(client, resident, world.a, **HERE))["id"]
    # 0.0009° of latitude is about 100 m; 0.0027° about 300 m.
    near = filed(
        report(client, resident, world.a, lat="45.750900", lng="126.650000", location_consent=True)
    )["id"]
    filed(
        report(client, resident, world.a, lat="45.752700", lng="126.650000", location_consent=True)
    )
    # Inside the search box, but about 200 m away on its diagonal.
    filed(
        report(client, resident, world.a, lat="45.751300", lng="126.651900", location_consent=True)
    )
    shown = duplicates(client, neighbour_headers, world.a, lat="45.750000", lng="126.650000")
    assert [t["id"] for t in shown] == [base, near]  # nearest first


def test_duplicates_need_a_place_and_a_known_category(client, world, resident):
    response = client.get(
        turl(world.a, "duplicates"), query_string={"category": "lighting"}, headers=resident
    )
    assert_error(response, 422, "location_required")
    response = client.get(
        turl(world.a, "duplicates"),
        query_string={"category": "no_such", "building_id": world.building},
        headers=resident,
    )
    assert_error(response, 422, "category_unknown")
    response = client.get(
        turl(world.a, "duplicates"),
        query_string={"category": "lighting", "building_id": world.b_building},
        headers=resident,
    )
    assert_error(response, 422, "building_unknown")


# -- joining a ticket instead of filing another


def test_a_resident_supports_a_ticket_once_and_hears_of_its_progress(
    client, world, auth, app, resident, neighbour
):
    neighbour_id, neighbour_headers = neighbour
    ticket = filed(report(client, resident, world.a, building_id=world.building))["id"]

    first = assert_ok(client.post(turl(world.a, ticket, "support"), headers=neighbour_headers))
    assert first["supporters"] == 1
    again = assert_ok(client.post(turl(world.a, ticket, "support"), headers=neighbour_headers))
    assert again["supporters"] == 1
    # The reporter supporting their own ticket changes nothing.
    own = assert_ok(client.post(turl(world.a, ticket, "support"), headers=resident))
    assert own["supporters"] == 1

    timeline = assert_ok(client.get(turl(world.a, ticket, "timeline"), headers=resident))
    assert [e["kind"] for e in timeline] == ["submitted", "supported"]
    assert_ok(
        move(
            client,
            auth(world.committee),
            world.a,
            ticket,
            "accept",
            organisation_id=world.property_company,
        )
    )
    assert notified(app, "ticket_accepted") == {world.resident, neighbour_id}


def test_a_finished_ticket_cannot_be_supported(client, world, resident, neighbour, make, counts):
    _, neighbour_headers = neighbour
    ticket = filed(report(client, resident, world.a, building_id=world.building))["id"]
    for status in ("closed", "rejected"):
        set_status(make, ticket, status)
        with writes_nothing(counts):
            assert_error(
                client.post(turl(world.a, ticket, "support"), headers=neighbour_headers),
                409,
                "ticket_not_open",
            )


def test_a_ticket_the_resident_may_not_see_cannot_be_supported(
    client, world, resident, neighbour, counts
):
    _, neighbour_headers = neighbour
    private = filed(report(client, resident, world.a, building_id=world.building, private=True))[
        "id"
    ]
    with writes_nothing(counts):
        assert_error(
            client.post(turl(world.a, private, "support"), headers=neighbour_headers),
            404,
            "ticket_not_found",
        )


def test_a_ticket_is_not_rejected_as_a_duplicate_of_a_finished_one(
    client, world, auth, resident, make, counts
):
    committee = auth(world.committee)
    original = filed(report(client, resident, world.a, building_id=world.building))["id"]
    set_status(make, original, "closed")
    copy = filed(report(client, resident, world.a, building_id=world.building))["id"]
    with writes_nothing(counts):
        assert_error(
            move(
                client,
                committee,
                world.a,
                copy,
                "reject",
                reason="duplicate",
                duplicate_of_id=original,
            ),
            409,
            "ticket_not_open",
        )


# -- categories and their deadlines


def test_categories_are_listed_with_their_effective_deadlines(client, world, auth):
    listed = assert_ok(client.get(categories_url(world.a), headers=auth(world.resident)))
    assert len(listed) == 20
    by_code = {c["code"]: c for c in listed}
    expected = {
        "lighting": ("general", "1 个工作日", "7 个工作日"),
        "water_supply": ("utilities", "2 小时", "24 小时"),
        "elevator": ("urgent", "1 小时", "2 小时"),
        "illegal_building": ("complex", "1 个工作日", "15 个工作日"),
    }
    for code, (deadline_class, response, resolution) in expected.items():
        category = by_code[code]
        assert (
            category["deadline_class"],
            category["response_deadline"],
            category["resolution_deadline"],
        ) == (deadline_class, response, resolution)
        assert (category["enabled"], category["auto_dispatch"]) == (True, False)
    assert by_code["gas"]["handler_kind"] == "organisation"


def test_the_committee_sets_a_communitys_deadlines_and_new_tickets_run_on_them(
    client, world, auth, resident
):
    committee = auth(world.committee)
    changed = assert_ok(
        configure(
            client,
            committee,
            world.a,
            response_amount=4,
            response_unit="hours",
            resolution_amount=3,
            resolution_unit="working_days",
        )
    )
    assert (changed["response_deadline"], changed["resolution_deadline"]) == (
        "4 小时",
        "3 个工作日",
    )
    # Only community a's: b keeps the class's deadlines.
    in_b = assert_ok(client.get(categories_url(world.b), headers=auth(world.outsider)))
    assert {c["code"]: c for c in in_b}["lighting"]["response_deadline"] == "1 个工作日"

    ticket = filed(report(client, resident, world.a, building_id=world.building))["id"]
    accepted = assert_ok(move(client, committee, world.a, ticket, "accept"))
    assert at(accepted["response_due_at"]) - at(accepted["dispatched_at"]) == timedelta(hours=4)

    # Null returns a deadline to the category's class.
    reset = assert_ok(
        configure(client, committee, world.a, response_amount=None, response_unit=None)
    )
    assert (reset["response_deadline"], reset["resolution_deadline"]) == (
        "1 个工作日",
        "3 个工作日",
    )


def test_configuring_a_category_is_for_the_committee_of_that_community(
    client, world, auth, make, counts
):
    from backend.communities.models import Organisation, ServiceArea

    def company_of_b():
        company = Organisation(code="BPROP", name="乙物业", kind="property_company")
        db.session.add(company)
        db.session.flush()
        db.session.add(ServiceArea(community_id=world.b, organisation_id=company.id))
        return company.id

    b_company = make(company_of_b)
    committee = auth(world.committee)
    with writes_nothing(counts):
        assert_error(
            configure(client, auth(world.resident), world.a, auto_dispatch=True), 403, "forbidden"
        )
        assert_error(
            configure(client, auth(world.outsider), world.a, auto_dispatch=True), 404, "not_found"
        )
        assert_error(
            configure(client, committee, world.a, handler_organisation_id=b_company),
            422,
            "handler_not_serving_community",
        )
        assert_error(
            configure(client, committee, world.a, handler_organisation_id=999999),
            404,
            "organisation_not_found",
        )
        assert_error(
            configure(client, committee, world.a, response_amount=4), 422, "validation_error"
        )
        assert_error(
            configure(client, committee, world.a, resolution_unit="hours"), 422, "validation_error"
        )
        assert_error(
            configure(client, committee, world.a, "no_such", enabled=False),
            404,
            "category_not_found",
        )
    # The street oversees: it may configure too.
    assert_ok(configure(client, auth(world.street_admin), world.a, enabled=True))


# -- automatic dispatch


def test_an_auto_dispatched_report_arrives_assigned_with_its_clocks_running(
    client, world, auth, app, resident
):
    assert_ok(configure(client, auth(world.committee), world.a, auto_dispatch=True))
    ticket = filed(report(client, resident, world.a, building_id=world.building))
    assert ticket["status"] == "assigned"
    assert ticket["handler_organisation_id"] == world.property_company
    assert ticket["dispatched_at"] and ticket["response_due_at"] and ticket["resolution_due_at"]
    assert notified(app, "ticket_submitted") == set()  # the committee is not asked
    assert notified(app, "ticket_assigned") == {world.property_staff}
    timeline = assert_ok(client.get(turl(world.a, ticket["id"], "timeline"), headers=resident))
    assert [e["kind"] for e in timeline] == ["submitted", "accepted", "assigned"]
    # The handler sees it at once.
    assert_ok(client.get(turl(world.a, ticket["id"]), headers=auth(world.property_staff)))


def test_auto_dispatch_goes_to_the_organisation_the_community_named(
    client, world, auth, make, resident
):
    from backend.communities.models import Organisation

    def department():
        row = Organisation(code="CITYGAS", name="燃气公司", kind="department")
        db.session.add(row)
        db.session.flush()
        return row.id

    gas_company = make(department)
    assert_ok(
        configure(
            client,
            auth(world.committee),
            world.a,
            "gas",
            auto_dispatch=True,
            handler_organisation_id=gas_company,
        )
    )
    ticket = filed(report(client, resident, world.a, building_id=world.building, category="gas"))
    assert (ticket["status"], ticket["handler_organisation_id"]) == ("assigned", gas_company)


def test_without_auto_dispatch_the_committee_is_asked(client, world, app, resident):
    ticket = filed(report(client, resident, world.a, building_id=world.building))
    assert (ticket["status"], ticket["dispatched_at"]) == ("submitted", None)
    assert notified(app, "ticket_submitted") == {world.committee}


def test_the_timeline_says_the_system_dispatched_an_auto_dispatched_ticket(
    client, world, auth, app, resident
):
    assert_ok(configure(client, auth(world.committee), world.a, auto_dispatch=True))
    ticket = filed(report(client, resident, world.a, building_id=world.building))["id"]
    timeline = assert_ok(client.get(turl(world.a, ticket, "timeline"), headers=resident))
    assert [e["actor_role"] for e in timeline] == ["reporter", "system", "system"]
    with app.app_context():
        actors = db.session.scalars(
            sa.select(TicketEvent.actor_id).where(
                TicketEvent.ticket_id == ticket, TicketEvent.kind != "submitted"
            )
        ).all()
    assert actors == [None, None]


def test_an_organisation_category_without_a_named_handler_waits_for_the_committee(
    client, world, auth, app, resident
):
    assert_ok(configure(client, auth(world.committee), world.a, "gas", auto_dispatch=True))
    ticket = filed(report(client, resident, world.a, building_id=world.building, category="gas"))
    assert (ticket["status"], ticket["handler_organisation_id"]) == ("submitted", None)
    assert notified(app, "ticket_submitted") == {world.committee}


# -- what is refused, and writes nothing


def test_a_report_of_a_category_or_place_the_community_does_not_have_is_refused(
    client, world, auth, counts
):
    resident = auth(world.resident)
    assert_ok(configure(client, auth(world.committee), world.a, "parking", enabled=False))
    with writes_nothing(counts):
        assert_error(
            report(client, resident, world.a, building_id=world.building, category="parking"),
            422,
            "category_disabled",
        )
        assert_error(
            report(client, resident, world.a, building_id=world.building, category="no_such"),
            422,
            "category_unknown",
        )
        assert_error(
            report(
                client,
                resident,
                world.a,
                building_id=world.empty_building,
                unit_id=world.spare_unit,
            ),
            422,
            "unit_not_in_building",
        )
        assert_error(report(client, resident, world.a, unit_id=world.b_unit), 422, "unit_unknown")
        assert_error(
            report(client, resident, world.a, building_id=world.b_building), 422, "building_unknown"
        )
        assert_error(
            report(client, resident, world.a, lat="45.750000", location_consent=True),
            422,
            "point_incomplete",
        )
        assert_error(
            report(
                client, resident, world.a, building_id=world.building, on_behalf={"name": "王阿姨"}
            ),
            422,
            "on_behalf_for_grid_workers",
        )
        assert_error(
            report(client, auth(world.committee), world.a, building_id=world.building),
            403,
            "forbidden",
        )
    # The same category stays open in community b.
    in_b = assert_ok(client.get(categories_url(world.b), headers=auth(world.outsider)))
    assert {c["code"]: c for c in in_b}["parking"]["enabled"] is True


def test_photos_must_be_the_reporters_own_uploads_in_the_community(
    client, world, auth, counts, resident, wechat_token
):
    mine = photo(client, resident, world.a)
    theirs = photo(client, auth(world.committee), world.a)
    with writes_nothing(counts):
        refused = assert_error(
            report(client, resident, world.a, building_id=world.building, photos=[mine, "0" * 32]),
            422,
            "photo_unknown",
        )
        assert refused["errors"]["photos"] == ["0" * 32]
        assert_error(
            report(client, resident, world.a, building_id=world.building, photos=[theirs]),
            422,
            "photo_unknown",
        )
    ticket = filed(
        report(client, resident, world.a, building_id=world.building, photos=[mine, mine])
    )
    assert [urlsplit(link).path for link in ticket["photos"]] == [f"/api/v1/photos/{mine}"]
    assert_error(
        report(client, resident, world.a, building_id=world.building, photos=["a" * 32] * 10),
        422,
        "validation_error",
    )


def test_a_risky_text_is_refused_and_nothing_is_written(
    client, world, resident, counts, wechat_token
):
    with writes_nothing(counts):
        assert_error(
            report(client, resident, world.a, building_id=world.building, description="RISKY 内容"),
            422,
            "content_risky",
        )


def test_a_text_wechat_wants_reviewed_is_kept_but_not_public(
    client, world, auth, resident, neighbour
):
    _, neighbour_headers = neighbour
    held = filed(
        report(client, resident, world.a, building_id=world.building, description="REVIEW 路灯不亮")
    )
    assert held["public"] is False
    passed = filed(report(client, resident, world.a, building_id=world.building))
    assert passed["public"] is True
    listed = assert_ok(client.get(turl(world.a), headers=neighbour_headers))
    assert [t["id"] for t in listed] == [passed["id"]]
    assert_error(
        client.get(turl(world.a, held["id"]), headers=neighbour_headers), 404, "ticket_not_found"
    )
    assert_ok(client.get(turl(world.a, held["id"]), headers=auth(world.committee)))
    assert_ok(client.get(turl(world.a, held["id"]), headers=resident))


def test_without_an_openid_the_text_cannot_be_checked_and_the_ticket_stays_private(
    client, world, auth
):
    held = filed(report(client, auth(world.resident), world.a, building_id=world.building))
    assert held["public"] is False


# -- urgency


def test_an_urgency_confirmed_at_acceptance_gets_the_urgent_clocks(client, world, auth, resident):
    committee = auth(world.committee)
    claimed = filed(report(client, resident, world.a, building_id=world.building, urgent=True))
    assert (claimed["urgency_claimed"], claimed["deadline_class"]) == (True, "general")
    accepted = assert_ok(
        move(
            client,
            committee,
            world.a,
            claimed["id"],
            "accept",
            urgent=True,
            organisation_id=world.property_company,
        )
    )
    assert accepted["deadline_class"] == "urgent"
    dispatched = at(accepted["dispatched_at"])
    assert at(accepted["response_due_at"]) - dispatched == timedelta(hours=1)
    assert at(accepted["resolution_due_at"]) - dispatched == timedelta(hours=2)

    # A claim the committee does not confirm keeps the category's clocks.
    unconfirmed = filed(report(client, resident, world.a, building_id=world.building, urgent=True))[
        "id"
    ]
    general = assert_ok(move(client, committee, world.a, unconfirmed, "accept"))
    assert general["deadline_class"] == "general"
    assert at(general["resolution_due_at"]) - at(general["dispatched_at"]) > timedelta(days=7)


def test_a_communitys_deadlines_for_an_urgent_class_category_apply(client, world, auth, resident):
    committee = auth(world.committee)
    listed = assert_ok(
        configure(
            client, committee, world.a, "elevator", resolution_amount=24, resolution_unit="hours"
        )
    )
    assert listed["resolution_deadline"] == "24 小时"
    ticket = filed(
        report(client, resident, world.a, building_id=world.building, category="elevator")
    )["id"]
    accepted = assert_ok(move(client, committee, world.a, ticket, "accept"))
    assert at(accepted["resolution_due_at"]) - at(accepted["dispatched_at"]) == timedelta(hours=24)


# -- a phone that retries


def test_a_retried_report_with_an_idempotency_key_files_one_ticket(client, world, app, resident):
    headers = {**resident, "Idempotency-Key": "7b0f3c2e-5a51-4f7e-8d7c-1c2b3a4d5e6f"}
    body = {"category": "lighting", "description": "3号路灯不亮了", "building_id": world.building}
    first = client.post(turl(world.a), json=body, headers=headers)
    again = client.post(turl(world.a), json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    # Another action of the user (a new key) files another.
    other = client.post(
        turl(world.a), json=body, headers={**resident, "Idempotency-Key": "another-action"}
    )
    assert other.status_code == 201 and other.json["id"] != first.json["id"]


# -- anonymity


def test_an_anonymous_reporter_is_hidden_from_the_handler_not_from_the_committee(
    client, world, auth, resident
):
    committee, staff = auth(world.committee), auth(world.property_staff)
    ticket = filed(
        report(
            client,
            resident,
            world.a,
            building_id=world.building,
            anonymous=True,
            photos=[photo(client, resident, world.a)],
        )
    )["id"]
    assert_ok(
        move(client, committee, world.a, ticket, "accept", organisation_id=world.property_company)
    )
    assert_ok(move(client, staff, world.a, ticket, "sign", note="已到现场"))

    handler_view = assert_ok(client.get(turl(world.a, ticket), headers=staff))
    assert "reporter_id" not in handler_view and "reporter_name" not in handler_view
    assert handler_view["anonymous"] is True and len(handler_view["photos"]) == 1
    listed = assert_ok(client.get(turl(world.a), headers=staff))
    assert [t["id"] for t in listed] == [ticket] and "reporter_id" not in listed[0]
    handler_timeline = assert_ok(client.get(turl(world.a, ticket, "timeline"), headers=staff))
    assert all("actor_id" not in event for event in handler_timeline)

    committee_view = assert_ok(client.get(turl(world.a, ticket), headers=committee))
    assert (committee_view["reporter_id"], committee_view["reporter_name"]) == (
        world.resident,
        "resident",
    )
    own = assert_ok(client.get(turl(world.a, ticket), headers=resident))
    assert own["reporter_id"] == world.resident and own["mine"] is True


def test_a_named_reporter_is_shown_to_the_handler(client, world, auth, resident):
    ticket = filed(report(client, resident, world.a, building_id=world.building))["id"]
    assert_ok(
        move(
            client,
            auth(world.committee),
            world.a,
            ticket,
            "accept",
            organisation_id=world.property_company,
        )
    )
    seen = assert_ok(client.get(turl(world.a, ticket), headers=auth(world.property_staff)))
    assert seen["reporter_id"] == world.resident


def test_the_timeline_hides_nothing_from_the_reporter(client, world, auth, resident):
    committee, staff = auth(world.committee), auth(world.property_staff)
    ticket = filed(report(client, resident, world.a, building_id=world.building, anonymous=True))[
        "id"
    ]
    assert_ok(
        move(
            client,
            committee,
            world.a,
            ticket,
            "accept",
            organisation_id=world.property_company,
            note="请尽快处理",
        )
    )
    assert_ok(move(client, staff, world.a, ticket, "return", reason="不归我们管"))
    assert_ok(
        move(
            client,
            committee,
            world.a,
            ticket,
            "assign",
            organisation_id=world.property_company,
            note="确属物业",
        )
    )
    assert_ok(move(client, staff, world.a, ticket, "sign", note="已联系"))
    assert_ok(move(client, staff, world.a, ticket, "start", photos=[photo(client, staff, world.a)]))

    seen = assert_ok(client.get(turl(world.a, ticket, "timeline"), headers=resident))
    committee_sees = assert_ok(client.get(turl(world.a, ticket, "timeline"), headers=committee))
    assert seen == committee_sees
    assert [(e["kind"], e["actor_role"]) for e in seen] == [
        ("submitted", "reporter"),
        ("accepted", "committee"),
        ("assigned", "committee"),
        ("returned", "handler"),
        ("assigned", "committee"),
        ("signed", "handler"),
        ("started", "handler"),
    ]
    assert [e["note"] for e in seen][3:6] == ["不归我们管", "确属物业", "已联系"]
    assert len(seen[-1]["photos"]) == 1


def test_an_anonymous_report_on_behalf_of_a_resident_hides_them_from_the_handler(
    client, world, auth
):
    worker, staff = auth(world.grid_worker), auth(world.property_staff)
    ticket = filed(
        report(
            client,
            worker,
            world.a,
            building_id=world.building,
            anonymous=True,
            on_behalf={"name": "王阿姨", "phone": "13800001234"},
        )
    )["id"]
    assert_ok(
        move(
            client,
            auth(world.committee),
            world.a,
            ticket,
            "accept",
            organisation_id=world.property_company,
        )
    )
    seen = assert_ok(client.get(turl(world.a, ticket), headers=staff))
    assert "on_behalf_name" not in seen and "on_behalf_phone" not in seen


# -- input the generic bad-input walk (tests/core/test_bad_input.py) does not try


HUGE = 2**64


@pytest.mark.parametrize(
    "where",
    [
        "report.building_id",
        "report.unit_id",
        "list.organisation_id",
        "duplicates.building_id",
        "configure.handler_organisation_id",
        "accept.organisation_id",
        "reject.duplicate_of_id",
    ],
)
def test_ids_past_the_databases_range_are_refused_not_500(
    client, world, auth, resident, counts, where
):
    committee = auth(world.committee)
    ticket = filed(report(client, resident, world.a, building_id=world.building))["id"]
    calls = {
        "report.building_id": lambda: report(client, resident, world.a, building_id=HUGE),
        "report.unit_id": lambda: report(client, resident, world.a, unit_id=HUGE),
        "list.organisation_id": lambda: client.get(
            turl(world.a), query_string={"organisation_id": HUGE}, headers=committee
        ),
        "duplicates.building_id": lambda: client.get(
            turl(world.a, "duplicates"),
            query_string={"category": "lighting", "building_id": HUGE},
            headers=resident,
        ),
        "configure.handler_organisation_id": lambda: configure(
            client, committee, world.a, handler_organisation_id=HUGE
        ),
        "accept.organisation_id": lambda: move(
            client, committee, world.a, ticket, "accept", organisation_id=HUGE
        ),
        "reject.duplicate_of_id": lambda: move(
            client, committee, world.a, ticket, "reject", reason="duplicate", duplicate_of_id=HUGE
        ),
    }
    with writes_nothing(counts):
        response = calls[where]()
    assert response.status_code in (404, 422), response.get_json()


def test_an_extension_past_the_calendar_is_refused_not_500(client, world, auth, resident, counts):
    staff = auth(world.property_staff)
    ticket = filed(report(client, resident, world.a, building_id=world.building))["id"]
    assert_ok(
        move(
            client,
            auth(world.committee),
            world.a,
            ticket,
            "accept",
            organisation_id=world.property_company,
        )
    )
    with writes_nothing(counts):
        response = move(
            client,
            staff,
            world.a,
            ticket,
            "extension",
            until="9999-12-31T23:59:59-01:00",
            reason="需要采购配件",
        )
    assert response.status_code == 422, response.get_json()
