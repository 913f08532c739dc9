"""Who may decide what WeChat could not: photos held for manual review."""

from backend.core.permissions import MANAGERS, Policy

policy = Policy(
    "media",
    {
        # The community's moderators: the same people who moderate proposals and comments.
        "media.review": MANAGERS,
    },
)
