"""Who may do what: each domain writes its table in `permissions.py` as a `Policy`.

A table maps an action (`building.manage`) to the roles that may take it, and says where the
action applies:
- in a community (the default): an actor with no role at all there gets 404, as if the
  community's rows did not exist, so nobody probes what another community holds; an actor who
  belongs there but lacks the role gets 403;
- in a region (`in_region`): its street admins, those of the regions above it, the system admins;
  to everyone else the region answers 404 as if it did not exist, or 403 where it is a public fact;
- in the whole system (`system_wide`): roles held outside any community (system admin, auditor);
  everyone else gets 403.
The role sets below are defined once, for every domain's table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from backend.core.auth import Actor, Role, ScopedToRegion
from backend.core.errors import Forbidden, NotFound
from backend.core.tenancy.models import Community, Region
from backend.core.tenancy.scoping import community_or_404, region_or_404

# Any signed-in user, whatever their relation to the community (e.g. reading public facts).
SIGNED_IN = "signed_in"

# Everyone who belongs to the community, residents included; not the auditor, who reads the audit
# log and nothing else.
EVERY_MEMBER = frozenset(Role) - {Role.AUDITOR}
# Everyone who works for the community: its members but the residents.
WORKERS = EVERY_MEMBER - {Role.RESIDENT}
# The committee runs the community; the system admin may stand in for it.
MANAGERS = frozenset({Role.COMMITTEE, Role.SYSTEM_ADMIN})
# The committee and those above it: the street and the system admin.
OVERSEERS = MANAGERS | {Role.STREET_ADMIN}
# A region's admins: street admins of it or of a region above it, the system admins.
REGION_ADMINS = frozenset({Role.STREET_ADMIN, Role.SYSTEM_ADMIN})


class Scope(StrEnum):
    COMMUNITY = "community"
    REGION = "region"
    SYSTEM = "system"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    scope: Scope = Scope.COMMUNITY
    # What those not allowed get from `Policy.region`: 404 as if the region did not exist, or 403.
    denied: int = 404
    # Region rules: the admins of the regions below count too (they are assessed on what it holds).
    from_below: bool = False


def in_region(roles: Iterable[str], *, denied: int = 404, from_below: bool = False) -> Rule:
    return Rule(frozenset(roles), Scope.REGION, denied, from_below)


def system_wide(roles: Iterable[str]) -> Rule:
    return Rule(frozenset(roles), Scope.SYSTEM, 403)


def system_roles(actor: Actor) -> frozenset[Role]:
    """The roles an actor holds outside any community."""
    roles = set()
    if actor.is_system_admin:
        roles.add(Role.SYSTEM_ADMIN)
    if actor.is_auditor:
        roles.add(Role.AUDITOR)
    return frozenset(roles)


def region_roles(actor: Actor, region_path: str, *, from_below: bool = False) -> frozenset[Role]:
    """The roles an actor holds over a region (by its materialised path)."""
    roles = set(system_roles(actor))
    if any(
        region_path.startswith(path) or (from_below and path.startswith(region_path))
        for path in actor.admin_region_paths
    ):
        roles.add(Role.STREET_ADMIN)
    return frozenset(roles)


class Policy:
    """One domain's table. `nouns` are the words its actions start with (`community.create`,
    `region.create`): an action written into the wrong table fails at import."""

    def __init__(self, nouns: str | tuple[str, ...], rules: Mapping[str, Iterable[str] | Rule]):
        nouns = (nouns,) if isinstance(nouns, str) else nouns
        for action in rules:
            if action.partition(".")[0] not in nouns:
                raise ValueError(f"{action} does not belong to the {'/'.join(nouns)} policy")
        self.domain = nouns[0]
        self.rules = {
            action: rule if isinstance(rule, Rule) else Rule(frozenset(rule))
            for action, rule in rules.items()
        }

    def rule(self, action: str, scope: Scope) -> Rule:
        try:
            rule = self.rules[action]
        except KeyError:
            raise LookupError(f"{action} is not in the {self.domain} policy") from None
        if rule.scope is not scope:
            raise LookupError(f"{action} is a {rule.scope} action, not a {scope} one")
        return rule

    def allowed_roles(self, action: str) -> frozenset[str]:
        return self.rule(action, Scope.COMMUNITY).roles

    # ------------------------------------------------------------ in a community

    def can(self, actor: Actor, action: str, community: ScopedToRegion) -> bool:
        allowed = self.allowed_roles(action)
        return SIGNED_IN in allowed or bool(actor.roles_in(community) & allowed)

    def require(self, actor: Actor, action: str, community: ScopedToRegion) -> frozenset[Role]:
        """Return the actor's roles in `community`, or raise NotFound / Forbidden."""
        allowed = self.allowed_roles(action)
        roles = actor.roles_in(community)
        if SIGNED_IN in allowed or roles & allowed:
            return roles
        if not roles:
            raise NotFound()
        raise Forbidden()

    def community(self, actor: Actor, action: str, community_id: int) -> Community:
        """The community, when `actor` may take `action` in it: 404 `community_not_found` when
        there is none, 404 when the actor holds no role there, 403 when not the one needed."""
        community = community_or_404(community_id)
        self.require(actor, action, community)
        return community

    # ------------------------------------------------------------ in a region

    def region_roles(self, actor: Actor, action: str, region_path: str) -> frozenset[Role]:
        """The actor's roles over the region that allow `action` (none: not allowed)."""
        rule = self.rule(action, Scope.REGION)
        return region_roles(actor, region_path, from_below=rule.from_below) & rule.roles

    def can_in_region(self, actor: Actor, action: str, region_path: str) -> bool:
        return bool(self.region_roles(actor, action, region_path))

    def region(self, actor: Actor, action: str, region_id: int) -> Region:
        """The region, when `actor` may take `action` in it: 404 `region_not_found` when there
        is none; for those not allowed, 404 as if there were none, or 403 (the rule says)."""
        region = region_or_404(region_id)
        if not self.can_in_region(actor, action, region.path):
            if self.rules[action].denied == 404:
                raise NotFound("未找到该区域", code="region_not_found")
            raise Forbidden()
        return region

    # ------------------------------------------------------------ in the whole system

    def require_system(self, actor: Actor, action: str) -> None:
        """403 unless a role held outside any community allows `action`."""
        if not system_roles(actor) & self.rule(action, Scope.SYSTEM).roles:
            raise Forbidden()


def broadest(roles: Iterable[Role]) -> Role:
    """The widest of the roles by which someone acts (the system admin before the street), as
    the audit log names it."""
    return max(roles, key=list(Role).index)
