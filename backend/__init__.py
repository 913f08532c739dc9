"""Gongzhi (共治): the backend of community co-governance.

`create_app` binds the extensions, then registers the domains from one explicit list.
"""

from __future__ import annotations

from importlib import import_module

from flask import Flask
from werkzeug.routing import IntegerConverter, UnicodeConverter

from backend import cli
from backend.config import load_config
from backend.core import bodies, docs, idempotency, ratelimit, request_context
from backend.core import logging as logging_setup
from backend.core.errors import register_error_handlers
from backend.core.schemas import MAX_ROW_ID, DecimalString
from backend.extensions import api, db, jwt
from backend.packages import PACKAGES


class DatabaseId(IntegerConverter):
    """`<int:...>` in URLs: an id past the database's integer range is simply not found (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(url_map, *args, **kwargs)


class PathText(UnicodeConverter):
    """`<name>` in URLs: a NUL (`%00`), which PostgreSQL's text cannot hold, matches no route
    (404) rather than reaching a query. (A lone surrogate cannot arrive: werkzeug decodes the
    path as UTF-8, replacing what does not decode.)"""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["default"] = app.url_map.converters["string"] = PathText
    app.config.update(load_config(overrides))
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db.init_app(app)
    jwt.init_app(app)
    api.init_app(app, spec_kwargs={"extra_plugins": [docs.RequestRulesPlugin()]})
    api.spec.options["security"] = [{"bearerAuth": []}]
    api.register_field(DecimalString, "string", "decimal")
    register_error_handlers(app)
    request_context.init_app(app)
    logging_setup.init_app(app)
    docs.init_app(app)

    for name in PACKAGES:
        package = import_module(f"backend.{name}")
        for blueprint in package.blueprints():
            api.register_blueprint(blueprint, url_prefix="/api/v1")
        # Standards with paths of their own (Open311 at /open311/v2) keep their blueprint's prefix.
        for blueprint in getattr(package, "root_blueprints", list)():
            api.register_blueprint(blueprint)
        if hasattr(package, "init_app"):
            package.init_app(app)
    # After the blueprints: the limits name endpoints. Limits first, so a flood is turned away
    # before it writes idempotency records; the body checks after the packages' hooks (the photo
    # upload's larger limit) and before idempotency reads the body.
    ratelimit.init_app(app)
    bodies.init_app(app)
    idempotency.init_app(app)

    cli.init_app(app)
    return app
