"""Who is calling: the Actor behind a JWT, and the roles they hold where.

The accounts domain owns users and memberships and installs the loader that builds an Actor from
a token (`install_actor_loader`); everything else asks `current_actor()`. It also installs the
answer to "which of these users hold this role here?" (`install_role_holders`), for the layers
below it that must ask (the register checks that a grid's workers are grid workers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from flask import current_app, g, request
from flask_jwt_extended import JWTManager, decode_token, get_current_user

from backend.core.errors import error_response


class Role(StrEnum):
    RESIDENT = "resident"
    COMMITTEE = "committee"
    GRID_WORKER = "grid_worker"
    PROPERTY_STAFF = "property_staff"
    PROFESSIONAL = "professional"
    STREET_ADMIN = "street_admin"
    SYSTEM_ADMIN = "system_admin"
    # Reads the audit log and nothing else; the system admin cannot read it (MLPS level 2).
    AUDITOR = "auditor"


class ScopedToRegion(Protocol):
    id: int
    region_path: str


@dataclass(frozen=True)
class Actor:
    """A signed-in user and the verified roles they hold, resolved once per request."""

    user_id: int
    display_name: str
    is_system_admin: bool = False
    is_auditor: bool = False
    community_roles: Mapping[int, frozenset[Role]] = field(default_factory=dict)
    # Materialised paths ("/1/4/9/") of the regions this user administers as street_admin.
    admin_region_paths: frozenset[str] = frozenset()
    organisation_ids: frozenset[int] = frozenset()

    def roles_in(self, community: ScopedToRegion) -> frozenset[Role]:
        roles = set(self.community_roles.get(community.id, ()))
        if any(community.region_path.startswith(path) for path in self.admin_region_paths):
            roles.add(Role.STREET_ADMIN)
        if self.is_system_admin:
            roles.add(Role.SYSTEM_ADMIN)
        if self.is_auditor:
            roles.add(Role.AUDITOR)
        return frozenset(roles)

    def administers_region(self, region_path: str) -> bool:
        return self.is_system_admin or any(
            region_path.startswith(path) for path in self.admin_region_paths
        )


def current_actor() -> Actor:
    """The Actor of the current request; the route must be `@jwt_required()`."""
    return get_current_user()


def caller_user_id() -> int | None:
    """The user id of the request's bearer token (access or refresh) when it is valid, else None.

    For keying limits and idempotency records only: it never fails the request, and it does not
    check revocation, which stays the route's business.
    """
    if "caller_user_id" not in g:
        g.caller_user_id = None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            try:
                g.caller_user_id = int(decode_token(token.strip())["sub"])
            except Exception:  # expired, forged, malformed: simply not a known caller
                g.caller_user_id = None
    return g.caller_user_id


def install_actor_loader(jwt: JWTManager, load: Callable[[dict], Actor | None]) -> None:
    @jwt.user_lookup_loader
    def _load(_header, payload):
        return load(payload)


RoleHolders = Callable[[int, Role, set[int]], set[int]]


def install_role_holders(app, holders: RoleHolders) -> None:
    app.extensions["role_holders"] = holders


def role_holders(community_id: int, role: Role, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` holding `role` (verified) in the community."""
    return current_app.extensions["role_holders"](community_id, role, user_ids)


def install_token_errors(jwt: JWTManager) -> None:
    """JWT failures answer in the API's error shape, in Chinese."""

    @jwt.unauthorized_loader
    def _missing(reason):
        return error_response(401, "token_missing", "请先登录")

    @jwt.invalid_token_loader
    def _invalid(reason):
        return error_response(401, "token_invalid", "登录凭证无效，请重新登录")

    @jwt.expired_token_loader
    def _expired(_header, _payload):
        return error_response(401, "token_expired", "登录已过期，请刷新或重新登录")

    @jwt.revoked_token_loader
    def _revoked(_header, _payload):
        return error_response(401, "token_revoked", "登录凭证已失效，请重新登录")

    @jwt.needs_fresh_token_loader
    def _not_fresh(_header, _payload):
        return error_response(401, "token_not_fresh", "请重新登录后再试")

    @jwt.user_lookup_error_loader
    def _unknown_user(_header, _payload):
        return error_response(401, "token_invalid", "登录凭证无效，请重新登录")

    @jwt.token_verification_failed_loader
    def _failed(_header, _payload):
        return error_response(401, "token_invalid", "登录凭证无效，请重新登录")
