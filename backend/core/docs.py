"""Interactive docs at /docs with Swagger UI assets served by us: many users' networks block CDNs."""

from __future__ import annotations

from http import HTTPStatus

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
