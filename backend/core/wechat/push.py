"""WeChat's message push: signed requests carrying events, such as media-check verdicts.

Configured in JSON. With WECHAT_PUSH_AES_KEY set (production requires it) we take safe mode only:
the body is encrypted and signed (`msg_signature`, see safe_mode.py). Without it (development,
tests) we take plaintext mode only, whose `signature` covers the token, timestamp and nonce but
not the body.

A push is refused with 403, and nothing processed, unless:
- signed with our token (`wechat_signature_invalid`);
- its timestamp is within WECHAT_PUSH_MAX_AGE of our clock, either way (`wechat_push_stale`);
- it comes in the mode we are configured for (`wechat_push_mode_mismatch`) and, in safe mode,
  decrypts with our key (`wechat_push_undecryptable`);
- it is for our AppID: the one closing the decrypted message, and the payload's `appid` where
  it has one (`wechat_push_wrong_appid`);
- its (timestamp, nonce) was not accepted before with another message (`wechat_push_replayed`).

Repeats: WeChat wants "success" within 5 seconds, else it pushes the same request again, same
timestamp and nonce. The nonce is recorded in the transaction that processes the push, so a
repeat whose message equals the recorded one was processed exactly once already: it is answered
"success" and not processed again (a captured push replayed as it was fares the same, harmlessly).
A repeat we never recorded (the first failed and rolled back) is processed. The same query with
another message is a replay and refused. Only plaintext mode lets another message pass the
signature at all; a replay racing ahead of WeChat's own delivery would win there, which is why
production takes safe mode only.

Pushes that pass but that we cannot use (not JSON, an event we do not listen to) are logged and
acknowledged: refusing them would only make WeChat push them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from backend.core.db import db, transaction
from backend.core.errors import Forbidden
from backend.core.wechat import safe_mode
from backend.core.wechat.media import record_media_verdict
from backend.core.wechat.models import PushNonce

log = logging.getLogger(__name__)

# Event -> what records it, inside the push's transaction. Other events are acknowledged.
HANDLERS = {"wxa_media_check": record_media_verdict}

SAFE_MODE = "aes"


def verify_push_url(*, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
    """WeChat checks the push URL. Outcomes: the echostr for a fresh request signed with our
    token; 403 `wechat_signature_invalid`, `wechat_push_stale`."""
    _require_signed(signature, timestamp, nonce)
    _require_fresh(timestamp)
    return echostr


def receive_push(
    *,
    signature: str,
    timestamp: str,
    nonce: str,
    encrypt_type: str,
    msg_signature: str,
    body: bytes,
) -> bool:
    """Check and process one push (see the module's docstring for each refusal).

    Outcomes: True, processed; False, a repeat of a push already processed, acknowledged only;
    403 with the codes above, nothing processed.
    """
    encrypted = encrypt_type == SAFE_MODE
    if encrypted:
        ciphertext = _ciphertext(body)
        _require_signed(msg_signature, timestamp, nonce, ciphertext)
    else:
        _require_signed(signature, timestamp, nonce)
    sent = _require_fresh(timestamp)
    aes_key = current_app.config["WECHAT_PUSH_AES_KEY"]
    if encrypted != bool(aes_key):
        log.error("WeChat push in %s mode, we take the other one: check WECHAT_PUSH_AES_KEY "
                  "against the mini-program's push settings", "safe" if encrypted else "plaintext")
        raise Forbidden("消息推送的加密方式与服务器配置不一致", code="wechat_push_mode_mismatch")
    message = _decrypt(ciphertext, aes_key) if encrypted else body
    payload = _payload(message)
    if payload is not None and "appid" in payload:
        _require_our_appid(payload["appid"])
    return _record_and_process(sent, nonce, message, payload)


def purge_push_nonces() -> int:
    """Forget accepted pushes past twice WECHAT_PUSH_MAX_AGE; returns how many.

    Past the age their timestamp alone refuses them; twice leaves room for web nodes whose
    clock runs behind the scheduler's.
    """
    max_age = current_app.config["WECHAT_PUSH_MAX_AGE"].total_seconds()
    cutoff = int(time.time() - 2 * max_age)
    with transaction() as session:
        result = session.execute(sa.delete(PushNonce).where(PushNonce.timestamp < cutoff))
    return result.rowcount


def _require_signed(signature: str, *parts: str) -> None:
    expected = safe_mode.wechat_signature(current_app.config["WECHAT_PUSH_TOKEN"], *parts)
    if not safe_mode.signature_matches(expected, signature):
        raise Forbidden("消息推送签名无效", code="wechat_signature_invalid")


def _require_fresh(timestamp: str) -> int:
    max_age = current_app.config["WECHAT_PUSH_MAX_AGE"].total_seconds()
    if re.fullmatch(r"[0-9]{1,12}", timestamp) and abs(time.time() - int(timestamp)) <= max_age:
        return int(timestamp)
    raise Forbidden("消息推送的时间戳无效或已过期", code="wechat_push_stale")


def _require_our_appid(appid: object) -> None:
    if appid != current_app.config["WECHAT_APPID"]:
        log.warning("WeChat push for another AppID refused")
        raise Forbidden("消息推送不属于本小程序", code="wechat_push_wrong_appid")


def _ciphertext(body: bytes) -> str:
    """The body's `Encrypt`, or "" when there is none (its signature then cannot match)."""
    payload = _payload(body)
    encrypted = payload.get("Encrypt") if payload else None
    return encrypted if isinstance(encrypted, str) else ""


def _decrypt(ciphertext: str, aes_key: str) -> bytes:
    try:
        message, appid = safe_mode.decrypt(ciphertext, encoding_aes_key=aes_key)
    except safe_mode.Undecryptable as exc:
        # Signed with our token yet not decryptable: the key differs from WeChat's.
        log.error("signed WeChat push does not decrypt (%s): check WECHAT_PUSH_AES_KEY", exc)
        raise Forbidden("消息推送无法解密", code="wechat_push_undecryptable") from None
    _require_our_appid(appid)
    return message


def _payload(message: bytes) -> dict | None:
    try:
        payload = json.loads(message)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


class _AlreadyAccepted(Exception):
    """The push's (timestamp, nonce) is recorded already."""


def _record_and_process(sent: int, nonce: str, message: bytes, payload: dict | None) -> bool:
    digest = hashlib.sha256(message).hexdigest()
    try:
        with transaction() as session:
            session.add(PushNonce(timestamp=sent, nonce=nonce, digest=digest))
            try:
                session.flush()
            except IntegrityError:
                raise _AlreadyAccepted from None
            _process(payload)
    except _AlreadyAccepted:
        first = db.session.get(PushNonce, (sent, nonce))
        if first is not None and first.digest == digest:
            log.info("WeChat pushed a processed push again; acknowledged, not processed twice")
            return False
        log.warning("WeChat push replayed with another message; refused")
        raise Forbidden("消息推送重复，已拒绝", code="wechat_push_replayed") from None
    return True


def _process(payload: dict | None) -> None:
    if payload is None:
        log.warning("WeChat push with a message that is not a JSON object")
        return
    event = payload.get("Event")
    handler = HANDLERS.get(event) if isinstance(event, str) else None
    if handler is None:
        log.info("WeChat push event %r ignored", event)
        return
    handler(payload)
