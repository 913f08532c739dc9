"""What a request body may be, checked before anything parses it (a before_request hook).

- **No larger than the request's limit when it is streamed too.** Werkzeug refuses a
  Content-Length past `request.max_content_length` at once, but reads a chunked body (no
  Content-Length) only up to the limit and silently drops the rest: the parsers then saw a cut
  body and answered 400 (broken JSON) where 413 is the truth. A chunked body is read here, one
  byte past the limit, and refused with 413 when it is longer. The limit is the request's own, so
  a route with a larger one (the photo upload, set by its before_request, which runs first) keeps
  it.
- **JSON no deeper than MAX_JSON_DEPTH.** Python's json parser recurses: a few thousand `[`
  raised RecursionError (500) in webargs and Flask alike, on /auth/login too. The depth is
  counted on the raw bytes, with a regular expression and a counter (no recursion), before any
  parser sees them: 400 json_too_deep.
"""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from backend.core.errors import DomainError

# Our deepest input is a few levels (a standard's document, about 8); anything near this is
# not a request but an attack on the parser.
MAX_JSON_DEPTH = 64

# A JSON string (skipped whole, brackets inside it do not count) or one bracket.
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_OPENING = frozenset(b"[{")


class JsonTooDeep(DomainError):
    status = 400
    code = "json_too_deep"
    message = f"JSON 嵌套层数过多，最多 {MAX_JSON_DEPTH} 层"


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the brackets of a JSON text nest deeper than `limit` (strings skipped)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(body):
        token = match.group()
        if len(token) != 1:
            continue
        if token[0] in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _read_streamed_body() -> None:
    limit = request.max_content_length
    if limit is None:
        return
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=True)
    finally:
        request.max_content_length = limit
    if len(body) > limit:
        raise RequestEntityTooLarge()


def check_body() -> None:
    """before_request: refuse a streamed body past the limit (413) and JSON nested too deep
    (400), before the parsers and the idempotency fingerprint read the body."""
    if (
        request.content_length is None
        and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    ):
        _read_streamed_body()
    if request.is_json and json_depth_exceeds(request.get_data(cache=True)):
        raise JsonTooDeep(errors={"json": [JsonTooDeep.message]})


def init_app(app: Flask) -> None:
    """Call after the packages' own hooks (a route's larger body limit is set by then) and before
    idempotency's (which reads the body)."""
    app.before_request(check_body)
