"""The access token: fetched by one process at a time, shared through the database, refreshed
before it expires, and replaced once (never in a loop) when WeChat refuses it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.core.db import db, utcnow
from backend.core.errors import ServiceUnavailable
from backend.core.wechat import tokens, wechat_client
from backend.core.wechat.models import WechatAccessToken
from tests.conftest import WECHAT_APPID

CHECK = "/wxa/msg_sec_check"


def stored() -> WechatAccessToken:
    db.session.expire_all()
    return db.session.get(WechatAccessToken, WECHAT_APPID)


def check(wechat) -> str:
    return wechat.check_text("你好", openid="oid-alice", scene=2)


def test_two_threads_at_once_fetch_the_token_once(app, fake_wechat):
    fake_wechat.token_delay = 0.3
    barrier = threading.Barrier(2)
    got: list[str] = []

    def worker():
        with app.app_context():
            barrier.wait()
            got.append(wechat_client().access_token())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake_wechat.stable_token_calls) == 1
    assert got == [fake_wechat.live_token] * 2


def test_the_token_is_stored_encrypted_and_reused_across_calls(wechat, fake_wechat):
    assert check(wechat) == "pass"
    assert check(wechat) == "pass"
    assert len(fake_wechat.stable_token_calls) == 1
    assert fake_wechat.stable_token_calls[0]["force_refresh"] is False
    assert stored().access_token == fake_wechat.live_token
    raw = db.session.execute(sa.text("SELECT access_token FROM wechat_access_tokens")).scalar()
    assert fake_wechat.live_token not in raw


def test_a_token_near_expiry_is_refreshed_before_use(wechat, fake_wechat):
    wechat.access_token()
    db.session.execute(
        sa.update(WechatAccessToken).values(expires_at=utcnow() + timedelta(minutes=4))
    )
    db.session.commit()
    assert check(wechat) == "pass"
    assert len(fake_wechat.stable_token_calls) == 2
    assert stored().expires_at > utcnow() + timedelta(minutes=100)


def test_an_expired_token_is_refreshed_once_and_the_call_retried_once(wechat, fake_wechat):
    first = wechat.access_token()
    fake_wechat.expire_token()
    assert check(wechat) == "pass"
    assert fake_wechat.calls_to(CHECK) == 2
    assert len(fake_wechat.stable_token_calls) == 2
    assert fake_wechat.stable_token_calls[1]["force_refresh"] is True
    assert stored().access_token not in (None, first)


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
def test_a_second_refusal_in_a_row_is_an_error_not_a_loop(wechat, fake_wechat, errcode):
    fake_wechat.fail_next(errcode, times=2)
    with pytest.raises(ServiceUnavailable) as caught:
        check(wechat)
    assert caught.value.code == "wechat_unavailable"
    assert fake_wechat.calls_to(CHECK) == 2
    assert len(fake_wechat.stable_token_calls) == 2


def test_a_refused_token_already_replaced_by_another_worker_is_not_fetched_again(
    wechat, fake_wechat
):
    current = wechat.access_token()
    assert wechat.access_token(rejected="token-someone-else-had") == current
    assert len(fake_wechat.stable_token_calls) == 1


def test_system_busy_is_retried_once_then_gives_up(wechat, fake_wechat):
    fake_wechat.fail_next(-1)
    assert check(wechat) == "pass"
    fake_wechat.fail_next(-1, times=2)
    with pytest.raises(ServiceUnavailable):
        check(wechat)
    assert fake_wechat.calls_to(CHECK) == 4


def test_a_token_stored_between_our_read_and_our_lease_is_used_not_fetched_again(
    wechat, fake_wechat, monkeypatch
):
    """Another process stores its token and frees the lease just after we found none."""
    claim = tokens.TokenStore._claim_lease

    def others_finish_first(store):
        db.session.merge(
            WechatAccessToken(
                appid=WECHAT_APPID,
                access_token="token-of-another-process",
                expires_at=utcnow() + timedelta(hours=2),
            )
        )
        db.session.commit()
        return claim(store)

    monkeypatch.setattr(tokens.TokenStore, "_claim_lease", others_finish_first)
    assert wechat.access_token() == "token-of-another-process"
    assert fake_wechat.stable_token_calls == []
    assert stored().lease_owner is None


def test_a_stuck_lease_holder_does_not_block_callers_for_long(wechat, fake_wechat, monkeypatch):
    monkeypatch.setattr(tokens, "WAIT_FOR_OTHERS", 0.2)
    db.session.add(
        WechatAccessToken(
            appid=WECHAT_APPID, lease_until=utcnow() + timedelta(minutes=1), lease_owner="crashed"
        )
    )
    db.session.commit()
    assert wechat.access_token() == fake_wechat.live_token
    assert stored().lease_owner == "crashed", "the holder's lease is left alone"


def test_an_expired_lease_is_taken_over(wechat, fake_wechat):
    db.session.add(
        WechatAccessToken(
            appid=WECHAT_APPID, lease_until=utcnow() - timedelta(seconds=1), lease_owner="crashed"
        )
    )
    db.session.commit()
    token = wechat.access_token()
    row = stored()
    assert (row.access_token, row.lease_owner, row.lease_until) == (token, None, None)


def test_a_failed_fetch_frees_the_lease(wechat, fake_wechat, monkeypatch):
    monkeypatch.setattr(wechat, "secret", "wrong-secret")
    with pytest.raises(ServiceUnavailable) as caught:
        wechat.access_token()
    assert caught.value.code == "wechat_misconfigured"
    assert stored().lease_owner is None


def test_the_token_is_kept_out_of_the_callers_transaction(wechat, fake_wechat):
    """Fetching a token commits its own row only: the caller's pending work stays pending."""
    db.session.add(WechatAccessToken(appid="caller-work"))
    wechat.access_token()
    db.session.rollback()
    assert db.session.get(WechatAccessToken, "caller-work") is None
    assert stored().access_token == fake_wechat.live_token


def test_unreachable_wechat_is_503(ctx, dead_wechat):
    with pytest.raises(ServiceUnavailable) as caught:
        wechat_client().check_text("你好", openid="oid-alice", scene=2)
    assert caught.value.code == "wechat_unavailable"
