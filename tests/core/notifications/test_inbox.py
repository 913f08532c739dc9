"""The in-app inbox: what domains raise through notify(), each user reads and marks read."""

from __future__ import annotations

import pytest

from backend.core.db import transaction
from backend.core.notifications.services import WechatMessage, notify
from tests.core.notifications.conftest import DATA, TEMPLATE

INBOX = "/api/v1/me/notifications"


def inbox(client, headers, **query):
    response = client.get(INBOX, headers=headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def unread(client, headers) -> int:
    response = client.get(f"{INBOX}/unread-count", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["unread"]


def test_the_inbox_lists_the_callers_notifications_newest_first(
    client, world, auth, raise_notification
):
    raise_notification([world.resident], title="第一条", community_id=world.a,
                       link="pages/home/index")
    raise_notification([world.resident, world.committee], title="第二条")
    raise_notification([world.committee], title="只给委员会")

    items = inbox(client, auth(world.resident))
    assert [item["title"] for item in items] == ["第二条", "第一条"]
    first = items[1]
    assert first["kind"] == "ticket_progress"
    assert (first["community_id"], first["link"]) == (world.a, "pages/home/index")
    assert (first["read"], first["read_at"]) == (False, None)
    assert [item["title"] for item in inbox(client, auth(world.committee))] == [
        "只给委员会", "第二条"]


def test_unread_filter_and_count_follow_marking_read(client, world, auth, raise_notification):
    headers = auth(world.resident)
    first, second, third = (raise_notification([world.resident], title=t)[0]
                            for t in ("一", "二", "三"))
    assert unread(client, headers) == 3

    marked = client.post(f"{INBOX}/{second}/read", headers=headers)
    assert marked.status_code == 200
    assert marked.json["read"] is True and marked.json["read_at"]

    assert unread(client, headers) == 2
    assert [n["id"] for n in inbox(client, headers, unread="true")] == [third, first]
    assert [n["id"] for n in inbox(client, headers, unread="false")] == [second]


def test_marking_read_twice_keeps_the_first_read_time(client, world, auth, raise_notification):
    headers = auth(world.resident)
    [notification] = raise_notification([world.resident])
    first = client.post(f"{INBOX}/{notification}/read", headers=headers).json
    again = client.post(f"{INBOX}/{notification}/read", headers=headers)
    assert again.status_code == 200
    assert again.json["read_at"] == first["read_at"]


def test_mark_all_read_answers_how_many_it_marked(client, world, auth, raise_notification):
    headers = auth(world.resident)
    for title in ("一", "二", "三"):
        raise_notification([world.resident], title=title)
    [others] = raise_notification([world.committee])
    client.post(f"{INBOX}/{inbox(client, headers)[0]['id']}/read", headers=headers)

    response = client.post(f"{INBOX}/read-all", headers=headers)
    assert (response.status_code, response.json) == (200, {"marked": 2})
    assert unread(client, headers) == 0
    assert client.post(f"{INBOX}/read-all", headers=headers).json == {"marked": 0}
    assert unread(client, auth(world.committee)) == 1, "another user's inbox was touched"
    assert others


def test_another_users_notification_is_not_found_and_stays_unread(
    client, world, auth, raise_notification
):
    [committees] = raise_notification([world.committee])
    response = client.post(f"{INBOX}/{committees}/read", headers=auth(world.resident))
    assert (response.status_code, response.json["code"]) == (404, "notification_not_found")
    assert unread(client, auth(world.committee)) == 1
    missing = client.post(f"{INBOX}/99999/read", headers=auth(world.resident))
    assert missing.status_code == 404


def test_the_inbox_needs_a_sign_in(client):
    assert client.get(INBOX).status_code == 401
    assert client.post(f"{INBOX}/read-all").status_code == 401


def test_the_inbox_is_paginated(client, world, auth, raise_notification):
    for number in range(3):
        raise_notification([world.resident], title=f"第{number}条")
    response = client.get(INBOX, headers=auth(world.resident), query_string={"page_size": 2})
    assert len(response.json) == 2
    assert '"total": 3' in response.headers["X-Pagination"]


@pytest.mark.parametrize("query", [{"unread": "perhaps"}, {"page_size": 1000}])
def test_bad_inbox_queries_are_refused(client, world, auth, query):
    response = client.get(INBOX, headers=auth(world.resident), query_string=query)
    assert response.status_code == 422
    assert set(response.json) == {"code", "status", "message", "errors"}


# -- notify(), as other domains call it


def test_notify_joins_the_callers_transaction(app, world, client, auth, outbox, give_openid):
    give_openid(world.resident, "oid-resident")

    class Undone(Exception):
        pass

    with app.app_context(), pytest.raises(Undone), transaction():
        notify(user_ids=[world.resident], kind="ticket_progress", title="标题", body="正文",
               wechat=WechatMessage(TEMPLATE, DATA))
        raise Undone
    assert inbox(client, auth(world.resident)) == []
    assert outbox() == []


def test_notify_writes_one_row_per_user_even_when_named_twice(
    client, world, auth, raise_notification
):
    raise_notification([world.resident, world.resident])
    assert unread(client, auth(world.resident)) == 1


def test_long_titles_and_bodies_are_cut_to_what_the_inbox_keeps(
    client, world, auth, raise_notification
):
    raise_notification([world.resident], title="长" * 150, body="文" * 600)
    [item] = inbox(client, auth(world.resident))
    assert item["title"] == "长" * 99 + "…"
    assert len(item["body"]) == 500 and item["body"].endswith("…")


def test_notify_refuses_a_kind_that_is_not_snake_case(app, world):
    with app.app_context(), pytest.raises(ValueError), transaction():
        notify(user_ids=[world.resident], kind="Ticket Progress", title="t", body="b")


def test_users_with_an_openid_get_a_queued_message_staff_the_inbox_only(
    client, world, auth, raise_notification, give_openid, outbox
):
    give_openid(world.resident, "oid-resident")
    [for_resident, for_committee] = raise_notification(
        [world.resident, world.committee], wechat=True, community_id=world.a
    )
    [message] = outbox()
    assert (message["user_id"], message["notification_id"]) == (world.resident, for_resident)
    assert message["community_id"] == world.a
    assert (message["status"], message["attempts"], message["last_error"]) == ("pending", 0, None)
    assert (message["template_id"], message["page"]) == (TEMPLATE, "pages/tickets/detail?id=1")
    assert message["data"] == DATA
    assert unread(client, auth(world.committee)) == 1
    assert for_committee


def test_template_data_is_fitted_when_queued_and_the_page_defaults_to_the_link(
    world, raise_notification, give_openid, outbox
):
    give_openid(world.resident, "oid-resident")
    raise_notification([world.resident], link="pages/notices/detail?id=4",
                       wechat=WechatMessage(TEMPLATE, {"thing1": "小区" * 15}))
    [message] = outbox()
    assert message["data"] == {"thing1": "小区" * 9 + "小…"}
    assert message["page"] == "pages/notices/detail?id=4"


def test_invalid_template_data_fails_the_message_at_once_but_keeps_the_inbox(
    client, world, auth, raise_notification, give_openid, outbox
):
    give_openid(world.resident, "oid-resident")
    raise_notification([world.resident],
                       wechat=WechatMessage(TEMPLATE, {"time2": "下周二上午"}))
    [message] = outbox()
    assert (message["status"], message["last_error"]) == ("failed", "wechat_template_data_invalid")
    assert unread(client, auth(world.resident)) == 1
