"""Idempotency-Key on POSTs: a retried request returns the first answer, with no second effect.

Phones on weak networks resend a request whose answer they never got; a resident must not vote,
sign or report twice because of it. A POST carrying `Idempotency-Key` (1-255 printable ASCII
characters; the mini-program sends a uuid4 per user action) is recorded per caller (the user of
a valid token, else the client's address) together with a hash of its method, path and body:

- the first request runs and its answer is kept for IDEMPOTENCY_TTL (24 h);
- a retry with the same key and body gets that answer again, with `Idempotent-Replayed: true`;
  one that arrives while the first still runs waits for it (up to WAIT_SECONDS);
- the same key with another body answers 422 `idempotency_key_reused`.

Only answers that settle the request are kept: successes and the caller's errors. A 5xx, 401 or
429 says "try again", so its record is removed and the retry runs anew. The records are written
on connections of their own, never in the request's transaction, and answer bodies (tokens,
personal data) are stored encrypted. The unique (scope, key) constraint decides which of two
racing requests runs.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.auth import caller_user_id
from backend.core.crypto import EncryptedText
from backend.core.db import Base, db, transaction, utcnow
from backend.core.errors import error_response
from backend.core.scheduler import Job

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# How long a retry waits for the first request to finish before answering 409.
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
# A record still in progress after this was left by a worker that died (gunicorn kills a worker
# after 30 s); a retry may then run the request again.
ABANDONED_AFTER = timedelta(minutes=2)
# Answers that tell the caller to try again (sign in again, slow down, server trouble).
RETRYABLE_STATUSES = frozenset({401, 408, 429})

IN_PROGRESS = "in_progress"
COMPLETE = "complete"


class IdempotencyRecord(Base):
    """One POST made with an Idempotency-Key, and the answer it got."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "user:<id>", or "ip:" and a hash of the address for callers without a token.
    scope: Mapped[str] = mapped_column(sa.String(80))
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    # sha256 of method, path, query and body: the same key must mean the same request.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default=IN_PROGRESS)
    response_status: Mapped[int | None]
    response_type: Mapped[str | None] = mapped_column(sa.String(100))
    response_body: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


_table = IdempotencyRecord.__table__


def purge_expired_idempotency_keys() -> int:
    """Delete the records whose time is over (they are ignored already); returns how many."""
    with transaction() as tx:
        return tx.execute(
            sa.delete(_table).where(_table.c.expires_at <= utcnow())
        ).rowcount


# Collected by the scheduler with the domains' `jobs.py` (see EXTRA_JOB_MODULES there).
JOBS = [Job("idempotency.purge_expired_keys", purge_expired_idempotency_keys, every={"hours": 1})]


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def _scope() -> str:
    user_id = caller_user_id()
    if user_id is not None:
        return f"user:{user_id}"
    # The address only keeps strangers' keys apart; it need not be readable in the table.
    address = (request.remote_addr or "").encode()
    return "ip:" + hashlib.sha256(address).hexdigest()[:40]


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.query_string):
        digest.update(part + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _insert(scope: str, key: str, fingerprint: str, now: datetime) -> int | None:
    """The new record's id, or None when (scope, key) is taken."""
    try:
        with db.engine.begin() as connection:
            return connection.execute(
                sa.insert(_table).values(
                    scope=scope,
                    key=key,
                    fingerprint=fingerprint,
                    status=IN_PROGRESS,
                    created_at=now,
                    expires_at=now + current_app.config["IDEMPOTENCY_TTL"],
                )
            ).inserted_primary_key[0]
    except IntegrityError:
        return None


def _find(scope: str, key: str):
    with db.engine.connect() as connection:
        return connection.execute(
            sa.select(_table).where(_table.c.scope == scope, _table.c.key == key)
        ).first()


def _delete(record_id: int, *extra) -> None:
    with db.engine.begin() as connection:
        connection.execute(sa.delete(_table).where(_table.c.id == record_id, *extra))


def _replay(record) -> Response:
    response = Response(
        record.response_body or "", status=record.response_status,
        content_type=record.response_type,
    )
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _begin():
    """before_request: claim the key, or answer from / wait for the request that claimed it."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or request.url_rule is None:
        return None
    if not _valid_key(key):
        return error_response(
            400, "idempotency_key_invalid", "Idempotency-Key 须为 1 至 255 个可打印的 ASCII 字符"
        )
    scope, fingerprint = _scope(), _fingerprint()
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        now = utcnow()
        record_id = _insert(scope, key, fingerprint, now)
        if record_id is not None:
            g.idempotency_record = record_id
            return None
        record = _find(scope, key)
        if record is None:
            continue  # the first request failed and let go of the key: run this one
        if record.expires_at <= now or (
            record.status == IN_PROGRESS and record.created_at < now - ABANDONED_AFTER
        ):
            # Conditions repeated in the DELETE: of two retries, one removes it.
            _delete(record.id, sa.or_(
                _table.c.expires_at <= now,
                sa.and_(_table.c.status == IN_PROGRESS,
                        _table.c.created_at < now - ABANDONED_AFTER),
            ))
            continue
        if record.fingerprint != fingerprint:
            return error_response(
                422, "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求，请换一个新的键"
            )
        if record.status == COMPLETE:
            return _replay(record)
        time.sleep(POLL_SECONDS)
    return error_response(409, "idempotency_request_in_progress", "相同的请求正在处理中，请稍后再试")


def _keepable(response: Response) -> bool:
    if response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES:
        return False
    # A file or a stream cannot be kept to be sent again; a retry runs anew.
    return not (response.direct_passthrough or response.is_streamed)


def _finish(response: Response) -> Response:
    """after_request: keep the answer for retries, or let go of the key so a retry runs."""
    record_id = g.pop("idempotency_record", None)
    if record_id is None:
        return response
    status = response.status_code
    try:
        if not _keepable(response):
            _delete(record_id)
            return response
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(_table)
                .where(_table.c.id == record_id)
                .values(
                    status=COMPLETE,
                    response_status=status,
                    response_type=(response.content_type or "")[:100] or None,
                    response_body=response.get_data(as_text=True),
                )
            )
    except SQLAlchemyError as error:
        # The caller still gets the real answer; a retry waits, then runs after ABANDONED_AFTER.
        log.error("idempotency record %s not settled (%s)", record_id, type(error).__name__)
    return response


def _let_go(_exc: BaseException | None = None) -> None:
    """teardown_request: a request that ended without an answer must not hold its key."""
    record_id = g.pop("idempotency_record", None)
    if record_id is not None:
        try:
            _delete(record_id)
        except SQLAlchemyError as error:
            log.error("idempotency record %s not removed (%s)", record_id, type(error).__name__)


def init_app(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_let_go)
