"""Assessments through HTTP: running them, what an item shows, snapshots that later data never
changes, people's judgements, finalising, history, the street's ranking and coverage, the
nightly job, and one statement per measurement whatever the number of communities."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from backend.communities.models import Facility
from backend.core.db import db, utcnow
from backend.core.tenancy.models import Region
from backend.scoring.models import Assessment, AssessmentRun
from tests import factories
from tests.helpers import assert_error, assert_ok, photo, writes_nothing
from tests.statements import statements

API = "/api/v1"
HLJ = "hlj_green_community"
COMPLETE = "complete_community_tasks"
YEAR = utcnow().year


def curl(community_id: int, *parts) -> str:
    return "/".join([f"{API}/communities/{community_id}", *map(str, parts)])


def item(card: dict, code: str) -> dict:
    return next(row for row in card["items"] if row["code"] == code)


def run(client, headers, community_id, standard=HLJ, **period) -> dict:
    body = {"standard": standard, **period}
    return assert_ok(
        client.post(curl(community_id, "assessments"), json=body, headers=headers), 201
    )


def meeting(client, headers, community_id, held_on: date, topic="联合议事会议") -> int:
    body = {"held_on": held_on.isoformat(), "topic": topic, "attendees_count": 12}
    return assert_ok(client.post(curl(community_id, "meetings"), json=body, headers=headers), 201)[
        "id"
    ]


def judge(client, headers, community_id, code, status="met", standard=HLJ, **extra):
    return client.put(
        curl(community_id, "standards", standard, "items", code, "judgement"),
        json={"status": status, **extra},
        headers=headers,
    )


# ---------------------------------------------------------------- the scorecard


def test_staff_see_a_preview_before_anything_is_run_and_residents_wait_for_a_final(
    client, world, auth, counts
):
    with writes_nothing(counts):
        card = assert_ok(client.get(curl(world.a, "scorecard"), headers=auth(world.committee)))
    assert (card["id"], card["state"]) == (None, "preview")
    assert card["standard"]["code"] == HLJ
    assert len(card["items"]) == 16
    assert card["period"] == {"start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31"}
    assert_error(
        client.get(curl(world.a, "scorecard"), headers=auth(world.resident)),
        404,
        "assessment_not_found",
    )


def test_an_item_shows_its_text_status_values_threshold_definition_and_evidence(
    client, world, auth
):
    committee = auth(world.committee)
    first = meeting(client, committee, world.a, date(YEAR, 1, 5), "改造方案议事会")
    card = run(client, committee, world.a)
    two = item(card, "2")
    assert two["criterion"].startswith("搭建沟通议事平台")
    assert two["checked"].startswith("社区居民委员会搭建沟通议事平台,每年至少召开2次联合议事会议")
    assert (two["status"], two["method"], two["points"]) == ("not_met", "measured", "0.00")
    detail = two["detail"]
    assert (detail["metric"], detail["value"], detail["op"], detail["threshold"]) == (
        "joint_meetings_held",
        1,
        ">=",
        "2",
    )
    assert detail["title"] and "联合议事会议" in detail["definition"]
    assert detail["line"] == "线下联合议事会议次数：1 次，要求 ≥ 2 次"
    assert detail["evidence"] == [
        {"kind": "joint_meeting", "id": first, "label": f"{YEAR}-01-05 改造方案议事会（12 人参加）"}
    ]
    meeting(client, committee, world.a, date(YEAR, 2, 5))
    card = run(client, committee, world.a)
    assert (item(card, "2")["status"], item(card, "2")["points"]) == ("met", "1.00")


def test_items_no_measurement_covers_need_assessment_never_pass_silently(client, world, auth):
    card = run(client, auth(world.committee), world.a)
    for code in ("1", "3", "4", "6", "11", "14", "15", "16"):
        assert item(card, code)["status"] == "needs_assessment", code
        assert item(card, code)["method"] == "assessed"
    assert card["totals"]["needs_assessment"] >= 8
    assert card["totals"]["meets_standard"] is False


def test_facility_items_read_the_register(client, world, auth, make):
    committee = auth(world.committee)
    card = run(client, committee, world.a, standard=COMPLETE)
    # The world's elderly service station has 360 m² (≥ 350).
    four = item(card, "4")
    assert (four["status"], four["method"]) == ("met", "facility")
    assert four["detail"]["area"] == "360.00"
    assert four["detail"]["evidence"][0]["kind"] == "facility"
    assert item(card, "2")["status"] == "not_met"  # no kindergarten

    def small_supermarket_and_two_shops():
        db.session.add_all(
            [
                Facility(community_id=world.a, kind="supermarket", name="超市", floor_area=200),
                Facility(
                    community_id=world.a, kind="convenience_store", name="便利店一", floor_area=60
                ),
                Facility(
                    community_id=world.a, kind="convenience_store", name="便利店二", floor_area=55
                ),
            ]
        )

    make(small_supermarket_and_two_shops)
    six = item(run(client, committee, world.a, standard=COMPLETE), "6")
    # Too small a supermarket, but two convenience stores of 115 m² together: met (any of).
    assert six["status"] == "met"
    assert [part["status"] for part in six["detail"]["parts"]] == ["not_met", "met"]


def test_elderly_housing_is_measured_per_hundred_households(client, world, auth):
    card = run(client, auth(world.committee), world.a)
    nine = item(card, "9")
    [station, accessibility, person] = nine["detail"]["parts"]
    # Two households: at least 0.30 m² per the 15 m² / 100 households of existing estates.
    assert station["per"]["basis"] == 2
    assert station["per"]["required_area"] == "0.30"
    assert station["status"] == "met"
    assert accessibility["status"] == "not_met"
    assert nine["status"] == "not_met"


# ---------------------------------------------------------------- snapshots


def test_later_data_never_changes_a_final_snapshot_and_rerunning_makes_a_new_one(
    client, world, auth
):
    committee = auth(world.committee)
    meeting(client, committee, world.a, date(YEAR, 1, 5))
    draft = run(client, committee, world.a)
    final = assert_ok(
        client.post(curl(world.a, "assessments", draft["id"], "finalise"), headers=committee)
    )
    assert (final["state"], final["state_label"]) == ("final", "已定稿")

    meeting(client, committee, world.a, date(YEAR, 3, 1))
    again = run(client, committee, world.a)
    assert again["id"] != final["id"]
    assert item(again, "2")["detail"]["value"] == 2
    kept = assert_ok(client.get(curl(world.a, "assessments", final["id"]), headers=committee))
    assert item(kept, "2")["detail"]["value"] == 1
    assert kept["items"] == final["items"]

    history = assert_ok(client.get(curl(world.a, "assessments"), headers=committee))
    assert [row["state"] for row in history] == ["draft", "final"]
    # Residents read the finished one only.
    resident = auth(world.resident)
    assert [
        row["id"] for row in assert_ok(client.get(curl(world.a, "assessments"), headers=resident))
    ] == [final["id"]]
    assert assert_ok(client.get(curl(world.a, "scorecard"), headers=resident))["id"] == final["id"]
    assert_error(
        client.get(curl(world.a, "assessments", again["id"]), headers=resident),
        404,
        "assessment_not_found",
    )


def test_a_draft_is_replaced_by_the_next_run_not_piled_up(client, world, auth, app):
    committee = auth(world.committee)
    run(client, committee, world.a)
    newest = run(client, committee, world.a)
    with app.app_context():
        drafts = db.session.scalars(
            sa.select(Assessment.id).where(Assessment.community_id == world.a)
        ).all()
        assert drafts == [newest["id"]]
        # The replaced draft's run holds nothing any more and is gone with it.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssessmentRun)) == 1


def test_finalising_twice_or_discarding_a_final_is_refused(client, world, auth, counts):
    committee = auth(world.committee)
    draft = run(client, committee, world.a)
    assert_ok(client.post(curl(world.a, "assessments", draft["id"], "finalise"), headers=committee))
    with writes_nothing(counts):
        assert_error(
            client.post(curl(world.a, "assessments", draft["id"], "finalise"), headers=committee),
            409,
            "assessment_final",
        )
        assert_error(
            client.delete(curl(world.a, "assessments", draft["id"]), headers=committee),
            409,
            "assessment_final",
        )


def test_a_draft_run_by_mistake_can_be_discarded(client, world, auth):
    committee = auth(world.committee)
    draft = run(client, committee, world.a)
    assert (
        client.delete(curl(world.a, "assessments", draft["id"]), headers=committee).status_code
        == 204
    )
    assert (
        assert_ok(client.get(curl(world.a, "scorecard"), headers=committee))["state"] == "preview"
    )


def test_periods_other_than_a_calendar_year_and_bad_periods(client, world, auth, counts):
    committee = auth(world.committee)
    card = run(client, committee, world.a, **{"from": f"{YEAR}-01-01", "to": f"{YEAR}-06-30"})
    assert card["period"] == {"start": f"{YEAR}-01-01", "end": f"{YEAR}-06-30"}
    with writes_nothing(counts):
        for body, code in (
            ({"year": YEAR, "from": f"{YEAR}-01-01", "to": f"{YEAR}-02-01"}, "period_ambiguous"),
            ({"from": f"{YEAR}-03-01", "to": f"{YEAR}-02-01"}, "period_reversed"),
            ({"from": f"{YEAR}-03-01"}, "period_incomplete"),
            ({"from": "2020-01-01", "to": "2024-01-01"}, "period_too_long"),
        ):
            response = client.post(
                curl(world.a, "assessments"), json={"standard": HLJ, **body}, headers=committee
            )
            assert_error(response, 422, code)
        assert_error(
            client.post(curl(world.a, "assessments"), json={"standard": "nope"}, headers=committee),
            404,
            "standard_not_found",
        )


# ---------------------------------------------------------------- judgements


def test_a_judgement_decides_an_assessed_item_and_can_be_taken_back(client, world, auth):
    committee = auth(world.committee)
    run(client, committee, world.a)
    documents = [{"title": "会议纪要", "url": "https://files.example.cn/m.pdf"}]
    judged = assert_ok(
        judge(client, committee, world.a, "1", note="研究了两次", documents=documents)
    )
    assert (judged["status"], judged["decided_as"], judged["note"]) == (
        "met",
        "committee",
        "研究了两次",
    )

    card = assert_ok(client.get(curl(world.a, "scorecard"), headers=committee))
    one = item(card, "1")
    assert (card["state"], one["status"], one["points"]) == ("draft", "met", "1.00")
    assert one["detail"]["judgement"]["documents"] == documents
    assert "研究了两次" in one["detail"]["line"]

    # The street corrects it: partly met, decided as the street.
    street = assert_ok(judge(client, auth(world.street_admin), world.a, "1", status="partly_met"))
    assert street["decided_as"] == "street"
    card = assert_ok(client.get(curl(world.a, "scorecard"), headers=committee))
    assert (item(card, "1")["status"], item(card, "1")["points"]) == ("partly_met", "0.50")
    listed = assert_ok(client.get(curl(world.a, "judgements"), headers=committee))
    assert [(row["item"], row["status"]) for row in listed] == [("1", "partly_met")]

    response = client.delete(
        curl(world.a, "standards", HLJ, "items", "1", "judgement"), headers=committee
    )
    assert response.status_code == 204
    card = assert_ok(client.get(curl(world.a, "scorecard"), headers=committee))
    assert item(card, "1")["status"] == "needs_assessment"
    assert_error(
        client.delete(
            curl(world.a, "standards", HLJ, "items", "1", "judgement"), headers=committee
        ),
        404,
        "judgement_not_found",
    )


def test_a_judgement_inside_a_combination_completes_it(client, world, auth, make):
    committee = auth(world.committee)
    make(
        lambda: db.session.add(
            Facility(community_id=world.a, kind="publicity_board", name="宣传栏")
        )
    )
    card = run(client, committee, world.a)
    assert item(card, "13")["status"] == "needs_assessment"
    assert_ok(judge(client, committee, world.a, "13"))
    card = assert_ok(client.get(curl(world.a, "scorecard"), headers=committee))
    assert item(card, "13")["status"] == "met"
    assert item(card, "13")["method"] == "combined"


def test_a_judgements_photos_open_by_their_signed_links(client, world, auth):
    committee = auth(world.committee)
    key = photo(client, committee, world.a)
    judged = assert_ok(judge(client, committee, world.a, "1", photos=[key]))
    listed = assert_ok(client.get(curl(world.a, "judgements"), headers=committee,
                                  query_string={"standard": HLJ}))
    for shown in (judged, listed[0]):
        assert shown["photos"] == [key]
        [link] = shown["photo_urls"]
        assert key in link and "signature=" in link
        opened = client.get(link)  # no token: the link is the permission
        assert opened.status_code == 200 and opened.mimetype == "image/png"


def test_judgements_refused(client, world, auth, counts):
    committee = auth(world.committee)
    with writes_nothing(counts):
        # Item 2 is measured only: nobody overrides a measurement.
        assert_error(judge(client, committee, world.a, "2"), 422, "item_not_assessed")
        assert_error(judge(client, committee, world.a, "99"), 404, "item_not_found")
        assert_error(
            judge(client, committee, world.a, "1", status="perfect"), 422, "validation_error"
        )
        assert_error(
            judge(client, committee, world.a, "1", note="x" * 1001), 422, "validation_error"
        )
        assert_error(
            judge(client, committee, world.a, "1", photos=["nope"]), 422, "validation_error"
        )
        assert_error(judge(client, auth(world.resident), world.a, "1"), 403, "forbidden")
        assert_error(judge(client, auth(world.outsider), world.a, "1"), 404, "not_found")


def test_an_item_for_the_street_to_decide_refuses_the_committee(client, world, auth):
    street = auth(world.street_admin)
    document = {
        "code": "street_check",
        "name": "街道检查",
        "areas": [{"code": "a", "title": "检查"}],
        "items": [
            {
                "code": "1",
                "area": "a",
                "title": "现场检查",
                "criterion": "街道现场检查",
                "evaluation": {"assessed": {"roles": ["street"]}},
            }
        ],
    }
    assert_ok(
        client.post(
            f"{API}/regions/{world.street_a}/standards", json={"document": document}, headers=street
        ),
        201,
    )
    assert_ok(
        client.put(curl(world.a, "standards"), json={"standards": ["street_check"]}, headers=street)
    )
    body = assert_error(
        judge(client, auth(world.committee), world.a, "1", standard="street_check"),
        403,
        "assessor_role_required",
    )
    assert "街道" in body["message"]
    judged = assert_ok(judge(client, street, world.a, "1", standard="street_check"))
    assert judged["decided_as"] == "street"


# ---------------------------------------------------------------- the street


def _second_community_on_street_a(world) -> int:
    row = factories.community("A2", db.session.get(Region, world.street_a))
    db.session.commit()
    return row.id


def test_the_street_ranks_its_communities_and_sees_its_coverage(client, world, auth, make):
    second = make(lambda: _second_community_on_street_a(world))
    street = auth(world.street_admin)
    report = assert_ok(
        client.post(
            f"{API}/regions/{world.street_a}/assessments", json={"standard": HLJ}, headers=street
        ),
        201,
    )
    assert (report["communities"], report["meeting_standard"]) == (2, 0)

    ranking = assert_ok(
        client.get(
            f"{API}/regions/{world.street_a}/scoring",
            query_string={"standard": HLJ},
            headers=street,
        )
    )
    assert (ranking["communities"], ranking["assessed"], ranking["coverage_percent"]) == (
        2,
        2,
        "0.00",
    )
    # a has a property company (HLJ 12 met), the new one has nothing registered.
    assert [row["community_id"] for row in ranking["ranking"]] == [world.a, second]
    assert ranking["ranking"][0]["rank"] == 1
    first = ranking["ranking"][0]
    assert first["met_percent"] == str((Decimal(first["met"]) * 100 / 16).quantize(Decimal("0.01")))
    # Another street's admin does not see this street.
    assert_error(
        client.get(f"{API}/regions/{world.street_a}/scoring", headers=auth(world.outsider)),
        404,
        "region_not_found",
    )


def test_coverage_counts_communities_meeting_the_standard(client, world, auth, make):
    second = make(lambda: _second_community_on_street_a(world))
    street = auth(world.street_admin)
    document = {
        "code": "meetings_only",
        "name": "议事达标",
        "areas": [{"code": "a", "title": "议事"}],
        "items": [
            {
                "code": "1",
                "area": "a",
                "title": "联合议事",
                "criterion": "每年至少召开1次联合议事会议",
                "evaluation": {
                    "measured": {"metric": "joint_meetings_held", "op": ">=", "value": 1}
                },
            }
        ],
    }
    assert_ok(
        client.post(
            f"{API}/regions/{world.street_a}/standards", json={"document": document}, headers=street
        ),
        201,
    )
    for community_id in (world.a, second):
        assert_ok(
            client.put(
                curl(community_id, "standards"),
                json={"standards": ["meetings_only"]},
                headers=street,
            )
        )
    meeting(client, auth(world.committee), world.a, date(YEAR, 1, 5))
    assert_ok(
        client.post(
            f"{API}/regions/{world.street_a}/assessments",
            json={"standard": "meetings_only"},
            headers=street,
        ),
        201,
    )
    ranking = assert_ok(
        client.get(
            f"{API}/regions/{world.street_a}/scoring",
            query_string={"standard": "meetings_only"},
            headers=street,
        )
    )
    assert (ranking["meeting_standard"], ranking["coverage_percent"]) == (1, "50.00")
    assert [
        (row["community_id"], row["meets_standard"], row["rank"]) for row in ranking["ranking"]
    ] == [(world.a, True, 1), (second, False, 2)]


def test_communities_not_yet_assessed_count_against_coverage(client, world, auth, make):
    second = make(lambda: _second_community_on_street_a(world))
    run(client, auth(world.committee), world.a)
    ranking = assert_ok(
        client.get(f"{API}/regions/{world.street_a}/scoring", headers=auth(world.street_admin))
    )
    assert (ranking["communities"], ranking["assessed"]) == (2, 1)
    assert [row["community_id"] for row in ranking["not_assessed"]] == [second]


# ---------------------------------------------------------------- the nightly job, the scale


def test_the_nightly_job_refreshes_this_years_draft_of_every_community(app, world, client, auth):
    from backend.scoring.services.assessments import refresh_drafts

    with app.app_context():
        refresh_drafts()
        refresh_drafts()
        rows = db.session.execute(
            sa.select(Assessment.community_id, Assessment.standard_code, Assessment.state).order_by(
                Assessment.community_id, Assessment.standard_code
            )
        ).all()
    assert rows == [
        (world.a, COMPLETE, "draft"),
        (world.a, HLJ, "draft"),
        (world.b, COMPLETE, "draft"),
        (world.b, HLJ, "draft"),
    ]
    card = assert_ok(client.get(curl(world.a, "scorecard"), headers=auth(world.committee)))
    assert card["state"] == "draft"


def test_a_run_reads_each_measurement_once_whatever_the_number_of_communities(app, world):
    from backend.scoring.services.assessments import run as run_standard
    from backend.scoring.services.common import standard_or_404

    with app.app_context():
        street = db.session.get(Region, world.street_a)
        few = [world.a, world.b]
        many = few + [factories.community(f"X{n}", street).id for n in range(8)]
        db.session.commit()
        found = standard_or_404(HLJ)
        counted = []
        for ids in (few, many):
            with statements() as seen:
                run_standard(found, factories_period(), ids)
            counted.append(len(seen))
    assert counted[0] == counted[1]


def factories_period():
    from backend.core.metrics import Period

    return Period.calendar_year(YEAR)
