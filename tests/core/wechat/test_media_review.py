"""Photos WeChat could not decide are decided by the community's moderators."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.core.audit.models import AuditEntry
from backend.core.db import db
from backend.core.wechat.models import MediaCheck
from tests.helpers import assert_error, assert_ok, writes_nothing


def held_photo(community_id: int, author: int, status: str = "manual_review") -> int:
    check = MediaCheck(owner_kind="joint_meeting", owner_id=1, community_id=community_id,
                       author_user_id=author, url="https://cdn.example.cn/m/1.jpg", status=status)
    db.session.add(check)
    db.session.commit()
    return check.id


def url(community_id: int, *parts) -> str:
    return "/".join([f"/api/v1/communities/{community_id}/media-checks", *map(str, parts)])


def test_a_moderator_passes_a_held_photo_and_may_correct_it(app, client, world, auth):
    with app.app_context():
        held = held_photo(world.a, world.resident)
        held_pending = held_photo(world.a, world.resident, "pending")
    committee = auth(world.committee)
    queue = assert_ok(client.get(url(world.a), headers=committee))
    assert [c["id"] for c in queue] == [held]
    decided = assert_ok(client.post(url(world.a, held, "decision"), headers=committee,
                                    json={"verdict": "pass"}))
    assert decided["status"] == "pass" and decided["verdict_at"]
    corrected = assert_ok(client.post(url(world.a, held, "decision"), headers=committee,
                                      json={"verdict": "risky"}))
    assert corrected["status"] == "risky"
    assert_error(client.post(url(world.a, held_pending, "decision"), headers=committee,
                             json={"verdict": "pass"}), 409, "media_check_pending")
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions.count("media.reviewed") == 2


@pytest.mark.parametrize(("who", "status", "code"), [
    ("resident", 403, "forbidden"),
    ("outsider", 404, "not_found"),
])
def test_only_this_communitys_moderators_decide(app, client, world, auth, counts, who, status,
                                                code):
    with app.app_context():
        held = held_photo(world.a, world.resident)
    with writes_nothing(counts):
        assert_error(client.post(url(world.a, held, "decision"), headers=auth(world.user_id(who)),
                                 json={"verdict": "pass"}), status, code)


def test_another_communitys_photo_is_not_found(app, client, world, auth, counts):
    with app.app_context():
        elsewhere = held_photo(world.b, world.outsider)
    with writes_nothing(counts):
        assert_error(client.post(url(world.a, elsewhere, "decision"), headers=auth(world.committee),
                                 json={"verdict": "pass"}), 404, "media_check_not_found")
