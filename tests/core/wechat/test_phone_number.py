"""Binding a phone through HTTP: the code is exchanged for the user's own openid, and only a
number watermarked for our mini-program is kept."""

from __future__ import annotations

import pytest

from backend.core.wechat import wechat_client
from tests.helpers import assert_error, assert_ok, writes_nothing

PHONE, ME = "/api/v1/me/phone", "/api/v1/me"


@pytest.fixture
def resident(app, client):
    """A resident signed in through WeChat (openid oid-alice) who accepted the privacy notice."""
    tokens = assert_ok(client.post("/api/v1/auth/wechat-login", json={"code": "alice"}))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert_ok(client.post("/api/v1/me/consents", headers=headers, json={
        "kind": "privacy_notice", "version": app.config["PRIVACY_NOTICE_VERSION"]}), 201)
    return headers


def test_the_phone_code_is_exchanged_with_the_users_openid(client, fake_wechat, resident):
    bound = assert_ok(client.post(PHONE, json={"code": "phone-13812345678-for-oid-alice"},
                                  headers=resident))
    assert bound["phone_masked"] == "138****5678"
    assert fake_wechat.phone_openids == ["oid-alice"]


@pytest.mark.parametrize(
    ("code", "error"),
    [("phone-13812345678-for-oid-mallory", "wechat_phone_code_invalid"),
     ("phone-13812345678+otherapp", "wechat_phone_wrong_app")],
    ids=["issued to another user", "watermarked for another app"],
)
def test_a_phone_that_is_not_this_users_in_our_app_is_refused(
    app, client, counts, resident, code, error
):
    with app.app_context():
        wechat_client().access_token()  # fetched and stored once, whatever the answer
    with writes_nothing(counts):
        assert_error(client.post(PHONE, json={"code": code}, headers=resident), 422, error)
    assert client.get(ME, headers=resident).json["phone_masked"] is None


def test_an_account_without_wechat_cannot_bind_a_wechat_phone(
    app, client, world, auth, counts, fake_wechat
):
    headers = auth(world.committee)  # signed in with a password: no openid
    assert_ok(client.post("/api/v1/me/consents", headers=headers, json={
        "kind": "privacy_notice", "version": app.config["PRIVACY_NOTICE_VERSION"]}), 201)
    with writes_nothing(counts):
        assert_error(client.post(PHONE, json={"code": "phone-13812345678"}, headers=headers),
                     403, "wechat_identity_required")
    assert fake_wechat.calls_to("/wxa/business/getuserphonenumber") == 0
