"""Who may decide what WeChat could not: photos held for manual review."""

from backend.core.auth import Role
from backend.core.permissions import Policy

policy = Policy(
    "media",
    {
        # The community's moderators: the same people who moderate proposals and comments.
        "media.review": {Role.COMMITTEE, Role.SYSTEM_ADMIN},
    },
)
