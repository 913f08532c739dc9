"""The accounts' part of the route permission table: signing in (public by nature, tested in
depth in tests/accounts/test_auth.py), one's own account and personal data, residents joining a
community and its committee deciding, the community's staff."""

from __future__ import annotations

from tests.permission_table import (
    COMMITTEE_OR_STREET,
    MANAGERS,
    OWN,
    PUBLIC,
    SIGNED_IN,
    Case,
)

COMMUNITY = "/api/v1/communities/<int:community_id>"
MEMBERSHIP = f"{COMMUNITY}/memberships/<int:membership_id>"


def _room_in_spare_unit(world):
    from backend.communities.models import Unit
    from backend.core.db import db
    from tests.factories import household

    household(db.session.get(Unit, world.spare_unit), "101")
    db.session.commit()


def _everyone_consents(world, kind):
    """Every user of the world consents to `kind` (the current notice version)."""
    import sqlalchemy as sa
    from flask import current_app

    from backend.accounts.models import Consent, User
    from backend.core.db import db, utcnow

    version = current_app.config["PRIVACY_NOTICE_VERSION"]
    for user_id in db.session.scalars(sa.select(User.id)):
        db.session.add(Consent(user_id=user_id, kind=kind, version=version, granted_at=utcnow()))
    db.session.commit()
    return {"kind": kind}


def _ready_to_bind_a_phone(world):
    """Every user of the world accepted the privacy notice and signed in through our
    mini-program (WeChat binds a phone code to the user's openid)."""
    import sqlalchemy as sa
    from flask import current_app

    from backend.accounts.models import User
    from backend.core.db import db
    from backend.core.wechat.models import WechatIdentity

    appid = current_app.config["WECHAT_APPID"]
    for user_id in db.session.scalars(sa.select(User.id)):
        db.session.add(WechatIdentity(user_id=user_id, appid=appid, openid=f"oid-{user_id}"))
    db.session.commit()
    _everyone_consents(world, "privacy_notice")
    return {"code": "phone-13800000000"}


def _second_committee(world):
    from backend.core.db import db
    from tests.factories import grant, user

    for community_id in (world.a, world.b):
        grant(user(f"committee_{community_id}"), "committee", community_id=community_id)
    db.session.commit()


CASES = {
    # -- signing in
    ("POST", "/api/v1/auth/wechat-login"): Case(PUBLIC, body={"code": "walk"}, scope=OWN),
    ("POST", "/api/v1/auth/login"): Case(
        PUBLIC, body={"username": "committee", "password": "correct-horse-battery"}, scope=OWN
    ),
    ("POST", "/api/v1/auth/dev-login"): Case(PUBLIC, body={"username": "resident"}, scope=OWN),
    # an access token is not a refresh token: 401 for everyone here
    ("POST", "/api/v1/auth/refresh"): Case(frozenset(), scope=OWN),
    ("POST", "/api/v1/auth/logout"): Case(SIGNED_IN, status=204, scope=OWN),
    ("GET", "/api/v1/me"): Case(SIGNED_IN, scope=OWN),
    # -- residents joining, the committee deciding
    ("GET", f"{COMMUNITY}/memberships"): Case(COMMITTEE_OR_STREET),
    ("POST", f"{COMMUNITY}/memberships"): Case(
        SIGNED_IN,
        status=201,
        body={"building": "1号楼", "unit": "2单元", "room": "101", "relation": "tenant"},
        extra={"setup": _room_in_spare_unit},
    ),
    ("POST", f"{MEMBERSHIP}/verify"): Case(
        MANAGERS, params=lambda w: {"membership_id": w.pending_membership}
    ),
    ("POST", f"{MEMBERSHIP}/reject"): Case(
        MANAGERS, body={"reason": "房号不符"}, params=lambda w: {"membership_id": w.pending_membership}
    ),
    ("POST", f"{MEMBERSHIP}/revoke"): Case(
        MANAGERS, body={"reason": "已搬离"}, params=lambda w: {"membership_id": w.resident_membership}
    ),
    ("POST", f"{COMMUNITY}/invitations"): Case(
        MANAGERS, status=201, body=lambda w: {"household_ids": [w.free_household]}
    ),
    # -- the community's staff
    ("GET", f"{COMMUNITY}/staff"): Case(COMMITTEE_OR_STREET),
    ("POST", f"{COMMUNITY}/staff"): Case(
        COMMITTEE_OR_STREET,
        status=201,
        body={"username": "new_worker", "role": "grid_worker", "password": "long-password-1"},
    ),
    ("DELETE", f"{COMMUNITY}/staff/<int:membership_id>"): Case(
        COMMITTEE_OR_STREET, status=204, params=lambda w: {"membership_id": w.grid_worker_membership}
    ),
    # -- personal data (consent, export, erasure, phone)
    ("GET", "/api/v1/me/consents"): Case(SIGNED_IN, scope=OWN),
    ("POST", "/api/v1/me/consents"): Case(
        SIGNED_IN, status=201, body={"kind": "precise_location"}, scope=OWN
    ),
    ("DELETE", "/api/v1/me/consents/<kind>"): Case(
        SIGNED_IN, status=204, params=lambda w: _everyone_consents(w, "precise_location"),
        scope=OWN,
    ),
    ("POST", "/api/v1/me/phone"): Case(
        SIGNED_IN,
        body=_ready_to_bind_a_phone,
        scope=OWN,
    ),
    ("DELETE", "/api/v1/me/phone"): Case(SIGNED_IN, status=204, scope=OWN),
    ("GET", "/api/v1/me/export"): Case(SIGNED_IN, scope=OWN),
    # Each community gets a second committee member: the last one may not erase themselves.
    ("DELETE", "/api/v1/me"): Case(
        SIGNED_IN, status=204, body=lambda w: _second_committee(w) or {"confirm": True}, scope=OWN
    ),
}
