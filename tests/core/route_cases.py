"""The app's own part of the route permission table: its documentation, public to everyone."""

from __future__ import annotations

from tests.permission_table import PUBLIC, SYSTEM, Case

CASES = {
    ("GET", "/openapi.json"): Case(PUBLIC, scope=SYSTEM),
    ("GET", "/docs"): Case(PUBLIC, scope=SYSTEM),
    ("GET", "/docs/assets/<path:filename>"): Case(
        PUBLIC, params=lambda w: {"filename": "swagger-ui.css"}, scope=SYSTEM
    ),
}
