"""Interactive docs at /docs with Swagger UI assets served by us: many users' networks block CDNs."""

from __future__ import annotations

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


class RequestRulesPlugin(BasePlugin):
    """What every operation gets from the app rather than from its view, said once, here:
    a body may answer 400 (broken JSON) and 413 (too large) before our code runs, and every
    POST takes an Idempotency-Key (backend/core/idempotency.py)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "page":
                    parameter["schema"]["maximum"] = MAX_PAGE
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                for status in (400, 413):
                    if status not in responses and str(status) not in responses:
                        responses[str(status)] = HTTPStatus(status).name
            if method.lower() == "post":
                operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
                if "422" not in responses and 422 not in responses:
                    responses["422"] = HTTPStatus(422).name
