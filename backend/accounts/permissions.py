"""Who may do what with accounts and memberships, inside a community."""

from backend.core.permissions import MANAGERS, OVERSEERS, SIGNED_IN, Policy

policy = Policy(
    "membership",
    {
        # Any signed-in user may ask to join a community as a resident of a household.
        "membership.claim": {SIGNED_IN},
        "membership.list": OVERSEERS,
        "membership.decide": MANAGERS,
        "membership.invite": MANAGERS,
        "membership.staff_list": OVERSEERS,
        "membership.staff_manage": OVERSEERS,
    },
)
