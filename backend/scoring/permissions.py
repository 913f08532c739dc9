"""Who may do what with scores. Everyone of a community reads its finished assessments (成果共享);
drafts, runs and judgements are the committee's self-assessment and the street's review. Which
role decides an assessed item is the item's own rule (`Assessed.roles`), checked in
`services/judgements.py`. Standards belong to regions: `services/common.py` says who reads and
assigns them."""

from backend.core.auth import Role
from backend.core.permissions import Policy

STAFF = {Role.COMMITTEE, Role.STREET_ADMIN, Role.SYSTEM_ADMIN}

policy = Policy(
    "scoring",
    {
        "scoring.view": {
            Role.RESIDENT,
            Role.COMMITTEE,
            Role.GRID_WORKER,
            Role.PROPERTY_STAFF,
            Role.PROFESSIONAL,
            Role.STREET_ADMIN,
            Role.SYSTEM_ADMIN,
        },
        "scoring.view_drafts": STAFF,
        "scoring.run": STAFF,
        "scoring.judge": {Role.COMMITTEE, Role.STREET_ADMIN},
        # Hand the self-assessment over (定稿): it never changes afterwards.
        "scoring.finalise": {Role.COMMITTEE, Role.STREET_ADMIN},
        "scoring.assign": {Role.STREET_ADMIN, Role.SYSTEM_ADMIN},
    },
)
