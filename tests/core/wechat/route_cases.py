"""WeChat's part of the route permission table: its callbacks, and the photos its content check
could not decide, which the community's moderators decide."""

from __future__ import annotations

from tests.permission_table import MANAGERS, PUBLIC, SYSTEM, Case

COMMUNITY = "/api/v1/communities/<int:community_id>"


def _held_photo(world):
    from backend.core.db import db
    from backend.core.wechat.models import MediaCheck

    check = MediaCheck(owner_kind="joint_meeting", owner_id=1, community_id=world.a,
                       url="https://cdn.example.cn/m/1.jpg", status="manual_review")
    db.session.add(check)
    db.session.commit()
    return {"check_id": check.id}


CASES = {
    # WeChat's push signs its requests, not a user: without its signature every caller gets 403
    # (signed pushes are tested in tests/core/wechat/test_media.py).
    ("GET", "/api/v1/wechat/push"): Case(PUBLIC, status=403, scope=SYSTEM),
    ("POST", "/api/v1/wechat/push"): Case(PUBLIC, status=403, scope=SYSTEM),
    ("GET", f"{COMMUNITY}/media-checks"): Case(MANAGERS),
    ("POST", f"{COMMUNITY}/media-checks/<int:check_id>/decision"): Case(
        MANAGERS, body={"verdict": "pass"}, params=_held_photo
    ),
}
