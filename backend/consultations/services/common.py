"""What every consultation use case starts with: the consultation, loaded inside its community,
who sees it, and who of the residents it concerns (scope, electorate, eligibility).

The rules read a consultation by its model's attribute names, so they hold alike for an entity
and for a row of its columns: casting a ballot, the hottest write, reads rows (services/casting.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn, TypeVar

import sqlalchemy as sa
from flask import g, has_app_context

from backend.accounts.models import Membership
from backend.communities.models import Household
from backend.consultations.models import (
    Comment,
    Consultation,
    Need,
    consultation_buildings,
    consultation_units,
)
from backend.consultations.permissions import policy
from backend.core.auth import Actor, Role
from backend.core.db import db
from backend.core.errors import Forbidden, InvalidInput, NotFound
from backend.core.tenancy.models import Community

# Who sees a consultation that is not (or no longer) before the residents.
HIDDEN_FROM_RESIDENTS = ("draft",)

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """A use case's starting point: the community, the consultation, the actor's roles there."""

    community: Community
    consultation: Consultation
    roles: frozenset[Role]

    @property
    def oversees(self) -> bool:
        return oversees_with(self.roles)


def oversees_with(roles: frozenset[Role]) -> bool:
    """Overseers see drafts, every need and comment, and photos awaiting their check."""
    return bool(roles & policy.allowed_roles("consultation.view_all"))


def oversees(actor: Actor, community: Community) -> bool:
    return oversees_with(actor.roles_in(community))


def consultation_or_404(consultation_id: int, community: Community, *, lock: bool = False):
    query = sa.select(Consultation).where(
        Consultation.id == consultation_id, Consultation.community_id == community.id
    )
    if lock:
        query = query.with_for_update()
    consultation = db.session.scalar(query)
    if consultation is None:
        raise NotFound("未找到该议事协商", code="consultation_not_found")
    return consultation


def load(
    *, actor: Actor, community_id: int, consultation_id: int, action: str, lock: bool = False
) -> Context:
    """Check `action`, load the consultation inside the community, and hide it from whoever may
    not see it yet (`require_shown`)."""
    query = (
        sa.select(Consultation, Community)
        .join(Community, Community.id == Consultation.community_id)
        .where(Consultation.id == consultation_id, Consultation.community_id == community_id)
    )
    if lock:
        query = query.with_for_update(of=Consultation)
    found = db.session.execute(query).first()
    if found is None:
        not_found(actor, action, community_id)
    consultation, community = found
    roles = policy.require(actor, action, community)
    require_shown(
        roles, consultation, lambda: bool(eligible_memberships(actor.user_id, consultation))
    )
    return Context(community, consultation, roles)


def not_found(actor: Actor, action: str, community_id: int) -> NoReturn:
    """No such consultation in the community: say what is missing, in the order a caller may
    learn it (no community, no right, then no such consultation)."""
    policy.community(actor, action, community_id)
    raise NotFound("未找到该议事协商", code="consultation_not_found")


# What a contribution that is not there (or not shown to the caller) answers.
_NOT_FOUND = {
    Need: ("未找到该需求", "need_not_found"),
    Comment: ("未找到该评论", "comment_not_found"),
}


def contribution_or_404(
    kind: type[T],
    contribution_id: int,
    context: Context,
    *,
    visible: sa.ColumnElement[bool],
    lock: bool = False,
) -> T:
    """A need or a comment (`kind`) of the context's consultation, as the caller may see it:
    overseers find every one, anyone else those `visible` keeps; the others do not exist (404
    `need_not_found`, `comment_not_found`)."""
    query = sa.select(kind).where(
        kind.id == contribution_id, kind.consultation_id == context.consultation.id
    )
    if not context.oversees:
        query = query.where(visible)
    if lock:
        query = query.with_for_update()
    found = db.session.scalar(query)
    if found is None:
        message, code = _NOT_FOUND[kind]
        raise NotFound(message, code=code)
    return found


def require_shown(roles: frozenset[Role], consultation, eligible: Callable[[], bool]) -> None:
    """Who sees a consultation (an entity or a row of its columns): overseers every one; anyone
    else none while it is a draft; staff of the community the rest; a resident those they have a
    say in (`eligible`, asked only when it matters). 404 `consultation_not_found` for the others,
    as if it did not exist."""
    if oversees_with(roles):
        return
    shown = consultation.status not in HIDDEN_FROM_RESIDENTS and (
        bool(roles - {Role.RESIDENT}) or eligible()
    )
    if not shown:
        raise NotFound("未找到该议事协商", code="consultation_not_found")


def shown_clause(roles: frozenset[Role], user_id: int) -> sa.ColumnElement[bool]:
    """`require_shown` in SQL, over the consultations a query lists."""
    if oversees_with(roles):
        return sa.true()
    shown = Consultation.status.not_in(HIDDEN_FROM_RESIDENTS)
    if roles - {Role.RESIDENT}:
        return shown
    has_a_say = (
        memberships_with_a_say(
            scope=Consultation.scope,
            electorate=Consultation.electorate,
            consultation_id=Consultation.id,
            community_id=Consultation.community_id,
        )
        .where(Membership.user_id == user_id)
        .exists()
    )
    return sa.and_(shown, has_a_say)


def households_in_scope(consultation: Consultation) -> sa.Select:
    """The ids of the households the consultation concerns."""
    return _households_in_scope(consultation.scope, consultation.id, consultation.community_id)


def _households_in_scope(scope, consultation_id, community_id) -> sa.Select:
    """`scope` is a consultation's scope, or its column when a query lists consultations (whose
    columns the subqueries then take from that query: `correlate_except`)."""
    in_buildings = Household.building_id.in_(
        sa.select(consultation_buildings.c.building_id)
        .where(consultation_buildings.c.consultation_id == consultation_id)
        .correlate_except(consultation_buildings)
    )
    in_units = Household.unit_id.in_(
        sa.select(consultation_units.c.unit_id)
        .where(consultation_units.c.consultation_id == consultation_id)
        .correlate_except(consultation_units)
    )
    query = sa.select(Household.id).where(Household.community_id == community_id)
    if not isinstance(scope, str):
        return query.where(
            sa.or_(
                scope == "community",
                sa.and_(scope == "buildings", in_buildings),
                sa.and_(scope == "units", in_units),
            )
        )
    if scope == "buildings":
        return query.where(in_buildings)
    if scope == "units":
        return query.where(in_units)
    return query


def eligible_memberships_query(consultation: Consultation) -> sa.Select:
    """The memberships that give a say in the consultation (`memberships_with_a_say`)."""
    return memberships_with_a_say(
        scope=consultation.scope,
        electorate=consultation.electorate,
        consultation_id=consultation.id,
        community_id=consultation.community_id,
    )


def memberships_with_a_say(
    *, scope: str, electorate: str, consultation_id, community_id
) -> sa.Select:
    """Who has a say in a consultation of this scope and electorate: verified residents of a
    household in scope (its owners only, for an owners' vote). Each argument is a value, or SQL:
    bind parameters for the ids in a statement built once per scope and electorate (casting a
    ballot), the consultation's columns for a query that lists consultations (`shown_clause`).

    The scope is a correlated EXISTS: one primary-key lookup per membership. `IN (households in
    scope)` makes SQLite list every household of the community for each query (2 ms per ballot
    at 20,000 households, growing with the community); PostgreSQL plans both the same.
    """
    in_scope = (
        _households_in_scope(scope, consultation_id, community_id)
        .where(Household.id == Membership.household_id)
        .correlate_except(Household)
        .exists()
    )
    query = sa.select(Membership).where(
        Membership.community_id == community_id,
        Membership.role == Role.RESIDENT,
        Membership.status == "verified",
        in_scope,
    )
    if not isinstance(electorate, str):
        query = query.where(sa.or_(electorate != "owners", Membership.relation == "owner"))
    elif electorate == "owners":
        query = query.where(Membership.relation == "owner")
    return query


def eligible_memberships(user_id: int, consultation: Consultation) -> list[Membership]:
    """The user's verified resident memberships that give a say in this consultation, one per
    household they belong to in scope (an owner of two flats has two).

    Kept for the rest of the request: seeing a consultation and voting in it ask the same
    question, and a ballot is the hottest write there is.
    """
    known = g.setdefault("eligible_memberships", {}) if has_app_context() else {}
    key = (user_id, consultation.id)
    if key not in known:
        known[key] = list(
            db.session.scalars(
                eligible_memberships_query(consultation)
                .where(Membership.user_id == user_id)
                .order_by(Membership.household_id)
            )
        )
    return known[key]


def eligible_user_ids(consultation: Consultation) -> list[int]:
    """Everyone the consultation concerns, for notifications."""
    query = eligible_memberships_query(consultation).with_only_columns(Membership.user_id)
    return list(db.session.scalars(query.distinct().order_by(Membership.user_id)))


def eligible_resident_count(consultation: Consultation) -> int:
    query = eligible_memberships_query(consultation).with_only_columns(
        sa.func.count(sa.distinct(Membership.user_id))
    )
    return db.session.scalar(query) or 0


def choose_household(memberships: Sequence[T], household_id: int | None) -> T:
    """The membership a resident takes part through, among those that give them a say (anything
    with a `household_id`), for `household_id` when they have several.

    Outcomes: the membership; 403 `not_eligible` when they have none in scope; 422
    `household_required` when they belong to several households and did not say which;
    403 `not_eligible` when the household they named is not one of theirs in scope.
    """
    if not memberships:
        raise Forbidden("您不在本次议事协商的参与范围内", code="not_eligible")
    if household_id is None:
        if len(memberships) > 1:
            raise InvalidInput(
                "您在多个房屋登记，请选择以哪一户参与",
                code="household_required",
                errors={"household_id": ["请选择房屋"]},
            )
        return memberships[0]
    for membership in memberships:
        if membership.household_id == household_id:
            return membership
    raise Forbidden("您不能代表该房屋参与", code="not_eligible")
