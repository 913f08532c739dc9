"""The caller's own profile (GET /me)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.accounts.models import Membership, User
from backend.communities.models import Household
from backend.core.auth import Actor
from backend.core.db import db
from backend.core.masking import mask_phone
from backend.core.tenancy.models import Community


@dataclass
class Profile:
    id: int
    username: str | None
    display_name: str
    is_system_admin: bool
    is_auditor: bool
    memberships: list
    roles: dict[str, list[str]]
    administered_region_ids: list[int]
    phone_masked: str | None = None


@dataclass
class MembershipView:
    """A membership with the community and household it names, for the resident to read."""

    membership: Membership
    community: Community | None
    household: Household | None

    def __getattr__(self, name):
        return getattr(self.membership, name)


def my_profile(*, actor: Actor) -> Profile:
    user = db.session.get(User, actor.user_id)
    memberships = db.session.scalars(
        sa.select(Membership)
        .where(Membership.user_id == user.id)
        .options(selectinload(Membership.user))
        .order_by(Membership.id)
    ).all()
    communities = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Community).where(
                Community.id.in_({m.community_id for m in memberships if m.community_id})
            )
        )
    }
    households = {
        h.id: h
        for h in db.session.scalars(
            sa.select(Household).where(
                Household.id.in_({m.household_id for m in memberships if m.household_id})
            )
        )
    }
    return Profile(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_system_admin=user.is_system_admin,
        is_auditor=user.is_auditor,
        memberships=[
            MembershipView(m, communities.get(m.community_id), households.get(m.household_id))
            for m in memberships
        ],
        roles={
            str(community_id): sorted(str(role) for role in roles)
            for community_id, roles in actor.community_roles.items()
        },
        administered_region_ids=sorted(
            m.region_id for m in memberships if m.status == "verified" and m.region_id
        ),
        phone_masked=mask_phone(user.phone),
    )
