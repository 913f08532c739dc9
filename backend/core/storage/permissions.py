"""Who may store files for a community. Reading needs no policy: any signed-in user who holds
a key may read it (see services.py)."""

from backend.core.auth import Role
from backend.core.permissions import Policy

policy = Policy(
    "storage",
    {
        # Everyone who works or lives there may attach a photo to something; not the auditor,
        # who reads the audit log and nothing else.
        "storage.upload": {
            Role.RESIDENT,
            Role.COMMITTEE,
            Role.GRID_WORKER,
            Role.PROPERTY_STAFF,
            Role.PROFESSIONAL,
            Role.STREET_ADMIN,
            Role.SYSTEM_ADMIN,
        },
    },
)
