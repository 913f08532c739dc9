"""The vocabulary of the route permission table (tests/core/test_route_permissions.py): the
actors, their usual groupings, where a route's action applies, and `Case`. Each domain keeps its
part of the table beside its tests, in `tests/<domain>/route_cases.py` (e.g.
tests/communities/route_cases.py, tests/core/audit/route_cases.py), and the walk collects them."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = (
    "resident",
    "committee",
    "grid_worker",
    "property_staff",
    "professional",
    "street_admin",
    "system_admin",
    "auditor",  # reads the audit log and nothing else: 403 on every other community route
)
ACTORS = (*ROLES, "outsider", "anonymous")  # outsider: committee of another street's community
SIGNED_IN = frozenset(ROLES) | {"outsider"}
MANAGERS = frozenset({"committee", "system_admin"})
COMMITTEE_OR_STREET = MANAGERS | {"street_admin"}
OVERSEERS = COMMITTEE_OR_STREET
STAFF_READERS = frozenset(ROLES) - {"resident", "auditor"}
HOUSEHOLD_READERS = COMMITTEE_OR_STREET | {"grid_worker"}
PUBLIC = frozenset(ACTORS)
# Everyone who belongs to community a, residents included (not the auditor: audit log only).
MEMBERS = frozenset(ROLES) - {"auditor"}
# The admins of street a: its street admin and the system admin.
REGION_ADMINS = frozenset({"street_admin", "system_admin"})

# Where a route's action applies, as in the policy tables (backend/core/permissions.py).
# In a community, a caller holding no role there answers 404 (the outsider), any other 403.
COMMUNITY = "community"
# In a region (street a): its admins; the others get 403, or `denied` when it does not exist
# for them.
REGION = "region"
# The whole system: the registers of regions and organisations, the system audit log, the
# documentation, the callbacks of WeChat and the city's systems.
SYSTEM = "system"
# The caller's own account, session, inbox and personal data.
OWN = "own"
SCOPES = (COMMUNITY, REGION, SYSTEM, OWN)


@dataclass(frozen=True)
class Case:
    allowed: frozenset
    status: int = 200
    body: object = None  # a dict, or a function of the world giving one
    params: object = None  # a function of the world giving URL parameters
    files: object = None  # a function giving multipart files
    scope: str = COMMUNITY
    # What everyone not allowed gets when it is not 403 (404: it does not exist for them).
    denied: int | None = None
    # "setup": a function of the world run before the call; "query": a query string (or a
    # function of the world giving one).
    extra: dict = field(default_factory=dict)
