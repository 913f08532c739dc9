"""Personal data (PIPL): consents with their history, the phone number (encrypted, masked), the
export of everything we hold about the caller, and erasure of the account."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from backend.accounts.models import Consent, Membership, User
from backend.accounts.services import has_consent, require_consent
from backend.communities.models import GridWorker
from backend.core.audit.models import AuditEntry
from backend.core.auth import Actor
from backend.core.db import db, transaction
from backend.core.errors import Forbidden
from backend.core.masking import mask_phone
from backend.core.notifications.models import Notification
from backend.core.storage.models import StoredFile
from backend.core.storage.services import DiskStorage, attach_photos
from backend.core.wechat.models import WechatIdentity
from tests.core.test_storage import PNG, as_file
from tests.factories import grant
from tests.helpers import assert_error, assert_ok

ME = "/api/v1/me"
CONSENTS = "/api/v1/me/consents"
PHONE = "/api/v1/me/phone"
EXPORT = "/api/v1/me/export"
ERASE = {"confirm": True}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, code):
    """A resident signing in through WeChat: (headers, the token pair)."""
    tokens = client.post("/api/v1/auth/wechat-login", json={"code": code}).json
    return bearer(tokens["access_token"]), tokens


@pytest.fixture
def notice(app):
    return app.config["PRIVACY_NOTICE_VERSION"]


@pytest.fixture
def accept(app, client):
    """Accept the privacy notice in force (read at each call: some tests change it)."""

    def accept_notice(headers):
        version = app.config["PRIVACY_NOTICE_VERSION"]
        response = client.post(
            CONSENTS, json={"kind": "privacy_notice", "version": version}, headers=headers
        )
        assert response.status_code == 201, response.json
        return response

    return accept_notice


def consent_rows(app, user_id):
    with app.app_context():
        return db.session.scalars(
            sa.select(Consent).where(Consent.user_id == user_id).order_by(Consent.id)
        ).all()


# -- consents


def test_a_new_user_has_no_consent_and_is_told_the_current_notice(client, notice):
    headers, _ = sign_in(client, "newcomer")
    response = client.get(CONSENTS, headers=headers)
    assert response.status_code == 200
    assert response.json["notice_version"] == notice
    assert response.json["notice_accepted_is_current"] is False
    states = {state["kind"]: state for state in response.json["consents"]}
    assert set(states) == {"privacy_notice", "precise_location", "document_photos"}
    assert not any(state["granted"] for state in states.values())
    assert states["precise_location"]["label"] == "精确位置信息"


def test_accepting_the_current_privacy_notice_is_recorded_with_its_version(client, accept, notice):
    headers, tokens = sign_in(client, "reader")
    granted = accept(headers).json
    assert (granted["kind"], granted["version"], granted["withdrawn_at"]) == (
        "privacy_notice", notice, None
    )
    assert granted["granted_at"]
    state = client.get(CONSENTS, headers=headers).json
    assert state["notice_accepted_is_current"] is True
    notice_state = next(s for s in state["consents"] if s["kind"] == "privacy_notice")
    assert (notice_state["granted"], notice_state["version"]) == (True, notice)


def test_precise_location_and_document_photos_need_their_own_consent(client, accept):
    headers, _ = sign_in(client, "separate")
    accept(headers)
    states = {s["kind"]: s["granted"] for s in client.get(CONSENTS, headers=headers).json["consents"]}
    assert states == {"privacy_notice": True, "precise_location": False, "document_photos": False}
    assert client.post(CONSENTS, json={"kind": "precise_location"}, headers=headers).status_code == 201
    states = {s["kind"]: s["granted"] for s in client.get(CONSENTS, headers=headers).json["consents"]}
    assert states == {"privacy_notice": True, "precise_location": True, "document_photos": False}


@pytest.mark.parametrize("body", [
    {"kind": "privacy_notice", "version": "2019-01"},
    {"kind": "privacy_notice"},
])
def test_accepting_another_notice_version_is_refused(client, counts, notice, body):
    headers, _ = sign_in(client, "outdated")
    before = counts()
    response = client.post(CONSENTS, json=body, headers=headers)
    assert response.status_code == 422
    assert response.json["code"] == "notice_version_outdated"
    assert notice in response.json["message"]
    assert "version" in response.json["errors"]["json"]
    assert counts() == before


def test_granting_again_what_stands_keeps_the_one_record(app, client, accept):
    headers, tokens = sign_in(client, "twice")
    first = accept(headers).json
    second = accept(headers).json
    assert second["id"] == first["id"]
    assert len(consent_rows(app, tokens["user_id"])) == 1


def test_withdrawing_is_one_call_and_the_history_is_kept(app, client, accept):
    headers, tokens = sign_in(client, "changeable")
    assert client.post(CONSENTS, json={"kind": "precise_location"}, headers=headers).status_code == 201
    withdrawn = client.delete(f"{CONSENTS}/precise_location", headers=headers)
    assert withdrawn.status_code == 204
    states = {s["kind"]: s["granted"] for s in client.get(CONSENTS, headers=headers).json["consents"]}
    assert states["precise_location"] is False
    assert client.post(CONSENTS, json={"kind": "precise_location"}, headers=headers).status_code == 201
    history = consent_rows(app, tokens["user_id"])
    assert [row.withdrawn_at is None for row in history] == [False, True]
    exported = client.get(EXPORT, headers=headers).json["consents"]
    assert [c["withdrawn_at"] is None for c in exported] == [False, True]


def test_withdrawing_a_consent_not_given_is_404(client, counts):
    headers, _ = sign_in(client, "nothing")
    before = counts()
    for kind in ("document_photos", "no_such_kind"):
        response = client.delete(f"{CONSENTS}/{kind}", headers=headers)
        assert (response.status_code, response.json["code"]) == (404, "consent_not_found")
    assert counts() == before


def test_a_new_notice_version_must_be_accepted_again(app, client, accept, monkeypatch):
    headers, tokens = sign_in(client, "returning")
    accept(headers)
    monkeypatch.setitem(app.config, "PRIVACY_NOTICE_VERSION", "2099-01")
    state = client.get(CONSENTS, headers=headers).json
    assert state["notice_version"] == "2099-01"
    assert state["notice_accepted_is_current"] is False
    with app.app_context():
        assert has_consent(tokens["user_id"], "privacy_notice") is False
    accept(headers)
    with app.app_context():
        assert has_consent(tokens["user_id"], "privacy_notice") is True
    old, new = consent_rows(app, tokens["user_id"])
    assert (old.withdrawn_at is not None, new.withdrawn_at, new.version) == (True, None, "2099-01")


def test_require_consent_refuses_with_403_naming_what_to_accept(app, client):
    headers, tokens = sign_in(client, "locator")
    actor = Actor(user_id=tokens["user_id"], display_name="x")
    with app.app_context():
        with pytest.raises(Forbidden) as refused:
            require_consent(actor, "precise_location")
        assert refused.value.code == "consent_required"
        assert "精确位置" in refused.value.message
        assert refused.value.errors == {"consent": ["precise_location"]}
    client.post(CONSENTS, json={"kind": "precise_location"}, headers=headers)
    with app.app_context():
        require_consent(actor, "precise_location")  # no longer raises
    client.delete(f"{CONSENTS}/precise_location", headers=headers)
    with app.app_context(), pytest.raises(Forbidden):
        require_consent(actor, "precise_location")


# -- the phone number


def test_mask_phone_keeps_three_and_four_digits():
    assert mask_phone("13800000000") == "138****0000"
    assert mask_phone(None) is None


def test_binding_a_phone_needs_the_current_privacy_notice(client, counts, fake_wechat):
    headers, _ = sign_in(client, "hasty")
    before = counts()
    response = client.post(PHONE, json={"code": "phone-13800000000"}, headers=headers)
    assert (response.status_code, response.json["code"]) == (403, "consent_required")
    assert "隐私政策" in response.json["message"]
    assert fake_wechat.calls_to("/wxa/business/getuserphonenumber") == 0
    assert counts() == before


def test_a_bound_phone_is_masked_in_me_encrypted_at_rest_and_whole_in_the_export(
    app, client, accept
):
    headers, tokens = sign_in(client, "caller")
    accept(headers)
    bound = client.post(PHONE, json={"code": "phone-13812345678"}, headers=headers)
    assert bound.status_code == 200, bound.json
    assert bound.json == {"bound": True, "phone_masked": "138****5678"}
    me = client.get(ME, headers=headers)
    assert me.json["phone_masked"] == "138****5678"
    assert "13812345678" not in me.get_data(as_text=True)
    with app.app_context():
        raw = db.session.execute(
            sa.text("SELECT phone FROM users WHERE id = :id"), {"id": tokens["user_id"]}
        ).scalar()
        assert raw and "13812345678" not in raw and "5678" not in raw
        assert db.session.get(User, tokens["user_id"]).phone == "13812345678"
    assert client.get(EXPORT, headers=headers).json["profile"]["phone"] == "13812345678"


def test_a_bad_phone_code_is_refused_and_nothing_is_written(client, accept, counts):
    headers, _ = sign_in(client, "fumbler")
    accept(headers)
    before = counts()
    response = client.post(PHONE, json={"code": "bad-code"}, headers=headers)
    assert (response.status_code, response.json["code"]) == (422, "wechat_phone_code_invalid")
    assert client.get(ME, headers=headers).json["phone_masked"] is None
    assert counts()["users"] == before["users"]
    assert counts()["consents"] == before["consents"]


def test_wechat_down_while_binding_is_503_and_nothing_is_written(app, client, accept):
    headers, tokens = sign_in(client, "unlucky")
    accept(headers)
    app.config["WECHAT_API_BASE"], original = "http://127.0.0.1:9", app.config["WECHAT_API_BASE"]
    app.extensions.pop("gongzhi_wechat", None)
    try:
        response = client.post(PHONE, json={"code": "phone-13800000000"}, headers=headers)
    finally:
        app.config["WECHAT_API_BASE"] = original
        app.extensions.pop("gongzhi_wechat", None)
    assert (response.status_code, response.json["code"]) == (503, "wechat_unavailable")
    with app.app_context():
        assert db.session.get(User, tokens["user_id"]).phone is None


def test_unbinding_forgets_the_phone(app, client, accept):
    headers, tokens = sign_in(client, "mover")
    accept(headers)
    client.post(PHONE, json={"code": "phone-13800000000"}, headers=headers)
    assert client.delete(PHONE, headers=headers).status_code == 204
    assert client.get(ME, headers=headers).json["phone_masked"] is None
    with app.app_context():
        raw = db.session.execute(
            sa.text("SELECT phone FROM users WHERE id = :id"), {"id": tokens["user_id"]}
        ).scalar()
        assert raw is None


def test_withdrawing_the_privacy_notice_unbinds_the_phone(client, accept):
    headers, _ = sign_in(client, "regretful")
    accept(headers)
    client.post(PHONE, json={"code": "phone-13800000000"}, headers=headers)
    assert client.delete(f"{CONSENTS}/privacy_notice", headers=headers).status_code == 204
    assert client.get(ME, headers=headers).json["phone_masked"] is None
    again = client.post(PHONE, json={"code": "phone-13800000000"}, headers=headers)
    assert (again.status_code, again.json["code"]) == (403, "consent_required")


# -- the export


def _notify(app, user_id, title):
    with app.app_context():
        db.session.add(Notification(user_id=user_id, kind="test", title=title, body="正文"))
        db.session.commit()


def test_the_export_holds_everything_about_the_caller(app, client, world, accept, notice):
    headers, tokens = sign_in(client, "exporter")
    accept(headers)
    client.post(PHONE, json={"code": "phone-13812345678"}, headers=headers)
    claim = client.post(
        f"/api/v1/communities/{world.a}/memberships",
        json={"building": "1号楼", "unit": "1单元", "room": "102", "relation": "tenant"},
        headers=headers,
    )
    assert claim.status_code == 201
    _notify(app, tokens["user_id"], "您的申请已提交")
    _notify(app, world.resident, "别人的通知")

    response = client.get(EXPORT, headers=headers)
    assert response.status_code == 200
    data = response.json
    assert data["privacy_notice_version"] == notice
    assert data["profile"]["id"] == tokens["user_id"]
    assert data["profile"]["phone"] == "13812345678"
    assert [(w["openid"], w["appid"]) for w in data["wechat_identities"]] == [
        ("oid-exporter", app.config["WECHAT_APPID"])
    ]
    assert [(m["status"], m["household"]["room"], m["community"]["id"])
            for m in data["memberships"]] == [("pending", "102", world.a)]
    assert [c["kind"] for c in data["consents"]] == ["privacy_notice"]
    assert len(data["sign_ins"]) == 1
    assert data["sign_ins"][0]["signed_in_at"] and data["sign_ins"][0]["ended_at"] is None
    assert [n["title"] for n in data["notifications"]] == ["您的申请已提交"]
    assert "auth.login" in {entry["action"] for entry in data["activity"]}


def test_the_export_holds_no_session_key_and_no_token(client):
    headers, tokens = sign_in(client, "careful")
    text = client.get(EXPORT, headers=headers).get_data(as_text=True)
    assert "session_key" not in text
    assert "sk-careful" not in text
    assert tokens["access_token"] not in text
    assert tokens["refresh_token"] not in text


# -- erasure


@pytest.mark.parametrize("body", [None, {}, {"confirm": False}])
def test_erasure_needs_an_explicit_confirmation(client, counts, body):
    headers, _ = sign_in(client, "hesitant")
    before = counts()
    response = client.delete(ME, json=body, headers=headers)
    assert response.status_code == 422
    assert client.get(ME, headers=headers).status_code == 200
    assert counts() == before


def test_erasure_anonymises_the_user_and_ends_every_sign_in(app, client, world, accept):
    headers, tokens = sign_in(client, "leaver")
    accept(headers)
    client.post(PHONE, json={"code": "phone-13800000000"}, headers=headers)
    client.post(
        f"/api/v1/communities/{world.a}/memberships",
        json={"building": "1号楼", "unit": "1单元", "room": "102", "relation": "family"},
        headers=headers,
    )
    _notify(app, tokens["user_id"], "一条通知")

    assert client.delete(ME, json=ERASE, headers=headers).status_code == 204

    assert client.get(ME, headers=headers).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 401
    with app.app_context():
        user = db.session.get(User, tokens["user_id"])
        assert (user.display_name, user.username, user.password_hash, user.phone) == (
            "已注销用户", None, None, None
        )
        assert user.erased_at is not None and user.is_active is False
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(WechatIdentity)
            .where(WechatIdentity.user_id == user.id)
        ) == 0
        claim = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
        assert (claim.status, claim.decision_reason) == ("withdrawn", "用户注销")
        assert all(c.withdrawn_at is not None for c in consent_rows(app, user.id))
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(Notification)
            .where(Notification.user_id == user.id)
        ) == 0
        erased = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "account.erase"))
        assert (erased.actor_user_id, erased.target_id) == (user.id, str(user.id))
        assert erased.details["claims_withdrawn"] == 1


def test_after_erasure_the_same_wechat_account_signs_in_as_a_new_user(client):
    headers, tokens = sign_in(client, "phoenix")
    client.delete(ME, json=ERASE, headers=headers)
    again = client.post("/api/v1/auth/wechat-login", json={"code": "phoenix"})
    assert again.status_code == 200
    assert again.json["created"] is True
    assert again.json["user_id"] != tokens["user_id"]
    me = client.get(ME, headers=bearer(again.json["access_token"])).json
    assert me["memberships"] == [] and me["phone_masked"] is None


def test_erasure_revokes_verified_roles_and_keeps_the_rows_without_identity(
    app, client, world, auth
):
    assert client.delete(ME, json=ERASE, headers=auth(world.resident)).status_code == 204
    listed = client.get(
        f"/api/v1/communities/{world.a}/memberships",
        query_string={"status": "revoked"},
        headers=auth(world.committee),
    ).json
    assert [(m["id"], m["user_display_name"], m["decision_reason"]) for m in listed] == [
        (world.resident_membership, "已注销用户", "用户注销")
    ]
    assert client.get(ME, headers=auth(world.resident)).status_code == 401


def test_an_erased_grid_worker_leaves_their_grids(app, client, world, auth):
    assert client.delete(ME, json=ERASE, headers=auth(world.grid_worker)).status_code == 204
    with app.app_context():
        assert db.session.scalar(
            sa.select(GridWorker).where(GridWorker.user_id == world.grid_worker)
        ) is None


def test_the_last_committee_member_cannot_erase_their_account(app, client, world, auth, counts):
    before = counts()
    refused = client.delete(ME, json=ERASE, headers=auth(world.committee))
    assert (refused.status_code, refused.json["code"]) == (409, "last_committee_member")
    assert counts() == before
    with app.app_context():
        grant(db.session.get(User, world.resident), "committee", community_id=world.a)
        db.session.commit()
    assert client.delete(ME, json=ERASE, headers=auth(world.committee)).status_code == 204


def test_two_committee_members_erasing_at_once_leave_one_behind(app, world, auth):
    with app.app_context():
        grant(db.session.get(User, world.resident), "committee", community_id=world.a)
        db.session.commit()
    outcomes = []

    def erase(user_id):
        with app.test_client() as own_client:
            response = own_client.delete(ME, json=ERASE, headers=auth(user_id))
            outcomes.append((response.status_code, (response.get_json(silent=True) or {}).get("code")))

    threads = [threading.Thread(target=erase, args=(uid,)) for uid in (world.committee, world.resident)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == sorted([(204, None), (409, "last_committee_member")], key=str)
    with app.app_context():
        remaining = db.session.scalar(
            sa.select(sa.func.count()).select_from(Membership).where(
                Membership.community_id == world.a,
                Membership.role == "committee",
                Membership.status == "verified",
            )
        )
        assert remaining == 1


# -- photos


@pytest.fixture
def disk(app, tmp_path, monkeypatch):
    """This test's own storage directory."""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path))
    return DiskStorage(tmp_path)


def _upload(client, headers, community_id) -> str:
    response = client.post(
        f"/api/v1/communities/{community_id}/photos",
        data=as_file(PNG),
        content_type="multipart/form-data",
        headers=headers,
    )
    return assert_ok(response, 201)["key"]


def test_the_export_lists_my_photos_and_erasure_deletes_the_unused_ones_with_their_files(
    app, client, world, auth, disk
):
    mine = auth(world.resident)
    unused, used = _upload(client, mine, world.a), _upload(client, mine, world.a)
    theirs = _upload(client, auth(world.committee), world.a)
    with app.app_context(), transaction():
        attach_photos([used], community_id=world.a, uploader_id=world.resident, purpose="ticket")

    photos = assert_ok(client.get(EXPORT, headers=mine))["photos"]
    assert sorted((p["key"], p["attached"], p["purpose"]) for p in photos) == sorted(
        [(unused, False, None), (used, True, "ticket")]
    )
    assert all(
        (p["content_type"], p["size"], p["width"], p["height"])
        == ("image/png", disk.path(p["key"]).stat().st_size, 3, 2)
        and p["created_at"]
        for p in photos
    )
    # Each with a signed link that opens it.
    assert all(client.get(p["url"]).data == disk.path(p["key"]).read_bytes() for p in photos)

    assert client.delete(ME, json=ERASE, headers=mine).status_code == 204

    with app.app_context():
        assert set(db.session.scalars(sa.select(StoredFile.key))) == {used, theirs}
    assert not disk.path(unused).exists()
    # Attached to a ticket, the photo is part of its record: kept, with its bytes.
    assert disk.path(used).exists() and disk.path(theirs).exists()


def test_a_refused_erasure_keeps_the_photos_and_their_files(app, client, world, auth, disk):
    key = _upload(client, auth(world.committee), world.a)
    assert_error(client.delete(ME, json=ERASE, headers=auth(world.committee)), 409,
                 "last_committee_member")
    with app.app_context():
        assert db.session.scalar(sa.select(StoredFile).where(StoredFile.key == key)) is not None
    assert disk.path(key).exists()
