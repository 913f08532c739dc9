"""Rate limits on sign-in, content creation and WeChat-backed endpoints (Flask-Limiter).

`LIMITS` is the one table: endpoint name (`blueprint.ViewClass`, as in `flask routes`) -> how
often one client IP and one signed-in user may call it. An endpoint opts in with one line, e.g.
`"consultations.Comments": CONTENT`; only the group's methods count (POST), so the list on the
same URL stays free. A name that is not a real endpoint stops the app at start-up.

Counters live in this process's memory unless REDIS_URL is set (then every worker and machine
shares them; install the `redis` extra). With N workers and no Redis a client gets up to N times
the limit. RATELIMIT_ENABLED=0 turns all of it off. A refusal answers 429 `too_many_requests`
with `Retry-After` in seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limit, Limiter, RateLimitExceeded

from backend.core.auth import caller_user_id
from backend.core.errors import HTTP_ERRORS, error_response


@dataclass(frozen=True)
class Limits:
    """Limit strings (`limits` syntax, `;` between several) per client IP and per signed-in
    user; an empty string means no limit of that kind."""

    per_ip: str = ""
    per_user: str = ""
    methods: frozenset[str] = frozenset({"POST"})


# A mobile carrier's NAT puts thousands of phones behind one address, so limits per IP are wide
# and the ones per user are the tight ones. Password sign-in is the exception: it is what
# someone guessing passwords calls (accounts also lock after LOGIN_MAX_FAILURES).
STAFF_SIGN_IN = Limits(per_ip="10/minute;100/hour")
# Needs a fresh wx.login code each time, and every call spends our WeChat quota.
WECHAT_SIGN_IN = Limits(per_ip="60/minute;1000/hour")
TOKEN_REFRESH = Limits(per_ip="120/minute", per_user="10/minute")
# Supports, reports and other small content.
CONTENT = Limits(per_ip="120/minute", per_user="20/minute;300/day")
# Votes: per user only. A whole estate may vote in the last hour from behind one carrier NAT,
# and a ballot changes nothing but its own row, so there is nothing to gain per IP.
BALLOTS = Limits(per_user="20/minute;200/day")
# Endpoints that call WeChat on the caller's behalf (content checks, messages).
WECHAT_BACKED = Limits(per_ip="120/minute", per_user="10/minute;200/day")
# Photo uploads: one report carries up to nine, so more per minute than other content.
PHOTOS = Limits(per_ip="240/minute", per_user="30/minute;500/day")

LIMITS: dict[str, Limits] = {
    "auth.WechatLogin": WECHAT_SIGN_IN,
    "auth.PasswordLogin": STAFF_SIGN_IN,
    "auth.DevLogin": STAFF_SIGN_IN,
    "auth.Refresh": TOKEN_REFRESH,
    "consultation_needs.Needs": WECHAT_BACKED,
    "consultation_needs.Comments": WECHAT_BACKED,
    "consultation_needs.CommentReport": CONTENT,
    "consultation_needs.NeedSupport": CONTENT,
    "consultation_ballots.Ballots": BALLOTS,
    "photos.Photos": PHOTOS,
    "tickets.Tickets": WECHAT_BACKED,
    "tickets.Support": CONTENT,
    # City systems file through one address: per IP is the only handle (no user token).
    "open311.Requests": Limits(per_ip="600/minute"),
}


def _rule() -> Limits | None:
    rule = LIMITS.get(request.endpoint or "")
    return rule if rule is not None and request.method in rule.methods else None


def _per_ip() -> str:
    rule = _rule()
    return rule.per_ip if rule else ""


def _per_user() -> str:
    rule = _rule()
    return rule.per_user if rule else ""


def _ip_key() -> str:
    return request.remote_addr or "unknown"


def _user_key() -> str:
    return f"user:{caller_user_id()}"


def _too_many_requests(error: RateLimitExceeded):
    limit = current_app.extensions["gongzhi_limiter"].current_limit
    retry_after = max(1, math.ceil(limit.window.reset_time - time.time())) if limit else 60
    code, message = HTTP_ERRORS[429]
    return error_response(429, code, message, headers={"Retry-After": str(retry_after)})


def init_app(app: Flask) -> None:
    """Limit the endpoints of `LIMITS`; call after the blueprints are registered."""
    unknown = sorted(set(LIMITS) - set(app.view_functions))
    if unknown:
        raise RuntimeError(f"rate limits name unknown endpoints: {', '.join(unknown)}")
    # One Limiter per app: its storage and switches live on the instance, and tests make apps.
    limiter = Limiter(
        _ip_key,
        default_limits=[
            Limit(_per_ip, key_function=_ip_key, scope="ip"),
            Limit(
                _per_user,
                key_function=_user_key,
                scope="user",
                exempt_when=lambda: caller_user_id() is None,
            ),
        ],
        storage_uri=app.config["REDIS_URL"] or "memory://",
        key_prefix="gongzhi",
        # Our own 429 carries Retry-After; the X-RateLimit-* headers would go on every answer.
        headers_enabled=False,
        enabled=app.config["RATELIMIT_ENABLED"],
    )
    limiter.init_app(app)
    app.extensions["gongzhi_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
