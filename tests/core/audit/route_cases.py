"""The audit log's part of the route permission table: a community's entries for the auditor
and its street admin (not the system admin: separation of duties), its chain head for every
role, the entries outside any community for the auditor only."""

from __future__ import annotations

from tests.permission_table import ROLES, SYSTEM, Case

CASES = {
    ("GET", "/api/v1/communities/<int:community_id>/audit"): Case(
        frozenset({"auditor", "street_admin"})
    ),
    ("GET", "/api/v1/communities/<int:community_id>/audit/head"): Case(frozenset(ROLES)),
    ("GET", "/api/v1/audit/system"): Case(frozenset({"auditor"}), scope=SYSTEM),
}
