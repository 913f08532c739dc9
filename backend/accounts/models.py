"""Users, how they sign in, and the roles they hold where."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.crypto import EncryptedText
from backend.core.db import Base, Timestamped

RESIDENT_RELATIONS = {"owner": "业主", "tenant": "租户", "family": "家庭成员"}

# withdrawn: the claimant took a pending claim back (account erased).
MEMBERSHIP_STATUSES = ("pending", "verified", "rejected", "revoked", "withdrawn")

# Consents asked for separately (PIPL art. 29-30: sensitive data needs its own consent).
CONSENT_KINDS = {
    "privacy_notice": "隐私政策",
    "precise_location": "精确位置信息",
    "document_photos": "证件照片",
}


class User(Base, Timestamped):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Staff sign in with a username and password; residents through WeChat. Demo users have both.
    username: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(64), default="")
    is_system_admin: Mapped[bool] = mapped_column(default=False)
    # Reads the audit log, nothing else (separation of duties with the system admin).
    is_auditor: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    # Bound through WeChat (getuserphonenumber); shown masked everywhere but in the export.
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    # Set when the user erased their account: the row stays, without identity, so ballots,
    # tickets and audit entries keep pointing somewhere (see accounts/services/privacy.py).
    erased_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", foreign_keys="Membership.user_id", order_by="Membership.id"
    )


class Membership(Base, Timestamped):
    """A role a user holds in a community, a region (street_admin) or an organisation.

    Residents' claims are memberships too: pending until the committee (or an invitation code)
    verifies them. `scope_key` names the scope in one string so the database can keep a user from
    holding the same role twice in one place, on every engine.
    """

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    scope_key: Mapped[str] = mapped_column(sa.String(64))
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    household_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("households.id"), index=True, info={"counted_as": "个居民身份"}
    )
    relation: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    decision_reason: Mapped[str | None] = mapped_column(sa.String(200))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    verified_by_invitation: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])


class HouseholdInvitation(Base, Timestamped):
    """A single-use code printed on a letter to one household; only its hash is kept."""

    __tablename__ = "household_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    # A household removed from the register takes its unused letters with it.
    household_id: Mapped[int] = mapped_column(
        sa.ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]


class RefreshToken(Base):
    """One issued refresh token. Tokens descended from one sign-in share a family: presenting a
    token that was already rotated means it was copied, so the whole family is revoked."""

    __tablename__ = "refresh_tokens"

    jti: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    family_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Staff password sign-ins end after STAFF_IDLE_TIMEOUT without a refresh (MLPS level 2).
    idle_timeout_applies: Mapped[bool] = mapped_column(default=False)


class Consent(Base):
    """One consent given, and its withdrawal. History is kept: a withdrawal sets `withdrawn_at`,
    a new grant is a new row, so we can show what the user had accepted at any moment."""

    __tablename__ = "consents"
    __table_args__ = (sa.Index("ix_consents_user_id_kind", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    # The privacy notice version the user read (PRIVACY_NOTICE_VERSION when they accepted).
    version: Mapped[str] = mapped_column(sa.String(32))
    granted_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


def membership_scope(
    *,
    community_id: int | None = None,
    household_id: int | None = None,
    region_id: int | None = None,
    organisation_id: int | None = None,
) -> str:
    """The one string that names where a role is held (see Membership.scope_key)."""
    if household_id is not None:
        return f"household:{household_id}"
    if community_id is not None:
        return f"community:{community_id}"
    if region_id is not None:
        return f"region:{region_id}"
    if organisation_id is not None:
        return f"organisation:{organisation_id}"
    raise ValueError("a membership needs a scope")
