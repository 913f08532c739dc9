"""Signing in: WeChat codes through the local fake WeChat server, staff passwords, token
rotation with stolen-token detection, logout."""

from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.core.db import db
from backend.core.wechat.models import WechatIdentity
from tests.factories import PASSWORD

WECHAT = "/api/v1/auth/wechat-login"
LOGIN = "/api/v1/auth/login"


def wechat_login(client, code):
    return client.post(WECHAT, json={"code": code})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_first_wechat_login_creates_the_user_and_the_next_finds_them(client):
    first = wechat_login(client, "alice")
    assert first.status_code == 200, first.json
    assert first.json["created"] is True
    again = wechat_login(client, "alice")
    assert again.json["created"] is False
    assert again.json["user_id"] == first.json["user_id"]
    me = client.get("/api/v1/me", headers=bearer(again.json["access_token"]))
    assert me.status_code == 200
    assert me.json["id"] == first.json["user_id"]


def test_wechat_login_keeps_the_unionid_when_given(app, client):
    wechat_login(client, "bob+union")
    with app.app_context():
        identity = db.session.scalar(sa.select(WechatIdentity))
        assert identity.openid == "oid-bob"
        assert identity.unionid == "uid-bob"


def test_session_key_never_leaves_the_server_and_is_encrypted_at_rest(app, client):
    response = wechat_login(client, "carol")
    assert "sk-carol" not in response.get_data(as_text=True)
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT session_key FROM wechat_identities")).scalar()
        assert "sk-carol" not in raw
        assert db.session.scalar(sa.select(WechatIdentity)).session_key == "sk-carol-secret"


def test_wechat_errors_map_to_our_errors(client, counts):
    before = counts()
    cases = {
        "bad-code": (401, "wechat_code_invalid"),
        "used-code": (401, "wechat_code_used"),
        "limit-code": (429, "wechat_rate_limited"),
        "risky-code": (403, "wechat_user_blocked"),
        "busy-code": (503, "wechat_unavailable"),
    }
    for code, (status, error_code) in cases.items():
        response = wechat_login(client, code)
        assert (response.status_code, response.json["code"]) == (status, error_code), code
        assert response.json["message"]
    assert counts() == before


def test_system_busy_is_retried_once(client, fake_wechat):
    response = wechat_login(client, "busyonce-dave")
    assert response.status_code == 200
    assert fake_wechat.calls_for("busyonce-dave") == 2


def test_system_busy_twice_gives_up_after_one_retry(client, fake_wechat):
    response = wechat_login(client, "busy-erin")
    assert response.status_code == 503
    assert fake_wechat.calls_for("busy-erin") == 2


def test_a_slow_wechat_times_out_with_503(client, fake_wechat):
    fake_wechat.slow_seconds = 1.5
    response = wechat_login(client, "slow-frank")
    assert response.status_code == 503
    assert response.json["code"] == "wechat_unavailable"


def test_unreachable_wechat_is_503(app, client):
    app.config["WECHAT_API_BASE"], original = "http://127.0.0.1:9", app.config["WECHAT_API_BASE"]
    app.extensions.pop("gongzhi_wechat", None)
    try:
        response = wechat_login(client, "nobody")
    finally:
        app.config["WECHAT_API_BASE"] = original
        app.extensions.pop("gongzhi_wechat", None)
    assert response.status_code == 503


def test_staff_sign_in_with_password(client, world):
    response = client.post(LOGIN, json={"username": "committee", "password": PASSWORD})
    assert response.status_code == 200
    me = client.get("/api/v1/me", headers=bearer(response.json["access_token"]))
    assert me.json["username"] == "committee"


def test_unknown_user_and_wrong_password_look_the_same(client, world):
    unknown = client.post(LOGIN, json={"username": "nobody", "password": PASSWORD})
    wrong = client.post(LOGIN, json={"username": "committee", "password": "wrong"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json == wrong.json
    assert wrong.json["code"] == "invalid_credentials"


def test_repeated_failures_lock_the_account_even_for_the_right_password(app, client, world):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post(LOGIN, json={"username": "committee", "password": "x"}).status_code == 401
    locked = client.post(LOGIN, json={"username": "committee", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json["code"] == "account_locked"
    # another account is not affected
    assert client.post(LOGIN, json={"username": "grid_worker", "password": PASSWORD}).status_code == 200


def test_a_success_resets_the_failure_count(app, client, world):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.post(LOGIN, json={"username": "committee", "password": "x"})
    assert client.post(LOGIN, json={"username": "committee", "password": PASSWORD}).status_code == 200
    client.post(LOGIN, json={"username": "committee", "password": "x"})
    assert client.post(LOGIN, json={"username": "committee", "password": PASSWORD}).status_code == 200


def test_passwords_are_stored_with_a_slow_salted_hash(app, world):
    with app.app_context():
        stored = db.session.scalar(sa.select(User.password_hash).where(User.username == "committee"))
    assert stored.startswith("scrypt:")
    assert PASSWORD not in stored


def test_refresh_rotates_the_pair(client):
    first = wechat_login(client, "grace").json
    rotated = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"]))
    assert rotated.status_code == 200
    assert rotated.json["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(rotated.json["access_token"])).status_code == 200
    again = client.post("/api/v1/auth/refresh", headers=bearer(rotated.json["refresh_token"]))
    assert again.status_code == 200


def test_a_reused_refresh_token_revokes_the_whole_sign_in(client):
    first = wechat_login(client, "heidi").json
    stolen = first["refresh_token"]
    legit = client.post("/api/v1/auth/refresh", headers=bearer(stolen)).json
    replay = client.post("/api/v1/auth/refresh", headers=bearer(stolen))
    assert replay.status_code == 401
    assert replay.json["code"] == "refresh_token_reused"
    # the thief's replay also logs out the rightful holder of the newer tokens
    assert client.post("/api/v1/auth/refresh", headers=bearer(legit["refresh_token"])).status_code == 401
    revoked = client.get("/api/v1/me", headers=bearer(legit["access_token"]))
    assert revoked.status_code == 401
    assert revoked.json["code"] == "token_revoked"


def test_another_sign_in_survives_a_revoked_family(client):
    phone = wechat_login(client, "ivan").json
    tablet = wechat_login(client, "ivan").json
    client.post("/api/v1/auth/logout", headers=bearer(phone["access_token"]))
    assert client.get("/api/v1/me", headers=bearer(phone["access_token"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tablet["access_token"])).status_code == 200


def test_logout_revokes_access_and_refresh_tokens(client):
    tokens = wechat_login(client, "judy").json
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 401
    assert refreshed.json["code"] == "token_revoked"


def test_an_access_token_cannot_refresh(client):
    tokens = wechat_login(client, "ken").json
    response = client.post("/api/v1/auth/refresh", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401


def test_requests_without_or_with_a_forged_token_are_401(client):
    missing = client.get("/api/v1/me")
    assert (missing.status_code, missing.json["code"]) == (401, "token_missing")
    forged = client.get("/api/v1/me", headers=bearer("eyJhbGciOiJIUzI1NiJ9.e30.x"))
    assert (forged.status_code, forged.json["code"]) == (401, "token_invalid")


def test_an_expired_access_token_is_401_token_expired(app, client, world):
    from datetime import timedelta

    from flask_jwt_extended import create_access_token

    with app.app_context():
        token = create_access_token(
            identity=str(world.resident),
            additional_claims={"fam": "f"},
            expires_delta=timedelta(seconds=-1),
        )
    response = client.get("/api/v1/me", headers=bearer(token))
    assert (response.status_code, response.json["code"]) == (401, "token_expired")


def test_a_deactivated_user_is_signed_out(app, client, world, auth):
    headers = auth(world.resident)
    with app.app_context():
        db.session.get(User, world.resident).is_active = False
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_dev_login_gives_tokens_for_a_demo_user(client, world):
    response = client.post("/api/v1/auth/dev-login", json={"username": "resident"})
    assert response.status_code == 200
    me = client.get("/api/v1/me", headers=bearer(response.json["access_token"]))
    assert me.json["username"] == "resident"
    unknown = client.post("/api/v1/auth/dev-login", json={"username": "nobody"})
    assert (unknown.status_code, unknown.json["code"]) == (404, "user_not_found")


def test_two_refreshes_with_one_token_at_once_rotate_it_once(app, client):
    import threading

    tokens = wechat_login(client, "leo").json
    outcomes = []

    def refresh():
        with app.test_client() as own_client:
            response = own_client.post("/api/v1/auth/refresh",
                                       headers=bearer(tokens["refresh_token"]))
            outcomes.append((response.status_code, response.json.get("code")))

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == sorted(
        [(200, None), (401, "refresh_token_reused")], key=str
    )


def test_sign_in_endpoints_need_no_token_in_the_document(client):
    spec = client.get("/openapi.json").json
    for path in ("/api/v1/auth/wechat-login", "/api/v1/auth/login", "/api/v1/auth/dev-login"):
        assert spec["paths"][path]["post"]["security"] == []
    assert spec["security"] == [{"bearerAuth": []}]
