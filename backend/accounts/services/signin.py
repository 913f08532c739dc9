"""Signing in: WeChat for residents, passwords for staff, tokens for both.

Access tokens are short-lived; refresh tokens rotate at every use and belong to a family (one
sign-in). A refresh token presented twice was copied: the whole family is revoked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from backend.accounts.models import Membership, RefreshToken, User, WechatIdentity
from backend.communities.models import Community, Region, ServiceArea
from backend.core.auth import Actor, Role
from backend.core.db import db, transaction, utcnow
from backend.core.errors import InvalidInput, NotFound, TooManyRequests, Unauthorized
from backend.core.wechat import wechat_client

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


def _issue(user: User, family_id: str | None = None) -> TokenPair:
    """Mint an access and a refresh token in `family_id` (a new family: a new sign-in)."""
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
        )
    )
    access = create_access_token(identity=identity, additional_claims=claims)
    return TokenPair(access_token=access, refresh_token=refresh, user=user)


def hash_password(password: str) -> str:
    # Werkzeug's scrypt (n=2^15, r=8, p=1): memory-hard, no extra dependency.
    return generate_password_hash(password, method="scrypt")


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
            raise Unauthorized("用户名或密码错误", code="invalid_credentials")
        if user.locked_until and user.locked_until > now:
            raise TooManyRequests("密码错误次数过多，账号已暂时锁定，请稍后再试", code="account_locked")
        if not check_password_hash(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + config["LOGIN_LOCKOUT"]
                user.failed_logins = 0
            tx.commit()
            raise Unauthorized("用户名或密码错误", code="invalid_credentials")
        if not user.is_active:
            raise Unauthorized("该账号已停用", code="account_disabled")
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        return _issue(user)


def dev_login(*, username: str) -> TokenPair:
    """Tokens for a demo user by name, in development and test only (404 in production)."""
    if current_app.config["APP_ENV"] not in ("development", "test"):
        raise NotFound()
    with transaction() as tx:
        user = tx.scalar(sa.select(User).where(User.username == username))
        if user is None or not user.is_active:
            raise NotFound("没有这个演示用户", code="user_not_found")
        return _issue(user)


def refresh_tokens(*, jti: str, user_id: int) -> TokenPair:
    """Rotate a refresh token. A token used before revokes its family: 401 refresh_token_reused."""
    now = utcnow()
    with transaction() as tx:
        token = tx.get(RefreshToken, jti)
        if token is None or token.user_id != user_id:
            raise Unauthorized("登录凭证无效，请重新登录", code="token_invalid")
        if token.revoked_at is not None:
            raise Unauthorized("登录凭证已失效，请重新登录", code="token_revoked")
        # Atomic claim: of two requests presenting the same token, exactly one rotates it.
        claimed = tx.execute(
            sa.update(RefreshToken)
            .where(RefreshToken.jti == jti, RefreshToken.rotated_at.is_(None))
            .values(rotated_at=now)
        ).rowcount
        if claimed != 1:
            _revoke_family(token.family_id, now)
            tx.commit()
            raise Unauthorized("检测到登录凭证被重复使用，已强制下线", code="refresh_token_reused")
        user = tx.get(User, user_id)
        if user is None or not user.is_active:
            raise Unauthorized("该账号已停用", code="account_disabled")
        return _issue(user, family_id=token.family_id)


def logout(*, family_id: str | None, jti: str) -> None:
    """Revoke the sign-in the token belongs to: its refresh tokens and, through the family
    claim, its access tokens."""
    with transaction() as tx:
        if family_id is None:
            token = tx.get(RefreshToken, jti)
            family_id = token.family_id if token else None
        if family_id:
            _revoke_family(family_id, utcnow())


def _revoke_family(family_id: str, now: datetime) -> None:
    db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def token_revoked(payload: dict) -> bool:
    """Whether the sign-in this token belongs to was revoked (logout or stolen refresh token)."""
    family_id = payload.get("fam")
    if not family_id:
        return True
    revoked = db.session.scalar(
        sa.select(RefreshToken.jti)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None))
        .limit(1)
    )
    return revoked is not None


def load_actor(payload: dict) -> Actor | None:
    """Build the Actor of a token: the user's verified roles, per community and region."""
    try:
        user_id = int(payload["sub"])
    except (KeyError, TypeError, ValueError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    memberships = db.session.scalars(
        sa.select(Membership).where(Membership.user_id == user_id, Membership.status == "verified")
    ).all()
    community_roles: dict[int, set[Role]] = {}
    region_ids: set[int] = set()
    organisation_ids: set[int] = set()
    for membership in memberships:
        role = Role(membership.role)
        if membership.community_id is not None:
            community_roles.setdefault(membership.community_id, set()).add(role)
        elif role is Role.STREET_ADMIN and membership.region_id is not None:
            region_ids.add(membership.region_id)
        elif role is Role.PROPERTY_STAFF and membership.organisation_id is not None:
            organisation_ids.add(membership.organisation_id)
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
        user_id=user.id,
        display_name=user.display_name,
        is_system_admin=user.is_system_admin,
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
    from backend.accounts.services.memberships import membership_scope
    from backend.communities.models import Organisation

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
        )
        tx.add(user)
        tx.flush()
        if role == Role.SYSTEM_ADMIN:
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
        return user
