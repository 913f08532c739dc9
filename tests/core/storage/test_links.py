"""Reading photos by signed, short-lived links: the link opens the photo without a token (the
mini-program's <image>, WeChat's checker), and nothing else does."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from backend.core.storage import links
from backend.core.storage.links import photo_url
from backend.core.storage.services import check_storage_config
from tests.core.test_storage import JPEG, PNG
from tests.helpers import assert_error, assert_ok

HOUR = 3600
# A moment just past a rounding step of the default lifetime (a quarter hour).
START = 1_800_000_001


def parts(link: str) -> tuple[str, dict]:
    split = urlsplit(link)
    return split.path, {name: values[0] for name, values in parse_qs(split.query).items()}


def at(monkeypatch, moment: float) -> None:
    """The links' clock reads `moment`."""
    monkeypatch.setattr(links, "time", SimpleNamespace(time=lambda: moment))


@pytest.fixture
def link(app, world, upload):
    """The link the upload answered, for a JPEG of the world's resident."""
    return assert_ok(upload(world.resident, world.a, JPEG), 201)["url"]


def test_the_link_opens_the_photo_without_a_token(client, link):
    path, query = parts(link)
    assert path.startswith("/api/v1/photos/") and set(query) == {"expires", "signature"}
    response = client.get(link)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg" and response.data[:3] == b"\xff\xd8\xff"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Cached privately, never past the link's own life (an hour, up to a quarter more).
    directive, max_age = response.headers["Cache-Control"].split(", max-age=")
    assert directive == "private"
    assert abs(int(max_age) - (int(query["expires"]) - time.time())) <= 2
    assert HOUR - 5 <= int(max_age) <= HOUR * 5 // 4


def test_a_token_without_a_signature_opens_nothing(client, world, auth, link):
    path, _ = parts(link)
    for headers in ({}, auth(world.resident), auth(world.committee)):
        assert_error(client.get(path, headers=headers), 403, "photo_link_invalid")


def test_a_changed_link_is_refused(app, client, world, uploaded, link):
    path, query = parts(link)
    other = uploaded(world.resident, world.a)
    flipped = query["signature"][:-1] + ("A" if query["signature"][-1] != "A" else "B")
    for changed_path, changed in (
        (path, {**query, "signature": flipped}),
        (path, {**query, "expires": str(int(query["expires"]) + 3600)}),
        (f"/api/v1/photos/{other}", query),  # another photo under this photo's signature
        (path, {"expires": query["expires"]}),
        (path, {**query, "signature": "签名"}),
    ):
        response = client.get(f"{changed_path}?{urlencode(changed)}")
        assert_error(response, 403, "photo_link_invalid")


def test_a_link_of_another_secret_key_is_refused(app, client, link, monkeypatch):
    # The signing key is derived from SECRET_KEY: replacing it retires every link.
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-of-at-least-32-chars")
    assert_error(client.get(link), 403, "photo_link_invalid")


def test_an_expired_link_is_refused(app, client, world, uploaded, monkeypatch):
    key = uploaded(world.resident, world.a)
    now = time.time()
    at(monkeypatch, now - 2 * HOUR)
    with app.test_request_context():
        old = photo_url(key)
    at(monkeypatch, now)
    body = assert_error(client.get(old), 403, "photo_link_expired")
    assert "过期" in body["message"]


def test_a_link_works_until_its_expiry_and_not_after(app, client, world, uploaded, monkeypatch):
    key = uploaded(world.resident, world.a)
    with app.test_request_context():
        fresh = photo_url(key)
    expires = int(parts(fresh)[1]["expires"])
    at(monkeypatch, expires - 1)
    assert client.get(fresh).status_code == 200
    at(monkeypatch, expires)
    assert_error(client.get(fresh), 403, "photo_link_expired")


def test_links_signed_minutes_apart_are_the_same_so_phones_cache_them(app, monkeypatch):
    with app.test_request_context():
        at(monkeypatch, START)
        first = photo_url("a" * 32)
        at(monkeypatch, START + 600)
        assert photo_url("a" * 32) == first
        # Each lives at least its lifetime, at most a quarter more.
        expires = int(parts(first)[1]["expires"])
        assert START + HOUR <= expires <= START + HOUR * 5 // 4
        at(monkeypatch, START + HOUR)
        assert photo_url("a" * 32) != first


def test_the_lifetime_is_a_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_URL_TTL", timedelta(minutes=5))
    at(monkeypatch, START)
    with app.test_request_context():
        expires = int(parts(photo_url("a" * 32))[1]["expires"])
    assert START + 300 <= expires <= START + 375


def test_with_a_public_base_url_links_are_absolute(app, client, world, upload, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://gongzhi.example.cn")
    link = assert_ok(upload(world.resident, world.a, PNG), 201)["url"]
    assert link.startswith("https://gongzhi.example.cn/api/v1/photos/")
    assert client.get(link.removeprefix("https://gongzhi.example.cn")).status_code == 200


def test_a_signed_link_to_a_photo_we_no_longer_hold_is_not_found(
    app, client, world, uploaded, disk
):
    key = uploaded(world.resident, world.a)
    (disk / key[:2] / key[2:4] / key).unlink()
    with app.test_request_context():
        gone, unknown = photo_url(key), photo_url("0" * 32)
    assert_error(client.get(gone), 404, "photo_not_found")
    assert_error(client.get(unknown), 404, "photo_not_found")


def test_an_expiry_past_any_calendar_is_a_clear_422(client, link):
    path, query = parts(link)
    response = client.get(f"{path}?{urlencode({**query, 'expires': 2**63})}")
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("setting", "value", "env"),
    [
        ("PUBLIC_BASE_URL", "api.example.cn", "test"),
        ("PUBLIC_BASE_URL", "ftp://api.example.cn", "test"),
        ("PUBLIC_BASE_URL", "https://api.example.cn/?a=b", "test"),
        ("PUBLIC_BASE_URL", "http://api.example.cn", "production"),
        ("PHOTO_URL_TTL", timedelta(seconds=10), "test"),
        ("MAX_PHOTO_PIXELS", 0, "test"),
    ],
)
def test_settings_photos_cannot_work_with_stop_the_start(app, setting, value, env):
    config = {**app.config, "APP_ENV": env, setting: value}
    with pytest.raises(RuntimeError, match=setting):
        check_storage_config(SimpleNamespace(config=config))


def test_a_plain_http_base_url_is_fine_outside_production(app):
    config = {**app.config, "PUBLIC_BASE_URL": "http://127.0.0.1:5000"}
    check_storage_config(SimpleNamespace(config=config))
