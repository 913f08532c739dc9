"""Interactive docs at /docs with Swagger UI assets served by us: many users' networks block CDNs."""

from __future__ import annotations

from http import HTTPStatus

from apispec import BasePlugin
from flask import Blueprint, Flask, send_from_directory
from flask_smorest import Blueprint as SmorestBlueprint
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

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


class BodyErrorsPlugin(BasePlugin):
    """Every operation that reads a body may also answer 400 (broken JSON) and 413 (too large),
    before any of our code runs; the document says so once, here, for all of them."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            for status in (400, 413):
                if status not in responses and str(status) not in responses:
                    responses[str(status)] = HTTPStatus(status).name
