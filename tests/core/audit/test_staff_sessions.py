"""MLPS level 2 for staff: a password sign-in left idle past STAFF_IDLE_TIMEOUT ends; residents
signed in through WeChat stay signed in."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from backend.accounts.models import RefreshToken
from backend.core.audit.models import SYSTEM_CHAIN
from backend.core.db import db
from tests.core.audit.helpers import entries
from tests.factories import PASSWORD

REFRESH = "/api/v1/auth/refresh"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def age_sign_in(app, user_id: int, by: timedelta) -> None:
    """Move every token the user was issued back in time (no waiting in tests)."""
    with app.app_context():
        for token in db.session.scalars(
            sa.select(RefreshToken).where(RefreshToken.user_id == user_id)
        ):
            token.issued_at -= by
        db.session.commit()


def staff_sign_in(client, username="committee"):
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert response.status_code == 200, response.json
    return response.json


def test_a_staff_sign_in_idle_past_the_timeout_ends(app, client, world):
    tokens = staff_sign_in(client)
    age_sign_in(app, world.committee, app.config["STAFF_IDLE_TIMEOUT"] + timedelta(minutes=1))
    idle = client.post(REFRESH, headers=bearer(tokens["refresh_token"]))
    assert (idle.status_code, idle.json["code"]) == (401, "session_idle")
    # the whole sign-in is over: its access token too, and a second try gives no new chance
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).json["code"] == (
        "token_revoked")
    again = client.post(REFRESH, headers=bearer(tokens["refresh_token"]))
    assert again.json["code"] == "token_revoked"
    assert [(e.action, e.result) for e in entries(app, SYSTEM_CHAIN)][-1] == (
        "auth.session_idle", "denied")


def test_a_staff_sign_in_in_use_stays_and_idleness_counts_from_the_last_refresh(app, client, world):
    tokens = staff_sign_in(client)
    timeout = app.config["STAFF_IDLE_TIMEOUT"]
    age_sign_in(app, world.committee, timeout - timedelta(minutes=5))
    rotated = client.post(REFRESH, headers=bearer(tokens["refresh_token"]))
    assert rotated.status_code == 200
    # the first token is now older than the timeout, the latest one is fresh
    age_sign_in(app, world.committee, timedelta(minutes=10))
    assert client.post(REFRESH, headers=bearer(rotated.json["refresh_token"])).status_code == 200
    with app.app_context():
        flags = db.session.scalars(
            sa.select(RefreshToken.idle_timeout_applies).where(
                RefreshToken.user_id == world.committee)
        ).all()
    assert flags == [True, True, True]  # rotation keeps the sign-in a staff one


def test_residents_signed_in_through_wechat_have_no_idle_timeout(app, client):
    tokens = client.post("/api/v1/auth/wechat-login", json={"code": "olga"}).json
    age_sign_in(app, tokens["user_id"], timedelta(days=7))
    assert client.post(REFRESH, headers=bearer(tokens["refresh_token"])).status_code == 200
