"""Personal data (PIPL): consents, the phone number, the export and the erasure of an account.

Consents are kept as history: a grant is a row, a withdrawal dates it. Precise location and
photos of documents are sensitive personal information and need their own consent (PIPL art. 29),
which other domains check with `require_consent` before collecting them.

Erasure anonymises rather than deletes the user row: ballots, tickets and audit entries must keep
pointing at a row (a cast ballot stays counted), but nothing left on it says who the person was.
What each package holds about a person, and how it is exported and forgotten, is in its own
`privacy.py` (the registry: backend/core/privacy.py); here are the checks around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import CONSENT_KINDS, Consent, Membership, User
from backend.accounts.services.memberships import ensure_committees_remain, lock_committees
from backend.core import privacy
from backend.core.audit import services as audit
from backend.core.auth import Actor, Role
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Forbidden, InvalidInput, NotFound
from backend.core.masking import mask_phone
from backend.core.wechat import wechat_client
from backend.core.wechat.identity import wechat_openid

PRIVACY_NOTICE = "privacy_notice"
ERASED_REASON = "用户注销"

_CONSENT_NEEDED = {
    "privacy_notice": "请先阅读并同意最新版《隐私政策》",
    "precise_location": "请先同意我们使用您的精确位置信息（可随时撤回）",
    "document_photos": "请先同意我们收集和处理证件照片（可随时撤回）",
}


def notice_version() -> str:
    """The privacy notice users must accept now (config PRIVACY_NOTICE_VERSION)."""
    return current_app.config["PRIVACY_NOTICE_VERSION"]


def _active(user_id: int, kind: str) -> sa.Select:
    return sa.select(Consent).where(
        Consent.user_id == user_id, Consent.kind == kind, Consent.withdrawn_at.is_(None)
    )


def has_consent(user_id: int, kind: str) -> bool:
    """Whether the user's consent of `kind` stands. For the privacy notice, only an acceptance of
    the current version counts: a changed notice must be read again."""
    if kind not in CONSENT_KINDS:
        raise LookupError(f"{kind} is not a consent kind")
    query = _active(user_id, kind)
    if kind == PRIVACY_NOTICE:
        query = query.where(Consent.version == notice_version())
    return db.session.scalar(query.limit(1)) is not None


def require_consent(actor: Actor, kind: str) -> None:
    """Raise 403 consent_required (saying what to accept) unless the actor's consent stands.

    `errors` carries `{"consent": [kind]}` so the mini-program can open the right consent page.
    """
    if not has_consent(actor.user_id, kind):
        raise Forbidden(_CONSENT_NEEDED[kind], code="consent_required", errors={"consent": [kind]})


@dataclass
class ConsentState:
    kind: str
    granted: bool
    version: str | None = None
    granted_at: datetime | None = None

    @property
    def label(self) -> str:
        return CONSENT_KINDS[self.kind]


@dataclass
class ConsentOverview:
    notice_version: str
    notice_accepted_is_current: bool
    consents: list[ConsentState] = field(default_factory=list)


def my_consents(*, actor: Actor) -> ConsentOverview:
    """The caller's standing consents, one entry per kind, and whether the privacy notice they
    accepted is the current one (if not, the mini-program shows the new notice)."""
    standing = {
        consent.kind: consent
        for consent in db.session.scalars(
            sa.select(Consent)
            .where(Consent.user_id == actor.user_id, Consent.withdrawn_at.is_(None))
            .order_by(Consent.granted_at, Consent.id)
        )
    }
    states = [
        ConsentState(kind, True, standing[kind].version, standing[kind].granted_at)
        if kind in standing
        else ConsentState(kind, False)
        for kind in CONSENT_KINDS
    ]
    current = notice_version()
    notice = standing.get(PRIVACY_NOTICE)
    return ConsentOverview(current, notice is not None and notice.version == current, states)


def grant_consent(*, actor: Actor, kind: str, version: str | None = None) -> Consent:
    """The caller consents to `kind`. The privacy notice must name the current version.

    Outcomes: the consent (granting again what stands returns the same record, so a retried
    request changes nothing); an acceptance of a newer notice supersedes the older one;
    422 notice_version_outdated when the privacy notice named is not the current one.
    Other kinds are recorded under the notice version in force (it describes them).
    """
    current = notice_version()
    if kind == PRIVACY_NOTICE and version != current:
        raise InvalidInput(
            f"隐私政策已更新，请阅读并同意最新版本（{current}）",
            code="notice_version_outdated",
            errors={"json": {"version": [f"the current privacy notice is {current}"]}},
        )
    version = version or current
    now = utcnow()
    with transaction() as tx:
        for consent in tx.scalars(_active(actor.user_id, kind)):
            if consent.version == version:
                return consent
            consent.withdrawn_at = now
        consent = Consent(user_id=actor.user_id, kind=kind, version=version, granted_at=now)
        tx.add(consent)
        return consent


def withdraw_consent(*, actor: Actor, kind: str) -> None:
    """Withdraw a consent in one call. 404 consent_not_found when none stands.

    Withdrawing the privacy notice also unbinds the phone number, which was collected under it
    (PIPL art. 47: data whose consent is withdrawn is deleted).
    """
    with transaction() as tx:
        withdrawn = 0
        if kind in CONSENT_KINDS:
            withdrawn = tx.execute(
                sa.update(Consent)
                .where(
                    Consent.user_id == actor.user_id,
                    Consent.kind == kind,
                    Consent.withdrawn_at.is_(None),
                )
                .values(withdrawn_at=utcnow())
            ).rowcount
        if not withdrawn:
            raise NotFound("没有可撤回的授权", code="consent_not_found")
        if kind == PRIVACY_NOTICE:
            tx.get(User, actor.user_id).phone = None


@dataclass
class PhoneView:
    phone_masked: str | None

    @property
    def bound(self) -> bool:
        return self.phone_masked is not None


def bind_phone(*, actor: Actor, code: str) -> PhoneView:
    """Bind the phone number the resident chose in WeChat (the code of getPhoneNumber).

    Outcomes: the masked number; 403 consent_required without the current privacy notice
    accepted; 403 wechat_identity_required for an account that never signed in through our
    mini-program (WeChat binds the code to the openid we send); WeChat's refusal of the code
    (422: bad, another user's, another mini-program's) or its absence (503), nothing written.
    """
    require_consent(actor, PRIVACY_NOTICE)
    openid = wechat_openid(actor.user_id)
    if openid is None:
        raise Forbidden("请先通过微信登录小程序再绑定手机号", code="wechat_identity_required")
    # Asked before the transaction: no database lock waits on WeChat.
    phone = wechat_client().phone_number(code, openid=openid)
    with transaction() as tx:
        tx.get(User, actor.user_id).phone = phone
    return PhoneView(mask_phone(phone))


def unbind_phone(*, actor: Actor) -> None:
    """Forget the caller's phone number (nothing to do when none is bound)."""
    with transaction() as tx:
        tx.get(User, actor.user_id).phone = None


def export_my_data(*, actor: Actor) -> dict:
    """The caller's data: each package's piece of it, from the registry of personal data
    (backend/core/privacy.py), e.g. the profile with the full phone number (it is theirs;
    everywhere else it is masked), WeChat identities, memberships, consent and sign-in history,
    notifications, photos and what they did (the audit log). Not in it: the WeChat session key,
    a credential of our server towards WeChat rather than the user's data; tokens, likewise (only
    when each sign-in happened)."""
    return {
        "exported_at": utcnow(),
        "privacy_notice_version": notice_version(),
        **privacy.export(actor.user_id),
    }


def erase_account(*, actor: Actor) -> None:
    """The caller erases their account, in one transaction.

    Every package forgets what it holds about them, as its registration of personal data says
    (backend/<package>/privacy.py), the account's own rows last. Removed or blanked: username,
    password, phone, display name (now "已注销用户"), WeChat identities (the same WeChat account
    may register again, as a new user), notifications, subscribe-message allowances, queued
    messages, grid assignments and the photos they uploaded that nothing uses (their files once
    the erasure is committed). Pending claims are withdrawn, verified roles revoked ("用户注销"),
    consents withdrawn, every sign-in revoked: the token in hand stops working at once. Kept,
    without identity: the user row and what points to it (ballots, tickets, decisions, photos
    attached to them, audit entries), so what was counted stays counted.

    Outcomes: done; 409 last_committee_member when the caller is the only committee member of a
    community (someone must remain to run it; appoint a successor first).
    """
    with transaction() as tx:
        erasure = privacy.Erasure(user_id=actor.user_id, at=utcnow(), session=tx)
        memberships = tx.execute(
            sa.select(Membership.status, Membership.role, Membership.community_id).where(
                Membership.user_id == actor.user_id,
                Membership.status.in_(("pending", "verified")),
            )
        ).all()
        led = sorted(
            m.community_id
            for m in memberships
            if m.status == "verified" and m.role == Role.COMMITTEE
        )
        # Before any change, so two committee members leaving at once queue here.
        lock_committees(led)
        privacy.forget(erasure, last="accounts")
        ensure_committees_remain(led, "您是该社区唯一的居委会成员，请先任命接替人员再注销账号")
        audit.record(
            action="account.erase",
            actor=actor,
            target_type="user",
            target_id=actor.user_id,
            details={
                "roles_revoked": sum(m.status == "verified" for m in memberships),
                "claims_withdrawn": sum(m.status == "pending" for m in memberships),
            },
        )
    privacy.finish(erasure)
