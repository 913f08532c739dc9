"""Joining a community: residents claim households, the committee decides; staff roles.

A claim with a valid invitation code (a letter to the household, single use) is verified at once;
otherwise it waits for the committee, which verifies or rejects it with a reason the resident sees.
A verified membership can be revoked, which is how the committee undoes a wrong verification.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from backend.accounts.models import HouseholdInvitation, Membership, User, membership_scope
from backend.accounts.permissions import policy
from backend.accounts.services.passwords import hash_password
from backend.communities.models import Building, Household, Unit
from backend.communities.services.registers import release_grid_worker
from backend.core.audit import services as audit
from backend.core.auth import Actor, Role
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.notifications.services import notify
from backend.core.tenancy.models import Community

INVITATION_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper
INVITATION_LENGTH = 10
INVITATION_VALIDITY = timedelta(days=90)

STAFF_ROLES = (Role.COMMITTEE, Role.GRID_WORKER, Role.PROFESSIONAL)


def hash_invitation(code: str) -> str:
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def _membership_in(community: Community, membership_id: int) -> Membership:
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.id == membership_id, Membership.community_id == community.id
        )
    )
    if membership is None:
        raise NotFound("没有这条成员记录", code="membership_not_found")
    return membership


def claim_household(*, actor: Actor, community_id: int, data: dict) -> Membership:
    """A resident says which household they live in (building, unit, room, relation).

    Outcomes: a pending membership; a verified one when `invitation_code` is valid for that
    household; 404 household_not_found; 422 invitation_code_invalid (nothing saved);
    409 membership_exists when the user already holds or awaits this household.
    A rejected or revoked claim may be made again: the same record returns to pending.
    """
    community = policy.community(actor, "membership.claim", community_id)
    now = utcnow()
    with transaction() as tx:
        household = tx.scalar(
            sa.select(Household)
            .join(Unit, Household.unit_id == Unit.id)
            .join(Building, Household.building_id == Building.id)
            .where(
                Household.community_id == community.id,
                Building.name == data["building"].strip(),
                Unit.name == data["unit"].strip(),
                Household.room == data["room"].strip(),
            )
        )
        if household is None:
            raise NotFound("未找到该房屋，请核对楼栋、单元和房号", code="household_not_found")
        scope_key = membership_scope(household_id=household.id)
        membership = tx.scalar(
            sa.select(Membership).where(
                Membership.user_id == actor.user_id,
                Membership.role == Role.RESIDENT,
                Membership.scope_key == scope_key,
            )
        )
        if membership is not None and membership.status in ("pending", "verified"):
            raise Conflict("您已申请或已认证该房屋", code="membership_exists")
        if membership is None:
            membership = Membership(
                user_id=actor.user_id,
                role=Role.RESIDENT,
                scope_key=scope_key,
                community_id=community.id,
                household_id=household.id,
            )
            tx.add(membership)
        membership.relation = data["relation"]
        membership.status = "pending"
        membership.decision_reason = None
        membership.decided_by_id = None
        membership.decided_at = None
        membership.verified_by_invitation = False
        code = data.get("invitation_code")
        if code:
            used = tx.execute(
                sa.update(HouseholdInvitation)
                .where(
                    HouseholdInvitation.code_hash == hash_invitation(code),
                    HouseholdInvitation.household_id == household.id,
                    HouseholdInvitation.used_at.is_(None),
                    HouseholdInvitation.revoked_at.is_(None),
                    HouseholdInvitation.expires_at > now,
                )
                .values(used_at=now, used_by_id=actor.user_id)
            ).rowcount
            if used != 1:
                raise InvalidInput(
                    "邀请码无效、已使用或已过期",
                    code="invitation_code_invalid",
                    errors={"json": {"invitation_code": ["invalid, used or expired"]}},
                )
            membership.status = "verified"
            membership.decided_at = now
            membership.verified_by_invitation = True
        try:
            tx.flush()
        except IntegrityError:
            raise Conflict("您已申请或已认证该房屋", code="membership_exists") from None
        if membership.verified_by_invitation:
            _audit_membership(actor, community, membership, "membership.verify", by="invitation")
        return membership


def list_memberships(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    """Residents' claims of the community, newest first, by status / building / relation."""
    community = policy.community(actor, "membership.list", community_id)
    query = (
        sa.select(Membership)
        .options(joinedload(Membership.user))
        .where(Membership.community_id == community.id, Membership.role == Role.RESIDENT)
        .order_by(Membership.id.desc())
    )
    if filters.get("status"):
        query = query.where(Membership.status == filters["status"])
    if filters.get("relation"):
        query = query.where(Membership.relation == filters["relation"])
    if filters.get("building_id"):
        query = query.join(Household, Membership.household_id == Household.id).where(
            Household.building_id == filters["building_id"]
        )
    return query


def _decide(actor: Actor, community: Community, membership_id: int, expected: str) -> Membership:
    membership = _membership_in(community, membership_id)
    if membership.role != Role.RESIDENT:
        raise NotFound("没有这条成员记录", code="membership_not_found")
    if membership.status != expected:
        raise Conflict(
            f"该申请当前状态为“{membership.status}”，不能执行此操作", code="membership_state"
        )
    membership.decided_by_id = actor.user_id
    membership.decided_at = utcnow()
    return membership


def _audit_membership(
    actor: Actor, community: Community, membership: Membership, action: str, **details
) -> None:
    # Decision reasons are free text (names, circumstances): they stay out of the log.
    audit.record(
        action=action,
        community=community,
        actor=actor,
        target_type="membership",
        target_id=membership.id,
        details={
            "user_id": membership.user_id,
            "role": str(membership.role),
            "household_id": membership.household_id,
            **details,
        },
    )


def verify_membership(*, actor: Actor, community_id: int, membership_id: int) -> Membership:
    """The committee confirms a pending claim. 409 membership_state unless pending."""
    community = policy.community(actor, "membership.decide", community_id)
    with transaction():
        membership = _decide(actor, community, membership_id, "pending")
        membership.status = "verified"
        membership.decision_reason = None
        _audit_membership(actor, community, membership, "membership.verify", by="committee")
        notify(
            user_ids=[membership.user_id],
            kind="membership_verified",
            title="房屋认证已通过",
            body=f"您在{community.name}的房屋认证已通过，现在可以参与社区议事和投票。",
            community_id=community.id,
        )
        return membership


def reject_membership(
    *, actor: Actor, community_id: int, membership_id: int, reason: str
) -> Membership:
    """The committee refuses a pending claim; the resident sees the reason at /me."""
    community = policy.community(actor, "membership.decide", community_id)
    with transaction():
        membership = _decide(actor, community, membership_id, "pending")
        membership.status = "rejected"
        membership.decision_reason = reason
        _audit_membership(actor, community, membership, "membership.reject")
        notify(
            user_ids=[membership.user_id],
            kind="membership_rejected",
            title="房屋认证未通过",
            body=f"您在{community.name}的房屋认证未通过：{reason}",
            community_id=community.id,
        )
        return membership


def revoke_membership(
    *, actor: Actor, community_id: int, membership_id: int, reason: str
) -> Membership:
    """Withdraw a verification (a mistake, a resident who moved out). 409 unless verified."""
    community = policy.community(actor, "membership.decide", community_id)
    with transaction():
        membership = _decide(actor, community, membership_id, "verified")
        membership.status = "revoked"
        membership.decision_reason = reason
        _audit_membership(actor, community, membership, "membership.revoke")
        return membership


def issue_invitations(
    *, actor: Actor, community_id: int, data: dict
) -> list[tuple[Household, str]]:
    """Single-use codes for letters to households (listed, or every household of a building).

    A new code replaces the household's unused ones. The plaintext is returned once, never stored.
    """
    community = policy.community(actor, "membership.invite", community_id)
    now = utcnow()
    with transaction() as tx:
        query = sa.select(Household).where(Household.community_id == community.id)
        if data.get("building_id") is not None:
            query = query.where(Household.building_id == data["building_id"])
        if data.get("household_ids"):
            query = query.where(Household.id.in_(data["household_ids"]))
        households = tx.scalars(query.order_by(Household.id)).all()
        wanted = set(data.get("household_ids") or ())
        missing = wanted - {household.id for household in households}
        if missing or not households:
            raise NotFound("部分房屋不存在", code="household_not_found")
        tx.execute(
            sa.update(HouseholdInvitation)
            .where(
                HouseholdInvitation.household_id.in_([h.id for h in households]),
                HouseholdInvitation.used_at.is_(None),
                HouseholdInvitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        issued = []
        for household in households:
            code = "".join(
                secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_LENGTH)
            )
            tx.add(
                HouseholdInvitation(
                    community_id=community.id,
                    household_id=household.id,
                    code_hash=hash_invitation(code),
                    created_by_id=actor.user_id,
                    expires_at=now + INVITATION_VALIDITY,
                )
            )
            issued.append((household, code))
        return issued


def list_staff(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    """The community's staff roles (committee, grid workers, professionals), current first."""
    community = policy.community(actor, "membership.staff_list", community_id)
    query = sa.select(Membership).options(joinedload(Membership.user)).where(
        Membership.community_id == community.id,
        Membership.role.in_([str(role) for role in STAFF_ROLES]),
    )
    if filters.get("role"):
        query = query.where(Membership.role == filters["role"])
    status = filters.get("status", "verified")
    if status != "all":
        query = query.where(Membership.status == status)
    return query.order_by(Membership.id)


def grant_staff_role(*, actor: Actor, community_id: int, data: dict) -> Membership:
    """Give a user a staff role here. The user is found by username; with a password, a new
    staff account is created. Outcomes: the membership; 404 user_not_found; 409 role_held."""
    community = policy.community(actor, "membership.staff_manage", community_id)
    with transaction() as tx:
        user = tx.scalar(sa.select(User).where(User.username == data["username"]))
        created = user is None
        if user is None:
            if not data.get("password"):
                raise NotFound("没有这个用户；新建账号请同时提供密码", code="user_not_found")
            user = User(
                username=data["username"],
                password_hash=hash_password(data["password"]),
                display_name=data.get("display_name") or data["username"],
            )
            tx.add(user)
            tx.flush()
        scope_key = membership_scope(community_id=community.id)
        membership = tx.scalar(
            sa.select(Membership).where(
                Membership.user_id == user.id,
                Membership.role == data["role"],
                Membership.scope_key == scope_key,
            )
        )
        if membership is not None and membership.status == "verified":
            raise Conflict("该用户已担任此角色", code="role_held")
        if membership is None:
            membership = Membership(
                user_id=user.id, role=data["role"], scope_key=scope_key, community_id=community.id
            )
            tx.add(membership)
        membership.status = "verified"
        membership.decided_by_id = actor.user_id
        membership.decided_at = utcnow()
        membership.decision_reason = None
        try:
            tx.flush()
        except IntegrityError:
            raise Conflict("该用户已担任此角色", code="role_held") from None
        _audit_membership(actor, community, membership, "staff.grant", account_created=created)
        return membership


def revoke_staff_role(*, actor: Actor, community_id: int, membership_id: int) -> Membership:
    """Take a staff role away. The last committee member cannot be removed (409): someone must
    remain to run the community."""
    community = policy.community(actor, "membership.staff_manage", community_id)
    with transaction():
        membership = _membership_in(community, membership_id)
        if membership.role not in STAFF_ROLES or membership.status != "verified":
            raise NotFound("没有这条成员记录", code="membership_not_found")
        committee = [community.id] if membership.role == Role.COMMITTEE else []
        lock_committees(committee)
        if membership.role == Role.GRID_WORKER:
            release_grid_worker(community_id=community.id, user_id=membership.user_id)
        membership.status = "revoked"
        membership.decided_by_id = actor.user_id
        membership.decided_at = utcnow()
        ensure_committees_remain(committee, "社区至少需要保留一名居委会成员")
        _audit_membership(actor, community, membership, "staff.revoke")
        return membership


def committee_user_ids(community_id: int) -> list[int]:
    """The verified committee members of a community: whom the domains tell of what needs them."""
    return list(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.community_id == community_id,
                Membership.role == Role.COMMITTEE,
                Membership.status == "verified",
            )
        )
    )


def role_holders(community_id: int, role: Role, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` holding `role`, verified, in the community (the register asks it
    through `core.auth.role_holders`: a grid's workers must be its community's grid workers)."""
    return set(
        db.session.scalars(
            sa.select(Membership.user_id).where(
                Membership.community_id == community_id,
                Membership.role == role,
                Membership.status == "verified",
                Membership.user_id.in_(user_ids),
            )
        )
    )


def lock_committees(community_ids: list[int]) -> None:
    """Lock the committee rows of these communities (PostgreSQL; in id order, so two removals at
    once queue instead of deadlocking). The second then counts the first one gone."""
    if community_ids:
        db.session.execute(
            sa.select(Membership.id)
            .where(
                Membership.community_id.in_(community_ids),
                Membership.role == Role.COMMITTEE,
                Membership.status == "verified",
            )
            .order_by(Membership.id)
            .with_for_update()
        ).all()


def ensure_committees_remain(community_ids: list[int], message: str) -> None:
    """409 last_committee_member if the caller's changes leave one of these communities without a
    verified committee member: someone must remain to run it. Call after `lock_committees` and
    the changes; counted after our own (flushed) write, which on SQLite is what serialises two."""
    if not community_ids:
        return
    db.session.flush()
    staffed = set(
        db.session.scalars(
            sa.select(Membership.community_id).where(
                Membership.community_id.in_(community_ids),
                Membership.role == Role.COMMITTEE,
                Membership.status == "verified",
            )
        )
    )
    if set(community_ids) - staffed:
        raise Conflict(message, code="last_committee_member")
