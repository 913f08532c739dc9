"""The needs phase (征集): residents propose needs, with photos, and support each other's once."""

from __future__ import annotations

import sqlalchemy as sa

from backend.consultations.models import Need, NeedSupport
from backend.core.audit.models import AuditEntry
from backend.core.db import db
from backend.core.wechat.models import MediaCheck
from tests.consultations import factories
from tests.factories import grant
from tests.helpers import assert_error, assert_ok, pagination, url, writes_nothing

BODY = {"title": "加装电梯", "description": "三楼以上老人多，上下楼困难", "need_class": "improve"}
PHOTOS = ["https://cdn.example.com/needs/1.jpg", "https://cdn.example.com/needs/2.jpg"]


def collecting(make, world, **fields) -> int:
    return make(lambda: factories.consultation(world.a, world.committee, **fields).id)


def needs_url(world, consultation_id, *parts) -> str:
    return url(world.a, "consultations", consultation_id, "needs", *parts)


def propose(client, world, consultation_id, headers, **changes):
    return client.post(needs_url(world, consultation_id), json={**BODY, **changes}, headers=headers)


def listed(client, world, consultation_id, headers, **query) -> list[dict]:
    return assert_ok(client.get(needs_url(world, consultation_id), headers=headers,
                                query_string=query))


def test_a_proposal_wechat_passes_is_published_and_others_see_it(
    app, client, world, auth, make, give_openid, new_resident
):
    consultation_id = collecting(make, world)
    give_openid(world.resident)
    neighbour = new_resident("neighbour")

    need = assert_ok(propose(client, world, consultation_id, auth(world.resident)), 201)

    assert need["status"] == "published"
    assert (need["mine"], need["supported"], need["support_count"]) == (True, False, 0)
    assert need["need_class_label"] == "完善类"
    assert "phone" not in str(need)
    [seen] = listed(client, world, consultation_id, auth(neighbour))
    assert (seen["id"], seen["mine"], seen["author_id"]) == (need["id"], False, world.resident)
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "need.proposed"))
        assert entry.target_id == str(need["id"])
        assert entry.details == {"consultation_id": consultation_id, "status": "published",
                                 "photos": 0}


def test_without_an_openid_the_proposal_waits_for_review_seen_by_its_author_and_overseers(
    client, world, auth, make, committee, new_resident
):
    consultation_id = collecting(make, world)
    neighbour = new_resident("neighbour")

    need = assert_ok(propose(client, world, consultation_id, auth(world.resident)), 201)

    assert need["status"] == "review"
    assert listed(client, world, consultation_id, auth(neighbour)) == []
    assert_error(client.get(needs_url(world, consultation_id, need["id"]), headers=auth(neighbour)),
                 404, "need_not_found")
    assert [n["id"] for n in listed(client, world, consultation_id, auth(world.resident))] == [
        need["id"]
    ]
    assert [n["id"] for n in listed(client, world, consultation_id, committee)] == [need["id"]]
    assert [n["id"] for n in listed(client, world, consultation_id, auth(world.street_admin))] == [
        need["id"]
    ]
    # Staff who do not oversee see what residents see.
    assert listed(client, world, consultation_id, auth(world.grid_worker)) == []


def test_a_text_wechat_wants_reviewed_waits_for_review(client, world, auth, make, give_openid):
    consultation_id = collecting(make, world)
    give_openid(world.resident)

    need = assert_ok(propose(client, world, consultation_id, auth(world.resident),
                             description="REVIEW 这段文字需要人工看看"), 201)

    assert need["status"] == "review"


def test_a_risky_proposal_is_refused_and_nothing_is_written(
    client, world, auth, make, give_openid, counts, wechat_token
):
    consultation_id = collecting(make, world)
    give_openid(world.resident)

    with writes_nothing(counts):
        response = propose(client, world, consultation_id, auth(world.resident),
                           title="RISKY 标题", photos=PHOTOS)
    assert_error(response, 422, "content_risky")


def test_photos_are_checked_and_shown_to_others_once_wechat_passed_them(
    app, client, world, auth, make, give_openid, new_resident, committee, fake_wechat
):
    consultation_id = collecting(make, world)
    give_openid(world.resident)
    neighbour = new_resident("neighbour")

    need = assert_ok(propose(client, world, consultation_id, auth(world.resident),
                             photos=PHOTOS), 201)

    assert need["photos"] == PHOTOS  # the author sees their own photos at once
    assert [check["media_url"] for check in fake_wechat.media_checks] == PHOTOS
    [seen] = listed(client, world, consultation_id, auth(neighbour))
    assert seen["photos"] == []
    assert listed(client, world, consultation_id, committee)[0]["photos"] == PHOTOS

    def pass_first():
        check = db.session.scalar(sa.select(MediaCheck).where(MediaCheck.url == PHOTOS[0]))
        assert (check.owner_kind, check.owner_id, check.status) == (
            "consultation_need", need["id"], "pending")
        check.status = "pass"

    make(pass_first)
    detail = assert_ok(client.get(needs_url(world, consultation_id, need["id"]),
                                  headers=auth(neighbour)))
    assert detail["photos"] == PHOTOS[:1]


def test_photos_must_be_https_and_at_most_nine(client, world, auth, make, counts):
    consultation_id = collecting(make, world)

    with writes_nothing(counts):
        plain = propose(client, world, consultation_id, auth(world.resident),
                        photos=["http://cdn.example.com/a.jpg"])
        many = propose(client, world, consultation_id, auth(world.resident),
                       photos=[f"https://cdn.example.com/{n}.jpg" for n in range(10)])
        bad_class = propose(client, world, consultation_id, auth(world.resident),
                            need_class="luxury")
    assert "photos" in assert_error(plain, 422, "validation_error")["errors"]["json"]
    assert "photos" in assert_error(many, 422, "validation_error")["errors"]["json"]
    assert "need_class" in assert_error(bad_class, 422, "validation_error")["errors"]["json"]


def test_needs_are_proposed_only_while_they_are_collected(client, world, auth, make, counts):
    voting = collecting(make, world, status="voting")
    draft = collecting(make, world, status="draft")

    with writes_nothing(counts):
        assert_error(propose(client, world, voting, auth(world.resident)), 409,
                     "needs_phase_closed")
        # A draft is not before the residents yet: it does not exist for them.
        assert_error(propose(client, world, draft, auth(world.resident)), 404,
                     "consultation_not_found")


def test_the_needs_phase_closes_on_its_date_though_voting_opens_later(
    client, world, auth, make, counts, new_resident
):
    def setup():
        consultation = factories.between_phases(world.a, world.committee)
        need = _need(world, consultation.id, support_count=1)
        db.session.add(NeedSupport(need_id=need.id, user_id=world.resident))
        return consultation.id, need.id

    consultation_id, need_id = make(setup)
    neighbour = new_resident("neighbour")
    support = needs_url(world, consultation_id, need_id, "support")

    with writes_nothing(counts):
        assert_error(propose(client, world, consultation_id, auth(world.resident)), 409,
                     "needs_phase_closed")
        assert_error(client.post(support, headers=auth(neighbour)), 409, "needs_phase_closed")
        assert_error(client.delete(support, headers=auth(world.resident)), 409,
                     "needs_phase_closed")
    [need] = listed(client, world, consultation_id, auth(world.resident))
    assert (need["support_count"], need["supported"]) == (1, True)


def test_only_eligible_residents_propose(client, world, auth, make, counts):
    def out_of_scope():
        row = factories.consultation(world.a, world.committee, scope="buildings")
        from backend.communities.models import Building

        row.buildings = [db.session.get(Building, world.empty_building)]
        return row.id

    consultation_id = make(out_of_scope)

    def grid_worker_lives_here():
        from backend.accounts.models import User

        grant(db.session.get(User, world.grid_worker), "resident", community_id=world.a,
              household_id=world.household, relation="tenant")

    make(grid_worker_lives_here)
    with writes_nothing(counts):
        # A resident out of scope does not see the consultation at all.
        assert_error(propose(client, world, consultation_id, auth(world.resident)), 404,
                     "consultation_not_found")
        # Staff see it, and a staff member who lives out of scope may not take part.
        assert_error(propose(client, world, consultation_id, auth(world.grid_worker)), 403,
                     "not_eligible")
        # A pending claim is no role in the community yet.
        assert propose(client, world, consultation_id, auth(world.claimant)).status_code == 404
        assert_error(propose(client, world, consultation_id, auth(world.committee)), 403,
                     "forbidden")


def test_another_communitys_committee_finds_nothing(client, world, auth, make, counts):
    consultation_id = collecting(make, world)
    need_id = make(lambda: _need(world, consultation_id).id)

    assert client.get(needs_url(world, consultation_id), headers=auth(world.outsider)
                      ).status_code == 404
    assert client.get(needs_url(world, consultation_id, need_id), headers=auth(world.outsider)
                      ).status_code == 404
    # Nor does the consultation exist under their own community.
    other = url(world.b, "consultations", consultation_id, "needs")
    assert_error(client.get(other, headers=auth(world.outsider)), 404, "consultation_not_found")


def _need(world, consultation_id, *, status="published", author=None, need_class="basic",
          support_count=0, title="修缮屋顶") -> Need:
    row = Need(consultation_id=consultation_id, community_id=world.a,
               author_id=author or world.committee, title=title, need_class=need_class,
               status=status, support_count=support_count)
    db.session.add(row)
    db.session.flush()
    return row


def test_needs_are_listed_most_supported_first_and_filtered_by_class(
    client, world, auth, make
):
    consultation_id = collecting(make, world)

    def needs():
        return [
            _need(world, consultation_id, support_count=1, need_class="basic").id,
            _need(world, consultation_id, support_count=5, need_class="upgrade").id,
            _need(world, consultation_id, support_count=1, need_class="basic").id,
        ]

    first, second, third = make(needs)

    response = client.get(needs_url(world, consultation_id), headers=auth(world.resident),
                          query_string={"page_size": 2})
    assert [n["id"] for n in assert_ok(response)] == [second, first]
    assert pagination(response)["total"] == 3
    basic = listed(client, world, consultation_id, auth(world.resident), need_class="basic")
    assert [n["id"] for n in basic] == [first, third]


def test_a_resident_supports_a_need_once_and_may_withdraw(
    app, client, world, auth, make, counts, new_resident
):
    consultation_id = collecting(make, world)
    need_id = make(lambda: _need(world, consultation_id).id)
    neighbour = new_resident("neighbour")
    support = needs_url(world, consultation_id, need_id, "support")

    need = assert_ok(client.post(support, headers=auth(world.resident)), 201)
    assert (need["support_count"], need["supported"]) == (1, True)
    assert assert_ok(client.post(support, headers=auth(neighbour)), 201)["support_count"] == 2
    with writes_nothing(counts):
        assert_error(client.post(support, headers=auth(world.resident)), 409,
                     "need_already_supported")

    assert client.delete(support, headers=auth(world.resident)).status_code == 204
    with writes_nothing(counts):
        assert_error(client.delete(support, headers=auth(world.resident)), 404,
                     "support_not_found")
    seen = assert_ok(client.get(needs_url(world, consultation_id, need_id),
                                headers=auth(world.resident)))
    assert (seen["support_count"], seen["supported"]) == (1, False)
    with app.app_context():
        assert db.session.scalars(sa.select(NeedSupport.user_id)).all() == [neighbour]


def test_only_published_needs_are_supported_while_collecting(
    client, world, auth, make, counts, new_resident
):
    consultation_id = collecting(make, world)
    voting = collecting(make, world, status="voting")
    neighbour = new_resident("neighbour")

    def needs():
        return (
            _need(world, consultation_id, status="review", author=world.resident).id,
            _need(world, consultation_id, status="review").id,
            _need(world, voting).id,
        )

    own_in_review, others_in_review, closed = make(needs)
    with writes_nothing(counts):
        assert_error(client.post(needs_url(world, consultation_id, own_in_review, "support"),
                                 headers=auth(world.resident)), 409, "need_not_published")
        assert_error(client.post(needs_url(world, consultation_id, others_in_review, "support"),
                                 headers=auth(neighbour)), 404, "need_not_found")
        assert_error(client.post(needs_url(world, voting, closed, "support"),
                                 headers=auth(world.resident)), 409, "needs_phase_closed")
        assert_error(client.delete(needs_url(world, voting, closed, "support"),
                                   headers=auth(world.resident)), 409, "needs_phase_closed")
        # A need of another consultation is not found under this one.
        assert_error(client.post(needs_url(world, consultation_id, closed, "support"),
                                 headers=auth(world.resident)), 404, "need_not_found")
        assert_error(client.post(needs_url(world, consultation_id, own_in_review, "support"),
                                 headers=auth(world.committee)), 403, "forbidden")
