"""Who may see what of the notifications service. A user's own inbox and subscriptions need no
policy: the services only ever load the caller's rows."""

from backend.core.permissions import OVERSEERS, Policy

policy = Policy(
    "notification",
    {
        # Whether the community's WeChat messages went out (status only, never the content).
        "notification.view_outbox": OVERSEERS,
    },
)
