"""Who may do what with scores and standards. Everyone of a community reads its finished
assessments (成果共享); drafts, runs and judgements are the committee's self-assessment and the
street's review. Which role decides an assessed item is the item's own rule (`Assessed.roles`),
read through `assessor_role`. Standards belong to regions: a shipped standard is public, an
uploaded one its region's."""

from backend.core.auth import Role
from backend.core.permissions import EVERY_MEMBER, OVERSEERS, REGION_ADMINS, Policy, in_region

# The self-assessment is the committee's and the street's.
ASSESSORS = {Role.COMMITTEE, Role.STREET_ADMIN}

policy = Policy(
    ("scoring", "standard"),
    {
        "scoring.view": EVERY_MEMBER,
        "scoring.view_drafts": OVERSEERS,
        "scoring.run": OVERSEERS,
        "scoring.judge": ASSESSORS,
        # Hand the self-assessment over (定稿): it never changes afterwards.
        "scoring.finalise": ASSESSORS,
        # Assess every community of a region at once, and rank them.
        "scoring.run_region": in_region(REGION_ADMINS),
        "scoring.rank": in_region(REGION_ADMINS),
        # An uploaded standard: read by the admins of its region, of the regions above (who may
        # reuse it) and below (who are assessed on it); to everyone else it does not exist.
        "standard.read": in_region(REGION_ADMINS, from_below=True),
        "standard.upload": in_region(REGION_ADMINS),
        # Replace or delete an uploaded standard.
        "standard.change": in_region(REGION_ADMINS),
        # Which standards a community is assessed on: the street's choice.
        "standard.assign": REGION_ADMINS,
    },
)

# As whom a holder of each role decides an item, the street first when both are allowed.
ASSESSED_AS = (("street", Role.STREET_ADMIN), ("committee", Role.COMMITTEE))


def assessor_role(roles: frozenset, allowed: tuple[str, ...]) -> str | None:
    """As whom the caller decides an item: the street when both are allowed and held."""
    for assessed_as, role in ASSESSED_AS:
        if assessed_as in allowed and role in roles:
            return assessed_as
    return None
