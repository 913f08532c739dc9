"""A ticket's life through HTTP: report, dispatch, handle, evaluate, and the branches."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.core.db import db
from backend.tickets.models import Ticket
from tests.helpers import assert_error, assert_ok, photo, writes_nothing
from tests.tickets.helpers import move, report, resolved_ticket, turl


def test_a_report_goes_from_resident_to_property_company_and_back_to_a_rating(
        client, world, auth, app):
    resident, committee, staff = (auth(world.resident), auth(world.committee),
                                  auth(world.property_staff))
    filed = assert_ok(report(client, resident, world.a, building_id=world.building,
                             photos=[photo(client, resident, world.a)]), 201)
    assert filed["status"] == "submitted" and filed["mine"] is True
    assert filed["response_due_at"] is None  # no clock before dispatch
    assert len(filed["photos"]) == 1

    accepted = assert_ok(move(client, committee, world.a, filed["id"], "accept",
                              organisation_id=world.property_company))
    assert accepted["status"] == "assigned"
    assert accepted["handler_name"] == "安居物业"
    assert accepted["response_due_at"] < accepted["resolution_due_at"]

    assert_ok(move(client, staff, world.a, filed["id"], "sign", note="已联系报告人"))
    assert_ok(move(client, staff, world.a, filed["id"], "start"))
    resolved = assert_ok(move(client, staff, world.a, filed["id"], "resolve", reply="已更换灯泡",
                              after_photos=[photo(client, staff, world.a)]))
    assert resolved["status"] == "resolved" and resolved["reply"] == "已更换灯泡"

    closed = assert_ok(move(client, resident, world.a, filed["id"], "confirm", rating=5,
                            fixed=True))
    assert (closed["status"], closed["rating"], closed["fixed"], closed["evaluation"]) == (
        "closed", 5, True, "confirmed")

    timeline = assert_ok(client.get(turl(world.a, filed["id"], "timeline"), headers=resident))
    assert [e["kind"] for e in timeline] == [
        "submitted", "accepted", "assigned", "signed", "started", "resolved", "confirmed"]
    assert timeline[3]["actor_role"] == "handler" and timeline[3]["note"] == "已联系报告人"


def test_resolving_needs_a_reply_and_photos_after_the_work(client, world, auth, counts):
    resident, committee, staff = (auth(world.resident), auth(world.committee),
                                  auth(world.property_staff))
    ticket = assert_ok(report(client, resident, world.a, building_id=world.building), 201)["id"]
    assert_ok(move(client, committee, world.a, ticket, "accept",
                   organisation_id=world.property_company))
    assert_ok(move(client, staff, world.a, ticket, "sign"))
    with writes_nothing(counts):
        assert_error(move(client, staff, world.a, ticket, "resolve", reply="好了"), 422,
                     "validation_error")
        assert_error(move(client, staff, world.a, ticket, "resolve", reply="好了",
                          after_photos=[]), 422, "validation_error")


def test_only_the_assigned_company_handles_and_only_in_order(client, world, auth):
    resident, committee, staff = (auth(world.resident), auth(world.committee),
                                  auth(world.property_staff))
    ticket = assert_ok(report(client, resident, world.a, building_id=world.building), 201)["id"]
    # Not assigned yet: the company does not see it at all.
    assert_error(move(client, staff, world.a, ticket, "sign"), 404, "ticket_not_found")
    assert_ok(move(client, committee, world.a, ticket, "accept",
                   organisation_id=world.property_company))
    assert_error(move(client, staff, world.a, ticket, "start"), 409, "ticket_wrong_status")
    assert_error(move(client, resident, world.a, ticket, "sign"), 403, "forbidden")
    assert_ok(move(client, staff, world.a, ticket, "sign"))
    assert_error(move(client, staff, world.a, ticket, "sign"), 409, "ticket_wrong_status")


def test_a_returned_ticket_is_rerouted_and_keeps_its_clock(client, world, auth):
    resident, committee, staff = (auth(world.resident), auth(world.committee),
                                  auth(world.property_staff))
    ticket = assert_ok(report(client, resident, world.a, building_id=world.building), 201)["id"]
    first = assert_ok(move(client, committee, world.a, ticket, "accept",
                           organisation_id=world.property_company))
    returned = assert_ok(move(client, staff, world.a, ticket, "return",
                              reason="属于供电公司管辖"))
    assert returned["status"] == "returned" and returned["handler_organisation_id"] is None
    # The company no longer sees it.
    assert_error(client.get(turl(world.a, ticket), headers=staff), 404, "ticket_not_found")
    again = assert_ok(move(client, committee, world.a, ticket, "assign",
                           organisation_id=world.property_company, note="请先到场查看"))
    assert again["status"] == "assigned"
    assert again["resolution_due_at"] == first["resolution_due_at"]
    assert again["dispatched_at"] == first["dispatched_at"]


def test_rejecting_as_duplicate_joins_the_reporter_to_the_original(client, world, auth):
    resident, committee = auth(world.resident), auth(world.committee)
    worker = auth(world.grid_worker)
    original = assert_ok(report(client, worker, world.a, building_id=world.building), 201)["id"]
    copy = assert_ok(report(client, resident, world.a, building_id=world.building), 201)["id"]
    assert_error(move(client, committee, world.a, copy, "reject", reason="duplicate"), 422,
                 "duplicate_of_required")
    rejected = assert_ok(move(client, committee, world.a, copy, "reject", reason="duplicate",
                              duplicate_of_id=original, note="已有相同报告"))
    assert (rejected["status"], rejected["duplicate_of_id"]) == ("rejected", original)
    assert assert_ok(client.get(turl(world.a, original), headers=committee))["supporters"] == 1


def test_the_reporter_reopens_within_seven_days_and_not_after(client, world, auth, app, make,
                                                              give_openid):
    from tests.consultations.helpers import owner

    give_openid(world.resident)
    resident, staff = auth(world.resident), auth(world.property_staff)
    ticket = resolved_ticket(client, world, auth)
    neighbour_id, _ = make(lambda: owner(world.spare_unit, "201", "70.00"))
    assert_error(move(client, auth(neighbour_id), world.a, ticket, "reopen", reason="x"),
                 403, "not_ticket_reporter")
    reopened = assert_ok(move(client, resident, world.a, ticket, "reopen", reason="灯又不亮了"))
    assert (reopened["status"], reopened["reopen_count"]) == ("in_progress", 1)
    assert reopened["resolved_at"] is None
    assert_ok(move(client, staff, world.a, ticket, "resolve", reply="更换了线路",
                   after_photos=[photo(client, staff, world.a)]))
    with app.app_context():
        row = db.session.get(Ticket, ticket)
        row.resolved_at -= timedelta(days=7, seconds=1)
        db.session.commit()
    assert_error(move(client, resident, world.a, ticket, "reopen", reason="还是不亮"), 409,
                 "reopen_window_over")


def test_an_extension_is_asked_before_the_deadline_and_decided_by_the_committee(
        client, world, auth):
    committee, staff = auth(world.committee), auth(world.property_staff)
    resident = auth(world.resident)
    ticket = assert_ok(report(client, resident, world.a, building_id=world.building), 201)["id"]
    accepted = assert_ok(move(client, committee, world.a, ticket, "accept",
                              organisation_id=world.property_company))
    assert_ok(move(client, staff, world.a, ticket, "sign"))
    assert_error(move(client, staff, world.a, ticket, "extension",
                      until=accepted["resolution_due_at"], reason="需要采购配件"), 422,
                 "extension_not_later")
    asked = assert_ok(move(client, staff, world.a, ticket, "extension",
                           until="2099-01-01T00:00:00+08:00", reason="需要采购配件"))
    assert asked["extension_status"] == "pending"
    assert_error(move(client, staff, world.a, ticket, "extension/decision", decision="approve"),
                 403, "forbidden")
    decided = assert_ok(move(client, committee, world.a, ticket, "extension/decision",
                             decision="approve"))
    assert decided["resolution_due_at"].startswith("2098-12-31T16:00:00")


def test_a_grid_worker_reports_inside_their_grid_only(client, world, auth, counts):
    worker = auth(world.grid_worker)
    for_resident = assert_ok(report(client, worker, world.a, building_id=world.building,
                                    on_behalf={"name": "王阿姨", "phone": "13800001234"}), 201)
    assert for_resident["channel"] == "grid_worker"
    assert for_resident["on_behalf_phone"] == "138****1234"
    with writes_nothing(counts):
        assert_error(report(client, worker, world.a, building_id=world.empty_building), 403,
                     "outside_grid")
    # The committee sees the whole number.
    seen = assert_ok(client.get(turl(world.a, for_resident["id"]), headers=auth(world.committee)))
    assert seen["on_behalf_phone"] == "13800001234"


def test_a_precise_point_needs_its_own_consent(client, world, auth, counts):
    resident = auth(world.resident)
    with writes_nothing(counts):
        assert_error(report(client, resident, world.a, lat="45.750000", lng="126.650000"), 422,
                     "location_consent_required")
        assert_error(report(client, resident, world.a), 422, "location_required")
    filed = assert_ok(report(client, resident, world.a, lat="45.750000", lng="126.650000",
                             location_consent=True), 201)
    assert (filed["lat"], filed["lng"]) == ("45.750000", "126.650000")


def test_other_residents_see_a_public_ticket_without_personal_data(client, world, auth, make,
                                                                   give_openid):
    from tests.consultations.helpers import owner

    give_openid(world.resident)  # WeChat's text check passes: the ticket may be public
    resident = auth(world.resident)
    filed = assert_ok(report(client, resident, world.a, building_id=world.building,
                             lat="45.750000", lng="126.650000", location_consent=True,
                             anonymous=True, photos=[photo(client, resident, world.a)]), 201)
    neighbour_id, _ = make(lambda: owner(world.spare_unit, "201", "70.00"))
    neighbour = auth(neighbour_id)
    seen = assert_ok(client.get(turl(world.a, filed["id"]), headers=neighbour))
    assert "lat" not in seen and "reporter_id" not in seen
    assert seen["photos"] == []  # an anonymous ticket's photos stay with its parties
    assert seen["description"] == "3号路灯不亮了"
    assert_error(client.get(turl(world.a, filed["id"], "timeline"), headers=neighbour), 403,
                 "timeline_private")
    committee_view = assert_ok(client.get(turl(world.a, filed["id"]), headers=auth(world.committee)))
    assert committee_view["reporter_id"] == world.resident
    private = assert_ok(report(client, resident, world.a, building_id=world.building,
                               private=True), 201)
    assert_error(client.get(turl(world.a, private["id"]), headers=neighbour), 404,
                 "ticket_not_found")
    listed = assert_ok(client.get(turl(world.a), headers=neighbour))
    assert [t["id"] for t in listed] == [filed["id"]]


def test_another_communitys_staff_and_another_company_see_nothing(client, world, auth, make):
    from backend.accounts.models import Membership
    from backend.communities.models import Organisation, ServiceArea
    from tests.factories import user

    resident = auth(world.resident)
    ticket = assert_ok(report(client, resident, world.a, building_id=world.building), 201)["id"]
    assert_ok(move(client, auth(world.committee), world.a, ticket, "accept",
                   organisation_id=world.property_company))

    def rival():
        company = Organisation(code="RIVAL", name="别家物业", kind="property_company")
        db.session.add(company)
        db.session.flush()
        db.session.add(ServiceArea(community_id=world.a, organisation_id=company.id))
        staff = user("rival_staff")
        db.session.add(Membership(user_id=staff.id, role="property_staff", status="verified",
                                  organisation_id=company.id, scope_key=f"o{company.id}"))
        return staff.id

    rival_staff = make(rival)
    assert_error(client.get(turl(world.a, ticket), headers=auth(rival_staff)), 404,
                 "ticket_not_found")
    assert assert_ok(client.get(turl(world.a), headers=auth(rival_staff))) == []
    assert_error(client.get(turl(world.a, ticket), headers=auth(world.outsider)), 404,
                 "not_found")
    assert_ok(client.get(turl(world.a, ticket), headers=auth(world.property_staff)))
    with client.application.app_context():
        assert db.session.scalar(sa.select(Ticket.status).where(Ticket.id == ticket)) == "assigned"


def test_the_committee_publishes_a_ticket_held_for_review_unless_kept_private(
        client, world, auth, make):
    from tests.consultations.helpers import owner

    # No openid: WeChat's check cannot be asked, the text waits for a person.
    resident, committee = auth(world.resident), auth(world.committee)
    held = assert_ok(report(client, resident, world.a, building_id=world.building), 201)
    kept = assert_ok(report(client, resident, world.a, building_id=world.building,
                            private=True), 201)
    assert held["public"] is False and kept["public"] is False
    neighbour = auth(make(lambda: owner(world.spare_unit, "201", "70.00"))[0])
    assert_error(client.get(turl(world.a, held["id"]), headers=neighbour), 404,
                 "ticket_not_found")
    published = assert_ok(move(client, committee, world.a, held["id"], "accept", publish=True))
    assert published["public"] is True
    assert assert_ok(client.get(turl(world.a, held["id"]), headers=neighbour))["id"] == held["id"]
    still = assert_ok(move(client, committee, world.a, kept["id"], "accept", publish=True))
    assert still["public"] is False
