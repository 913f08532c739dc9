"""Nothing personal in logs: tokens, phone numbers, session keys and API secrets are redacted
from every log record before any handler formats it.

Libraries log what we never would: urllib3 prints each URL at DEBUG, query string included
(`jscode2session?...&secret=...&js_code=...`), werkzeug prints request lines, an exception's text
may quote a request. So redaction works on the final message of each record, whoever logged it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from flask import Flask

REDACTED = "[redacted]"

# Credentials that appear as `name=value` (query strings, form bodies) or `"name": "value"`
# (JSON, Python reprs). `code` is a one-time WeChat code: short-lived, but a credential while alive.
_SECRET_NAMES = (
    r"session_?key|access_?token|refresh_?token|id_?token|js_code|app_?secret|secret"
    r"|password|passwd|phone_?number|pure_?phone_?number|phone|mobile|authorization"
)
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?<![A-Za-z0-9_])
    (?P<quote>["']?)(?P<name>{_SECRET_NAMES})(?P=quote)
    (?P<sep>\s*[:=]\s*)
    (?: (?P<open>["'])[^"']*(?P=open)           # a quoted value, spaces and all
      | (?:Bearer\s+)?[^"'\s&,;}}\#]+ )          # a bare one, up to the next delimiter
    """
)
_CODE_PARAM = re.compile(r"(?i)(?P<lead>[?&](?:js_)?code=)[^&\s\"'#]+")
_BEARER = re.compile(r"(?i)\bBearer\s+(?!\[redacted\])[^\s\"',;]+")
# A JWT: three base64url parts, the first of which always begins with `eyJ` ('{"').
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# Chinese mobile numbers, optionally with the country code; never part of a longer digit run.
_MOBILE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?1[3-9]\d{9}(?!\d)")
# WeChat session keys: 16 random bytes in base64 (24 characters ending "=="), and the fake
# server's `sk-...-secret` in tests.
_SESSION_KEY = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{22}==(?![A-Za-z0-9+/=])")
_FAKE_SESSION_KEY = re.compile(r"\bsk-\S*?-secret\b")


def _redact_value(match: re.Match) -> str:
    quote, open_ = match["quote"], match["open"] or ""
    return f"{quote}{match['name']}{quote}{match['sep']}{open_}{REDACTED}{open_}"


_PATTERNS: tuple[tuple[re.Pattern, str | Callable[[re.Match], str]], ...] = (
    (_JWT, REDACTED),
    (_BEARER, f"Bearer {REDACTED}"),
    (_KEY_VALUE, _redact_value),
    (_CODE_PARAM, rf"\g<lead>{REDACTED}"),
    (_FAKE_SESSION_KEY, REDACTED),
    (_SESSION_KEY, REDACTED),
    (_MOBILE, REDACTED),
)


def redact(text: str) -> str:
    """The text with every token, phone number, session key and secret replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (with its arguments merged in), traceback and stack as
    redacted text. Also usable on handlers configured elsewhere (gunicorn's `logconfig_dict`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if record.msg is getattr(record, "_redacted_msg", None) and not record.args:
        return record  # already done at birth, by the record factory
    try:
        message = record.getMessage()
    except Exception:  # a malformed call; logging reports it, our job is only to hide secrets
        message = f"{record.msg!s} {record.args!r}"
    record.msg = redact(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._redacted_msg = record.msg
    return record


_installed = False


def init_app(app: Flask) -> None:
    """Redact every log record of the process, from any logger.

    A filter on a logger sees only the records logged to that very logger, not those propagated
    from its children (`urllib3.connectionpool` -> root), and a filter on a handler misses the
    handlers added later (gunicorn's, pytest's). So the redaction runs where every record is
    born, in the record factory; the filter also sits on the root, Flask and werkzeug loggers
    for records made without the factory (`logging.makeLogRecord`).
    """
    global _installed
    if not _installed:
        make_record = logging.getLogRecordFactory()

        def redacting_factory(*args, **kwargs):
            return redact_record(make_record(*args, **kwargs))

        logging.setLogRecordFactory(redacting_factory)
        _installed = True
    for logger in (logging.getLogger(), app.logger, logging.getLogger("werkzeug")):
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
