"""Who may read the audit log.

Separation of duties (MLPS level 2): the system admin runs the platform and the auditor reads what
was done; neither can do the other's job. So the system admin cannot read entries, and the auditor
holds no other power. A community's street admin oversees it and may read its entries. The chain
head is a fingerprint meant to be published: every member of the community may see it.
"""

from backend.core.auth import Actor, Role
from backend.core.errors import Forbidden
from backend.core.permissions import Policy

policy = Policy(
    "audit",
    {
        "audit.read": {Role.AUDITOR, Role.STREET_ADMIN},
        "audit.head": set(Role),
        "audit.read_system": {Role.AUDITOR},
    },
)


def platform_roles(actor: Actor) -> frozenset[Role]:
    """The roles an actor holds outside any community."""
    roles = set()
    if actor.is_system_admin:
        roles.add(Role.SYSTEM_ADMIN)
    if actor.is_auditor:
        roles.add(Role.AUDITOR)
    return frozenset(roles)


def require_platform(actor: Actor, action: str) -> None:
    """For actions outside any community: 403 unless a platform role allows it."""
    if not platform_roles(actor) & policy.allowed_roles(action):
        raise Forbidden()
