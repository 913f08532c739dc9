"""Signing in: WeChat for residents, passwords for staff, tokens for both.

Access tokens are short-lived; refresh tokens rotate at every use and belong to a family (one
sign-in). A refresh token presented twice was copied: the whole family is revoked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from backend.accounts.models import Membership, RefreshToken, User, membership_scope
from backend.accounts.services.passwords import hash_password
from backend.communities.models import Organisation, ServiceArea
from backend.core.audit import services as audit
from backend.core.auth import Actor, Role
from backend.core.db import db, transaction, utcnow
from backend.core.errors import InvalidInput, NotFound, TooManyRequests, Unauthorized
from backend.core.tenancy.models import Community, Region
from backend.core.wechat import wechat_client
from backend.core.wechat.models import WechatIdentity

# Checked when the username is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    user: User
    created: bool = False
    token_type: str = "Bearer"

    @property
    def expires_in(self) -> int:
        return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def _issue(user: User, family_id: str | None = None, *, idle_timeout: bool = False) -> TokenPair:
    """Mint an access and a refresh token in `family_id` (a new family: a new sign-in).
    `idle_timeout`: the family ends after STAFF_IDLE_TIMEOUT without a refresh (staff)."""
    family_id = family_id or str(uuid.uuid4())
    claims = {"fam": family_id}
    identity = str(user.id)
    refresh = create_refresh_token(identity=identity, additional_claims=claims)
    decoded = decode_token(refresh)
    db.session.add(
        RefreshToken(
            jti=decoded["jti"],
            family_id=family_id,
            user_id=user.id,
            issued_at=datetime.fromtimestamp(decoded["iat"], UTC),
            expires_at=datetime.fromtimestamp(decoded["exp"], UTC),
            idle_timeout_applies=idle_timeout,
        )
    )
    access = create_access_token(identity=identity, additional_claims=claims)
    return TokenPair(access_token=access, refresh_token=refresh, user=user)


def wechat_login(*, code: str) -> TokenPair:
    """A resident opens the mini-program: exchange `wx.login`'s code, find or create the user.

    Outcomes: tokens (and `created` for a first visit); WeChat's refusals as 401/403/429/503.
    """
    config = current_app.config
    session = wechat_client().code_to_session(code)
    for attempt in (1, 2):
        try:
            with transaction() as tx:
                identity = tx.scalar(
                    sa.select(WechatIdentity).where(
                        WechatIdentity.appid == config["WECHAT_APPID"],
                        WechatIdentity.openid == session.openid,
                    )
                )
                created = identity is None
                if created:
                    user = User(display_name="微信用户")
                    tx.add(user)
                    tx.flush()
                    identity = WechatIdentity(
                        user_id=user.id, appid=config["WECHAT_APPID"], openid=session.openid
                    )
                    tx.add(identity)
                else:
                    user = tx.get(User, identity.user_id)
                    if not user.is_active:
                        raise Unauthorized("该账号已停用", code="account_disabled")
                identity.session_key = session.session_key
                if session.unionid:
                    identity.unionid = session.unionid
                user.last_login_at = utcnow()
                tokens = _issue(user)
                _audit_login(user, "wechat", created=created)
            return TokenPair(tokens.access_token, tokens.refresh_token, user, created=created)
        except IntegrityError:
            # The same first sign-in arrived twice at once; the other request created the user.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def password_login(*, username: str, password: str) -> TokenPair:
    """Staff sign in. Repeated failures lock the account for a while (`LOGIN_LOCKOUT`).

    Outcomes: tokens; 401 invalid_credentials (unknown user and wrong password look the same);
    429 account_locked while locked, even with the right password.
    """
    config = current_app.config
    now = utcnow()
    with transaction() as tx:
        user = tx.scalar(sa.select(User).where(User.username == username))
        if user is None or not user.password_hash:
            check_password_hash(_DUMMY_HASH, password)
            _login_refused(None, "unknown_user")
            raise Unauthorized("用户名或密码错误", code="invalid_credentials")
        if user.locked_until and user.locked_until > now:
            _login_refused(user, "locked")
            raise TooManyRequests(
                "密码错误次数过多，账号已暂时锁定，请稍后再试", code="account_locked"
            )
        if not check_password_hash(user.password_hash, password):
            user.failed_logins += 1
            locks = user.failed_logins >= config["LOGIN_MAX_FAILURES"]
            if locks:
                user.locked_until = now + config["LOGIN_LOCKOUT"]
                user.failed_logins = 0
            audit.record(
                action="auth.login_failed",
                target_type="user",
                target_id=user.id,
                result="failed",
                details={"reason": "wrong_password", "account_locked": locks},
            )
            tx.commit()
            raise Unauthorized("用户名或密码错误", code="invalid_credentials")
        if not user.is_active:
            _login_refused(user, "disabled")
            raise Unauthorized("该账号已停用", code="account_disabled")
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        tokens = _issue(user, idle_timeout=True)
        _audit_login(user, "password")
        return tokens


def dev_login(*, username: str) -> TokenPair:
    """Tokens for a demo user by name, in development and test only (404 in production)."""
    if current_app.config["APP_ENV"] not in ("development", "test"):
        raise NotFound()
    with transaction() as tx:
        user = tx.scalar(sa.select(User).where(User.username == username))
        if user is None or not user.is_active:
            raise NotFound("没有这个演示用户", code="user_not_found")
        tokens = _issue(user)
        _audit_login(user, "dev")
        return tokens


def refresh_tokens(*, jti: str, user_id: int) -> TokenPair:
    """Rotate a refresh token. A token used before revokes its family: 401 refresh_token_reused."""
    now = utcnow()
    with transaction() as tx:
        token = tx.get(RefreshToken, jti)
        if token is None or token.user_id != user_id:
            raise Unauthorized("登录凭证无效，请重新登录", code="token_invalid")
        if token.revoked_at is not None:
            raise Unauthorized("登录凭证已失效，请重新登录", code="token_revoked")
        if token.idle_timeout_applies and _idle(token.family_id, now):
            _revoke_family(token.family_id, now)
            _audit_refused_refresh(user_id, "auth.session_idle")
            tx.commit()
            raise Unauthorized("长时间未操作，已退出登录，请重新登录", code="session_idle")
        # Atomic claim: of two requests presenting the same token, exactly one rotates it.
        claimed = tx.execute(
            sa.update(RefreshToken)
            .where(RefreshToken.jti == jti, RefreshToken.rotated_at.is_(None))
            .values(rotated_at=now)
        ).rowcount
        if claimed != 1:
            _revoke_family(token.family_id, now)
            _audit_refused_refresh(user_id, "auth.refresh_reused")
            tx.commit()
            raise Unauthorized("检测到登录凭证被重复使用，已强制下线", code="refresh_token_reused")
        user = tx.get(User, user_id)
        if user is None or not user.is_active:
            raise Unauthorized("该账号已停用", code="account_disabled")
        return _issue(user, family_id=token.family_id, idle_timeout=token.idle_timeout_applies)


def logout(*, family_id: str | None, jti: str) -> None:
    """Revoke the sign-in the token belongs to: its refresh tokens and, through the family
    claim, its access tokens."""
    with transaction() as tx:
        if family_id is None:
            token = tx.get(RefreshToken, jti)
            family_id = token.family_id if token else None
        if family_id:
            _revoke_family(family_id, utcnow())
            owner = tx.scalar(
                sa.select(RefreshToken.user_id).where(RefreshToken.family_id == family_id).limit(1)
            )
            if owner is not None:
                audit.record(
                    action="auth.logout", actor_user_id=owner, target_type="user", target_id=owner
                )


def _idle(family_id: str, now: datetime) -> bool:
    """Whether the sign-in went unused past STAFF_IDLE_TIMEOUT. Activity is a refresh: access
    tokens expire well within the timeout, so a client in use refreshes in time."""
    last_issued = db.session.scalar(
        sa.select(sa.func.max(RefreshToken.issued_at)).where(RefreshToken.family_id == family_id)
    )
    return now - last_issued > current_app.config["STAFF_IDLE_TIMEOUT"]


def _platform_role(user: User) -> str | None:
    if user.is_system_admin:
        return str(Role.SYSTEM_ADMIN)
    if user.is_auditor:
        return str(Role.AUDITOR)
    return None


def _audit_login(user: User, method: str, **details) -> None:
    audit.record(
        action="auth.login",
        actor_user_id=user.id,
        actor_role=_platform_role(user),
        target_type="user",
        target_id=user.id,
        details={"method": method, **details},
    )


def _login_refused(user: User | None, reason: str) -> None:
    # The sign-in's transaction rolls back; its audit entry must stay.
    audit.record_now(
        action="auth.login_failed",
        target_type="user",
        target_id=user.id if user else None,
        result="denied" if reason == "locked" else "failed",
        details={"reason": reason},
    )


def _audit_refused_refresh(user_id: int, action: str) -> None:
    audit.record(
        action=action,
        actor_user_id=user_id,
        target_type="user",
        target_id=user_id,
        result="denied",
    )


def _revoke_family(family_id: str, now: datetime) -> None:
    db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def token_revoked(payload: dict) -> bool:
    """Whether the sign-in this token belongs to was revoked (logout or stolen refresh token)."""
    if not payload.get("fam"):
        return True
    return _token_facts(payload).revoked


@dataclass(frozen=True)
class _TokenFacts:
    revoked: bool
    user: sa.Row | None  # id, display_name, is_system_admin, is_auditor, is_active
    memberships: list[sa.Row]  # role, community_id, region_id, organisation_id


# Built once: every signed-in request runs it.
_TOKEN_FACTS = (
    sa.select(
        sa.select(RefreshToken.jti)
        .where(
            RefreshToken.family_id == sa.bindparam("family_id"),
            RefreshToken.revoked_at.is_not(None),
        )
        .exists(),
        User.id,
        User.display_name,
        User.is_system_admin,
        User.is_auditor,
        User.is_active,
        Membership.role,
        Membership.community_id,
        Membership.region_id,
        Membership.organisation_id,
    )
    # A user without verified memberships is one row whose membership columns are NULL.
    .outerjoin(
        Membership,
        sa.and_(Membership.user_id == User.id, Membership.status == "verified"),
    )
    .where(User.id == sa.bindparam("user_id"))
)


def _token_facts(payload: dict) -> _TokenFacts:
    """Revocation, the user and their verified memberships, in one query per token and request.

    Every signed-in request asks both questions (JWT's blocklist check, then the actor), and a
    ballot is only a few statements more: one round trip instead of two, and plain rows rather
    than entities nobody changes, are worth it on every request.
    """
    try:
        user_id = int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        return _TokenFacts(revoked=False, user=None, memberships=[])
    family_id = payload.get("fam")
    known = g.setdefault("token_facts", {}) if has_app_context() else {}
    key = (user_id, family_id)
    if key not in known:
        rows = (
            db.session.connection()
            .execute(_TOKEN_FACTS, {"user_id": user_id, "family_id": family_id})
            .all()
        )
        known[key] = _TokenFacts(
            revoked=bool(rows and rows[0][0]),
            user=rows[0][1:6] if rows else None,
            memberships=[row[6:] for row in rows if row[6] is not None],
        )
    return known[key]


def load_actor(payload: dict) -> Actor | None:
    """Build the Actor of a token: the user's verified roles, per community and region."""
    facts = _token_facts(payload)
    if facts.user is None:
        return None
    user_id, display_name, is_system_admin, is_auditor, is_active = facts.user
    if not is_active:
        return None
    community_roles: dict[int, set[Role]] = {}
    region_ids: set[int] = set()
    organisation_ids: set[int] = set()
    for role_name, community_id, region_id, organisation_id in facts.memberships:
        role = Role(role_name)
        if community_id is not None:
            community_roles.setdefault(community_id, set()).add(role)
        elif role is Role.STREET_ADMIN and region_id is not None:
            region_ids.add(region_id)
        elif role is Role.PROPERTY_STAFF and organisation_id is not None:
            organisation_ids.add(organisation_id)
    if organisation_ids:
        served = db.session.scalars(
            sa.select(ServiceArea.community_id).where(
                ServiceArea.organisation_id.in_(organisation_ids)
            )
        )
        for community_id in served:
            community_roles.setdefault(community_id, set()).add(Role.PROPERTY_STAFF)
    region_paths: frozenset[str] = frozenset()
    if region_ids:
        region_paths = frozenset(
            db.session.scalars(sa.select(Region.path).where(Region.id.in_(region_ids)))
        )
    return Actor(
        user_id=user_id,
        display_name=display_name,
        is_system_admin=is_system_admin,
        is_auditor=is_auditor,
        community_roles={cid: frozenset(roles) for cid, roles in community_roles.items()},
        admin_region_paths=region_paths,
        organisation_ids=frozenset(organisation_ids),
    )


def create_user(
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    community_code: str | None = None,
    region_code: str | None = None,
    organisation_code: str | None = None,
) -> User:
    """Create a staff user holding one role (operators' CLI). Errors say which option is wrong."""

    if len(password) < 8:
        raise InvalidInput("密码至少 8 位", code="password_too_short")
    with transaction() as tx:
        if tx.scalar(sa.select(User.id).where(User.username == username)):
            raise InvalidInput("用户名已存在", code="username_taken")
        user = User(
            username=username,
            password_hash=hash_password(password),
            display_name=display_name or username,
            is_system_admin=role == Role.SYSTEM_ADMIN,
            is_auditor=role == Role.AUDITOR,
        )
        tx.add(user)
        tx.flush()
        if role in (Role.SYSTEM_ADMIN, Role.AUDITOR):
            _audit_user_created(user, role)
            return user
        scope: dict = {}
        if role == Role.STREET_ADMIN:
            region = tx.scalar(sa.select(Region).where(Region.code == region_code))
            if region is None:
                raise NotFound("没有这个区域", code="region_not_found")
            scope["region_id"] = region.id
        elif role == Role.PROPERTY_STAFF:
            organisation = tx.scalar(
                sa.select(Organisation).where(Organisation.code == organisation_code)
            )
            if organisation is None:
                raise NotFound("没有这个单位", code="organisation_not_found")
            scope["organisation_id"] = organisation.id
        elif role in (Role.COMMITTEE, Role.GRID_WORKER, Role.PROFESSIONAL):
            community = tx.scalar(sa.select(Community).where(Community.code == community_code))
            if community is None:
                raise NotFound("没有这个社区", code="community_not_found")
            scope["community_id"] = community.id
        else:
            raise InvalidInput("不支持的角色", code="role_invalid")
        tx.add(
            Membership(
                user_id=user.id,
                role=str(role),
                scope_key=membership_scope(**scope),
                status="verified",
                decided_at=utcnow(),
                **scope,
            )
        )
        _audit_user_created(user, role, **scope)
        return user


def _audit_user_created(user: User, role: str, **scope) -> None:
    # An operator at the shell: no actor, no request. A community role goes to its chain.
    audit.record(
        action="user.create",
        chain_community_id=scope.get("community_id"),
        target_type="user",
        target_id=user.id,
        details={"role": str(role), "via": "cli", **scope},
    )
