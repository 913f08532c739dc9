"""The committee's moderation: the queue, approving, rejecting, merging and restoring needs,
and approving, rejecting, hiding and unhiding comments."""

from __future__ import annotations

import sqlalchemy as sa

from backend.consultations.models import Comment, Need, NeedSupport
from backend.core.audit.models import AuditEntry
from backend.core.db import db
from backend.core.notifications.models import Notification
from tests.consultations import factories
from tests.helpers import assert_error, assert_ok, pagination, url, writes_nothing

NEED_BODY = {"title": "加装电梯", "description": "三楼以上老人多", "need_class": "improve"}


def consultation(make, world, **fields) -> int:
    return make(lambda: factories.consultation(world.a, world.committee, **fields).id)


def need_url(world, consultation_id, *parts) -> str:
    return url(world.a, "consultations", consultation_id, "needs", *parts)


def comment_url(world, consultation_id, *parts) -> str:
    return url(world.a, "consultations", consultation_id, "comments", *parts)


def queue(client, world, headers, **query):
    return client.get(url(world.a, "moderation"), headers=headers, query_string=query)


def add_need(world, consultation_id, *, author, status="published", supporters=()) -> int:
    row = Need(consultation_id=consultation_id, community_id=world.a, author_id=author,
               title="修缮屋顶", need_class="basic", status=status,
               support_count=len(supporters))
    db.session.add(row)
    db.session.flush()
    db.session.add_all(NeedSupport(need_id=row.id, user_id=user_id) for user_id in supporters)
    return row.id


def add_comment(world, consultation_id, *, author, status="published", report_count=0) -> int:
    row = Comment(consultation_id=consultation_id, community_id=world.a, author_id=author,
                  body="楼道灯坏了很久" * 20, status=status, report_count=report_count)
    db.session.add(row)
    db.session.flush()
    return row.id


def notifications(app, user_id) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Notification.kind, Notification.body, Notification.link)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        ).all()
        return [tuple(row) for row in rows]


def audited(app, action) -> list[dict]:
    with app.app_context():
        return [
            entry.details
            for entry in db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action)
            )
        ]


def test_a_proposal_in_review_is_approved_from_the_queue_and_then_seen_by_all(
    app, client, world, auth, make, committee, new_resident, counts
):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")
    need = assert_ok(client.post(need_url(world, consultation_id), json=NEED_BODY,
                                 headers=auth(world.resident)), 201)
    assert need["status"] == "review"

    [item] = assert_ok(queue(client, world, committee))
    assert item == {"kind": "need", "id": need["id"], "consultation_id": consultation_id,
                    "excerpt": "加装电梯", "status": "review", "report_count": 0,
                    "created_at": need["created_at"]}

    approved = assert_ok(client.post(need_url(world, consultation_id, need["id"], "approve"),
                                     headers=committee))
    assert approved["status"] == "published"
    assert [n["id"] for n in assert_ok(client.get(need_url(world, consultation_id),
                                                  headers=auth(neighbour)))] == [need["id"]]
    assert assert_ok(queue(client, world, committee)) == []
    [(kind, _, link)] = notifications(app, world.resident)
    assert (kind, link) == ("need_approved", f"/pages/consultations/detail?id={consultation_id}")
    assert audited(app, "need.approved") == [{"consultation_id": consultation_id,
                                               "status": "published"}]
    with writes_nothing(counts):
        assert_error(client.post(need_url(world, consultation_id, need["id"], "approve"),
                                 headers=committee), 409, "need_not_in_review")


def test_a_rejection_shows_its_reason_to_the_author_only_and_can_be_undone(
    app, client, world, auth, make, committee, new_resident, counts
):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")
    need_id = make(lambda: add_need(world, consultation_id, author=world.resident,
                                    supporters=(neighbour,)))
    reject = need_url(world, consultation_id, need_id, "reject")

    rejected = assert_ok(client.post(reject, json={"reason": "与本次改造范围无关"},
                                     headers=committee))

    assert (rejected["status"], rejected["decision_reason"]) == ("rejected", "与本次改造范围无关")
    own = assert_ok(client.get(need_url(world, consultation_id, need_id),
                               headers=auth(world.resident)))
    assert (own["status"], own["decision_reason"]) == ("rejected", "与本次改造范围无关")
    assert_error(client.get(need_url(world, consultation_id, need_id), headers=auth(neighbour)),
                 404, "need_not_found")
    [(kind, body, _)] = notifications(app, world.resident)
    assert kind == "need_rejected" and "与本次改造范围无关" in body
    # The reason is free text: it stays out of the audit log.
    assert audited(app, "need.rejected") == [
        {"consultation_id": consultation_id, "status": "rejected", "previous": "published"}
    ]
    with writes_nothing(counts):
        assert_error(client.post(reject, json={"reason": "再次驳回"}, headers=committee), 409,
                     "need_not_rejectable")
        assert_error(client.post(reject, json={}, headers=committee), 422, "validation_error")

    restored = assert_ok(client.post(need_url(world, consultation_id, need_id, "restore"),
                                     headers=committee))
    assert (restored["status"], restored["decision_reason"], restored["support_count"]) == (
        "published", None, 1)
    assert notifications(app, world.resident)[-1][0] == "need_restored"
    with writes_nothing(counts):
        assert_error(client.post(need_url(world, consultation_id, need_id, "restore"),
                                 headers=committee), 409, "need_not_rejected")


def test_a_merge_carries_supports_over_without_counting_anyone_twice(
    app, client, world, auth, make, committee, new_resident, counts
):
    consultation_id = consultation(make, world)
    u1, u2, u3 = (new_resident(f"neighbour{n}", room=f"30{n}") for n in range(3))

    def needs():
        duplicate = add_need(world, consultation_id, author=world.resident, supporters=(u1, u2))
        target = add_need(world, consultation_id, author=world.committee, supporters=(u2, u3))
        return duplicate, target

    duplicate, target = make(needs)

    merged_into = assert_ok(client.post(need_url(world, consultation_id, duplicate, "merge"),
                                        json={"into_need_id": target}, headers=committee))

    assert (merged_into["id"], merged_into["support_count"]) == (target, 3)
    own = assert_ok(client.get(need_url(world, consultation_id, duplicate),
                               headers=auth(world.resident)))
    assert (own["status"], own["merged_into_id"]) == ("merged", target)
    with app.app_context():
        supporters = db.session.scalars(
            sa.select(NeedSupport.user_id).where(NeedSupport.need_id == target)
            .order_by(NeedSupport.user_id)
        ).all()
        assert supporters == sorted([u1, u2, u3])
    assert notifications(app, world.resident)[0][0] == "need_merged"
    assert audited(app, "need.merged") == [{"consultation_id": consultation_id,
                                             "status": "merged", "previous": "published",
                                             "merged_into_id": target}]
    # The merged need's page sends supporters to the target: it is not supported any more.
    with writes_nothing(counts):
        assert_error(client.post(need_url(world, consultation_id, duplicate, "support"),
                                 headers=auth(u3)), 404, "need_not_found")
        assert_error(client.post(need_url(world, consultation_id, duplicate, "restore"),
                                 headers=committee), 409, "need_merged")
        assert_error(client.post(need_url(world, consultation_id, duplicate, "merge"),
                                 json={"into_need_id": target}, headers=committee), 409,
                     "need_not_mergeable")


def test_a_merge_is_refused_into_itself_another_consultation_or_a_closed_need(
    client, world, make, committee, counts
):
    consultation_id = consultation(make, world)
    other = consultation(make, world)

    def needs():
        return (
            add_need(world, consultation_id, author=world.resident),
            add_need(world, other, author=world.resident),
            add_need(world, consultation_id, author=world.resident, status="rejected"),
            add_need(world, consultation_id, author=world.resident, status="merged"),
            add_need(world, consultation_id, author=world.resident, status="review"),
        )

    duplicate, foreign, rejected, merged, in_review = make(needs)
    merge = need_url(world, consultation_id, duplicate, "merge")

    with writes_nothing(counts):
        assert_error(client.post(merge, json={"into_need_id": duplicate}, headers=committee), 422,
                     "merge_into_itself")
        assert_error(client.post(merge, json={"into_need_id": foreign}, headers=committee), 404,
                     "need_not_found")
        for closed in (rejected, merged, in_review):
            assert_error(client.post(merge, json={"into_need_id": closed}, headers=committee),
                         409, "merge_target_not_published")


def test_the_queue_holds_needs_and_comments_in_review_and_reported_comments_oldest_first(
    client, world, auth, make, committee
):
    consultation_id = consultation(make, world)
    other = consultation(make, world)

    def rows():
        return [
            ("comment", add_comment(world, consultation_id, author=world.resident,
                                    status="review")),
            ("need", add_need(world, other, author=world.resident, status="review")),
            ("comment", add_comment(world, other, author=world.resident, report_count=2)),
            # Nothing to decide: published without reports, or already decided.
            (None, add_comment(world, consultation_id, author=world.resident)),
            (None, add_need(world, consultation_id, author=world.resident)),
            (None, add_comment(world, consultation_id, author=world.resident, status="hidden",
                               report_count=3)),
        ]

    rows = make(rows)
    expected = [(kind, row_id) for kind, row_id in rows if kind]

    response = queue(client, world, committee)
    items = assert_ok(response)
    assert [(item["kind"], item["id"]) for item in items] == expected
    assert pagination(response)["total"] == 3
    assert items[2]["report_count"] == 2 and len(items[2]["excerpt"]) == 100
    only_needs = assert_ok(queue(client, world, committee, kind="need"))
    assert [i["id"] for i in only_needs] == [rows[1][1]]
    only_other = assert_ok(queue(client, world, committee, consultation_id=other))
    assert [(i["kind"], i["id"]) for i in only_other] == expected[1:]
    assert len(assert_ok(queue(client, world, auth(world.street_admin)))) == 3
    assert_error(queue(client, world, auth(world.resident)), 403, "forbidden")
    assert queue(client, world, auth(world.outsider)).status_code == 404


def test_the_queue_lists_one_kind_alone_and_refuses_a_kind_it_does_not_know(
    client, world, make, committee, counts
):
    """`kind=comment` alone once raised KeyError (its part named no columns): 500."""
    consultation_id = consultation(make, world)
    comment_ids = make(lambda: [
        add_comment(world, consultation_id, author=world.resident, status="review"),
        add_comment(world, consultation_id, author=world.resident, report_count=1),
    ])
    make(lambda: add_need(world, consultation_id, author=world.resident, status="review"))

    response = queue(client, world, committee, kind="comment")
    comments = assert_ok(response)
    assert [(item["kind"], item["id"]) for item in comments] == [
        ("comment", comment_id) for comment_id in comment_ids
    ]
    assert all(len(item["excerpt"]) == 100 for item in comments)
    assert pagination(response)["total"] == 2
    with writes_nothing(counts):
        body = assert_error(queue(client, world, committee, kind="ballot"), 422,
                            "validation_error")
    assert "kind" in body["errors"]["query"]


def test_the_street_oversees_the_queue_but_the_committee_decides(
    client, world, auth, make, counts
):
    consultation_id = consultation(make, world)
    need_id = make(lambda: add_need(world, consultation_id, author=world.resident,
                                    status="review"))

    with writes_nothing(counts):
        assert_error(client.post(need_url(world, consultation_id, need_id, "approve"),
                                 headers=auth(world.street_admin)), 403, "forbidden")
        assert client.post(need_url(world, consultation_id, need_id, "approve"),
                           headers=auth(world.outsider)).status_code == 404


def test_comments_in_review_are_approved_or_rejected(
    app, client, world, auth, make, committee, new_resident, counts
):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")

    def rows():
        return (add_comment(world, consultation_id, author=world.resident, status="review"),
                add_comment(world, consultation_id, author=world.resident, status="review"))

    kept, refused = make(rows)

    approved = assert_ok(client.post(comment_url(world, consultation_id, kept, "approve"),
                                     headers=committee))
    rejected = assert_ok(client.post(comment_url(world, consultation_id, refused, "reject"),
                                     json={"reason": "含广告"}, headers=committee))

    assert approved["status"] == "published"
    assert (rejected["status"], rejected["decision_reason"]) == ("rejected", "含广告")
    seen = assert_ok(client.get(comment_url(world, consultation_id), headers=auth(neighbour)))
    assert [c["id"] for c in seen] == [kept]
    own = assert_ok(client.get(comment_url(world, consultation_id), headers=auth(world.resident)))
    assert [(c["id"], c["decision_reason"]) for c in own] == [(kept, None), (refused, "含广告")]
    [(kind, body, _)] = notifications(app, world.resident)
    assert kind == "comment_rejected" and "含广告" in body
    with writes_nothing(counts):
        assert_error(client.post(comment_url(world, consultation_id, kept, "approve"),
                                 headers=committee), 409, "comment_not_in_review")
        assert_error(client.post(comment_url(world, consultation_id, refused, "reject"),
                                 json={"reason": "再次"}, headers=committee), 409,
                     "comment_not_in_review")


def test_a_reported_comment_is_hidden_and_the_hide_can_be_undone(
    app, client, world, auth, make, committee, new_resident, counts
):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")
    comment_id = make(lambda: add_comment(world, consultation_id, author=neighbour))
    assert_ok(client.post(comment_url(world, consultation_id, comment_id, "report"),
                          json={"reason": "辱骂邻居"}, headers=auth(world.resident)), 201)
    assert [i["id"] for i in assert_ok(queue(client, world, committee))] == [comment_id]

    hidden = assert_ok(client.post(comment_url(world, consultation_id, comment_id, "hide"),
                                   json={"reason": "辱骂邻居"}, headers=committee))

    assert hidden["status"] == "hidden"
    assert assert_ok(queue(client, world, committee)) == []
    for reader in (neighbour, world.resident):
        assert assert_ok(client.get(comment_url(world, consultation_id),
                                    headers=auth(reader))) == []
    [(kind, body, _)] = notifications(app, neighbour)
    assert kind == "comment_hidden" and "辱骂邻居" in body
    assert audited(app, "comment.hidden") == [{"consultation_id": consultation_id,
                                                "status": "hidden", "reports": 1}]
    with writes_nothing(counts):
        assert_error(client.post(comment_url(world, consultation_id, comment_id, "hide"),
                                 json={"reason": "再次"}, headers=committee), 409,
                     "comment_not_published")

    shown = assert_ok(client.post(comment_url(world, consultation_id, comment_id, "unhide"),
                                  headers=committee))

    assert (shown["status"], shown["report_count"], shown["decision_reason"]) == (
        "published", 0, None)
    assert assert_ok(queue(client, world, committee)) == []  # its reports were dealt with
    assert [c["id"] for c in assert_ok(client.get(comment_url(world, consultation_id),
                                                  headers=auth(world.resident)))] == [comment_id]
    with writes_nothing(counts):
        assert_error(client.post(comment_url(world, consultation_id, comment_id, "unhide"),
                                 headers=committee), 409, "comment_not_hidden")


def test_keeping_a_reported_comment_clears_its_reports(
    client, world, auth, make, committee, new_resident
):
    consultation_id = consultation(make, world)
    neighbour = new_resident("neighbour")
    comment_id = make(lambda: add_comment(world, consultation_id, author=neighbour,
                                          report_count=2))

    kept = assert_ok(client.post(comment_url(world, consultation_id, comment_id, "approve"),
                                 headers=committee))

    assert (kept["status"], kept["report_count"]) == ("published", 0)
    assert assert_ok(queue(client, world, committee)) == []
