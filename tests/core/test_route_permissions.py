"""Every route of the app, called by every role and by staff of another community.

The table below is the specification of who may call what. A route that is not in it fails the
test, so every new route must declare its callers. Each case runs on a fresh world, so a success
is a real success (the status the route promises), and a denial wrote nothing.
"""

from __future__ import annotations

import io
from importlib import import_module

import pytest

from tests.factories import fill_url, url_values
from tests.permission_table import (
    ACTORS,
    COMMITTEE_OR_STREET,
    HOUSEHOLD_READERS,
    MANAGERS,
    MEMBERS,
    PUBLIC,
    ROLES,
    SIGNED_IN,
    STAFF_READERS,
    Case,
)


def _csv():
    return {"file": (io.BytesIO("楼栋,单元,房号,面积\n5号楼,1单元,101,66.6\n".encode()), "r.csv")}


def _photo():
    from tests.core.test_storage import PNG

    return {"file": (io.BytesIO(PNG), "photo.png", "image/png")}


CASES: dict[tuple[str, str], Case] = {
    # documentation, public
    ("GET", "/openapi.json"): Case(PUBLIC, community_scoped=False),
    ("GET", "/docs"): Case(PUBLIC, community_scoped=False),
    ("GET", "/docs/assets/<path:filename>"): Case(
        PUBLIC, params=lambda w: {"filename": "swagger-ui.css"}, community_scoped=False
    ),
    # signing in: public by nature (tested in depth in tests/accounts/test_auth.py)
    ("POST", "/api/v1/auth/wechat-login"): Case(
        PUBLIC, body={"code": "walk"}, community_scoped=False
    ),
    ("POST", "/api/v1/auth/login"): Case(
        PUBLIC,
        body={"username": "committee", "password": "correct-horse-battery"},
        community_scoped=False,
    ),
    ("POST", "/api/v1/auth/dev-login"): Case(
        PUBLIC, body={"username": "resident"}, community_scoped=False
    ),
    # an access token is not a refresh token: 401 for everyone here
    ("POST", "/api/v1/auth/refresh"): Case(frozenset(), community_scoped=False),
    ("POST", "/api/v1/auth/logout"): Case(SIGNED_IN, status=204, community_scoped=False),
    ("GET", "/api/v1/me"): Case(SIGNED_IN, community_scoped=False),
    # regions and organisations: system-wide registers
    ("GET", "/api/v1/regions"): Case(SIGNED_IN, community_scoped=False),
    ("POST", "/api/v1/regions"): Case(
        frozenset({"system_admin"}),
        status=201,
        body=lambda w: {"code": "S9", "name": "新街道", "level": "street", "parent_id": _district(w)},
        community_scoped=False,
    ),
    ("GET", "/api/v1/organisations"): Case(SIGNED_IN, community_scoped=False),
    ("POST", "/api/v1/organisations"): Case(
        frozenset({"system_admin"}),
        status=201,
        body={"code": "NEWPROP", "name": "新物业", "kind": "property_company"},
        community_scoped=False,
    ),
    ("GET", "/api/v1/communities"): Case(SIGNED_IN, community_scoped=False),
    ("POST", "/api/v1/communities"): Case(
        frozenset({"system_admin", "street_admin"}),
        status=201,
        body=lambda w: {"code": "NEW", "name": "新社区", "region_id": w.street_a},
        community_scoped=False,
    ),
    # one community
    ("GET", "/api/v1/communities/<int:community_id>"): Case(SIGNED_IN),
    ("PATCH", "/api/v1/communities/<int:community_id>"): Case(
        COMMITTEE_OR_STREET, body={"address": "和兴路 1 号"}
    ),
    ("GET", "/api/v1/communities/<int:community_id>/buildings"): Case(SIGNED_IN),
    ("POST", "/api/v1/communities/<int:community_id>/buildings"): Case(
        MANAGERS, status=201, body={"name": "7号楼", "unit_names": ["1单元"]}
    ),
    ("GET", "/api/v1/communities/<int:community_id>/buildings/<int:building_id>"): Case(
        SIGNED_IN
    ),
    ("PATCH", "/api/v1/communities/<int:community_id>/buildings/<int:building_id>"): Case(
        MANAGERS, body={"floors": 7}
    ),
    ("DELETE", "/api/v1/communities/<int:community_id>/buildings/<int:building_id>"): Case(
        MANAGERS, status=204, params=lambda w: {"building_id": w.empty_building}
    ),
    ("POST", "/api/v1/communities/<int:community_id>/buildings/<int:building_id>/units"): Case(
        MANAGERS, status=201, body={"name": "3单元"}
    ),
    ("PATCH", "/api/v1/communities/<int:community_id>/units/<int:unit_id>"): Case(
        MANAGERS, body={"name": "甲单元"}
    ),
    ("DELETE", "/api/v1/communities/<int:community_id>/units/<int:unit_id>"): Case(
        MANAGERS, status=204, params=lambda w: {"unit_id": w.spare_unit}
    ),
    ("GET", "/api/v1/communities/<int:community_id>/households"): Case(HOUSEHOLD_READERS),
    ("POST", "/api/v1/communities/<int:community_id>/households"): Case(
        MANAGERS, status=201, body=lambda w: {"unit_id": w.unit, "room": "201", "exclusive_area": "75.25"}
    ),
    ("POST", "/api/v1/communities/<int:community_id>/households/import"): Case(
        MANAGERS, files=_csv
    ),
    ("GET", "/api/v1/communities/<int:community_id>/households/<int:household_id>"): Case(
        HOUSEHOLD_READERS
    ),
    ("PATCH", "/api/v1/communities/<int:community_id>/households/<int:household_id>"): Case(
        MANAGERS, body={"exclusive_area": "81.20"}
    ),
    ("DELETE", "/api/v1/communities/<int:community_id>/households/<int:household_id>"): Case(
        MANAGERS, status=204, params=lambda w: {"household_id": _unclaimed(w)}
    ),
    ("GET", "/api/v1/communities/<int:community_id>/grids"): Case(STAFF_READERS - {"outsider"}),
    ("POST", "/api/v1/communities/<int:community_id>/grids"): Case(
        MANAGERS, status=201, body=lambda w: {"name": "第二网格", "building_ids": [w.empty_building]}
    ),
    ("PATCH", "/api/v1/communities/<int:community_id>/grids/<int:grid_id>"): Case(
        MANAGERS, body={"name": "一网格"}
    ),
    ("DELETE", "/api/v1/communities/<int:community_id>/grids/<int:grid_id>"): Case(
        MANAGERS, status=204
    ),
    ("GET", "/api/v1/communities/<int:community_id>/facilities"): Case(SIGNED_IN),
    ("POST", "/api/v1/communities/<int:community_id>/facilities"): Case(
        MANAGERS, status=201, body={"kind": "public_green_space", "name": "口袋公园",
                                    "floor_area": "1200.00"}
    ),
    ("PATCH", "/api/v1/communities/<int:community_id>/facilities/<int:facility_id>"): Case(
        MANAGERS, body={"floor_area": "380.00"}
    ),
    ("DELETE", "/api/v1/communities/<int:community_id>/facilities/<int:facility_id>"): Case(
        MANAGERS, status=204
    ),
    ("GET", "/api/v1/communities/<int:community_id>/service-areas"): Case(SIGNED_IN),
    ("PUT", "/api/v1/communities/<int:community_id>/service-areas/<int:organisation_id>"): Case(
        COMMITTEE_OR_STREET,
        body=lambda w: {"building_ids": [w.building]},
        params=lambda w: {"organisation_id": w.design_institute},
    ),
    ("DELETE", "/api/v1/communities/<int:community_id>/service-areas/<int:organisation_id>"): Case(
        COMMITTEE_OR_STREET, status=204
    ),
    # residents joining, the committee deciding
    ("GET", "/api/v1/communities/<int:community_id>/memberships"): Case(COMMITTEE_OR_STREET),
    ("POST", "/api/v1/communities/<int:community_id>/memberships"): Case(
        SIGNED_IN,
        status=201,
        body={"building": "1号楼", "unit": "2单元", "room": "101", "relation": "tenant"},
        extra={"setup": "room_in_spare_unit"},
    ),
    ("POST", "/api/v1/communities/<int:community_id>/memberships/<int:membership_id>/verify"): Case(
        MANAGERS, params=lambda w: {"membership_id": w.pending_membership}
    ),
    ("POST", "/api/v1/communities/<int:community_id>/memberships/<int:membership_id>/reject"): Case(
        MANAGERS, body={"reason": "房号不符"}, params=lambda w: {"membership_id": w.pending_membership}
    ),
    ("POST", "/api/v1/communities/<int:community_id>/memberships/<int:membership_id>/revoke"): Case(
        MANAGERS, body={"reason": "已搬离"}, params=lambda w: {"membership_id": w.resident_membership}
    ),
    ("POST", "/api/v1/communities/<int:community_id>/invitations"): Case(
        MANAGERS, status=201, body=lambda w: {"household_ids": [w.free_household]}
    ),
    ("GET", "/api/v1/communities/<int:community_id>/staff"): Case(COMMITTEE_OR_STREET),
    ("POST", "/api/v1/communities/<int:community_id>/staff"): Case(
        COMMITTEE_OR_STREET,
        status=201,
        body={"username": "new_worker", "role": "grid_worker", "password": "long-password-1"},
    ),
    ("DELETE", "/api/v1/communities/<int:community_id>/staff/<int:membership_id>"): Case(
        COMMITTEE_OR_STREET, status=204, params=lambda w: {"membership_id": w.grid_worker_membership}
    ),
    # -- WeChat callbacks and content checks
    # WeChat's push signs its requests, not a user: without its signature every caller gets 403
    # (signed pushes are tested in tests/core/wechat/test_media.py).
    ("GET", "/api/v1/wechat/push"): Case(PUBLIC, status=403, community_scoped=False),
    ("POST", "/api/v1/wechat/push"): Case(PUBLIC, status=403, community_scoped=False),
    # -- photos WeChat could not decide: the community's moderators decide them
    ("GET", "/api/v1/communities/<int:community_id>/media-checks"): Case(MANAGERS),
    ("POST", "/api/v1/communities/<int:community_id>/media-checks/<int:check_id>/decision"): Case(
        MANAGERS, body={"verdict": "pass"}, params=lambda w: _held_photo(w)
    ),
    # -- photo storage: anyone with a role in the community uploads; signed-in users read by key
    ("POST", "/api/v1/communities/<int:community_id>/photos"): Case(
        MEMBERS, status=201, files=_photo
    ),
    ("GET", "/api/v1/photos/<key>"): Case(
        SIGNED_IN, params=lambda w: _stored_photo(w), community_scoped=False
    ),
    # -- notifications and subscriptions
    ("GET", "/api/v1/me/notifications"): Case(SIGNED_IN, community_scoped=False),
    ("GET", "/api/v1/me/notifications/unread-count"): Case(SIGNED_IN, community_scoped=False),
    # The resident's own notification; to anyone else it does not exist.
    ("POST", "/api/v1/me/notifications/<int:notification_id>/read"): Case(
        frozenset({"resident"}),
        params=lambda w: {"notification_id": _residents_notification(w)},
        community_scoped=False,
        extra={"denied": 404},
    ),
    ("POST", "/api/v1/me/notifications/read-all"): Case(SIGNED_IN, community_scoped=False),
    ("GET", "/api/v1/me/subscriptions"): Case(SIGNED_IN, community_scoped=False),
    ("POST", "/api/v1/me/subscriptions"): Case(
        SIGNED_IN, body={"template_ids": ["tpl-walk"]}, community_scoped=False
    ),
    ("GET", "/api/v1/communities/<int:community_id>/outbox"): Case(COMMITTEE_OR_STREET),
    # -- audit log
    ("GET", "/api/v1/communities/<int:community_id>/audit"): Case(
        frozenset({"auditor", "street_admin"})  # not the system admin: separation of duties
    ),
    ("GET", "/api/v1/communities/<int:community_id>/audit/head"): Case(frozenset(ROLES)),
    ("GET", "/api/v1/audit/system"): Case(frozenset({"auditor"}), community_scoped=False),
    # -- personal data (consent, export, erasure, phone)
    ("GET", "/api/v1/me/consents"): Case(SIGNED_IN, community_scoped=False),
    ("POST", "/api/v1/me/consents"): Case(
        SIGNED_IN, status=201, body={"kind": "precise_location"}, community_scoped=False
    ),
    ("DELETE", "/api/v1/me/consents/<kind>"): Case(
        SIGNED_IN, status=204, params=lambda w: _everyone_consents(w, "precise_location"),
        community_scoped=False,
    ),
    ("POST", "/api/v1/me/phone"): Case(
        SIGNED_IN,
        body=lambda w: _everyone_consents(w, "privacy_notice") and {"code": "phone-13800000000"},
        community_scoped=False,
    ),
    ("DELETE", "/api/v1/me/phone"): Case(SIGNED_IN, status=204, community_scoped=False),
    ("GET", "/api/v1/me/export"): Case(SIGNED_IN, community_scoped=False),
    # Each community gets a second committee member: the last one may not erase themselves.
    ("DELETE", "/api/v1/me"): Case(
        SIGNED_IN, status=204, body=lambda w: _second_committee(w) or {"confirm": True},
        community_scoped=False,
    ),
}

# The domains' parts of the table, kept beside their tests.
for _part in ("tests.consultations.route_cases", "tests.tickets.route_cases", "tests.scoring.route_cases"):
    CASES.update(import_module(_part).CASES)


def _stored_photo(world):
    from backend.core.db import db
    from backend.core.storage.models import StoredFile
    from backend.core.storage.services import storage
    from tests.core.test_storage import PNG

    key = storage().save(PNG, "image/png")
    db.session.add(
        StoredFile(
            key=key,
            community_id=world.a,
            uploaded_by_id=world.resident,
            content_type="image/png",
            size=len(PNG),
            sha256="0" * 64,
        )
    )
    db.session.commit()
    return {"key": key}


def _district(world):
    from backend.core.db import db
    from backend.core.tenancy.models import Region

    return db.session.get(Region, world.street_a).parent_id


def _unclaimed(world):
    """A household nobody claimed (the world's free household has a pending claim)."""
    from backend.communities.models import Unit
    from backend.core.db import db
    from tests.factories import household

    row = household(db.session.get(Unit, world.spare_unit), "909")
    db.session.commit()
    return row.id


def _room_in_spare_unit(world):
    from backend.communities.models import Unit
    from backend.core.db import db
    from tests.factories import household

    household(db.session.get(Unit, world.spare_unit), "101")
    db.session.commit()


def _held_photo(world):
    from backend.core.db import db
    from backend.core.wechat.models import MediaCheck

    check = MediaCheck(owner_kind="joint_meeting", owner_id=1, community_id=world.a,
                       url="https://cdn.example.cn/m/1.jpg", status="manual_review")
    db.session.add(check)
    db.session.commit()
    return {"check_id": check.id}


def _residents_notification(world):
    from backend.core.db import db
    from backend.core.notifications.services import notify

    [row] = notify(user_ids=[world.resident], kind="walk", title="通知", body="内容")
    db.session.commit()
    return row.id


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


def _second_committee(world):
    from backend.core.db import db
    from tests.factories import grant, user

    for community_id in (world.a, world.b):
        grant(user(f"committee_{community_id}"), "committee", community_id=community_id)
    db.session.commit()


def _route_methods(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_route_declares_its_callers(app):
    routes = set(_route_methods(app))
    assert routes - set(CASES) == set(), "routes missing from the permission table"
    assert set(CASES) - routes == set(), "permission table names routes that do not exist"


def _expected(case: Case, actor: str) -> int:
    if actor in case.allowed:
        return case.status
    if actor == "anonymous":
        return 401
    if "denied" in case.extra:  # another user's own row: not found for everyone else
        return case.extra["denied"]
    if case.allowed == frozenset():  # refresh with an access token
        return 401
    if case.community_scoped and actor == "outsider":
        return 404
    return 403


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_actor(app, client, world, auth, counts, route, actor):
    method, rule = route
    case = CASES[route]
    with app.app_context():
        values = url_values(world)
        values.update(case.params(world) if case.params else {})
        if case.extra.get("setup") == "room_in_spare_unit":
            _room_in_spare_unit(world)
        body = case.body(world) if callable(case.body) else case.body
        query = case.extra.get("query")
        query = query(world) if callable(query) else query
        headers = {} if actor == "anonymous" else auth(world.user_id(actor))
    url = fill_url(rule, values)
    before = counts()
    kwargs = {"headers": headers}
    if case.files:
        kwargs["data"] = case.files()
        kwargs["content_type"] = "multipart/form-data"
    elif body is not None:
        kwargs["json"] = body
    if query:
        kwargs["query_string"] = query
    response = client.open(url, method=method, **kwargs)
    expected = _expected(case, actor)
    assert response.status_code == expected, (actor, response.status_code, response.get_json())
    if expected >= 400:
        assert set(response.json) == {"code", "status", "message", "errors"}
        assert response.json["status"] == expected
        if method != "GET" and rule != "/api/v1/auth/logout":
            assert counts() == before, "a refused request wrote something"
