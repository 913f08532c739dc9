"""Links to stored photos: short-lived and signed, so that whoever is shown one opens it without
a token (the mini-program's `<image>`, WeChat's media checker) and nobody can make one up.

A link reads `/api/v1/photos/<key>?expires=<unix seconds>&signature=<HMAC-SHA256, 128 bits>`.
The signature covers the key and the expiry, with a key derived from SECRET_KEY for this one
use (production refuses a default SECRET_KEY), so it is worth nothing anywhere else. Domains sign
a link at the moment they show a photo to someone they let see it; the link is the permission,
for PHOTO_URL_TTL. The expiry is rounded up to a quarter of that lifetime: a list read twice
within minutes shows the same links, so the phone's image cache keeps working.

With PUBLIC_BASE_URL set, links are absolute (`https://api.example.cn/api/v1/photos/...`);
without it they are paths on the API's own host, as the mini-program already prefixes them.
WeChat's checker needs an absolute URL, so its link falls back to the request's own host.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from datetime import timedelta
from urllib.parse import urlencode

from flask import current_app, has_request_context, request

from backend.core.errors import Forbidden

PHOTO_URL_PREFIX = "/api/v1/photos/"
# The smallest rounding step of an expiry, whatever the configured lifetime.
MIN_STEP_SECONDS = 60
_PURPOSE = b"gongzhi/photo-link/v1"


class PhotoLinkInvalid(Forbidden):
    code = "photo_link_invalid"
    message = "照片链接无效"


class PhotoLinkExpired(Forbidden):
    code = "photo_link_expired"
    message = "照片链接已过期，请刷新页面后重试"


def photo_reference(key: str) -> str:
    """The photo's own path, unsigned: how a record names the photo (a media check), never a
    link anyone can open."""
    return f"{PHOTO_URL_PREFIX}{key}"


def photo_url(key: str, *, absolute: bool = False, lives: timedelta | None = None) -> str:
    """A signed link to the photo of `key`, valid for `lives` (PHOTO_URL_TTL by default) and up
    to a quarter more. `absolute`: with a scheme and host even without PUBLIC_BASE_URL."""
    lifetime = int((lives or current_app.config["PHOTO_URL_TTL"]).total_seconds())
    step = max(MIN_STEP_SECONDS, lifetime // 4)
    expires = math.ceil((int(time.time()) + lifetime) / step) * step
    query = urlencode({"expires": expires, "signature": _signature(key, expires)})
    return f"{_base(absolute)}{photo_reference(key)}?{query}"


def opened_reference(url: str) -> str:
    """A signed link for a stored photo's own path (`photo_reference`); any other url as it is.
    Installed as the moderators' opener of checked photos (core.wechat.media)."""
    key = url.removeprefix(PHOTO_URL_PREFIX)
    if url.startswith(PHOTO_URL_PREFIX) and key and "/" not in key and "?" not in key:
        return photo_url(key)
    return url


def checked_photo_url(key: str) -> str:
    """The absolute link WeChat's media checker fetches: it lives at least as long as we wait
    for the verdict (WeChat answers within 30 minutes)."""
    lives = max(current_app.config["PHOTO_URL_TTL"], current_app.config["MEDIA_CHECK_REVIEW_AFTER"])
    return photo_url(key, absolute=True, lives=lives)


def check_photo_link(key: str, expires: int | None, signature: str | None) -> int:
    """The seconds the link of `key` has left. Outcomes: 403 `photo_link_invalid` (no signature,
    or not ours: the key or the expiry changed), 403 `photo_link_expired`."""
    if expires is None or not signature:
        raise PhotoLinkInvalid()
    # Encoded leniently: a character no signature has only makes it wrong.
    given = signature.encode("utf-8", "replace")
    if not hmac.compare_digest(given, _signature(key, expires).encode()):
        raise PhotoLinkInvalid()
    left = expires - int(time.time())
    if left <= 0:
        raise PhotoLinkExpired()
    return left


def _signature(key: str, expires: int) -> str:
    secret = hmac.new(
        current_app.config["SECRET_KEY"].encode(), _PURPOSE, hashlib.sha256
    ).digest()
    mac = hmac.new(secret, f"{key}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


def _base(absolute: bool) -> str:
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base and absolute and has_request_context():
        base = request.host_url
    return base.rstrip("/")
