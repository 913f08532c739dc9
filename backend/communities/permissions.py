"""Who may do what with the register: regions, communities and their places, organisations."""

from backend.core.auth import Role
from backend.core.permissions import (
    MANAGERS,
    OVERSEERS,
    REGION_ADMINS,
    SIGNED_IN,
    WORKERS,
    Policy,
    in_region,
    system_wide,
)

policy = Policy(
    ("community", "region", "organisation"),
    {
        # System admins build the region tree and register the organisations.
        "region.create": system_wide({Role.SYSTEM_ADMIN}),
        "organisation.create": system_wide({Role.SYSTEM_ADMIN}),
        # A street is a public fact: others are refused (403), not told it does not exist.
        "community.create": in_region(REGION_ADMINS, denied=403),
        # Names, streets and buildings are public facts residents need to find their home.
        "community.view": {SIGNED_IN},
        "community.edit": OVERSEERS,
        "community.manage_places": MANAGERS,
        "community.view_households": OVERSEERS | {Role.GRID_WORKER},
        "community.manage_households": MANAGERS,
        "community.view_registers": WORKERS,
        "community.manage_grids": MANAGERS,
        "community.manage_facilities": MANAGERS,
        "community.manage_service_areas": OVERSEERS,
    },
)
