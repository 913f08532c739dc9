"""Photo checks: submitted to WeChat, the verdict pushed back to our signed callback, the photo
hidden from others until it passed, and stale checks handed to moderators."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.wechat.jobs import JOBS
from backend.core.wechat.media import media_visible_to, submit_media_check_for
from backend.core.wechat.models import MediaCheck
from tests.conftest import WECHAT_APPID
from tests.fake_wechat.push import WechatPusher

PUSH = "/api/v1/wechat/push"
PUSH_TOKEN = "dev-push-token"
URL = "https://cdn.example.com/tickets/7/photo.jpg"

wechat = WechatPusher(token=PUSH_TOKEN, appid=WECHAT_APPID)


def verdict(trace_id: str, suggest: str) -> str:
    return json.dumps(
        {
            "ToUserName": "gh_abc",
            "FromUserName": "oid-alice",
            "CreateTime": 1700000000,
            "MsgType": "event",
            "Event": "wxa_media_check",
            "appid": WECHAT_APPID,
            "trace_id": trace_id,
            "version": 2,
            "result": {"suggest": suggest, "label": 100},
            "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest}],
        }
    )


def push(client, body: str | bytes, query: dict | None = None):
    """A plaintext push of `body`, freshly signed with our token unless `query` is given."""
    return client.post(
        PUSH, query_string=wechat.signed_query() if query is None else query, data=body,
        content_type="application/json",
    )


def submit(world, openid: str | None = "oid-alice") -> MediaCheck:
    with transaction():
        return submit_media_check_for(
            owner_kind="ticket",
            owner_id=7,
            community_id=world.a,
            author_user_id=world.resident,
            author_openid=openid,
            url=URL,
            scene=3,
        )


def status_of(check_id: int) -> str:
    db.session.expire_all()
    return db.session.get(MediaCheck, check_id).status


@pytest.fixture
def pending(app, world, fake_wechat):
    with app.app_context():
        check = submit(world)
    return check


def test_a_photo_is_submitted_and_waits_for_wechats_verdict(pending, fake_wechat):
    (sent,) = fake_wechat.media_checks
    assert sent["media_url"] == URL
    assert (sent["media_type"], sent["version"], sent["scene"]) == (2, 2, 3)
    assert sent["openid"] == "oid-alice"
    assert (pending.status, pending.trace_id) == ("pending", sent["trace_id"])


def test_wechat_unreachable_sends_the_photo_to_manual_review(ctx, world, dead_wechat):
    check = submit(world)
    assert (check.status, check.trace_id) == ("manual_review", None)
    assert db.session.get(MediaCheck, check.id) is not None, "nothing is lost"


def test_an_author_without_openid_goes_to_manual_review_unasked(ctx, world, fake_wechat):
    check = submit(world, openid=None)
    assert check.status == "manual_review"
    assert fake_wechat.media_checks == []


@pytest.mark.parametrize("suggest", ["pass", "review", "risky"])
def test_a_signed_verdict_is_recorded(app, client, pending, suggest):
    response = push(client, verdict(pending.trace_id, suggest))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "success"
    assert response.mimetype == "text/plain"
    with app.app_context():
        assert status_of(pending.id) == suggest
        assert db.session.get(MediaCheck, pending.id).verdict_at is not None


@pytest.mark.parametrize(
    "query",
    [
        WechatPusher(token="not-our-token", appid=WECHAT_APPID).signed_query(),
        {**wechat.signed_query(), "nonce": "changed"},
        {"timestamp": wechat.signed_query()["timestamp"], "nonce": "n0nce"},
        {**wechat.signed_query(), "signature": "签名" * 20},
        {},
    ],
    ids=["wrong token", "tampered", "no signature", "non-ascii signature", "nothing"],
)
def test_an_unsigned_or_forged_push_is_403_and_changes_nothing(app, client, pending, query):
    response = push(client, verdict(pending.trace_id, "pass"), query=query)
    assert response.status_code == 403
    assert response.json["code"] == "wechat_signature_invalid"
    with app.app_context():
        assert status_of(pending.id) == "pending"


def test_a_verdict_for_an_unknown_trace_id_is_still_acknowledged(client, pending):
    response = push(client, verdict("trace-we-never-sent", "risky"))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")


@pytest.mark.parametrize("body", ["<xml>not json</xml>", "[1]", json.dumps({"Event": "other"})])
def test_pushes_we_cannot_use_are_acknowledged(client, body):
    response = push(client, body)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "success")


def test_a_repeated_push_keeps_the_first_verdict(app, client, pending):
    push(client, verdict(pending.trace_id, "risky"))
    push(client, verdict(pending.trace_id, "pass"))
    with app.app_context():
        assert status_of(pending.id) == "risky"


def test_a_late_verdict_settles_a_photo_sent_to_manual_review(app, client, pending):
    with app.app_context():
        db.session.execute(sa.update(MediaCheck).values(status="manual_review"))
        db.session.commit()
    push(client, verdict(pending.trace_id, "pass"))
    with app.app_context():
        assert status_of(pending.id) == "pass"


def test_wechat_verifies_the_push_url_with_a_signed_echostr(client):
    response = client.get(PUSH, query_string={**wechat.signed_query(), "echostr": "echo-123"})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "echo-123")
    forged = client.get(PUSH, query_string={
        **WechatPusher(token="x", appid=WECHAT_APPID).signed_query(), "echostr": "echo-123"})
    assert forged.status_code == 403
    assert "echo-123" not in forged.get_data(as_text=True)


def test_a_photo_is_seen_only_by_its_author_and_moderators_until_it_passes(app, client, world):
    with app.app_context():
        check = submit(world)
    author = Actor(user_id=world.resident, display_name="resident")
    neighbour = Actor(user_id=world.claimant, display_name="claimant")
    assert media_visible_to(check, actor=author, moderator=False)
    assert media_visible_to(check, actor=neighbour, moderator=True)
    assert not media_visible_to(check, actor=neighbour, moderator=False)
    assert not media_visible_to(check, actor=None, moderator=False)
    for suggest in ("review", "risky"):
        check.status = suggest
        assert not media_visible_to(check, actor=neighbour, moderator=False)
    check.status = "pass"
    assert media_visible_to(check, actor=neighbour, moderator=False)
    assert media_visible_to(check, actor=None, moderator=False)


def test_the_job_sends_checks_pending_too_long_to_manual_review(app, world):
    (job,) = [job for job in JOBS if job.name == "wechat.media_checks_to_review"]
    with app.app_context():
        stale, fresh, passed = submit(world), submit(world), submit(world)
        limit = app.config["MEDIA_CHECK_REVIEW_AFTER"]
        db.session.execute(
            sa.update(MediaCheck)
            .where(MediaCheck.id.in_([stale.id, passed.id]))
            .values(created_at=utcnow() - limit - timedelta(minutes=1))
        )
        db.session.execute(
            sa.update(MediaCheck).where(MediaCheck.id == passed.id).values(status="pass")
        )
        db.session.commit()
        assert job.run() == 1
        assert [status_of(c.id) for c in (stale, fresh, passed)] == [
            "manual_review", "pending", "pass"
        ]
        assert job.run() == 0
