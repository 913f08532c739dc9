"""Every route of the app, called by every role and by staff of another community.

The table is the specification of who may call what, kept in parts beside each domain's tests
(`tests/<domain>/route_cases.py`, vocabulary in tests/permission_table.py) and collected here. A
route that is not in it fails the test, so every new route must declare its callers. Each case
runs on a fresh world, so a success is a real success (the status the route promises), and a
denial wrote nothing.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest

from tests.factories import fill_url, url_values
from tests.permission_table import ACTORS, COMMUNITY, REGION, SCOPES, Case

TESTS = Path(__file__).parents[1]


def _collect() -> dict[tuple[str, str], Case]:
    cases: dict[tuple[str, str], Case] = {}
    for path in sorted(TESTS.rglob("route_cases.py")):
        module = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
        part = import_module(module).CASES
        twice = set(cases) & set(part)
        assert not twice, f"{module} declares routes another part declares: {sorted(twice)}"
        cases.update(part)
    return cases


CASES = _collect()


def _route_methods(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_route_declares_its_callers(app):
    routes = set(_route_methods(app))
    assert routes - set(CASES) == set(), "routes missing from the permission table"
    assert set(CASES) - routes == set(), "permission table names routes that do not exist"


def test_every_case_says_where_its_action_applies():
    """Community routes are community actions, a region's routes region actions: the table
    describes region and system actions as such."""
    for (method, rule), case in CASES.items():
        assert case.scope in SCOPES, (method, rule)
        if rule.startswith("/api/v1/communities/<int:community_id>"):
            assert case.scope == COMMUNITY, (method, rule)
        if rule.startswith("/api/v1/regions/<int:region_id>"):
            assert case.scope == REGION, (method, rule)


def _expected(case: Case, actor: str) -> int:
    if actor in case.allowed:
        return case.status
    if actor == "anonymous":
        return 401
    if case.denied is not None:  # it does not exist for everyone else
        return case.denied
    if case.allowed == frozenset():  # refresh with an access token
        return 401
    if case.scope == COMMUNITY and actor == "outsider":
        return 404
    return 403


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_actor(app, client, world, auth, counts, route, actor):
    method, rule = route
    case = CASES[route]
    with app.app_context():
        values = url_values(world)
        values.update(case.params(world) if case.params else {})
        if case.extra.get("setup"):
            case.extra["setup"](world)
        body = case.body(world) if callable(case.body) else case.body
        query = case.extra.get("query")
        query = query(world) if callable(query) else query
        headers = {} if actor == "anonymous" else auth(world.user_id(actor))
    url = fill_url(rule, values)
    before = counts()
    kwargs = {"headers": headers}
    if case.files:
        kwargs["data"] = case.files()
        kwargs["content_type"] = "multipart/form-data"
    elif body is not None:
        kwargs["json"] = body
    if query:
        kwargs["query_string"] = query
    response = client.open(url, method=method, **kwargs)
    expected = _expected(case, actor)
    assert response.status_code == expected, (actor, response.status_code, response.get_json())
    if expected >= 400:
        assert set(response.json) == {"code", "status", "message", "errors"}
        assert response.json["status"] == expected
        if method != "GET" and rule != "/api/v1/auth/logout":
            assert counts() == before, "a refused request wrote something"
