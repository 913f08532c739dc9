"""Rate limits: sign-in per address, token refresh per user, 429 in our shape with Retry-After.

The shared test app runs without limits; these tests build their own app with limits on (and a
fresh in-memory counter), then give the database binding back to the shared one.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend import create_app
from backend.core import ratelimit
from backend.core.db import db
from backend.core.idempotency import IdempotencyRecord
from tests.conftest import WECHAT_APPID, WECHAT_SECRET


@pytest.fixture
def make_app(app, database_url, fake_wechat):
    def build(**overrides):
        return create_app({
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "WECHAT_APPID": WECHAT_APPID,
            "WECHAT_SECRET": WECHAT_SECRET,
            "WECHAT_API_BASE": fake_wechat.url,
            "RATELIMIT_ENABLED": True,
            **overrides,
        })

    yield build
    db.init_app(app)  # a second app rebinds the process-wide session


def dev_login(client, address="127.0.0.1", **kwargs):
    return client.post("/api/v1/auth/dev-login", json={"username": "resident"},
                       environ_base={"REMOTE_ADDR": address}, **kwargs)


def refresh(client, token, address="127.0.0.1"):
    return client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {token}"},
                       environ_base={"REMOTE_ADDR": address})


def test_sign_in_from_one_address_is_limited_and_told_when_to_retry(make_app, world):
    client = make_app().test_client()
    allowed = 10  # STAFF_SIGN_IN: 10 a minute per address
    assert [dev_login(client).status_code for _ in range(allowed)] == [200] * allowed
    refused = dev_login(client, headers={"Idempotency-Key": "k-1"})
    assert refused.status_code == 429
    assert refused.json == {"code": "too_many_requests", "status": 429,
                            "message": "操作过于频繁，请稍后再试", "errors": {}}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert dev_login(client, address="127.0.0.2").status_code == 200
    with db.engine.connect() as connection:
        # Turned away before anything was written, idempotency records included.
        assert connection.scalar(
            sa.select(sa.func.count()).select_from(IdempotencyRecord)) == 0


def test_refresh_is_limited_per_user_from_any_address(make_app, world):
    client = make_app().test_client()
    token = dev_login(client).json["refresh_token"]
    for n in range(10):  # TOKEN_REFRESH: 10 a minute per user
        response = refresh(client, token, address=f"127.0.1.{n}")
        assert response.status_code == 200, response.json
        token = response.json["refresh_token"]
    refused = refresh(client, token, address="127.0.2.1")
    assert (refused.status_code, refused.json["code"]) == (429, "too_many_requests")
    assert int(refused.headers["Retry-After"]) >= 1

    other = client.post("/api/v1/auth/dev-login", json={"username": "committee"},
                        environ_base={"REMOTE_ADDR": "127.0.2.1"}).json
    assert refresh(client, other["refresh_token"], address="127.0.2.1").status_code == 200


def test_limits_can_be_switched_off(make_app, world):
    client = make_app(RATELIMIT_ENABLED=False).test_client()
    assert {dev_login(client).status_code for _ in range(12)} == {200}


def test_a_limit_on_an_endpoint_that_does_not_exist_stops_the_app(make_app, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "auth.SignInTypo", ratelimit.STAFF_SIGN_IN)
    with pytest.raises(RuntimeError, match="auth.SignInTypo"):
        make_app()


def test_unlimited_endpoints_and_methods_are_not_counted(make_app, world, auth):
    client = make_app().test_client()
    headers = auth(world.committee)
    assert {client.get("/api/v1/me", headers=headers).status_code for _ in range(15)} == {200}
