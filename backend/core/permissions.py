"""Who may do what: each domain writes its table in `permissions.py` as a `Policy`.

A table maps an action (`building.manage`) to the roles that may take it inside a community. An
actor with no role at all in that community gets 404, as if the community's rows did not exist:
nobody probes what another community holds. An actor who belongs there but lacks the role gets 403.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from backend.core.auth import Actor, Role, ScopedToRegion
from backend.core.errors import Forbidden, NotFound
from backend.core.tenancy.models import Community
from backend.core.tenancy.scoping import community_or_404

# Any signed-in user, whatever their relation to the community (e.g. reading public facts).
SIGNED_IN = "signed_in"

STAFF = frozenset({Role.COMMITTEE, Role.STREET_ADMIN, Role.SYSTEM_ADMIN})


class Policy:
    def __init__(self, domain: str, rules: Mapping[str, Iterable[str]]):
        for action in rules:
            if not action.startswith(f"{domain}."):
                raise ValueError(f"{action} does not belong to the {domain} policy")
        self.domain = domain
        self.rules = {action: frozenset(roles) for action, roles in rules.items()}

    def allowed_roles(self, action: str) -> frozenset[str]:
        try:
            return self.rules[action]
        except KeyError:
            raise LookupError(f"{action} is not in the {self.domain} policy") from None

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

    def require_system_admin(self, actor: Actor) -> None:
        if not actor.is_system_admin:
            raise Forbidden()
