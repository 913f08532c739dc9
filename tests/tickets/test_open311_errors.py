"""Every error under /open311/ in GeoReport v2's error list (`[{"code", "description"}]`, or
`<errors><error>…` for `.xml`), not only those the views raise: an unknown path or format, a
method not allowed, a body too large, bad text, a crash. And the OpenAPI document says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.tickets.open311 import services as open311
from tests.tickets.test_open311 import V2, filing, open311_error

SPEC = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_path_or_format_is_an_open311_404(client, world, fmt):
    open311_error(client.get(f"{V2}/nothing-here.{fmt}?jurisdiction_id=A"), 404, fmt)
    open311_error(client.get(f"/open311/v3/services.{fmt}"), 404, fmt)
    open311_error(client.get(f"{V2}/requests/99999999999999999999.{fmt}"), 404, fmt)
    open311_error(client.get(f"{V2}/services.yaml?jurisdiction_id=A"), 404, "json")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_method_open311_does_not_have_is_an_open311_405(client, world, fmt):
    open311_error(client.delete(f"{V2}/requests.{fmt}"), 405, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_body_too_large_is_an_open311_413(client, world, counts, fmt):
    before = counts()
    response = client.post(
        f"{V2}/requests.{fmt}",
        data={**filing(), "description": "长" * (3 * 1024 * 1024)},
        content_type="application/x-www-form-urlencoded",
    )
    open311_error(response, 413, fmt)
    assert counts() == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_text_no_database_can_keep_is_an_open311_400(client, world, counts, fmt):
    before = counts()
    description = open311_error(client.get(f"{V2}/services.{fmt}?jurisdiction_id=A%00"), 400, fmt)
    assert "jurisdiction_id" in description
    response = client.post(
        f"{V2}/requests.{fmt}", data=filing(description="灯\x00坏了"),
        content_type="application/x-www-form-urlencoded",
    )
    open311_error(response, 400, fmt)
    assert counts() == before


def test_a_crash_is_an_open311_500(client, world, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(open311, "list_services", crash)
    open311_error(client.get(f"{V2}/services.xml?jurisdiction_id=A"), 500, "xml")


def test_our_own_api_keeps_its_error_shape(client):
    body = client.get("/api/v1/nothing-here.xml").get_json()
    assert body["code"] == "not_found" and set(body) == {"code", "status", "message", "errors"}


def test_the_document_gives_every_open311_error_in_open311s_shape_json_and_xml():
    operations = [
        (f"{method} {path}", operation)
        for path, methods in SPEC["paths"].items() if path.startswith("/open311/")
        for method, operation in methods.items() if method != "parameters"
    ]
    assert operations
    for name, operation in operations:
        errors = {status: response for status, response in operation["responses"].items()
                  if status == "default" or status.startswith(("4", "5"))}
        assert "default" in errors, name
        for status, response in errors.items():
            content = response.get("content", {})
            assert set(content) == {"application/json", "text/xml"}, (name, status)
            assert content["application/json"]["schema"]["items"]["$ref"].endswith(
                "/Open311Error"), (name, status)
