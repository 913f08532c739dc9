"""Who may read the audit log.

Separation of duties (MLPS level 2): the system admin runs the platform and the auditor reads what
was done; neither can do the other's job. So the system admin cannot read entries, and the auditor
holds no other power. A community's street admin oversees it and may read its entries. The chain
head is a fingerprint meant to be published: every member of the community may see it.
"""

from backend.core.auth import Role
from backend.core.permissions import Policy, system_wide

policy = Policy(
    "audit",
    {
        "audit.read": {Role.AUDITOR, Role.STREET_ADMIN},
        "audit.head": set(Role),
        # Entries outside any community (sign-ins, accounts).
        "audit.read_system": system_wide({Role.AUDITOR}),
    },
)
