"""Who asked, from where: a request id for every request and the client's IP address.

The request id ties an answer, a log line and an audit entry together. A sane incoming
`X-Request-ID` (from nginx or the client, at most 64 characters of `A-Za-z0-9-_.`) is kept, so
one id follows a request across machines; anything else is replaced by a fresh uuid4. The id
goes back in the `X-Request-ID` response header, also on errors.

Behind nginx, `request.remote_addr` is nginx itself. With `BEHIND_PROXY=1` (config or
environment) the app is wrapped in werkzeug's `ProxyFix(x_for=1)`, which takes the client's
address from the last hop of `X-Forwarded-For`; nginx must then set it
(`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`) and the app must be reachable
only through nginx, or anyone could claim any address. Without it the header is ignored.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id() -> str | None:
    """The current request's id (None outside a request, e.g. in a CLI command)."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def client_ip() -> str | None:
    """The caller's IP address (None outside a request)."""
    if not has_request_context():
        return None
    return request.remote_addr


def _echo_request_id(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def init_app(app: Flask) -> None:
    if app.config["BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    app.after_request(_echo_request_id)
