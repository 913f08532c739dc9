"""WeChat's message push: signed requests carrying events, such as media-check verdicts.

We configure the push in plaintext JSON mode. WeChat signs each request with the token we gave
it (WECHAT_PUSH_TOKEN) and expects the body "success" within 5 seconds, else it pushes again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from flask import current_app

from backend.core.errors import Forbidden
from backend.core.wechat.media import record_media_verdict

log = logging.getLogger(__name__)

# Event -> what records it. Events we do not listen to are acknowledged and dropped.
HANDLERS = {"wxa_media_check": record_media_verdict}


def require_push_signature(*, signature: str, timestamp: str, nonce: str) -> None:
    """Outcomes: returns for a request WeChat signed; Forbidden `wechat_signature_invalid`
    otherwise."""
    token = current_app.config["WECHAT_PUSH_TOKEN"]
    expected = hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise Forbidden("消息推送签名无效", code="wechat_signature_invalid")


def receive_push(body: bytes) -> None:
    """Record one signed push. Anything we cannot use is logged and acknowledged: answering
    otherwise would only make WeChat push it again."""
    try:
        payload = json.loads(body)
    except ValueError:
        log.warning("WeChat push with a body that is not JSON")
        return
    if not isinstance(payload, dict):
        log.warning("WeChat push with a body that is not an object")
        return
    handler = HANDLERS.get(payload.get("Event"))
    if handler is None:
        log.info("WeChat push event %r ignored", payload.get("Event"))
        return
    handler(payload)
