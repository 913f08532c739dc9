"""WeChat's text check on comments: what it wants reviewed waits in the committee's moderation
queue; what it finds risky is refused before anything is written."""

from __future__ import annotations

from tests.communities.helpers import assert_error, assert_ok, url, writes_nothing
from tests.consultations.test_comments import consultation, listed, post


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
