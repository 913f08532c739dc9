"""A fake WeChat server API on 127.0.0.1 that answers as the documentation says.

Like the real one it answers errors with HTTP 200, a JSON `errcode` and `errmsg`, and a
text/plain content type. What a `js_code` does is read from the code itself, so a test says what
it wants by the code it sends:

- `bad…` → 40029 invalid code        - `used…` → 40163 code been used
- `limit…` → 45011 frequency limit   - `risky…` → 40226 high-risk user
- `busy…` → -1 system busy, always   - `busyonce…` → -1 the first time, then success
- `slow…` → answers after `slow_seconds` (a timeout)
- anything else → success: openid `oid-<code>`; a code containing `+union` also gets a unionid.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ERRORS = {
    "bad": (40029, "invalid code"),
    "used": (40163, "code been used"),
    "limit": (45011, "api minute-quota reach limit"),
    "risky": (40226, "high risk user, please try again later"),
}


class FakeWechat:
    def __init__(self, appid: str, secret: str):
        self.appid = appid
        self.secret = secret
        self.slow_seconds = 2.0
        self.calls: list[tuple[str, dict]] = []
        self._seen: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWechat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.calls.clear()
        self._seen.clear()

    def calls_for(self, code: str) -> int:
        return sum(1 for path, query in self.calls if query.get("js_code") == code)

    def jscode2session(self, query: dict) -> dict:
        if query.get("appid") != self.appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = query.get("js_code", "")
        for prefix, (errcode, errmsg) in ERRORS.items():
            if code.startswith(prefix):
                return {"errcode": errcode, "errmsg": errmsg}
        if code.startswith("busyonce"):
            if code not in self._seen:
                self._seen.add(code)
                return {"errcode": -1, "errmsg": "system error"}
        elif code.startswith("busy"):
            return {"errcode": -1, "errmsg": "system error"}
        if code.startswith("slow"):
            time.sleep(self.slow_seconds)
        base = code.split("+")[0]
        body = {"openid": f"oid-{base}", "session_key": f"sk-{base}-secret"}
        if "+union" in code:
            body["unionid"] = f"uid-{base}"
        return body

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                parsed = urlparse(self.path)
                query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                fake.calls.append((parsed.path, query))
                if parsed.path == "/sns/jscode2session":
                    self._answer(fake.jscode2session(query))
                else:
                    self._answer({"errcode": 404, "errmsg": "unknown api"}, status=404)

            def _answer(self, body: dict, status: int = 200):
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        return Handler
