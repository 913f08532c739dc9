"""Who may do what with a community's places and registers."""

from backend.core.auth import Role
from backend.core.permissions import SIGNED_IN, Policy

STAFF_READERS = {
    Role.COMMITTEE,
    Role.GRID_WORKER,
    Role.PROPERTY_STAFF,
    Role.PROFESSIONAL,
    Role.STREET_ADMIN,
    Role.SYSTEM_ADMIN,
}
MANAGERS = {Role.COMMITTEE, Role.SYSTEM_ADMIN}

policy = Policy(
    "community",
    {
        # Names, streets and buildings are public facts residents need to find their home.
        "community.view": {SIGNED_IN},
        "community.edit": {Role.COMMITTEE, Role.STREET_ADMIN, Role.SYSTEM_ADMIN},
        "community.manage_places": MANAGERS,
        "community.view_households": {
            Role.COMMITTEE,
            Role.GRID_WORKER,
            Role.STREET_ADMIN,
            Role.SYSTEM_ADMIN,
        },
        "community.manage_households": MANAGERS,
        "community.view_registers": STAFF_READERS,
        "community.manage_grids": MANAGERS,
        "community.manage_facilities": MANAGERS,
        "community.manage_service_areas": {Role.COMMITTEE, Role.STREET_ADMIN, Role.SYSTEM_ADMIN},
    },
)
