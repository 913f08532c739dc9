"""Models of the WeChat client: who a user is on WeChat, the shared access token, media checks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.crypto import EncryptedText
from backend.core.db import Base, Timestamped, utcnow

MEDIA_CHECK_STATUSES = ("pending", "pass", "review", "risky", "manual_review")


class WechatIdentity(Base, Timestamped):
    """The WeChat account behind a user (accounts' `users` row). The session key stays here,
    encrypted."""

    __tablename__ = "wechat_identities"
    __table_args__ = (sa.UniqueConstraint("appid", "openid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    appid: Mapped[str] = mapped_column(sa.String(64))
    openid: Mapped[str] = mapped_column(sa.String(128))
    unionid: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    session_key: Mapped[str | None] = mapped_column(EncryptedText)


class WechatAccessToken(Base):
    """The one access token of an AppID, shared by every web worker and the scheduler.

    WeChat keeps one valid token per AppID, so a process fetching its own would cut the others
    off. Whoever sets `lease_until` (one atomic UPDATE) fetches; the others wait for the row.
    """

    __tablename__ = "wechat_access_tokens"

    appid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(EncryptedText)
    expires_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(sa.String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MediaCheck(Base):
    """WeChat's asynchronous check of one user photo; the verdict arrives by message push.

    Until the verdict is `pass`, the photo is shown to its author and to moderators only.
    """

    __tablename__ = "media_checks"
    __table_args__ = (sa.Index(None, "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null when WeChat was not asked (unreachable, or an author without openid).
    trace_id: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    owner_kind: Mapped[str] = mapped_column(sa.String(32))
    owner_id: Mapped[int]
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(1024))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    verdict_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PushNonce(Base):
    """A push we accepted, named by its signed (timestamp, nonce), with a digest of its message.

    The primary key is the referee, shared by every web worker: a second push with the same pair
    is WeChat delivering again (the same message: acknowledged, not processed twice) or a replay
    (another message: refused). Rows older than WECHAT_PUSH_MAX_AGE are purged by a job: past
    that age the timestamp alone refuses the push.
    """

    __tablename__ = "wechat_push_nonces"

    timestamp: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    nonce: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # sha256 of the (decrypted) message, hex.
    digest: Mapped[str] = mapped_column(sa.String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
