"""Interactive docs at /docs with Swagger UI assets served by us: many users' networks block CDNs."""

from __future__ import annotations

from copy import deepcopy as copy
from http import HTTPStatus

from apispec import BasePlugin
from flask import Blueprint, Flask, send_from_directory
from flask_smorest import Blueprint as SmorestBlueprint
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

from backend.core.pagination import MAX_PAGE

assets = Blueprint("docs_assets", __name__)

SWAGGER_UI_FILES = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
)


@assets.get("/docs/assets/<path:filename>")
def swagger_ui_asset(filename: str):
    if filename not in SWAGGER_UI_FILES:
        raise NotFound()
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)


def init_app(app: Flask) -> None:
    app.register_blueprint(assets)


# Only used to build documentation decorators; never registered.
_documenter = SmorestBlueprint("_error_docs", __name__)


def errors(*statuses: int):
    """Document the error answers of a view, each with the one error shape (ErrorSchema)."""

    def decorate(view):
        for status in statuses:
            view = _documenter.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorate


IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "A uuid4 per user action: a retried POST returns the first answer "
    "(with `Idempotent-Replayed: true`) and has no second effect. Kept 24 hours.",
}


def _own_error_content(responses: dict) -> dict | None:
    """The content of an error the operation documents in a shape of its own (inline, where ours
    are references to the shared responses): Open311's list."""
    for status, response in responses.items():
        if str(status).startswith("4") and isinstance(response, dict) and "content" in response:
            return response["content"]
    return None


class RequestRulesPlugin(BasePlugin):
    """What every operation gets from the app rather than from its view, said once, here:
    a body may answer 400 (broken or too deeply nested JSON) and 413 (too large) before our code
    runs, every POST takes an Idempotency-Key (backend/core/idempotency.py), and a list's `page`
    stops at MAX_PAGE (backend/core/pagination.py). An operation answering its errors in a shape
    of its own (Open311, backend/core/errors.py `answer_errors_under`) has these errors and its
    `default` documented in that shape."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "page":
                    parameter["schema"]["maximum"] = MAX_PAGE
            responses = operation.setdefault("responses", {})
            own = _own_error_content(responses)
            added = [400, 413] if "requestBody" in operation else []
            if method.lower() == "post":
                operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
                added.append(422)
            for status in added:
                if status not in responses and str(status) not in responses:
                    responses[str(status)] = _error(status, own)
            if own is not None:
                responses["default"] = {"description": "Any other error", "content": copy(own)}


def _error(status: int, own_content: dict | None):
    if own_content is None:
        return HTTPStatus(status).name
    return {"description": HTTPStatus(status).phrase, "content": copy(own_content)}
