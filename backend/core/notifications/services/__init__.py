"""Notifications use cases: raising them (`notify`), the inbox and subscribe-message credits
(`inbox`), and the outbox of WeChat subscribe messages (`outbox`)."""

from backend.core.notifications.services.inbox import (
    accept_subscriptions,
    list_inbox,
    list_subscriptions,
    mark_all_read,
    mark_read,
    unread_count,
)
from backend.core.notifications.services.notify import WechatMessage, notify
from backend.core.notifications.services.outbox import list_outbox, send_due_messages

__all__ = [
    "WechatMessage",
    "accept_subscriptions",
    "list_inbox",
    "list_outbox",
    "list_subscriptions",
    "mark_all_read",
    "mark_read",
    "notify",
    "send_due_messages",
    "unread_count",
]
