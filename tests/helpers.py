"""Small helpers every domain's behaviour tests share: URLs, the error shape, pagination, writing
nothing. A domain's own helpers live beside its tests (tests/<domain>/helpers.py)."""

from __future__ import annotations

import io
import json
import re
from contextlib import contextmanager

API = "/api/v1"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def url(community_id: int, *parts) -> str:
    """`url(a, "buildings", 3)` -> /api/v1/communities/<a>/buildings/3"""
    return "/".join([f"{API}/communities/{community_id}", *map(str, parts)])


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape: {code, status, message, errors}, with a Chinese message."""
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"code", "status", "message", "errors"}
    assert (body["code"], body["status"]) == (code, status)
    assert CHINESE.search(body["message"]), body["message"]
    return body


def assert_ok(response, status: int = 200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def pagination(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def names(items) -> list[str]:
    return [item["name"] for item in items]


@contextmanager
def writes_nothing(counts):
    """Every table holds as many rows after the block as before it."""
    before = counts()
    yield
    assert counts() == before, "a refused request wrote something"


def csv_file(text: str, encoding: str = "utf-8") -> dict:
    """A multipart body with `text` encoded as the `file` field."""
    return {"file": (io.BytesIO(text.encode(encoding)), "register.csv")}


def photo(client, headers: dict, community_id: int) -> str:
    """Upload a small PNG as that user; its key."""
    from tests.core.storage.pictures import png

    response = client.post(
        url(community_id, "photos"),
        data={"file": (io.BytesIO(png()), "p.png", "image/png")},
        content_type="multipart/form-data",
        headers=headers,
    )
    return assert_ok(response, 201)["key"]
