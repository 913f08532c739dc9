"""The notifications' part of the route permission table: each user's own inbox and
subscriptions, and whether the community's WeChat messages went out."""

from __future__ import annotations

from tests.permission_table import COMMITTEE_OR_STREET, OWN, SIGNED_IN, Case


def _residents_notification(world):
    from backend.core.db import db
    from backend.core.notifications.services import notify

    [row] = notify(user_ids=[world.resident], kind="walk", title="通知", body="内容")
    db.session.commit()
    return {"notification_id": row.id}


CASES = {
    ("GET", "/api/v1/me/notifications"): Case(SIGNED_IN, scope=OWN),
    ("GET", "/api/v1/me/notifications/unread-count"): Case(SIGNED_IN, scope=OWN),
    # The resident's own notification; to anyone else it does not exist.
    ("POST", "/api/v1/me/notifications/<int:notification_id>/read"): Case(
        frozenset({"resident"}), params=_residents_notification, scope=OWN, denied=404
    ),
    ("POST", "/api/v1/me/notifications/read-all"): Case(SIGNED_IN, scope=OWN),
    ("GET", "/api/v1/me/subscriptions"): Case(SIGNED_IN, scope=OWN),
    ("POST", "/api/v1/me/subscriptions"): Case(
        SIGNED_IN, body={"template_ids": ["tpl-walk"]}, scope=OWN
    ),
    ("GET", "/api/v1/communities/<int:community_id>/outbox"): Case(COMMITTEE_OR_STREET),
}
