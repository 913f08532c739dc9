"""The access token shared through the database, fetched by one process at a time.

The token row is read and written in its own short session (its own connection), never in the
request's: a caller's unit of work must not be committed, or rolled back, by our bookkeeping.
On SQLite (one writer at a time) a caller that has already written in its transaction makes a
refresh wait for the lock, then fetch without storing; so call WeChat before writing.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.core.db import db, utcnow
from backend.core.wechat.models import WechatAccessToken

log = logging.getLogger(__name__)

# WeChat's stable token hands out a new token in the last 5 minutes of the old one's life, while
# the old one keeps working: refreshing in that window never cuts anybody off.
REFRESH_EARLY = timedelta(minutes=5)
WAIT_FOR_OTHERS = 3.0
POLL_EVERY = 0.05

# fetch(force_refresh) -> (token, expires_in seconds)
Fetch = Callable[[bool], tuple[str, int]]


class TokenStore:
    def __init__(self, appid: str, lease_seconds: float):
        self.appid = appid
        self.lease = timedelta(seconds=lease_seconds)

    def token(self, fetch: Fetch, *, rejected: str | None = None) -> str:
        """A valid token: the stored one, or a new one fetched by exactly one process.

        `rejected` is a token WeChat just refused (40001/42001): it is replaced even if it looks
        fresh, unless another process has replaced it already.
        """
        deadline = time.monotonic() + WAIT_FOR_OTHERS
        while True:
            current = self._usable(rejected)
            if current:
                return current
            owner = self._claim_lease()
            if owner:
                # The previous holder may have stored a token and freed the lease between our
                # read and our claim: read again under the lease before fetching.
                current = self._usable(rejected)
                if current:
                    self._store(owner, values={})
                    return current
                return self._refresh(fetch, owner, force=rejected is not None)
            if time.monotonic() >= deadline:
                # The lease holder is stuck (or the database is locked). A stable token fetched
                # without force_refresh is the one already valid, so fetching it again harms
                # nobody; we only leave the storing to the lease holder.
                log.warning("WeChat access token refresh still leased; fetching without storing")
                return fetch(False)[0]
            time.sleep(POLL_EVERY)

    def _session(self) -> Session:
        return Session(db.engine, expire_on_commit=False)

    def _usable(self, rejected: str | None) -> str | None:
        with self._session() as session:
            row = session.get(WechatAccessToken, self.appid)
            if row is None or not row.access_token or row.expires_at is None:
                return None
            if row.access_token == rejected or utcnow() >= row.expires_at - REFRESH_EARLY:
                return None
            return row.access_token

    def _claim_lease(self) -> str | None:
        """One atomic UPDATE decides who refreshes: rowcount 1 wins the lease."""
        owner = uuid.uuid4().hex
        now = utcnow()
        try:
            self._ensure_row()
            with self._session() as session, session.begin():
                claimed = session.execute(
                    sa.update(WechatAccessToken)
                    .where(
                        WechatAccessToken.appid == self.appid,
                        sa.or_(
                            WechatAccessToken.lease_until.is_(None),
                            WechatAccessToken.lease_until < now,
                        ),
                    )
                    .values(lease_until=now + self.lease, lease_owner=owner)
                )
                return owner if claimed.rowcount == 1 else None
        except sa.exc.OperationalError:
            # SQLite: another connection holds the write lock for longer than busy_timeout.
            log.warning("WeChat access token row locked; waiting for the holder")
            return None

    def _ensure_row(self) -> None:
        with self._session() as session:
            if session.get(WechatAccessToken, self.appid) is not None:
                return
        try:
            with self._session() as session, session.begin():
                session.add(WechatAccessToken(appid=self.appid))
        except sa.exc.IntegrityError:
            pass  # another process inserted it first; the lease UPDATE decides fairly

    def _refresh(self, fetch: Fetch, owner: str, *, force: bool) -> str:
        try:
            token, expires_in = fetch(force)
        except BaseException:
            self._store(owner, values={})
            raise
        self._store(
            owner,
            values={
                "access_token": token,
                "expires_at": utcnow() + timedelta(seconds=expires_in),
            },
        )
        return token

    def _store(self, owner: str, *, values: dict[str, str | datetime]) -> None:
        """Save the new token (if any) and free the lease, only if the lease is still ours."""
        try:
            with self._session() as session, session.begin():
                session.execute(
                    sa.update(WechatAccessToken)
                    .where(
                        WechatAccessToken.appid == self.appid,
                        WechatAccessToken.lease_owner == owner,
                    )
                    .values(**values, lease_until=None, lease_owner=None, updated_at=utcnow())
                )
        except sa.exc.OperationalError:
            log.warning("could not store the WeChat access token; the lease will lapse")
