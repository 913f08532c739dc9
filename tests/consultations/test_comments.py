"""Deliberation: comments on a consultation or a need, one level of replies, reports."""

from __future__ import annotations

import sqlalchemy as sa

from backend.consultations.models import Comment, CommentReport, Need
from backend.core.audit.models import AuditEntry
from backend.core.db import db
from tests.consultations import factories
from tests.factories import grant
from tests.helpers import assert_error, assert_ok, url, writes_nothing


def consultation(make, world, **fields) -> int:
    return make(lambda: factories.consultation(world.a, world.committee, **fields).id)


def comments_url(world, consultation_id, *parts) -> str:
    return url(world.a, "consultations", consultation_id, "comments", *parts)


def post(client, world, consultation_id, headers, body="支持加装电梯", **fields):
    return client.post(comments_url(world, consultation_id), json={"body": body, **fields},
                       headers=headers)


def listed(client, world, consultation_id, headers, **query) -> list[dict]:
    return assert_ok(client.get(comments_url(world, consultation_id), headers=headers,
                                query_string=query))


def ids(items) -> list[int]:
    return [item["id"] for item in items]


def add_comment(world, consultation_id, *, author, status="published", parent_id=None,
                need_id=None, report_count=0, body="楼道灯坏了很久") -> int:
    row = Comment(consultation_id=consultation_id, community_id=world.a, author_id=author,
                  body=body, status=status, parent_id=parent_id, need_id=need_id,
                  report_count=report_count)
    db.session.add(row)
    db.session.flush()
    return row.id


def add_need(world, consultation_id, *, status="published", author=None) -> int:
    row = Need(consultation_id=consultation_id, community_id=world.a,
               author_id=author or world.committee, title="修缮屋顶", need_class="basic",
               status=status)
    db.session.add(row)
    db.session.flush()
    return row.id


def test_a_comment_wechat_passes_is_published_and_replies_go_one_level_deep(
    app, client, world, auth, make, give_openid, new_resident, counts
):
    consultation_id = consultation(make, world)
    give_openid(world.resident)
    neighbour = new_resident("neighbour")
    give_openid(neighbour)

    top = assert_ok(post(client, world, consultation_id, auth(world.resident)), 201)
    reply = assert_ok(post(client, world, consultation_id, auth(neighbour), body="同意",
                           parent_id=top["id"]), 201)

    assert (top["status"], top["mine"], top["parent_id"]) == ("published", True, None)
    assert (reply["status"], reply["parent_id"]) == ("published", top["id"])
    with writes_nothing(counts):
        response = post(client, world, consultation_id, auth(world.resident), body="回复回复",
                        parent_id=reply["id"])
    assert_error(response, 422, "reply_depth")
    # Flat, oldest first; each reply names its parent.
    seen = listed(client, world, consultation_id, auth(neighbour))
    assert [(c["id"], c["parent_id"], c["mine"]) for c in seen] == [
        (top["id"], None, False), (reply["id"], top["id"], True)
    ]
    assert seen[0]["report_count"] is None  # reports are for moderators' eyes
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action == "comment.posted")
        ).all()
        assert len(actions) == 2


def test_comments_wait_for_review_without_an_openid_and_risky_ones_are_refused(
    client, world, auth, make, give_openid, new_resident, counts, wechat_token
):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")
    give_openid(neighbour)

    held = assert_ok(post(client, world, consultation_id, auth(world.resident)), 201)
    asked = assert_ok(post(client, world, consultation_id, auth(neighbour), body="REVIEW 一下"),
                      201)
    with writes_nothing(counts):
        assert_error(post(client, world, consultation_id, auth(neighbour), body="RISKY 内容"),
                     422, "content_risky")

    assert (held["status"], asked["status"]) == ("review", "review")
    assert ids(listed(client, world, consultation_id, auth(world.resident))) == [held["id"]]
    assert ids(listed(client, world, consultation_id, auth(neighbour))) == [asked["id"]]
    assert ids(listed(client, world, consultation_id, auth(world.committee))) == [
        held["id"], asked["id"]
    ]


def test_comments_on_a_need_are_listed_by_need(client, world, auth, make, counts, give_openid):
    consultation_id = consultation(make, world)
    give_openid(world.resident)
    other_consultation = consultation(make, world)

    def rows():
        return (add_need(world, consultation_id), add_need(world, other_consultation),
                add_need(world, consultation_id, status="review"),
                add_comment(world, other_consultation, author=world.committee),
                add_comment(world, consultation_id, author=world.resident, status="review"))

    need, foreign_need, need_in_review, foreign_comment, held = make(rows)
    on_need = assert_ok(post(client, world, consultation_id, auth(world.resident), need_id=need),
                        201)
    general = assert_ok(post(client, world, consultation_id, auth(world.resident)), 201)

    assert ids(listed(client, world, consultation_id, auth(world.resident), need_id=need)) == [
        on_need["id"]
    ]
    assert ids(listed(client, world, consultation_id, auth(world.resident))) == [
        held, on_need["id"], general["id"]
    ]
    with writes_nothing(counts):
        assert_error(post(client, world, consultation_id, auth(world.resident),
                          need_id=foreign_need), 404, "need_not_found")
        assert_error(post(client, world, consultation_id, auth(world.resident),
                          need_id=need_in_review), 404, "need_not_found")
        assert_error(post(client, world, consultation_id, auth(world.resident),
                          parent_id=foreign_comment), 404, "comment_not_found")
        # A reply belongs to its parent's need.
        assert_error(post(client, world, consultation_id, auth(world.resident),
                          parent_id=general["id"], need_id=need), 422, "reply_need_mismatch")
        assert_error(post(client, world, consultation_id, auth(world.resident),
                          parent_id=held), 409, "comment_not_published")


def test_discussion_is_open_while_collecting_and_voting_only(client, world, auth, make, counts):
    voting = consultation(make, world, status="voting")
    closed = consultation(make, world, status="closed")

    assert_ok(post(client, world, voting, auth(world.resident)), 201)
    with writes_nothing(counts):
        assert_error(post(client, world, closed, auth(world.resident)), 409, "discussion_closed")


def test_discussion_goes_on_after_the_needs_phase_closed(client, world, auth, make):
    waiting = make(lambda: factories.between_phases(world.a, world.committee).id)
    need = make(lambda: add_need(world, waiting))

    assert_ok(post(client, world, waiting, auth(world.resident)), 201)
    assert_ok(post(client, world, waiting, auth(world.resident), need_id=need), 201)


def test_only_eligible_residents_comment(client, world, auth, make, counts):
    def out_of_scope():
        from backend.accounts.models import User
        from backend.communities.models import Building

        row = factories.consultation(world.a, world.committee, scope="buildings")
        row.buildings = [db.session.get(Building, world.empty_building)]
        grant(db.session.get(User, world.grid_worker), "resident", community_id=world.a,
              household_id=world.household, relation="tenant")
        return row.id

    consultation_id = make(out_of_scope)
    with writes_nothing(counts):
        assert_error(post(client, world, consultation_id, auth(world.grid_worker)), 403,
                     "not_eligible")
        assert_error(post(client, world, consultation_id, auth(world.resident)), 404,
                     "consultation_not_found")
        assert post(client, world, consultation_id, auth(world.claimant)).status_code == 404
        assert post(client, world, consultation_id, auth(world.outsider)).status_code == 404
        assert_error(post(client, world, consultation_id, auth(world.committee)), 403,
                     "forbidden")


def test_a_resident_reports_a_comment_once(app, client, world, auth, make, counts, new_resident):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")
    comment_id = make(lambda: add_comment(world, consultation_id, author=neighbour))
    report = comments_url(world, consultation_id, comment_id, "report")

    reported = assert_ok(client.post(report, json={"reason": "人身攻击"},
                                     headers=auth(world.resident)), 201)
    assert reported["reported"] is True
    with writes_nothing(counts):
        assert_error(client.post(report, json={}, headers=auth(world.resident)), 409,
                     "comment_already_reported")
        assert_error(client.post(report, json={}, headers=auth(neighbour)), 409, "own_comment")
        assert_error(client.post(report, json={}, headers=auth(world.committee)), 403,
                     "forbidden")
    [seen] = listed(client, world, consultation_id, auth(world.committee))
    assert seen["report_count"] == 1
    with app.app_context():
        row = db.session.scalar(sa.select(CommentReport))
        assert (row.reporter_id, row.reason) == (world.resident, "人身攻击")


def test_only_published_comments_are_reported(client, world, auth, make, counts, new_resident):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")
    own_review = make(lambda: add_comment(world, consultation_id, author=world.resident,
                                          status="review"))
    others_review = make(lambda: add_comment(world, consultation_id, author=world.resident,
                                             status="review"))

    with writes_nothing(counts):
        assert_error(client.post(comments_url(world, consultation_id, others_review, "report"),
                                 json={}, headers=auth(neighbour)), 404, "comment_not_found")
        assert_error(client.post(comments_url(world, consultation_id, own_review, "report"),
                                 json={}, headers=auth(world.resident)), 409, "own_comment")


def test_hidden_comments_and_their_replies_are_shown_to_moderators_only(
    client, world, auth, make, new_resident
):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")

    def rows():
        hidden = add_comment(world, consultation_id, author=world.resident, status="hidden")
        reply = add_comment(world, consultation_id, author=neighbour, parent_id=hidden)
        rejected = add_comment(world, consultation_id, author=world.resident, status="rejected")
        shown = add_comment(world, consultation_id, author=neighbour)
        return hidden, reply, rejected, shown

    hidden, reply, rejected, shown = make(rows)

    assert ids(listed(client, world, consultation_id, auth(world.resident))) == [rejected, shown]
    assert ids(listed(client, world, consultation_id, auth(neighbour))) == [shown]
    assert ids(listed(client, world, consultation_id, auth(world.grid_worker))) == [shown]
    assert ids(listed(client, world, consultation_id, auth(world.committee))) == [
        hidden, reply, rejected, shown
    ]
    assert ids(listed(client, world, consultation_id, auth(world.committee),
                      status="hidden")) == [hidden]


# ---------------------------------------------------------------- WeChat's text check


def queued(client, world, committee) -> list[tuple[str, int]]:
    items = assert_ok(client.get(url(world.a, "moderation"), headers=committee))
    return [(item["kind"], item["id"]) for item in items]


def test_a_comment_wechat_wants_reviewed_waits_in_the_queue_for_its_author_and_the_committee(
    client, world, auth, committee, make, give_openid, new_resident, fake_wechat, wechat_token
):
    consultation_id = consultation(make, world)
    openid = give_openid(world.resident)
    neighbour = new_resident("neighbour")
    body = "REVIEW 楼道里堆放的杂物应当清理"

    held = assert_ok(post(client, world, consultation_id, auth(world.resident), body=body), 201)

    assert held["status"] == "review"
    [asked] = [sent for path, sent in fake_wechat.posted if path == "/wxa/msg_sec_check"]
    assert (asked["openid"], asked["scene"], asked["content"]) == (openid, 2, body)
    assert queued(client, world, committee) == [("comment", held["id"])]
    assert listed(client, world, consultation_id, auth(neighbour)) == []
    for viewer in (auth(world.resident), committee):
        seen = listed(client, world, consultation_id, viewer)
        assert [(c["id"], c["status"]) for c in seen] == [(held["id"], "review")]


def test_a_risky_comment_is_refused_and_nothing_waits_for_review(
    client, world, auth, committee, make, give_openid, counts, fake_wechat, wechat_token
):
    consultation_id = consultation(make, world)
    give_openid(world.resident)

    with writes_nothing(counts):
        assert_error(post(client, world, consultation_id, auth(world.resident), body="RISKY 内容"),
                     422, "content_risky")

    assert fake_wechat.calls_to("/wxa/msg_sec_check") == 1
    assert queued(client, world, committee) == []
    assert listed(client, world, consultation_id, auth(world.resident)) == []
