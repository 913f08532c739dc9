"""The vocabulary of the route permission table (tests/core/test_route_permissions.py): the
actors, their usual groupings, and `Case`. Domains keep their part of the table beside their
tests (e.g. tests/consultations/route_cases.py) and the walk collects them."""

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
STAFF_READERS = frozenset(ROLES) - {"resident", "auditor"}
HOUSEHOLD_READERS = COMMITTEE_OR_STREET | {"grid_worker"}
PUBLIC = frozenset(ACTORS)


@dataclass(frozen=True)
class Case:
    allowed: frozenset
    status: int = 200
    body: object = None  # a dict, or a function of the world giving one
    params: object = None  # a function of the world giving URL parameters
    files: object = None  # a function giving multipart files
    # In a community's scope, a caller without any role there answers 404; elsewhere 403.
    community_scoped: bool = True
    extra: dict = field(default_factory=dict)
# Everyone who belongs to community a, residents included (not the auditor: audit log only).
MEMBERS = frozenset(ROLES) - {"auditor"}
OVERSEERS = COMMITTEE_OR_STREET
