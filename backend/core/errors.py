"""One error shape for the whole API: `{code, status, message, errors}`.

`code` is a stable snake_case string clients may branch on; `message` is Simplified Chinese for the
person holding the phone; `errors` carries field details (validation) or is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import marshmallow as ma
from flask import Flask, Response, current_app, has_request_context, jsonify, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A use case could not be carried out; raised by services, answered by the error handler."""

    status = 400
    code = "bad_request"
    message = "请求无效"

    def __init__(self, message: str | None = None, *, code: str | None = None, errors=None):
        super().__init__(message or self.message)
        if message:
            self.message = message
        if code:
            self.code = code
        self.errors = errors or {}


class InvalidInput(DomainError):
    status = 422
    code = "validation_error"
    message = "提交的数据有误"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    message = "请先登录"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = "您无权执行此操作"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "未找到该资源"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = "操作与当前状态冲突"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    message = "操作过于频繁，请稍后再试"


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"
    message = "服务暂时不可用，请稍后再试"


# Werkzeug's HTTP errors, reached before our code runs (routing, body size, parsing).
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式错误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您无权执行此操作"),
    404: ("not_found", "未找到该资源"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "操作与当前状态冲突"),
    413: ("payload_too_large", "提交的内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "提交的数据有误"),
    428: ("precondition_required", "缺少前置条件"),
    429: ("too_many_requests", "操作过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请稍后再试"),
    503: ("service_unavailable", "服务暂时不可用，请稍后再试"),
}


def error_body(status: int, code: str, message: str, errors=None) -> dict:
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


# A standard with an error shape of its own (Open311's list) answers every error under its path
# prefix, werkzeug's 404, 405 and 413 and a crash included: `answer_errors_under`.
ErrorRenderer = Callable[[int, str], Response]


def answer_errors_under(app: Flask, prefix: str, render: ErrorRenderer) -> None:
    """Every error answered for a path under `prefix` is `render(status, message)`."""
    app.extensions.setdefault("gongzhi_error_formats", {})[prefix] = render


def _renderer_for_path() -> ErrorRenderer | None:
    if not has_request_context():
        return None
    for prefix, render in current_app.extensions.get("gongzhi_error_formats", {}).items():
        if request.path.startswith(prefix):
            return render
    return None


def error_response(status: int, code: str, message: str, errors=None, headers=None):
    render = _renderer_for_path()
    if render is not None:
        response = render(status, message)
    else:
        response = jsonify(error_body(status, code, message, errors))
        response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ErrorSchema(ma.Schema):
    """The body of every non-2xx answer."""

    code = ma.fields.String(
        required=True, metadata={"description": "Stable snake_case code, e.g. `not_found`"}
    )
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status"})
    message = ma.fields.String(required=True, metadata={"description": "简体中文说明"})
    errors = ma.fields.Dict(metadata={"description": "Field errors, by location and field"})


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    code, message = HTTP_ERRORS.get(status, ("http_error", "请求无法处理"))
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    return error_response(status, code, message, errors, data.get("headers"))


def handle_domain_error(error: DomainError):
    return error_response(error.status, error.code, error.message, error.errors)


def handle_database_unreachable(error: Exception):
    """The database is down or refuses connections: say so (503), the client may retry later.
    Nothing was written: the transaction never started or was rolled back with the session."""
    log.error("database unreachable: %s", type(error).__name__)
    return error_response(503, "database_unavailable", "系统繁忙，请稍后再试")


def handle_integrity_error(error: sa_exc.IntegrityError):
    """The database refused a write a service should have refused first: a foreign key (a row
    still referenced, or one that does not exist) or a unique constraint. 409, not 500; the
    transaction was rolled back. Other violations (NOT NULL, CHECK) stay 500: they are bugs."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    text = str(error.orig)
    if sqlstate == "23503" or "FOREIGN KEY constraint failed" in text:
        log.warning("foreign key refused a write no service checked: %s", text)
        return error_response(
            409, "reference_conflict", "该记录仍被其他记录引用，或所引用的记录不存在"
        )
    if sqlstate == "23505" or "UNIQUE constraint failed" in text:
        log.warning("unique constraint refused a write no service checked: %s", text)
        return error_response(409, "conflict", "与已有记录重复")
    return handle_unexpected(error)


def handle_unexpected(error: Exception):
    log.exception("unhandled error")
    return error_response(500, "internal_error", "服务器内部错误，请稍后再试")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(sa_exc.OperationalError, handle_database_unreachable)
    app.register_error_handler(sa_exc.IntegrityError, handle_integrity_error)
    app.register_error_handler(Exception, handle_unexpected)
