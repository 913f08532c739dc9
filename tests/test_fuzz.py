"""Every operation of the OpenAPI document, fuzzed with Schemathesis as a resident, a committee
member and an outsider (committee of another street's community): no answer may be a 5xx, and
every answer must keep the document's word (a documented status, its content type, a body of its
schema). Positive cases (valid by the document) and negative ones (invalid on purpose), and the
boundary values of every parameter and field (Schemathesis' coverage phase: 2**63, NUL, empty,
one past a maximum...).

Each operation and role runs on a fresh world (the conftest empties the tables after each test),
with the rows its route case in the permission table makes (tests/<domain>/route_cases.py): a
positive case is sent to those rows, so it reaches the rules rather than a 404; a negative case
keeps the ids and names it was given. The seed is fixed, so a run is repeatable; the number of
cases run is printed at the end.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi import checks

from backend.core.db import db
from tests.core.test_route_permissions import CASES
from tests.factories import url_values

SPEC = json.loads(
    (Path(__file__).resolve().parents[1] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)
# Generated cases per operation and role (positive and negative together), on top of the
# committee's boundary values. About 14,000 cases in all; measured on two shared cores, some 2.5
# minutes on SQLite and 3.5 on PostgreSQL (the suite's other tests take about 6 per engine).
MAX_EXAMPLES = 10
SEED = 16

# What an answer must keep. Not the headers: flask-smorest documents X-Pagination as an object
# in OpenAPI's `simple` header style, and sends it as JSON text.
CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _schema(*, boundaries: bool):
    config = {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        # Stateful links would chain operations across one world; each operation has its own.
        "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": boundaries}},
    }
    return schemathesis.openapi.from_dict(SPEC, config=schemathesis.Config.from_dict(config))


# The committee reaches every rule of its community: it gets the boundary values too. The
# resident and the outsider mostly meet the permission checks: the fuzzing phase only.
thorough = _schema(boundaries=True)
quick = _schema(boundaries=False)
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

# The route permission table's cases, by OpenAPI path: the rows each operation acts on.
ROUTE_CASES = {
    (method, re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule)): case
    for (method, rule), case in CASES.items()
}

sent = {"cases": 0}


@pytest.fixture(scope="module", autouse=True)
def _count_cases(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and sent["cases"]:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nfuzz: {sent['cases']} cases sent")


@pytest.fixture(params=("resident", "outsider"))
def other_role(request):
    return request.param


@pytest.fixture
def rows(app, world):
    """`rows(method, path)`: the URL values and query of the operation's rows, made at its first
    case (an operation's cases share them, as a client's requests share a database)."""
    made: dict = {}

    def values(method: str, path: str) -> dict:
        if not made:
            route = ROUTE_CASES.get((method, path))
            with app.app_context():
                made["url"] = url_values(world)
                if route is not None and route.params:
                    made["url"].update(route.params(world))
                if route is not None and route.extra.get("setup"):
                    route.extra["setup"](world)
                query = route.extra.get("query") if route is not None else None
                made["query"] = dict((query(world) if callable(query) else query) or {})
                db.session.commit()
            # A case with no query of its own rides its arguments on a URL value
            # ("json?jurisdiction_id=A", tests/tickets/cases_open311.py): they are the query.
            for name, value in made["url"].items():
                if isinstance(value, str) and "?" in value:
                    made["url"][name], _, arguments = value.partition("?")
                    made["query"].update(parse_qsl(arguments))
        return made

    return values


def _send(case, app, token: dict, made: dict) -> None:
    """Send the case to the operation's rows (unless it is negative there), and check the
    answer."""
    if case.meta is None or not case.meta.is_negative_at(ParameterLocation.PATH):
        for name in case.path_parameters or {}:
            if name in made["url"]:
                case.path_parameters[name] = made["url"][name]
    if case.query is not None and (
        case.meta is None or not case.meta.is_negative_at(ParameterLocation.QUERY)
    ):
        for name in case.query:
            if name in made["query"]:
                case.query[name] = made["query"][name]
    sent["cases"] += 1
    case.call_and_validate(app=app, headers=token, checks=CHECKS)


@thorough.parametrize()
@FUZZ_SETTINGS
def test_no_operation_fails_or_breaks_its_schema_for_the_committee(case, app, world, auth, rows):
    _send(case, app, auth(world.committee), rows(case.method.upper(), case.path))


@quick.parametrize()
@FUZZ_SETTINGS
def test_no_operation_fails_or_breaks_its_schema_for_others(
    case, app, world, auth, rows, other_role
):
    _send(case, app, auth(world.user_id(other_role)), rows(case.method.upper(), case.path))
