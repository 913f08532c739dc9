"""Personal data of accounts: the person's profile, roles and claims, consents, sign-ins and the
invitation letters they used or issued. Registered last of all to forget (see
`accounts/services/privacy.py`): the account is blanked once every other package is done."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from backend.accounts.models import Consent, HouseholdInvitation, Membership, RefreshToken, User
from backend.accounts.profile import my_profile
from backend.accounts.schemas import (
    ConsentSchema,
    ExportProfileSchema,
    ExportSignInSchema,
    MyMembershipSchema,
)
from backend.accounts.services.privacy import ERASED_REASON
from backend.core.auth import Actor
from backend.core.db import db
from backend.core.privacy import ERASED_NAME, Erasure, PersonalData, Treatment, rows_of, shown

F = ma.fields


def _profile(user_id: int) -> User:
    return db.session.get(User, user_id)


def _blank_profile(erasure: Erasure) -> None:
    user = erasure.session.get(User, erasure.user_id)
    user.username = None
    user.password_hash = None
    user.phone = None
    user.display_name = ERASED_NAME
    user.is_system_admin = False
    user.is_auditor = False
    user.is_active = False
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = None
    user.erased_at = erasure.at


def _memberships(user_id: int) -> list:
    # Only the person's own memberships are read, which need no role.
    return my_profile(actor=Actor(user_id=user_id, display_name="")).memberships


def _end_memberships(erasure: Erasure) -> None:
    """Pending claims withdrawn, verified roles revoked, each saying why (the caller has locked
    and will count the committees these leave)."""
    for membership in erasure.session.scalars(
        sa.select(Membership).where(
            Membership.user_id == erasure.user_id,
            Membership.status.in_(("pending", "verified")),
        )
    ):
        membership.status = "withdrawn" if membership.status == "pending" else "revoked"
        membership.decision_reason = ERASED_REASON
        membership.decided_by_id = erasure.user_id
        membership.decided_at = erasure.at


def _withdraw_consents(erasure: Erasure) -> None:
    erasure.session.execute(
        sa.update(Consent)
        .where(Consent.user_id == erasure.user_id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=erasure.at)
    )


def _sign_ins(user_id: int) -> list[dict]:
    """One entry per sign-in (token family): when it began, was last refreshed and ended."""
    families: dict[str, dict] = {}
    for token in rows_of(RefreshToken.user_id, RefreshToken.issued_at)(user_id):
        entry = families.setdefault(
            token.family_id,
            {"signed_in_at": token.issued_at, "ended_at": None},
        )
        entry["last_refreshed_at"] = token.issued_at
        entry["expires_at"] = token.expires_at
        if token.revoked_at is not None:
            entry["ended_at"] = token.revoked_at
    return list(families.values())


def _end_sign_ins(erasure: Erasure) -> None:
    erasure.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.user_id == erasure.user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=erasure.at)
    )


PERSONAL_DATA = [
    PersonalData(
        key="profile",
        models=(User,),
        treatment=Treatment.ANONYMISE,
        export=_profile,
        field=F.Nested(ExportProfileSchema),
        forget=_blank_profile,
        kept="账号记录保留但清空身份信息，选票、工单和操作日志仍指向它，已计入的仍然计入",
    ),
    PersonalData(
        key="memberships",
        models=(Membership,),
        treatment=Treatment.KEEP,
        export=_memberships,
        field=F.List(F.Nested(MyMembershipSchema)),
        forget=_end_memberships,
        kept="身份与角色的申请和审核记录是社区档案，注销时撤回申请、撤销角色（原因：用户注销）后保留",
    ),
    PersonalData(
        key="consents",
        models=(Consent,),
        treatment=Treatment.KEEP,
        export=rows_of(Consent.user_id),
        field=F.List(F.Nested(ConsentSchema), metadata={"description": "Full history"}),
        forget=_withdraw_consents,
        kept="同意记录是依法取得同意的凭证（《个人信息保护法》），注销时全部撤回后保留",
    ),
    PersonalData(
        key="sign_ins",
        models=(RefreshToken,),
        treatment=Treatment.KEEP,
        export=_sign_ins,
        field=F.List(F.Nested(ExportSignInSchema)),
        forget=_end_sign_ins,
        kept="登录凭据注销时全部作废后保留：正是它们让仍在有效期内的访问令牌立即失效",
    ),
    PersonalData(
        key="household_invitations",
        models=(HouseholdInvitation,),
        treatment=Treatment.KEEP,
        export=rows_of(HouseholdInvitation.used_by_id),
        field=shown(HouseholdInvitation, "community_id household_id used_at"),
        kept="入户邀请码是住户身份核验的凭证（发放人与使用人），作为社区档案保留",
    ),
]
