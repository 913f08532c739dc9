"""Nothing personal in logs: tokens, phone numbers, session keys and API secrets are redacted
from every record, whichever logger wrote it (ours, werkzeug's, urllib3's)."""

from __future__ import annotations

import logging
import threading

import pytest
import requests
from werkzeug.serving import make_server

from backend.core.logging import RedactingFilter, redact

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXBhcnQ"
SECRETS = {
    "jwt": (f"token={JWT}", JWT),
    "bearer": ("Authorization: Bearer opaque-token-123", "opaque-token-123"),
    "bare bearer": ("sent Bearer 0paque.T0ken", "0paque.T0ken"),
    "mobile": ("user phone 13812345678 bound", "13812345678"),
    "mobile +86": ("call +86 13912345678", "13912345678"),
    "mobile +86 no space": ("call +8613912345678 now", "13912345678"),
    "session key json": ('{"openid": "oid-a", "session_key": "sk-a-secret"}', "sk-a-secret"),
    "session key repr": ("{'session_key': 'abc def'}", "abc def"),
    "session key bare": ("key tiihtNczf5v6AKRyjwEUhQ== used", "tiihtNczf5v6AKRyjwEUhQ=="),
    "fake session key": ("got sk-phone+union-secret", "sk-phone+union-secret"),
    "secret param": ("GET /sns/jscode2session?appid=wx&secret=s3cr3t&js_code=c0de", "s3cr3t"),
    "js_code param": ("GET /sns/jscode2session?appid=wx&secret=s3cr3t&js_code=c0de", "c0de"),
    "access_token param": ("POST /wxa/x?access_token=ACCESS-42 HTTP/1.1", "ACCESS-42"),
    "password json": ('{"username": "u", "password": "correct horse"}', "correct horse"),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_redact_removes_each_kind_of_secret(name):
    text, secret = SECRETS[name]
    redacted = redact(text)
    assert secret not in redacted
    assert "[redacted]" in redacted
    assert redact(redacted) == redacted


def test_redact_leaves_ordinary_text_alone():
    for text in (
        "phone_masked=138****0000 errcode=40029 user 42 community 13",
        "timestamp 1700000000123 took 12.5 ms",
        "GET /api/v1/communities?page=2&page_size=20",
    ):
        assert redact(text) == text


def test_records_of_any_logger_are_redacted_before_any_handler(app, caplog):
    caplog.set_level(logging.DEBUG)
    # A library's child logger: a filter on the root logger alone would not see it.
    library = logging.getLogger("some.library.connectionpool")
    for text, _secret in SECRETS.values():
        library.debug("request: %s", text)
    logging.getLogger("werkzeug").info("%s", f"GET /x?access_token={JWT}")
    app.logger.warning("phone %s", "13800000000")
    assert len(caplog.records) == len(SECRETS) + 2
    for _text, secret in SECRETS.values():
        assert secret not in caplog.text
        assert all(secret not in record.getMessage() for record in caplog.records)
    assert JWT not in caplog.text and "13800000000" not in caplog.text


def test_tracebacks_are_redacted(app, caplog):
    try:
        raise RuntimeError(f"failed GET /sns/jscode2session?secret=s3cr3t with {JWT}")
    except RuntimeError:
        logging.getLogger("backend.test").exception("unhandled")
    assert "RuntimeError" in caplog.text
    assert "s3cr3t" not in caplog.text and JWT not in caplog.text


def test_the_filter_redacts_records_made_without_the_factory(app):
    record = logging.makeLogRecord({"msg": "phone %s", "args": ("13800000000",)})
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "phone [redacted]"


def test_a_wechat_sign_in_at_debug_logs_no_secret(client, caplog, fake_wechat):
    caplog.set_level(logging.DEBUG)
    tokens = client.post("/api/v1/auth/wechat-login", json={"code": "logged"}).json
    assert "jscode2session" in caplog.text, "urllib3 logged no request line"
    for secret in ("wx-test-secret", "js_code=logged", "sk-logged-secret",
                   tokens["access_token"], tokens["refresh_token"]):
        assert secret not in caplog.text


def test_binding_a_phone_at_debug_logs_neither_the_number_nor_the_access_token(
    app, client, caplog, fake_wechat
):
    tokens = client.post("/api/v1/auth/wechat-login", json={"code": "phoned"}).json
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    client.post("/api/v1/me/consents", headers=headers,
                json={"kind": "privacy_notice", "version": app.config["PRIVACY_NOTICE_VERSION"]})
    caplog.set_level(logging.DEBUG)
    response = client.post("/api/v1/me/phone", json={"code": "phone-13812345678"},
                           headers=headers)
    assert response.status_code == 200
    assert "getuserphonenumber" in caplog.text, "urllib3 logged no request line"
    assert fake_wechat.live_token and fake_wechat.live_token not in caplog.text
    assert "13812345678" not in caplog.text
    assert "phone-13812345678" not in caplog.text


def test_werkzeug_request_lines_are_redacted(app, caplog):
    caplog.set_level(logging.DEBUG)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = requests.get(
            f"http://127.0.0.1:{server.server_port}/api/v1/me",
            params={"access_token": JWT, "phone": "13800000000"},
            headers={"Authorization": f"Bearer {JWT}"},
            timeout=5,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 401
    werkzeug_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/api/v1/me" in line for line in werkzeug_lines), werkzeug_lines
    assert JWT not in caplog.text
    assert "13800000000" not in caplog.text
