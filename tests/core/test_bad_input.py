"""Bad input on every endpoint that takes a body or a query: a clear 4xx in the one error shape,
and nothing written. The operations are read from the OpenAPI document, so a new endpoint is
covered the day it is added."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import fill_url, url_values

SPEC = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)


def _schema(ref_or_schema: dict) -> dict:
    if "$ref" in ref_or_schema:
        return SPEC["components"]["schemas"][ref_or_schema["$ref"].rsplit("/", 1)[-1]]
    return ref_or_schema


def _operations(content_type: str):
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            content = operation.get("requestBody", {}).get("content", {})
            if content_type in content:
                yield method.upper(), path, _schema(content[content_type]["schema"])


JSON_OPERATIONS = sorted(_operations("application/json"), key=lambda op: (op[1], op[0]))
QUERY_OPERATIONS = sorted(
    (method.upper(), path, operation["parameters"])
    for path, operations in SPEC["paths"].items()
    for method, operation in operations.items()
    if method != "parameters"
    # Open311 answers in its own error list (tests/tickets/test_open311.py), not in ours.
    and not path.startswith("/open311/")
    and any(p["in"] == "query" and p["name"] not in ("page", "page_size")
            for p in operation.get("parameters", []))
)
IDS = [f"{method} {path}" for method, path, _ in JSON_OPERATIONS]


def wrong_value(prop: dict):
    """A value of the wrong JSON type for a property."""
    kind = prop.get("type")
    if prop.get("format") == "decimal":
        return "not-a-number"
    if kind == "array":
        return {"not": "a list"}
    if kind in ("integer", "number", "boolean"):
        return "not-a-number"
    if kind == "object":
        return ["not", "an", "object"]
    return 12345  # strings, decimals as strings


def valid_text(prop: dict) -> str:
    return "x" * prop.get("minLength", 1)


@pytest.fixture
def send(client, world, auth):
    headers = auth(world.system_admin)
    values = url_values(world)

    def call(method, path, **kwargs):
        return client.open(fill_url(path, values), method=method, headers=headers, **kwargs)

    return call


def assert_refused(response, status, before, counts):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["status"] == status
    assert body["code"].replace("_", "").isalpha() and body["code"].islower()
    assert any("\u4e00" <= char <= "\u9fff" for char in body["message"]), "message not Chinese"
    assert counts() == before, "a refused request wrote something"


@pytest.mark.parametrize(("method", "path", "schema"), JSON_OPERATIONS, ids=IDS)
def test_unknown_fields_are_refused(send, counts, method, path, schema):
    before = counts()
    response = send(method, path, json={"surprise_field": 1})
    assert_refused(response, 422, before, counts)
    assert "surprise_field" in response.json["errors"]["json"]


def _having(predicate):
    chosen = [op for op in JSON_OPERATIONS if predicate(op[2])]
    return {"argvalues": chosen, "ids": [f"{method} {path}" for method, path, _ in chosen]}


def _bounded_text(schema: dict) -> dict:
    return {
        name: prop for name, prop in schema.get("properties", {}).items()
        if prop.get("type") == "string" and "maxLength" in prop
    }


@pytest.mark.parametrize(("method", "path", "schema"), **_having(lambda s: s.get("required")))
def test_missing_required_fields_are_named(send, counts, method, path, schema):
    required = schema["required"]
    before = counts()
    response = send(method, path, json={})
    assert_refused(response, 422, before, counts)
    assert set(required) <= set(response.json["errors"]["json"])


@pytest.mark.parametrize(("method", "path", "schema"), JSON_OPERATIONS, ids=IDS)
def test_wrong_types_are_refused_field_by_field(send, counts, method, path, schema):
    properties = {
        name: prop for name, prop in schema.get("properties", {}).items()
        if not prop.get("readOnly")
    }
    before = counts()
    response = send(method, path, json={name: wrong_value(p) for name, p in properties.items()})
    assert_refused(response, 422, before, counts)
    assert set(properties) <= set(response.json["errors"]["json"])


@pytest.mark.parametrize(("method", "path", "schema"), **_having(_bounded_text))
def test_oversized_text_is_refused_not_cut(send, counts, method, path, schema):
    bounded = _bounded_text(schema)
    before = counts()
    response = send(method, path, json={n: "长" * (p["maxLength"] + 1) for n, p in bounded.items()})
    assert_refused(response, 422, before, counts)
    assert set(bounded) <= set(response.json["errors"]["json"])


@pytest.mark.parametrize(("method", "path", "schema"), JSON_OPERATIONS, ids=IDS)
def test_a_10_mb_body_is_413(send, counts, method, path, schema):
    before = counts()
    huge = json.dumps({"text": "x" * (10 * 1024 * 1024)})
    response = send(method, path, data=huge, content_type="application/json")
    assert_refused(response, 413, before, counts)
    assert response.json["code"] == "payload_too_large"


@pytest.mark.parametrize(("method", "path", "schema"), JSON_OPERATIONS, ids=IDS)
def test_broken_json_and_non_objects_are_refused(send, counts, method, path, schema):
    before = counts()
    broken = send(method, path, data="{not json", content_type="application/json")
    assert_refused(broken, 400, before, counts)
    a_list = send(method, path, json=["a", "list"])
    assert_refused(a_list, 422, before, counts)


@pytest.mark.parametrize(
    ("method", "path", "parameters"), QUERY_OPERATIONS,
    ids=[f"{m} {p}" for m, p, _ in QUERY_OPERATIONS],
)
def test_bad_query_parameters_are_refused(send, counts, method, path, parameters):
    query = {
        p["name"]: ("not-a-number" if p["schema"].get("type") == "integer" else "长" * 300)
        for p in parameters
        if p["in"] == "query" and p["name"] not in ("page", "page_size")
    }
    before = counts()
    response = send(method, path, query_string={**query, "unknown_filter": "1"})
    assert_refused(response, 422, before, counts)


def test_paging_parameters_are_checked(send, counts):
    before = counts()
    assert_refused(send("GET", "/api/v1/communities", query_string={"page": "x"}), 422,
                   before, counts)
    assert_refused(send("GET", "/api/v1/communities", query_string={"page_size": 100000}), 422,
                   before, counts)


def test_unknown_routes_and_methods_answer_in_the_error_shape(client, counts):
    before = counts()
    assert_refused(client.get("/api/v1/no-such-thing"), 404, before, counts)
    assert_refused(client.delete("/api/v1/communities"), 405, before, counts)


def test_ids_too_large_for_the_database_are_404_not_500(send, counts):
    before = counts()
    assert_refused(send("GET", "/api/v1/communities/99999999999999999999"), 404, before, counts)
    assert_refused(send("GET", "/api/v1/communities/2147483648"), 404, before, counts)
