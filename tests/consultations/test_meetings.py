"""Offline joint meetings (联合议事会议): the committee records, corrects and removes them; every
member of the community reads them; photos follow the platform's photo rule."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from backend.consultations.models import JointMeeting
from backend.core.audit.models import AuditEntry
from backend.core.db import db, utcnow
from backend.core.tenancy.models import Community
from backend.core.wechat.models import MediaCheck
from tests.consultations import factories
from tests.core.wechat.test_media import push, verdict
from tests.helpers import assert_error, assert_ok, pagination, url, writes_nothing

PHOTO = "https://files.example.cn/meetings/1.jpg"
OTHER_PHOTO = "https://files.example.cn/meetings/2.jpg"


def meeting_body(**fields) -> dict:
    return {"held_on": "2024-05-01", "topic": "加装电梯协调会", "attendees_count": 23, **fields}


def record(client, headers, community_id, **fields):
    return client.post(url(community_id, "meetings"), headers=headers, json=meeting_body(**fields))


def correct(client, headers, community_id, meeting_id, **fields):
    return client.patch(url(community_id, "meetings", meeting_id), headers=headers, json=fields)


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def checks(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(MediaCheck.owner_id, MediaCheck.url, MediaCheck.status)
                .where(MediaCheck.owner_kind == "joint_meeting")
                .order_by(MediaCheck.id)
            ).all()
        )


@pytest.fixture
def consultation_of(world, make):
    """`consultation_of(community_id)` -> the id of a new consultation of that community."""

    def create(community_id: int) -> int:
        return make(lambda: factories.consultation(community_id, world.committee).id)

    return create


# ---------------------------------------------------------------- recording


def test_the_committee_records_a_meeting(app, client, world, committee, consultation_of):
    consultation_id = consultation_of(world.a)
    body = assert_ok(
        record(client, committee, world.a, consultation_id=consultation_id,
               minutes="  讨论了3号楼加装电梯的费用分摊。  "),
        201,
    )
    assert body["held_on"] == "2024-05-01"
    assert (body["topic"], body["attendees_count"]) == ("加装电梯协调会", 23)
    assert body["minutes"] == "讨论了3号楼加装电梯的费用分摊。"
    assert (body["community_id"], body["consultation_id"]) == (world.a, consultation_id)
    assert body["recorded_by_id"] == world.committee
    assert (body["photos"], body["photos_awaiting_check"]) == ([], 0)
    [entry] = audit_entries(app, "meeting.recorded")
    assert (entry.target_type, entry.target_id) == ("joint_meeting", str(body["id"]))
    assert entry.details == {"held_on": "2024-05-01", "consultation_id": consultation_id}
    assert assert_ok(client.get(url(world.a, "meetings", body["id"]), headers=committee)) == body


def test_the_minutes_are_published_as_the_committee_wrote_them(client, world, committee,
                                                                fake_wechat):
    # The committee answers for its own minutes: they are not held for the text check.
    body = assert_ok(record(client, committee, world.a, minutes="REVIEW 会议纪要"), 201)
    assert body["minutes"] == "REVIEW 会议纪要"
    assert fake_wechat.calls_to("/wxa/msg_sec_check") == 0


def test_a_meeting_may_be_recorded_on_the_communitys_today_not_after(
    app, client, world, committee, counts
):
    # Kiritimati is 14 hours ahead of UTC: its today is often tomorrow on a UTC clock.
    zone = "Pacific/Kiritimati"
    with app.app_context():
        db.session.get(Community, world.a).timezone = zone
        db.session.commit()
    today = utcnow().astimezone(ZoneInfo(zone)).date()
    assert_ok(record(client, committee, world.a, held_on=today.isoformat()), 201)
    with writes_nothing(counts):
        response = record(client, committee, world.a, held_on=(today + timedelta(1)).isoformat())
        body = assert_error(response, 422, "meeting_in_future")
    assert list(body["errors"]["json"]) == ["held_on"]


def test_a_meeting_about_another_communitys_consultation_is_404(
    client, world, committee, counts, consultation_of
):
    foreign = consultation_of(world.b)
    with writes_nothing(counts):
        assert_error(record(client, committee, world.a, consultation_id=foreign), 404,
                     "consultation_not_found")
        assert_error(record(client, committee, world.a, consultation_id=999999), 404,
                     "consultation_not_found")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"attendees_count": 0}, "attendees_count"),
        ({"attendees_count": 10001}, "attendees_count"),
        ({"topic": "长" * 101}, "topic"),
        ({"topic": "   "}, "topic"),
        ({"minutes": "长" * 5001}, "minutes"),
        ({"photos": ["http://files.example.cn/a.jpg"]}, "photos"),
        ({"photos": [f"https://files.example.cn/{n}.jpg" for n in range(10)]}, "photos"),
        ({"photos": [PHOTO, PHOTO]}, "photos"),
        ({"photos": ["https://files.example.cn/" + "a" * 1024]}, "photos"),
        ({"held_on": "2024-02-30"}, "held_on"),
    ],
)
def test_bad_meetings_are_refused_field_by_field(client, world, committee, counts, fields, field):
    with writes_nothing(counts):
        body = assert_error(record(client, committee, world.a, **fields), 422, "validation_error")
    assert field in body["errors"]["json"]


def test_residents_read_meetings_but_do_not_record_them(client, world, committee, resident,
                                                        counts):
    created = assert_ok(record(client, committee, world.a), 201)
    assert [m["id"] for m in assert_ok(client.get(url(world.a, "meetings"), headers=resident))] == [
        created["id"]
    ]
    assert assert_ok(client.get(url(world.a, "meetings", created["id"]), headers=resident))
    with writes_nothing(counts):
        assert_error(record(client, resident, world.a), 403, "forbidden")
        assert_error(correct(client, resident, world.a, created["id"], topic="改"), 403,
                     "forbidden")
        assert_error(client.delete(url(world.a, "meetings", created["id"]), headers=resident),
                     403, "forbidden")


def test_another_communitys_committee_finds_nothing(client, world, committee, auth, counts):
    created = assert_ok(record(client, committee, world.a), 201)
    outsider = auth(world.outsider)
    with writes_nothing(counts):
        assert_error(client.get(url(world.a, "meetings"), headers=outsider), 404, "not_found")
        assert_error(client.get(url(world.a, "meetings", created["id"]), headers=outsider), 404,
                     "not_found")
        assert_error(record(client, outsider, world.a), 404, "not_found")
        # Through their own community's URL, a's meeting does not exist either.
        for response in (
            client.get(url(world.b, "meetings", created["id"]), headers=outsider),
            correct(client, outsider, world.b, created["id"], topic="改"),
            client.delete(url(world.b, "meetings", created["id"]), headers=outsider),
        ):
            assert_error(response, 404, "meeting_not_found")
    assert assert_ok(client.get(url(world.b, "meetings"), headers=outsider)) == []


# ---------------------------------------------------------------- reading


def test_meetings_are_listed_newest_first_and_filtered_by_year_and_consultation(
    client, world, committee, resident, consultation_of
):
    consultation_id = consultation_of(world.a)
    ids = {
        held_on: assert_ok(record(client, committee, world.a, held_on=held_on,
                                  consultation_id=consultation_id if held_on < "2024" else None),
                           201)["id"]
        for held_on in ("2023-12-31", "2024-01-01", "2024-06-15", "2023-03-08")
    }
    listed = assert_ok(client.get(url(world.a, "meetings"), headers=resident))
    assert [m["held_on"] for m in listed] == ["2024-06-15", "2024-01-01", "2023-12-31",
                                              "2023-03-08"]
    in_2024 = client.get(url(world.a, "meetings"), headers=resident, query_string={"year": 2024})
    assert [m["id"] for m in assert_ok(in_2024)] == [ids["2024-06-15"], ids["2024-01-01"]]
    assert pagination(in_2024)["total"] == 2
    about = assert_ok(client.get(url(world.a, "meetings"), headers=resident,
                                 query_string={"consultation_id": consultation_id, "year": 2023}))
    assert [m["id"] for m in about] == [ids["2023-12-31"], ids["2023-03-08"]]


def test_the_list_is_paged(client, world, committee, make):
    def many():
        db.session.add_all(
            JointMeeting(community_id=world.a, held_on=date(2024, 1, 1) + timedelta(n),
                         topic=f"第{n}次议事会", attendees_count=10, recorded_by_id=world.committee)
            for n in range(25)
        )

    make(many)
    first = client.get(url(world.a, "meetings"), headers=committee)
    assert len(assert_ok(first)) == 20
    assert pagination(first)["total"] == 25
    second = client.get(url(world.a, "meetings"), headers=committee,
                        query_string={"page": 2, "page_size": 20})
    assert [m["topic"] for m in assert_ok(second)] == [f"第{n}次议事会" for n in range(4, -1, -1)]


# ---------------------------------------------------------------- photos


def test_photos_wait_for_their_check_before_residents_see_them(
    app, client, world, committee, resident, give_openid, fake_wechat
):
    # The committee member also uses the mini-program: WeChat can be asked about the photos.
    give_openid(world.committee)
    created = assert_ok(record(client, committee, world.a, photos=[PHOTO, OTHER_PHOTO]), 201)
    assert (created["photos"], created["photos_awaiting_check"]) == ([PHOTO, OTHER_PHOTO], 2)
    assert [c[2] for c in checks(app)] == ["pending", "pending"]
    seen = assert_ok(client.get(url(world.a, "meetings", created["id"]), headers=resident))
    assert (seen["photos"], seen["photos_awaiting_check"]) == ([], 2)

    first, _ = fake_wechat.media_checks
    assert push(client, verdict(first["trace_id"], "pass")).status_code == 200
    [seen] = assert_ok(client.get(url(world.a, "meetings"), headers=resident))
    assert (seen["photos"], seen["photos_awaiting_check"]) == ([PHOTO], 1)
    [listed] = assert_ok(client.get(url(world.a, "meetings"), headers=committee))
    assert listed["photos"] == [PHOTO, OTHER_PHOTO]


def test_photos_of_staff_without_wechat_go_to_manual_review(app, client, world, committee,
                                                            resident, fake_wechat):
    created = assert_ok(record(client, committee, world.a, photos=[PHOTO]), 201)
    assert checks(app) == [(created["id"], PHOTO, "manual_review")]
    assert fake_wechat.media_checks == []
    seen = assert_ok(client.get(url(world.a, "meetings", created["id"]), headers=resident))
    assert seen["photos"] == []


# ---------------------------------------------------------------- correcting, removing


def test_the_committee_corrects_a_meeting(app, client, world, committee, consultation_of):
    consultation_id = consultation_of(world.a)
    created = assert_ok(record(client, committee, world.a, photos=[PHOTO]), 201)
    body = assert_ok(correct(client, committee, world.a, created["id"], held_on="2024-04-30",
                             attendees_count=31, consultation_id=consultation_id,
                             photos=[OTHER_PHOTO], topic=created["topic"]))
    assert (body["held_on"], body["attendees_count"]) == ("2024-04-30", 31)
    assert (body["consultation_id"], body["photos"]) == (consultation_id, [OTHER_PHOTO])
    # The removed photo's check is gone; the new one is checked.
    assert checks(app) == [(created["id"], OTHER_PHOTO, "manual_review")]
    [entry] = audit_entries(app, "meeting.corrected")
    assert entry.details == {
        "fields": ["attendees_count", "consultation_id", "held_on", "photos"],
        "held_on": "2024-04-30",
        "consultation_id": consultation_id,
    }
    unlinked = assert_ok(correct(client, committee, world.a, created["id"], consultation_id=None))
    assert unlinked["consultation_id"] is None


def test_a_correction_is_validated_like_a_record(client, world, committee, counts,
                                                 consultation_of):
    created = assert_ok(record(client, committee, world.a), 201)
    foreign = consultation_of(world.b)
    tomorrow = (date.today() + timedelta(2)).isoformat()
    with writes_nothing(counts):
        assert_error(correct(client, committee, world.a, created["id"], held_on=tomorrow), 422,
                     "meeting_in_future")
        assert_error(correct(client, committee, world.a, created["id"], consultation_id=foreign),
                     404, "consultation_not_found")
        assert_error(correct(client, committee, world.a, created["id"], attendees_count=0), 422,
                     "validation_error")
        assert_error(correct(client, committee, world.a, 999999, topic="改"), 404,
                     "meeting_not_found")


def test_a_correction_that_changes_nothing_is_not_audited(app, client, world, committee):
    created = assert_ok(record(client, committee, world.a), 201)
    assert_ok(correct(client, committee, world.a, created["id"], topic=created["topic"]))
    assert audit_entries(app, "meeting.corrected") == []


def test_the_committee_removes_a_meeting_entered_by_mistake(app, client, world, committee,
                                                            resident):
    created = assert_ok(record(client, committee, world.a, photos=[PHOTO]), 201)
    response = client.delete(url(world.a, "meetings", created["id"]), headers=committee)
    assert response.status_code == 204
    assert_error(client.get(url(world.a, "meetings", created["id"]), headers=resident), 404,
                 "meeting_not_found")
    assert assert_ok(client.get(url(world.a, "meetings"), headers=resident)) == []
    assert checks(app) == []
    [entry] = audit_entries(app, "meeting.removed")
    assert (entry.target_id, entry.details) == (
        str(created["id"]), {"held_on": "2024-05-01", "consultation_id": None}
    )
    assert_error(client.delete(url(world.a, "meetings", created["id"]), headers=committee), 404,
                 "meeting_not_found")
