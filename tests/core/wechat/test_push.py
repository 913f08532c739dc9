"""WeChat's message push cannot be forged, replayed or misrouted: signatures, the timestamp's
age, nonces seen before, the AppID, and safe mode (the body encrypted and signed). Every push is
built by tests/fake_wechat/push.py as WeChat documents it, and sent through HTTP."""

from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa

from backend.core.db import db
from backend.core.wechat import push as push_service
from backend.core.wechat.jobs import JOBS
from backend.core.wechat.models import MediaCheck, PushNonce
from tests.conftest import WECHAT_APPID
from tests.core.wechat.test_media import PUSH, PUSH_TOKEN, status_of, submit, verdict
from tests.fake_wechat.push import WechatPusher, new_encoding_aes_key
from tests.helpers import assert_error

AES_KEY = new_encoding_aes_key()
plain = WechatPusher(token=PUSH_TOKEN, appid=WECHAT_APPID)
safe = WechatPusher(token=PUSH_TOKEN, appid=WECHAT_APPID, encoding_aes_key=AES_KEY)


@pytest.fixture
def safe_mode(app, monkeypatch):
    """The app configured with the push's EncodingAESKey, as production must be."""
    monkeypatch.setitem(app.config, "WECHAT_PUSH_AES_KEY", AES_KEY)


@pytest.fixture(params=["plaintext", "safe"])
def deliver(request):
    """Builds a push of a message in either mode, the app configured for that mode."""
    if request.param == "safe":
        request.getfixturevalue("safe_mode")
        return safe.safe
    return plain.plaintext


@pytest.fixture
def checks(app, world, fake_wechat):
    """Two photos awaiting WeChat's verdict."""
    with app.app_context():
        return submit(world), submit(world)


def post(client, request: tuple[dict, bytes]):
    query, body = request
    return client.post(PUSH, query_string=query, data=body, content_type="application/json")


def acknowledged(response) -> bool:
    return (response.status_code, response.get_data(as_text=True)) == (200, "success")


def nonces(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(PushNonce))


def reset_to_manual_review(app, check_id: int) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(MediaCheck).where(MediaCheck.id == check_id).values(status="manual_review")
        )
        db.session.commit()


# -- both modes


def test_a_push_is_processed_in_the_mode_we_are_configured_for(app, client, checks, deliver):
    first, _ = checks
    assert acknowledged(post(client, deliver(verdict(first.trace_id, "risky"))))
    with app.app_context():
        assert status_of(first.id) == "risky"
    assert nonces(app) == 1


def test_wechat_pushing_again_is_acknowledged_and_processed_once(app, client, checks, deliver):
    first, _ = checks
    delivery = deliver(verdict(first.trace_id, "risky"))
    assert acknowledged(post(client, delivery))
    # Were the repeat processed, this photo would become risky again.
    reset_to_manual_review(app, first.id)
    assert acknowledged(post(client, delivery))
    with app.app_context():
        assert status_of(first.id) == "manual_review"
    assert nonces(app) == 1


def test_parallel_deliveries_of_one_push_are_processed_once(app, client, checks, monkeypatch):
    first, _ = checks
    processed = []
    handler = push_service.HANDLERS["wxa_media_check"]
    monkeypatch.setitem(push_service.HANDLERS, "wxa_media_check",
                        lambda payload: (processed.append(1), handler(payload)))
    delivery = plain.plaintext(verdict(first.trace_id, "pass"))
    start, answers = threading.Barrier(4), []

    def deliver():
        start.wait()
        answers.append(post(app.test_client(), delivery))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(acknowledged(answer) for answer in answers), [a.status_code for a in answers]
    assert (len(processed), nonces(app)) == (1, 1)


# -- refusals


def test_a_captured_query_replayed_with_another_body_is_refused_and_not_processed(
    app, client, checks
):
    first, second = checks
    query, body = plain.plaintext(verdict(first.trace_id, "pass"))
    assert acknowledged(post(client, (query, body)))
    replay = post(client, (query, verdict(second.trace_id, "pass").encode()))
    assert_error(replay, 403, "wechat_push_replayed")
    with app.app_context():
        assert status_of(second.id) == "pending"
    assert nonces(app) == 1


@pytest.mark.parametrize(
    "timestamp",
    [
        lambda now: str(now - 301),
        lambda now: str(now + 301),
        lambda now: "1700000000",
        lambda now: "soon",
        lambda now: "١٧٠٠٠٠٠٠٠٠",  # digits, but not ASCII ones
        lambda now: "",
    ],
    ids=["5 minutes old", "5 minutes ahead", "2023", "not a number", "arabic digits", "none"],
)
def test_a_stale_or_odd_timestamp_is_refused_even_when_signed(app, client, checks, timestamp):
    first, _ = checks
    stamp = timestamp(int(time.time()))
    response = post(client, plain.plaintext(verdict(first.trace_id, "pass"), timestamp=stamp))
    assert_error(response, 403, "wechat_push_stale")
    url_check = client.get(PUSH, query_string={**plain.signed_query(timestamp=stamp),
                                               "echostr": "e"})
    assert_error(url_check, 403, "wechat_push_stale")
    with app.app_context():
        assert status_of(first.id) == "pending"
    assert nonces(app) == 0


def test_a_few_seconds_of_clock_difference_are_tolerated(client, checks):
    first, _ = checks
    for skew in (-120, 120):
        stamp = str(int(time.time()) + skew)
        assert acknowledged(post(client, plain.plaintext(verdict(first.trace_id, "pass"),
                                                         timestamp=stamp)))


def test_a_non_ascii_signature_is_403_not_500(client):
    for signature in ("签名" * 20, "é" * 40, "\u00a0"):
        query = {**plain.signed_query(), "signature": signature}
        assert_error(client.post(PUSH, query_string=query, data="{}"), 403,
                     "wechat_signature_invalid")
        assert_error(client.get(PUSH, query_string={**query, "echostr": "e"}), 403,
                     "wechat_signature_invalid")
        safe_query = {**query, "encrypt_type": "aes", "msg_signature": signature}
        assert_error(client.post(PUSH, query_string=safe_query, data="{}"), 403,
                     "wechat_signature_invalid")


def test_a_push_for_another_appid_is_refused_and_not_processed(app, client, checks, deliver):
    first, _ = checks
    message = json.loads(verdict(first.trace_id, "pass"))
    if deliver == safe.safe:  # the AppID closing the encrypted message
        delivery = safe.safe(message, appid="wx0000000000000000")
    else:  # the payload's own appid field
        delivery = plain.plaintext({**message, "appid": "wx0000000000000000"})
    assert_error(post(client, delivery), 403, "wechat_push_wrong_appid")
    with app.app_context():
        assert status_of(first.id) == "pending"
    assert nonces(app) == 0


def test_in_safe_mode_a_tampered_body_is_refused(app, client, checks, safe_mode):
    first, second = checks
    query, _ = safe.safe(verdict(first.trace_id, "pass"))
    _, other_body = safe.safe(verdict(second.trace_id, "pass"))
    assert_error(post(client, (query, other_body)), 403, "wechat_signature_invalid")
    body = json.dumps({"ToUserName": "gh_abc123", "Encrypt": "A" * 64}).encode()
    assert_error(post(client, (query, body)), 403, "wechat_signature_invalid")
    with app.app_context():
        assert [status_of(c.id) for c in checks] == ["pending", "pending"]


def test_in_safe_mode_a_push_encrypted_with_another_key_is_refused(client, checks, safe_mode):
    first, _ = checks
    other = WechatPusher(token=PUSH_TOKEN, appid=WECHAT_APPID,
                         encoding_aes_key=new_encoding_aes_key())
    assert_error(post(client, other.safe(verdict(first.trace_id, "pass"))), 403,
                 "wechat_push_undecryptable")


def test_the_mode_must_match_our_configuration(app, client, checks, monkeypatch):
    first, _ = checks
    message = verdict(first.trace_id, "pass")
    encrypted = safe.safe(message)
    assert_error(post(client, encrypted), 403, "wechat_push_mode_mismatch")
    monkeypatch.setitem(app.config, "WECHAT_PUSH_AES_KEY", AES_KEY)
    assert_error(post(client, plain.plaintext(message)), 403, "wechat_push_mode_mismatch")
    with app.app_context():
        assert status_of(first.id) == "pending"


def test_url_verification_still_works_in_safe_mode(client, safe_mode):
    response = client.get(PUSH, query_string={**safe.signed_query(), "echostr": "4375120948"})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "4375120948")


# -- what passes but cannot be used


@pytest.mark.parametrize(
    "message",
    [{"Event": ["wxa_media_check"]}, {"Event": "wxa_media_check", "result": [1]}],
    ids=["event not a string", "result not an object"],
)
def test_odd_messages_are_acknowledged_not_500(client, message):
    assert acknowledged(post(client, plain.plaintext(message)))


DEEP = "[" * 5000 + "]" * 5000


def test_a_deeply_nested_body_is_refused_before_anything_reads_it(client):
    # No WeChat push looks like this: the body check refuses it before the parsers (400).
    assert_error(post(client, plain.plaintext(DEEP)), 400, "json_too_deep")


def test_a_deeply_nested_message_inside_safe_mode_is_acknowledged_not_500(client, safe_mode):
    # Inside the encrypted envelope the body check cannot look; the push's own parsing copes.
    assert acknowledged(post(client, safe.safe(DEEP)))


# -- keeping the nonces


def test_the_job_forgets_nonces_whose_timestamp_alone_refuses_them(app, client):
    (job,) = [job for job in JOBS if job.name == "wechat.purge_push_nonces"]
    limit = int(app.config["WECHAT_PUSH_MAX_AGE"].total_seconds())
    now = int(time.time())
    with app.app_context():
        for age, nonce in ((2 * limit + 5, "old"), (limit, "recent")):
            db.session.add(PushNonce(timestamp=now - age, nonce=nonce, digest="0" * 64))
        db.session.commit()
        assert job.run() == 1
        assert db.session.scalars(sa.select(PushNonce.nonce)).all() == ["recent"]


def test_a_malformed_key_of_ours_is_a_refusal_not_a_500(app, client, checks, monkeypatch):
    first, _ = checks
    monkeypatch.setitem(app.config, "WECHAT_PUSH_AES_KEY", "too-short")
    assert_error(post(client, safe.safe(verdict(first.trace_id, "pass"))), 403,
                 "wechat_push_undecryptable")
