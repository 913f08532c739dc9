"""A consultation's life as the committee runs it, and as the scheduler moves it on."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.consultations.models import Consultation
from backend.consultations.services.lifecycle import advance_due
from backend.core.db import db, utcnow
from tests.consultations import factories as cf
from tests.consultations.helpers import curl, notices_of
from tests.helpers import assert_error, assert_ok, writes_nothing


def iso(moment) -> str:
    return moment.isoformat()


def design(**fields) -> dict:
    now = utcnow()
    body = {
        "title": "2号楼外墙改造方案",
        "question": "选择外墙改造方案",
        "method": "single",
        "options": [{"label": "方案一：真石漆"}, {"label": "方案二：保温一体板"}],
        "voting_opens_at": iso(now + timedelta(days=1)),
        "voting_closes_at": iso(now + timedelta(days=8)),
    }
    body.update(fields)
    return body


def status_of(app, consultation_id: int) -> str:
    with app.app_context():
        return db.session.get(Consultation, consultation_id).status


# ---------------------------------------------------------------- designing


def test_a_committee_drafts_edits_and_opens_a_vote(client, app, world, committee, resident):
    draft = assert_ok(client.post(curl(world.a), headers=committee, json=design()), 201)
    assert draft["status"] == "draft"
    assert [o["label"] for o in draft["options"]] == ["方案一：真石漆", "方案二：保温一体板"]
    # residents do not see drafts, not even by id
    assert_error(client.get(curl(world.a, draft["id"]), headers=resident), 404,
                 "consultation_not_found")
    assert assert_ok(client.get(curl(world.a), headers=resident)) == []

    edited = assert_ok(client.patch(curl(world.a, draft["id"]), headers=committee,
                                    json={"title": "2号楼外墙改造", "allow_change": True}))
    assert (edited["title"], edited["allow_change"]) == ("2号楼外墙改造", True)

    opened = assert_ok(client.post(curl(world.a, draft["id"], "open"), headers=committee))
    assert opened["status"] == "voting"
    assert opened["voting_opened_at"] is not None
    assert notices_of(app, "consultation_opened") == [world.resident]
    listed = assert_ok(client.get(curl(world.a), headers=resident))
    assert [c["id"] for c in listed] == [draft["id"]]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"options": [{"label": "只有一个"}]}, "options"),
        ({"method": "owners_decision", "options": []}, "matter"),
        ({"method": "owners_decision", "matter": 7, "options": [], "electorate": "residents"},
         "electorate"),
        ({"method": "multiple", "min_choices": 2, "max_choices": 3}, "max_choices"),
        ({"method": "points"}, "points_budget"),
        ({"matter": 5}, "matter"),
        ({"scope": "buildings"}, "building_ids"),
        ({"voting_closes_at": iso(utcnow())}, "voting_closes_at"),
        ({"needs_opens_at": iso(utcnow())}, "needs_closes_at"),
        ({"needs_opens_at": iso(utcnow()), "needs_closes_at": iso(utcnow() + timedelta(days=3))},
         "voting_opens_at"),
    ],
)
def test_a_design_that_does_not_hold_together_is_refused_field_by_field(
    client, world, committee, counts, fields, bad_field
):
    with writes_nothing(counts):
        body = assert_error(client.post(curl(world.a), headers=committee, json=design(**fields)),
                            422, "invalid_design")
    assert bad_field in body["errors"]["json"]


def test_an_owners_decision_takes_its_rules_from_the_law(client, world, committee):
    body = design(method="owners_decision", matter=7, options=[], electorate="owners")
    created = assert_ok(client.post(curl(world.a), headers=committee, json=body), 201)
    assert created["matter_title"] == "改建、重建建筑物及其附属设施"
    assert created["ballot_per"] == "household"


def test_a_scope_takes_only_buildings_of_this_community(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.post(curl(world.a), headers=committee,
                               json=design(scope="buildings", building_ids=[world.b_building]))
        assert_error(response, 404, "building_not_found")
    ok = client.post(curl(world.a), headers=committee,
                     json=design(scope="units", unit_ids=[world.unit]))
    assert assert_ok(ok, 201)["unit_ids"] == [world.unit]


def test_a_draft_made_by_mistake_is_deleted_but_an_opened_one_is_only_cancelled(
    client, world, committee, make
):
    draft = make(lambda: cf.consultation(world.a, world.committee, status="draft").id)
    assert client.delete(curl(world.a, draft), headers=committee).status_code == 204
    running = make(lambda: cf.consultation(world.a, world.committee, status="collecting").id)
    assert_error(client.delete(curl(world.a, running), headers=committee), 409, "not_a_draft")


def test_once_voting_opened_the_design_is_locked(client, world, committee, make, counts):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    with writes_nothing(counts):
        assert_error(client.patch(curl(world.a, voting), headers=committee, json={"title": "新"}),
                     409, "consultation_locked")


def test_while_needs_are_collected_the_method_stays(client, world, committee, make):
    collecting = make(lambda: cf.consultation(world.a, world.committee).id)
    body = assert_error(client.patch(curl(world.a, collecting), headers=committee,
                                     json={"method": "ranking"}), 409, "consultation_field_fixed")
    assert "method" in body["errors"]["json"]


# ---------------------------------------------------------------- running


def test_opening_a_collecting_consultation_starts_voting_and_draws_the_roll(
    client, app, world, committee, make
):
    collecting = make(lambda: cf.consultation(world.a, world.committee).id)
    opened = assert_ok(client.post(curl(world.a, collecting, "open"), headers=committee))
    assert opened["status"] == "voting"
    with app.app_context():
        row = db.session.get(Consultation, collecting)
        assert (row.roll_households, row.roll_heads, str(row.roll_area)) == (2, 2, "170.50")
        assert row.needs_closes_at <= row.voting_opens_at


def test_an_owners_decision_does_not_open_while_an_area_is_missing(
    client, world, committee, make, counts
):
    def setup():
        from backend.communities.models import Unit
        from tests import factories

        factories.household(db.session.get(Unit, world.unit), "103", area=None)
        return cf.consultation(world.a, world.committee, status="draft",
                               method="owners_decision", with_needs_phase=False).id

    draft = make(setup)
    with writes_nothing(counts):
        body = assert_error(client.post(curl(world.a, draft, "open"), headers=committee),
                            409, "household_area_missing")
    assert len(body["errors"]["household_ids"]) == 1


def test_extend_close_early_and_publish(client, app, world, committee, resident, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    with app.app_context():
        current = db.session.get(Consultation, voting).voting_closes_at
    later = current + timedelta(days=2)
    assert_error(client.post(curl(world.a, voting, "extend"), headers=committee,
                             json={"closes_at": iso(current - timedelta(hours=1)), "reason": "x"}),
                 422, "not_later")
    extended = assert_ok(client.post(curl(world.a, voting, "extend"), headers=committee,
                                     json={"closes_at": iso(later), "reason": "业主在外地"}))
    assert extended["status_reason"] == "业主在外地"
    assert notices_of(app, "consultation_extended") == [world.resident]

    closed = assert_ok(client.post(curl(world.a, voting, "close"), headers=committee,
                                   json={"reason": "全体业主已投票"}))
    assert closed["status"] == "closed"
    result = assert_ok(client.get(curl(world.a, voting, "result"), headers=resident))
    assert result["final"] is True and result["ballots"] == 0
    published = assert_ok(client.post(curl(world.a, voting, "publish"), headers=committee))
    assert published["status"] == "published"
    assert notices_of(app, "consultation_result") == [world.resident]
    assert_error(client.post(curl(world.a, voting, "publish"), headers=committee), 409,
                 "consultation_not_closed")


def test_cancelling_tells_residents_why(client, app, world, committee, resident, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    cancelled = assert_ok(client.post(curl(world.a, voting, "cancel"), headers=committee,
                                      json={"reason": "方案需重新论证"}))
    assert cancelled["status"] == "cancelled"
    assert notices_of(app, "consultation_cancelled") == [world.resident]
    assert_error(client.get(curl(world.a, voting, "result"), headers=resident), 409,
                 "consultation_cancelled")


def test_results_are_hidden_until_the_close_unless_live(client, world, committee, resident, make):
    hidden = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    live = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                        live_results=True).id)
    for headers in (resident, committee):
        assert_error(client.get(curl(world.a, hidden, "result"), headers=headers), 403,
                     "results_hidden")
    assert assert_ok(client.get(curl(world.a, live, "result"), headers=resident))["final"] is False


# ---------------------------------------------------------------- the scheduler


def test_the_scheduler_opens_moves_on_reminds_and_closes_at_the_dates(app, world, make):
    now = utcnow()

    def setup():
        scheduled = cf.consultation(world.a, world.committee, status="scheduled")
        scheduled.needs_opens_at = now - timedelta(minutes=1)
        collecting = cf.consultation(world.a, world.committee, status="collecting")
        collecting.needs_closes_at = collecting.voting_opens_at = now - timedelta(minutes=1)
        closing_soon = cf.consultation(world.a, world.committee, status="voting")
        closing_soon.voting_closes_at = now + timedelta(hours=3)
        due = cf.consultation(world.a, world.committee, status="voting")
        due.voting_closes_at = now - timedelta(seconds=1)
        return scheduled.id, collecting.id, closing_soon.id, due.id

    scheduled, collecting, closing_soon, due = make(setup)
    with app.app_context():
        done = advance_due(now)
    assert done == {"opened": 1, "voting_opened": 1, "closed": 1, "reminded": 1}
    assert [status_of(app, i) for i in (scheduled, collecting, closing_soon, due)] == [
        "collecting", "voting", "voting", "closed"]
    assert notices_of(app, "consultation_reminder") == [world.resident]
    with app.app_context():
        assert advance_due(now) == {"opened": 0, "voting_opened": 0, "closed": 0, "reminded": 0}
        assert db.session.get(Consultation, due).result["final"] is True


def test_the_reminder_skips_those_who_voted(client, app, world, resident, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    with app.app_context():
        option = db.session.get(Consultation, voting).options[0].id
    assert_ok(client.post(curl(world.a, voting, "ballots"), headers=resident,
                          json={"option_ids": [option]}), 201)
    with app.app_context():
        closes = db.session.get(Consultation, voting).voting_closes_at
        assert advance_due(closes - timedelta(hours=1))["reminded"] == 1
    assert notices_of(app, "consultation_reminder") == []


def test_a_consultation_that_cannot_open_does_not_stop_the_others(app, world, make):
    now = utcnow()

    def setup():
        from backend.communities.models import Unit
        from tests import factories

        factories.household(db.session.get(Unit, world.unit), "103", area=None)
        stuck = cf.consultation(world.a, world.committee, status="scheduled",
                                method="owners_decision", with_needs_phase=False)
        stuck.voting_opens_at = now - timedelta(minutes=1)
        fine = cf.consultation(world.a, world.committee, status="scheduled",
                               with_needs_phase=False)
        fine.voting_opens_at = now - timedelta(minutes=1)
        return stuck.id, fine.id

    stuck, fine = make(setup)
    with app.app_context():
        assert advance_due(now)["opened"] == 1
    assert (status_of(app, stuck), status_of(app, fine)) == ("scheduled", "voting")


def test_the_committee_hears_once_why_the_scheduler_cannot_open_a_vote_until_it_opens(
    client, app, world, committee, make
):
    now = utcnow()

    def setup():
        from backend.communities.models import Unit
        from tests import factories

        unknown = factories.household(db.session.get(Unit, world.unit), "103", area=None)
        stuck = cf.consultation(world.a, world.committee, status="scheduled",
                                method="owners_decision", with_needs_phase=False,
                                voting_opens_at=now - timedelta(minutes=1))
        return stuck.id, unknown.id

    stuck, unknown = make(setup)
    with app.app_context():
        for minute in range(2):
            assert advance_due(now + timedelta(minutes=minute))["opened"] == 0
    assert notices_of(app, "consultation_stalled") == [world.committee]
    assert stalled_entries(app) == [
        {"status": "scheduled", "problem": "household_area_missing", "step": "opened"}]
    shown = assert_ok(client.get(curl(world.a, stuck), headers=committee))
    assert (shown["status"], shown["stalled_code"]) == ("scheduled", "household_area_missing")

    household = f"/api/v1/communities/{world.a}/households/{unknown}"
    assert_ok(client.patch(household, headers=committee, json={"exclusive_area": "75.00"}))
    with app.app_context():
        assert advance_due(now + timedelta(minutes=2))["opened"] == 1
    shown = assert_ok(client.get(curl(world.a, stuck), headers=committee))
    assert (shown["status"], shown["stalled_code"], shown["stalled_at"]) == ("voting", None, None)
    assert notices_of(app, "consultation_stalled") == [world.committee]


def test_an_edit_clears_the_mark_and_a_problem_met_again_is_reported_again(
    client, app, world, committee, make
):
    now = utcnow()
    collecting = make(lambda: cf.consultation(
        world.a, world.committee, needs_closes_at=now - timedelta(hours=2),
        voting_opens_at=now - timedelta(hours=2), voting_closes_at=now - timedelta(hours=1)).id)
    with app.app_context():
        advance_due(now)
    assert stalled_entries(app) == [
        {"status": "collecting", "problem": "closes_in_past", "step": "voting_opened"}]

    edited = assert_ok(client.patch(curl(world.a, collecting), headers=committee,
                                    json={"title": "外墙改造（延后表决）"}))
    assert edited["stalled_code"] is None
    with app.app_context():
        advance_due(now)
    assert notices_of(app, "consultation_stalled") == [world.committee, world.committee]


def stalled_entries(app) -> list[dict]:
    from backend.core.audit.models import AuditEntry

    with app.app_context():
        return [entry.details for entry in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "consultation.stalled")
            .order_by(AuditEntry.id))]


# ---------------------------------------------------------------- the 24 h reminder


def test_a_vote_opened_less_than_a_day_before_its_close_gets_no_reminder(app, world, make):
    now = utcnow()
    short = make(lambda: cf.consultation(
        world.a, world.committee, status="scheduled", with_needs_phase=False,
        voting_opens_at=now - timedelta(minutes=1), voting_closes_at=now + timedelta(hours=10)).id)
    with app.app_context():
        assert advance_due(now) == {"opened": 1, "voting_opened": 0, "closed": 0, "reminded": 0}
        assert advance_due(now + timedelta(hours=9))["reminded"] == 0
        assert db.session.get(Consultation, short).reminded_at is None
    assert notices_of(app, "consultation_opened") == [world.resident]
    assert notices_of(app, "consultation_reminder") == []


def test_a_short_vote_extended_past_a_day_is_reminded_a_day_before_its_new_close(
    client, app, world, committee, make
):
    now = utcnow()
    short = make(lambda: cf.consultation(
        world.a, world.committee, status="voting", with_needs_phase=False,
        voting_opens_at=now - timedelta(hours=1), voting_closes_at=now + timedelta(hours=10)).id)
    with app.app_context():
        assert advance_due(now)["reminded"] == 0
    new_close = now + timedelta(hours=40)
    assert_ok(client.post(curl(world.a, short, "extend"), headers=committee,
                          json={"closes_at": iso(new_close), "reason": "业主在外地"}))
    with app.app_context():
        assert advance_due(new_close - timedelta(hours=25))["reminded"] == 0
        assert advance_due(new_close - timedelta(hours=23))["reminded"] == 1
    assert notices_of(app, "consultation_reminder") == [world.resident]
