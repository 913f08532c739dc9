"""The outbox of WeChat subscribe messages: the scheduler's job sends what residents subscribed
to, once, with bounded retries; the committee sees whether its messages went out."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.db import db, transaction, utcnow
from backend.core.notifications.models import OutboxMessage
from backend.core.notifications.services import WechatMessage
from backend.core.wechat.models import WechatIdentity
from tests.core.notifications.conftest import DATA, TEMPLATE
from tests.factories import user


def accept(client, headers, *template_ids):
    response = client.post("/api/v1/me/subscriptions", json={"template_ids": list(template_ids)},
                           headers=headers)
    assert response.status_code == 200, response.json


@pytest.fixture
def queued(client, world, auth, give_openid, raise_notification):
    """`queued(openid, credits=n, wechat=...)`: the resident signs in through WeChat with
    `openid`, accepts the message's template `credits` times, then a domain notifies them."""

    def run(openid="oid-resident", *, credits=1, wechat=True):
        give_openid(world.resident, openid)
        template = TEMPLATE if wechat is True else wechat.template_id
        for _ in range(credits):
            accept(client, auth(world.resident), template)
        raise_notification([world.resident], wechat=wechat, community_id=world.a)

    return run


def test_a_subscribed_message_is_sent_once_and_uses_one_credit(
    world, queued, run_job, outbox, credits, fake_wechat
):
    queued(credits=2)

    counts = run_job()
    assert counts["sent"] == 1
    [message] = outbox()
    assert (message["status"], message["attempts"], message["last_error"]) == ("sent", 1, None)
    assert message["sent_at"] is not None
    assert message["data"] == {}, "the content was kept after sending"
    assert credits(world.resident) == {TEMPLATE: 1}
    [sent] = fake_wechat.sent
    assert (sent["touser"], sent["template_id"]) == ("oid-resident", TEMPLATE)
    assert sent["page"] == "pages/tickets/detail?id=1"
    assert sent["data"] == {key: {"value": value} for key, value in DATA.items()}

    assert run_job()["sent"] == 0
    assert len(fake_wechat.sent) == 1


def test_without_a_credit_nothing_is_sent_nor_retried(queued, run_job, outbox, fake_wechat):
    queued(credits=0)

    assert run_job()["no_credit"] == 1
    [message] = outbox()
    assert (message["status"], message["attempts"], message["data"]) == ("no_credit", 0, {})
    assert run_job(now=utcnow() + timedelta(days=1))["no_credit"] == 0
    assert fake_wechat.sent == []


def test_two_messages_cannot_spend_one_credit(
    world, queued, raise_notification, run_job, outbox, fake_wechat
):
    queued()
    raise_notification([world.resident], wechat=True)

    counts = run_job()
    assert (counts["sent"], counts["no_credit"]) == (1, 1)
    assert [m["status"] for m in outbox()] == ["sent", "no_credit"]
    assert len(fake_wechat.sent) == 1


def test_a_refusal_zeroes_the_credit_and_is_never_retried(
    world, queued, run_job, outbox, credits, fake_wechat
):
    queued("oid-refuse-1", credits=3)

    assert run_job()["refused"] == 1
    [message] = outbox()
    assert (message["status"], message["last_error"]) == ("refused", "wechat_subscription_refused")
    assert credits(world.resident) == {TEMPLATE: 0}
    calls = fake_wechat.calls_to("/cgi-bin/message/subscribe/send")

    assert run_job(now=utcnow() + timedelta(days=1)) == dict.fromkeys(
        ("sent", "no_credit", "refused", "retried", "failed", "skipped", "interrupted"), 0)
    assert fake_wechat.calls_to("/cgi-bin/message/subscribe/send") == calls
    assert outbox()[0]["status"] == "refused"


def test_a_busy_wechat_is_retried_with_backoff_then_given_up(
    app, world, queued, run_job, outbox, credits, fake_wechat
):
    queued("oid-busy-1")
    now = utcnow()
    waits = []
    for attempt in range(1, app.config["OUTBOX_MAX_ATTEMPTS"]):
        assert run_job(now=now)["retried"] == 1
        [message] = outbox()
        assert (message["status"], message["attempts"]) == ("pending", attempt)
        assert message["data"] == DATA, "a message to retry lost its content"
        assert message["last_error"] == "wechat_unavailable"
        assert credits(world.resident) == {TEMPLATE: 1}, "the credit was not given back"
        waits.append(message["next_attempt_at"] - now)
        early = now + waits[-1] - timedelta(seconds=1)
        assert run_job(now=early)["retried"] == 0, "retried before its backoff ran out"
        now += waits[-1]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]

    assert run_job(now=now)["failed"] == 1
    [message] = outbox()
    assert (message["status"], message["attempts"]) == ("failed", 5)
    assert message["last_error"] == "wechat_unavailable"
    assert run_job(now=now + timedelta(days=1))["retried"] == 0
    assert fake_wechat.sent == []
    assert credits(world.resident) == {TEMPLATE: 1}


def test_a_template_wechat_does_not_know_fails_and_keeps_the_credit(
    world, queued, run_job, outbox, credits
):
    queued(wechat=WechatMessage("bad-template", DATA))

    assert run_job()["failed"] == 1
    [message] = outbox()
    assert (message["status"], message["last_error"]) == ("failed", "wechat_template_invalid")
    assert credits(world.resident) == {"bad-template": 1}


def test_a_user_who_left_wechat_is_skipped(app, world, queued, run_job, outbox, fake_wechat):
    queued()
    with app.app_context(), transaction() as tx:
        tx.execute(sa.delete(WechatIdentity).where(WechatIdentity.user_id == world.resident))

    assert run_job()["skipped"] == 1
    assert outbox()[0]["status"] == "skipped"
    assert fake_wechat.sent == []


def test_a_claim_left_by_a_dead_scheduler_is_failed_not_sent_again(
    app, queued, run_job, outbox, fake_wechat
):
    queued()
    with app.app_context(), transaction() as tx:
        tx.execute(sa.update(OutboxMessage).values(status="sending", next_attempt_at=utcnow()))

    assert run_job(now=utcnow() + timedelta(seconds=1))["interrupted"] == 1
    assert (outbox()[0]["status"], outbox()[0]["last_error"]) == ("failed", "send_interrupted")
    assert fake_wechat.sent == []


def test_two_schedulers_at_once_send_each_message_once(
    app, client, world, auth, give_openid, raise_notification, outbox, fake_wechat
):
    from backend.core.notifications.services import send_due_messages

    with app.app_context():
        ids = [user(f"phone_{n}").id for n in range(6)]
        db.session.commit()
    for user_id in ids:
        give_openid(user_id, f"oid-phone-{user_id}")
        accept(client, auth(user_id), TEMPLATE)
        raise_notification([user_id], wechat=True)
    start = threading.Barrier(2)
    results = []

    def scheduler():
        with app.app_context():
            start.wait()
            results.append(send_due_messages())

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result["sent"] for result in results) == 6
    assert sorted(sent["touser"] for sent in fake_wechat.sent) == sorted(
        f"oid-phone-{user_id}" for user_id in ids)
    assert {m["status"] for m in outbox()} == {"sent"}
    assert {m["attempts"] for m in outbox()} == {1}


# -- what the committee sees


def _queue_in_both_communities(world, give_openid, raise_notification):
    give_openid(world.resident, "oid-resident")
    raise_notification([world.resident], wechat=True, community_id=world.a)
    raise_notification([world.resident], wechat=True, community_id=world.b)
    raise_notification([world.resident], wechat=True)


def test_the_committee_sees_its_communitys_messages_and_their_status(
    client, world, auth, give_openid, raise_notification, run_job
):
    _queue_in_both_communities(world, give_openid, raise_notification)
    run_job()
    raise_notification([world.resident], wechat=True, community_id=world.a)

    url = f"/api/v1/communities/{world.a}/outbox"
    response = client.get(url, headers=auth(world.committee))
    assert response.status_code == 200, response.json
    assert [m["status"] for m in response.json] == ["pending", "no_credit"]
    item = response.json[1]
    assert (item["user_id"], item["template_id"], item["attempts"]) == (
        world.resident, TEMPLATE, 0)
    assert item["last_error"] == "no_subscription_credit"
    assert "data" not in item, "the committee sees the status, not the content"

    pending = client.get(url, headers=auth(world.committee), query_string={"status": "pending"})
    assert [m["status"] for m in pending.json] == ["pending"]
    assert client.get(url, headers=auth(world.street_admin)).status_code == 200


def test_another_communitys_committee_gets_404_and_a_resident_403(
    client, world, auth, give_openid, raise_notification
):
    _queue_in_both_communities(world, give_openid, raise_notification)
    url = f"/api/v1/communities/{world.a}/outbox"
    outsider = client.get(url, headers=auth(world.outsider))
    assert (outsider.status_code, outsider.json["code"]) == (404, "not_found")
    resident = client.get(url, headers=auth(world.resident))
    assert (resident.status_code, resident.json["code"]) == (403, "forbidden")
    theirs = client.get(f"/api/v1/communities/{world.b}/outbox", headers=auth(world.outsider))
    assert len(theirs.json) == 1


def test_a_bad_status_filter_is_refused(client, world, auth):
    response = client.get(f"/api/v1/communities/{world.a}/outbox", headers=auth(world.committee),
                          query_string={"status": "lost"})
    assert response.status_code == 422
