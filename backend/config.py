"""Settings from the environment (and a `.env` file when present).

Production refuses to start with a missing, default or short secret (PRODUCTION_RULES): a leaked
default would let anyone sign tokens, read encrypted personal data or forge WeChat's pushes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# Public on purpose: usable only outside production, where `check_production_secrets` rejects them.
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production-use"
DEV_JWT_SECRET_KEY = "dev-only-jwt-secret-key-not-for-production-use"
DEV_FIELD_ENCRYPTION_KEY = "dev-only-field-encryption-key-not-for-production"
DEV_WECHAT_APPID = "wx-dev-appid"
DEV_WECHAT_SECRET = "dev-wechat-secret"
DEV_WECHAT_PUSH_TOKEN = "dev-push-token"

APP_ENVS = ("development", "test", "production")


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable application."""


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'gongzhi.db'}"


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply `overrides` (tests, scripts)."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    overrides = dict(overrides or {})
    env = overrides.pop("APP_ENV", None) or os.environ.get("APP_ENV", "development")
    if env not in APP_ENVS:
        raise ConfigurationError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, not {env!r}")

    secret_key = os.environ.get("SECRET_KEY") or ""
    config = {
        "APP_ENV": env,
        "TESTING": env == "test",
        "SECRET_KEY": secret_key or DEV_SECRET_KEY,
        # JWT_SECRET_KEY falls back to SECRET_KEY, as the README says.
        "JWT_SECRET_KEY": os.environ.get("JWT_SECRET_KEY") or secret_key or DEV_JWT_SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": os.environ.get("FIELD_ENCRYPTION_KEY") or DEV_FIELD_ENCRYPTION_KEY,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or _default_database_url(),
        "WECHAT_APPID": os.environ.get("WECHAT_APPID") or DEV_WECHAT_APPID,
        "WECHAT_SECRET": os.environ.get("WECHAT_SECRET") or DEV_WECHAT_SECRET,
        "WECHAT_API_BASE": os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        "WECHAT_TIMEOUT_SECONDS": float(os.environ.get("WECHAT_TIMEOUT_SECONDS", "5")),
        # Token configured for WeChat's message push (media check verdicts arrive there).
        "WECHAT_PUSH_TOKEN": os.environ.get("WECHAT_PUSH_TOKEN") or DEV_WECHAT_PUSH_TOKEN,
        # The push's EncodingAESKey: set, only safe-mode (encrypted) pushes are accepted; unset,
        # only plaintext ones (development and tests). Production requires it.
        "WECHAT_PUSH_AES_KEY": os.environ.get("WECHAT_PUSH_AES_KEY", ""),
        # A push whose timestamp is further than this from our clock, either way, is refused; the
        # nonces of accepted pushes are kept as long, to refuse a replay (core/wechat/push.py).
        "WECHAT_PUSH_MAX_AGE": timedelta(minutes=5),
        # formal | trial | developer: which build of the mini-program a message opens.
        "WECHAT_MINIPROGRAM_STATE": os.environ.get("WECHAT_MINIPROGRAM_STATE", "formal"),
        # The subscribe template for consultation notices (opened, reminder, result), with the
        # keys thing1 (title), time2 (deadline), thing3 (note). Unset: inbox only.
        "WECHAT_TEMPLATE_CONSULTATION": os.environ.get("WECHAT_TEMPLATE_CONSULTATION", ""),
        # The subscribe template for ticket notices (accepted, overdue, resolved, closed...), with
        # the keys character_string1 (ticket number) and phrase2 (status). Unset: inbox only.
        "WECHAT_TEMPLATE_TICKET": os.environ.get("WECHAT_TEMPLATE_TICKET", ""),
        # Where the authorities' definitions differ (backend/tickets/metrics.py): the response
        # rate's denominator, "dispatched" or "responded"; whether tickets closed without the
        # reporter's answer count against the resolution rate.
        "TICKET_RESPONSE_RATE_BASE": os.environ.get("TICKET_RESPONSE_RATE_BASE", "dispatched"),
        "TICKET_RESOLUTION_COUNTS_UNEVALUATED": os.environ.get(
            "TICKET_RESOLUTION_COUNTS_UNEVALUATED", ""
        )
        in ("1", "true", "yes"),
        # Photos whose WeChat verdict has not come after this go to manual review.
        "MEDIA_CHECK_REVIEW_AFTER": timedelta(minutes=30),
        "OUTBOX_MAX_ATTEMPTS": 5,
        "IDEMPOTENCY_TTL": timedelta(hours=24),
        # Rate limits: memory by default (one process), Redis when REDIS_URL is set.
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # Behind nginx: trust one X-Forwarded-For hop for the client's address (rate limits, audit).
        "BEHIND_PROXY": os.environ.get("BEHIND_PROXY", "") in ("1", "true", "yes"),
        # A staff sign-in unused for this long must sign in again (MLPS level 2).
        "STAFF_IDLE_TIMEOUT": timedelta(minutes=30),
        # The privacy notice users accept; bump it when the notice changes.
        "PRIVACY_NOTICE_VERSION": os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11"),
        # A request body past this answers 413 before any parsing.
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Uploaded photos: `disk` keeps them under STORAGE_DIR (backend/core/storage).
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "disk"),
        "STORAGE_DIR": os.environ.get("STORAGE_DIR") or str(INSTANCE_DIR / "uploads"),
        # The photo upload alone may exceed MAX_CONTENT_LENGTH, up to this.
        "MAX_PHOTO_BYTES": int(os.environ.get("MAX_PHOTO_BYTES", 5 * 1024 * 1024)),
        # Photos whose header claims more pixels are refused before decoding (decompression bombs).
        "MAX_PHOTO_PIXELS": int(os.environ.get("MAX_PHOTO_PIXELS", 50_000_000)),
        # How long a signed photo link opens the photo (backend/core/storage/links.py).
        "PHOTO_URL_TTL": timedelta(seconds=int(os.environ.get("PHOTO_URL_TTL", 3600))),
        # Where clients and WeChat reach this API, e.g. https://api.example.cn: photo links are
        # absolute with it. Empty: links are paths on the API's host (WeChat's checker is given
        # the request's own host).
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=15),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=30),
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ERROR_MESSAGE_KEY": "message",
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT": timedelta(minutes=15),
        # flask-smorest / OpenAPI
        "API_TITLE": "Gongzhi 共治 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "Backend of the Gongzhi WeChat mini-program and the staff API. "
                "Every error answers `{code, status, message, errors}`.",
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
        "PROPAGATE_EXCEPTIONS": False,
    }
    config.update(overrides)
    if config["APP_ENV"] == "production":
        check_production_secrets(config)
    return config


def _at_least(length: int) -> Callable[[str], bool]:
    return lambda value: len(value) >= length


def _matches(pattern: str) -> Callable[[str], bool]:
    return lambda value: re.fullmatch(pattern, value) is not None


# What production demands of each secret and credential, and why that much.
PRODUCTION_RULES: dict[str, tuple[Callable[[str], bool], str]] = {
    # Our own keys: 32 characters carry at least 128 bits even when drawn from hex digits.
    "SECRET_KEY": (_at_least(32), "at least 32 characters"),
    "JWT_SECRET_KEY": (_at_least(32), "at least 32 characters"),
    "FIELD_ENCRYPTION_KEY": (_at_least(32), "at least 32 characters"),
    # An AppID is "wx" and 16 hexadecimal digits, as the mini-program's console shows it; not a
    # secret, but a wrong one makes every WeChat call and push check fail.
    "WECHAT_APPID": (_matches(r"wx[0-9a-fA-F]{16}"), '"wx" and 16 hexadecimal digits'),
    # WeChat generates the AppSecret: 32 hexadecimal digits.
    "WECHAT_SECRET": (_matches(r"[0-9a-fA-F]{32}"), "32 hexadecimal digits"),
    # WeChat accepts a push Token of 3 to 32 letters and digits; it is the only secret in a
    # signature anyone can watch, so we ask for 16 at least (about 95 bits).
    "WECHAT_PUSH_TOKEN": (_matches(r"[A-Za-z0-9]{16,32}"), "16 to 32 letters and digits"),
    # The EncodingAESKey is exactly 43 letters and digits (base64 of a 32-byte AES key); without
    # it the push would come in plaintext, its body covered by no signature.
    "WECHAT_PUSH_AES_KEY": (_matches(r"[A-Za-z0-9]{43}"), "exactly 43 letters and digits"),
}

DEV_DEFAULTS = frozenset({
    DEV_SECRET_KEY, DEV_JWT_SECRET_KEY, DEV_FIELD_ENCRYPTION_KEY,
    DEV_WECHAT_APPID, DEV_WECHAT_SECRET, DEV_WECHAT_PUSH_TOKEN,
})


def check_production_secrets(config: dict) -> None:
    """Refuse to run production with a missing, default or short secret or credential, naming
    every one that is wrong in one message (an operator fixes them all in one go)."""
    problems = []
    for name, (acceptable, demand) in PRODUCTION_RULES.items():
        value = config.get(name) or ""
        if not value:
            problems.append(f"{name} is not set ({demand})")
        elif value in DEV_DEFAULTS:
            problems.append(f"{name} is the public development default ({demand})")
        elif not acceptable(value):
            problems.append(f"{name} must be {demand}")
    if problems:
        raise ConfigurationError(
            "production refuses to start with these settings: " + "; ".join(problems)
        )
