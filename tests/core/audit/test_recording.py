"""What gets recorded: sign-ins (refused ones too), token misuse, residents' verification and
staff roles, each with the actor, the request id and the client's address."""

from __future__ import annotations

import itertools
import re

import pytest
import sqlalchemy as sa
from flask import Flask

from backend.accounts.models import User
from backend.core.audit.models import SYSTEM_CHAIN
from backend.core.db import db
from backend.core.request_context import client_ip, init_app
from tests.core.audit.helpers import chain_of, entries
from tests.factories import PASSWORD

LOGIN = "/api/v1/auth/login"
# A new address per test: sign-ins are rate limited per IP, and these tests are not about that.
_ADDRESSES = (f"203.0.113.{n}" for n in itertools.cycle(range(1, 255)))


@pytest.fixture
def ip() -> str:
    return next(_ADDRESSES)


def login(client, ip, username, password=PASSWORD, **headers):
    return client.post(LOGIN, json={"username": username, "password": password},
                       headers=headers, environ_base={"REMOTE_ADDR": ip})


def actions(app, chain):
    return [(e.action, e.result) for e in entries(app, chain)]


def test_a_password_sign_in_is_recorded_with_request_id_and_client_ip(app, client, world, ip):
    response = login(client, ip, "committee", **{"X-Request-ID": "nginx-req.42_a"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "nginx-req.42_a"
    [entry] = entries(app, SYSTEM_CHAIN)
    assert (entry.action, entry.result, entry.actor_user_id) == ("auth.login", "ok", world.committee)
    assert (entry.target_type, entry.target_id) == ("user", str(world.committee))
    assert (entry.request_id, entry.client_ip) == ("nginx-req.42_a", ip)
    assert entry.details == {"method": "password"}


def test_an_unusable_incoming_request_id_is_replaced(client, world):
    for incoming in ("x" * 65, "a b", "<script>", ""):
        response = client.get("/api/v1/no-such-route", headers={"X-Request-ID": incoming})
        assert response.status_code == 404
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"]), incoming
    one, two = client.get("/api/v1/me"), client.get("/api/v1/me")
    assert one.headers["X-Request-ID"] != two.headers["X-Request-ID"]


def test_failed_sign_ins_are_recorded_though_the_sign_in_failed(app, client, world, ip):
    assert login(client, ip, "committee", "wrong-password").status_code == 401
    assert login(client, ip, "nobody").status_code == 401
    wrong, unknown = entries(app, SYSTEM_CHAIN)
    assert (wrong.action, wrong.result, wrong.target_id) == (
        "auth.login_failed", "failed", str(world.committee))
    assert wrong.actor_user_id is None  # whoever typed it is not known to be the committee
    assert wrong.details == {"reason": "wrong_password", "account_locked": False}
    assert (unknown.action, unknown.target_id, unknown.details) == (
        "auth.login_failed", None, {"reason": "unknown_user"})
    assert unknown.client_ip == ip
    assert "nobody" not in str(unknown.details)


def test_a_lockout_and_sign_ins_refused_while_locked_are_recorded(app, client, world, ip):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, ip, "committee", "wrong-password")
    assert login(client, ip, "committee").status_code == 429
    recorded = entries(app, SYSTEM_CHAIN)
    assert recorded[-2].details == {"reason": "wrong_password", "account_locked": True}
    assert (recorded[-1].result, recorded[-1].details) == ("denied", {"reason": "locked"})


def test_a_disabled_account_signing_in_is_recorded(app, client, world, ip):
    with app.app_context():
        db.session.get(User, world.committee).is_active = False
        db.session.commit()
    assert login(client, ip, "committee").status_code == 401
    assert [(e.action, e.details) for e in entries(app, SYSTEM_CHAIN)] == [
        ("auth.login_failed", {"reason": "disabled"})
    ]


def test_wechat_sign_in_refresh_reuse_and_logout_are_recorded(app, client):
    first = client.post("/api/v1/auth/wechat-login", json={"code": "mallory"}).json
    bearer = {"Authorization": f"Bearer {first['refresh_token']}"}
    assert client.post("/api/v1/auth/refresh", headers=bearer).status_code == 200
    assert client.post("/api/v1/auth/refresh", headers=bearer).json["code"] == "refresh_token_reused"
    second = client.post("/api/v1/auth/wechat-login", json={"code": "mallory"}).json
    client.post("/api/v1/auth/logout",
                headers={"Authorization": f"Bearer {second['access_token']}"})
    recorded = entries(app, SYSTEM_CHAIN)
    assert [(e.action, e.result) for e in recorded] == [
        ("auth.login", "ok"), ("auth.refresh_reused", "denied"), ("auth.login", "ok"),
        ("auth.logout", "ok"),
    ]
    assert recorded[0].details == {"method": "wechat", "created": True}
    assert {e.actor_user_id for e in recorded} == {first["user_id"]}


def test_committee_decisions_are_recorded_in_the_community_chain(app, client, world, auth, ip):
    committee = auth(world.committee)
    base = f"/api/v1/communities/{world.a}/memberships"
    verified = client.post(f"{base}/{world.pending_membership}/verify", headers=committee,
                           environ_base={"REMOTE_ADDR": ip})
    assert verified.status_code == 200
    revoked = client.post(f"{base}/{world.pending_membership}/revoke", headers=committee,
                          json={"reason": "张三已搬离"})
    assert revoked.status_code == 200
    first, second = entries(app, chain_of(world.a))
    assert (first.action, first.actor_user_id, first.actor_role) == (
        "membership.verify", world.committee, "committee")
    assert (first.target_type, first.target_id) == ("membership", str(world.pending_membership))
    assert first.details["by"] == "committee"
    assert first.details["user_id"] == world.claimant
    assert first.client_ip == ip and first.request_id
    assert second.action == "membership.revoke"
    assert "张三" not in str(second.details)  # the free-text reason stays out of the log
    assert entries(app, chain_of(world.b)) == []


def test_rejections_are_recorded_with_the_role_acted_in(app, client, world, auth):
    url = f"/api/v1/communities/{world.a}/memberships/{world.pending_membership}/reject"
    response = client.post(url, headers=auth(world.system_admin), json={"reason": "房号不符"})
    assert response.status_code == 200
    [entry] = entries(app, chain_of(world.a))
    assert (entry.action, entry.actor_role) == ("membership.reject", "system_admin")


def test_a_claim_verified_by_invitation_is_recorded(app, client, world, auth):
    issued = client.post(f"/api/v1/communities/{world.a}/invitations", headers=auth(world.committee),
                         json={"household_ids": [world.free_household]})
    code = issued.json[0]["code"]
    claim = client.post(f"/api/v1/communities/{world.a}/memberships", headers=auth(world.outsider),
                        json={"building": "1号楼", "unit": "1单元", "room": "102",
                              "relation": "owner", "invitation_code": code})
    assert claim.status_code == 201, claim.json
    [entry] = entries(app, chain_of(world.a))
    assert (entry.action, entry.actor_user_id, entry.details["by"]) == (
        "membership.verify", world.outsider, "invitation")
    assert code not in str(entry.details)


def test_staff_roles_given_and_taken_are_recorded(app, client, world, auth):
    street = auth(world.street_admin)
    staff = f"/api/v1/communities/{world.a}/staff"
    granted = client.post(staff, headers=street, json={
        "username": "new_worker", "role": "grid_worker", "password": "long-password-1"})
    assert granted.status_code == 201
    assert client.delete(f"{staff}/{granted.json['id']}", headers=street).status_code == 204
    grant, revoke = entries(app, chain_of(world.a))
    assert (grant.action, grant.actor_role, grant.details["account_created"]) == (
        "staff.grant", "street_admin", True)
    assert (revoke.action, revoke.target_id) == ("staff.revoke", str(granted.json["id"]))
    assert "new_worker" not in str(grant.details) + str(revoke.details)


def test_a_refused_decision_records_nothing(app, client, world, auth):
    url = f"/api/v1/communities/{world.a}/memberships/{world.pending_membership}/verify"
    assert client.post(url, headers=auth(world.resident)).status_code == 403
    assert entries(app, chain_of(world.a)) == []


def test_users_create_makes_an_auditor_and_records_it(app, client, world, ip):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--username", "shenji", "--password", "long-password-2",
        "--role", "auditor"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "shenji"))
        assert (user.is_auditor, user.is_system_admin) == (True, False)
    [entry] = entries(app, SYSTEM_CHAIN)
    assert (entry.action, entry.actor_user_id, entry.target_id) == ("user.create", None, str(user.id))
    assert entry.details == {"role": "auditor", "via": "cli"}
    signed_in = login(client, ip, "shenji", "long-password-2")
    assert signed_in.status_code == 200, signed_in.json
    system = client.get("/api/v1/audit/system",
                        headers={"Authorization": f"Bearer {signed_in.json['access_token']}"})
    assert system.status_code == 200
    assert [e["action"] for e in system.json] == ["auth.login", "user.create"]


def test_a_committee_account_made_at_the_shell_is_recorded_in_its_community(app, world):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--username", "wei", "--password", "long-password-3",
        "--role", "committee", "--community", "A"])
    assert result.exit_code == 0, result.output
    [entry] = entries(app, chain_of(world.a))
    assert entry.details == {"role": "committee", "via": "cli", "community_id": world.a}


def _echo_ip_app(**config) -> Flask:
    app = Flask(__name__)
    app.config.update({"BEHIND_PROXY": False, **config})
    init_app(app)
    app.add_url_rule("/ip", "ip", lambda: {"ip": client_ip()})
    return app


def test_x_forwarded_for_counts_only_behind_a_configured_proxy(monkeypatch):
    monkeypatch.delenv("BEHIND_PROXY", raising=False)
    forwarded = {"X-Forwarded-For": "198.51.100.9"}
    nginx = {"REMOTE_ADDR": "10.0.0.2"}
    direct = _echo_ip_app().test_client().get("/ip", headers=forwarded, environ_base=nginx)
    assert direct.json["ip"] == "10.0.0.2"
    proxied = _echo_ip_app(BEHIND_PROXY=True).test_client()
    assert proxied.get("/ip", headers=forwarded, environ_base=nginx).json["ip"] == "198.51.100.9"
    monkeypatch.setenv("BEHIND_PROXY", "1")
    from backend.config import load_config

    assert load_config({"APP_ENV": "test"})["BEHIND_PROXY"] is True
