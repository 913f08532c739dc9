"""Who may do what with accounts and memberships, inside a community."""

from backend.core.auth import Role
from backend.core.permissions import SIGNED_IN, Policy

policy = Policy(
    "membership",
    {
        # Any signed-in user may ask to join a community as a resident of a household.
        "membership.claim": {SIGNED_IN},
        "membership.list": {Role.COMMITTEE, Role.STREET_ADMIN, Role.SYSTEM_ADMIN},
        "membership.decide": {Role.COMMITTEE, Role.SYSTEM_ADMIN},
        "membership.invite": {Role.COMMITTEE, Role.SYSTEM_ADMIN},
        "membership.staff_list": {Role.COMMITTEE, Role.STREET_ADMIN, Role.SYSTEM_ADMIN},
        "membership.staff_manage": {Role.COMMITTEE, Role.STREET_ADMIN, Role.SYSTEM_ADMIN},
    },
)
