"""A fake WeChat server API on 127.0.0.1 that answers as the documentation says.

Like the real one it answers errors with HTTP 200, a JSON `errcode` and `errmsg`, and a
text/plain content type. A test says what it wants by what it sends:

jscode2session, by the `js_code`:
- `bad…` → 40029 invalid code        - `used…` → 40163 code been used
- `limit…` → 45011 frequency limit   - `risky…` → 40226 high-risk user
- `busy…` → -1 system busy, always   - `busyonce…` → -1 the first time, then success
- `slow…` → answers after `slow_seconds` (a timeout)
- anything else → success: openid `oid-<code>`; a code containing `+union` also gets a unionid.

APIs taking `?access_token=` (POST, JSON): an unknown token answers 40001, an expired one 42001;
`fail_next(errcode, times)` makes the next calls answer an errcode whatever they carry.
- stable_token: one live token at a time, like WeChat's stable token; `force_refresh` replaces it.
- msg_sec_check: content containing `RISKY` → risky, `REVIEW` → review, else pass.
- media_check_async: a trace_id; the request is kept in `media_checks` for the push that follows.
- both content checks, by the openid: `oid-away…` → 61010 (the user has not visited the
  mini-program in the last two hours); one not starting with `oid-` → 40003 invalid openid.
- subscribe/send: openid `oid-refuse…` → 43101, `oid-busy…` → -1; template `bad-template` →
  40037; a value breaking its field's rule → 47003; sent messages are kept in `sent`.
- getuserphonenumber: code `phone-<digits>` → that number; `bad…` → 40029. A code
  `phone-<digits>-for-<openid>` was issued to that user: sent with another `openid`, WeChat
  refuses it like a bad code (40029). A code ending `+otherapp` answers with another AppID's
  watermark. The `openid` sent is kept in `phone_openids`.
"""

from __future__ import annotations

import itertools
import json
import re
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

# Subscribe message field rules, as WeChat documents them (checked independently of our code).
FIELD_RULES = {
    "thing": re.compile(r"^.{1,20}$"),
    "phrase": re.compile(r"^[\u4e00-\u9fff]{1,5}$"),
    "name": re.compile(r"^(?:[\u4e00-\u9fff]{1,10}|[^\u4e00-\u9fff]{1,20})$"),
    "number": re.compile(r"^\d{1,32}(?:\.\d+)?$"),
    "letter": re.compile(r"^[A-Za-z]{1,32}$"),
    "character_string": re.compile(r"^[!-~]{1,32}$"),
    "time": re.compile(r"^[\d年月日:~ \-/.]{4,}$"),
    "date": re.compile(r"^\d{4}[\d年月日:~ \-/.]+$"),
    "amount": re.compile(r"^\D?\d{1,10}(?:\.\d+)?元?$"),
    "phone_number": re.compile(r"^[\d+\-()]{1,17}$"),
}


def field_valid(key: str, value: object) -> bool:
    if not isinstance(value, str) or re.search(r"[\x00-\x1f]", value):
        return False
    rule = FIELD_RULES.get(re.sub(r"\d+$", "", key))
    return rule is None or bool(rule.match(value))


class FakeWechat:
    def __init__(self, appid: str, secret: str):
        self.appid = appid
        self.secret = secret
        self.slow_seconds = 2.0
        self.token_lifetime = 7200
        self.token_delay = 0.0  # seconds stable_token takes to answer (races)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.reset()

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
        self.calls: list[tuple[str, dict]] = []
        self.posted: list[tuple[str, dict]] = []  # (path, JSON body) of every POST
        self._seen: set[str] = set()
        self.slow_seconds = 2.0
        self.token_delay = 0.0
        self.stable_token_calls: list[dict] = []
        self.live_token: str | None = None
        self.expired_tokens: set[str] = set()
        self._failures: list[int] = []
        self._numbers = itertools.count(1)
        self.media_checks: list[dict] = []
        self.sent: list[dict] = []
        self.phone_openids: list[str | None] = []

    def calls_for(self, code: str) -> int:
        return sum(1 for path, query in self.calls if query.get("js_code") == code)

    def calls_to(self, path: str) -> int:
        return sum(1 for called, _ in self.calls if called == path)

    # -- test controls

    def fail_next(self, errcode: int, times: int = 1) -> None:
        """The next `times` calls carrying an access token answer `errcode`."""
        self._failures.extend([errcode] * times)

    def expire_token(self) -> None:
        """The live token expires: calls with it answer 42001 until a new one is fetched."""
        if self.live_token:
            self.expired_tokens.add(self.live_token)
            self.live_token = None

    # -- the APIs

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

    def stable_token(self, query: dict, body: dict) -> dict:
        time.sleep(self.token_delay)
        with self._lock:
            self.stable_token_calls.append(body)
            if body.get("grant_type") != "client_credential":
                return {"errcode": 40002, "errmsg": "invalid grant_type"}
            if body.get("appid") != self.appid:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if body.get("secret") != self.secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            if body.get("force_refresh") or self.live_token is None:
                if self.live_token:
                    self.expired_tokens.add(self.live_token)
                self.live_token = f"token-{next(self._numbers)}"
            return {"access_token": self.live_token, "expires_in": self.token_lifetime}

    @staticmethod
    def _content_check_refusal(openid: str) -> dict | None:
        if not openid.startswith("oid-"):
            return {"errcode": 40003, "errmsg": "invalid openid"}
        if openid.startswith("oid-away"):
            return {"errcode": 61010, "errmsg": "code is expired"}
        return None

    def msg_sec_check(self, query: dict, body: dict) -> dict:
        content = body.get("content")
        if body.get("version") != 2 or not body.get("openid") or body.get("scene") not in (1, 2, 3, 4):
            return {"errcode": 47001, "errmsg": "data format error"}
        refusal = self._content_check_refusal(body["openid"])
        if refusal:
            return refusal
        if not isinstance(content, str) or len(content) > 2500:
            return {"errcode": 47001, "errmsg": "content too long"}
        suggest = "risky" if "RISKY" in content else "review" if "REVIEW" in content else "pass"
        label = {"pass": 100, "review": 20001, "risky": 20002}[suggest]
        return {
            "errcode": 0,
            "errmsg": "ok",
            "result": {"suggest": suggest, "label": label},
            "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
            "trace_id": f"text-trace-{next(self._numbers)}",
        }

    def media_check_async(self, query: dict, body: dict) -> dict:
        if body.get("version") != 2 or not body.get("openid") or body.get("media_type") != 2:
            return {"errcode": 47001, "errmsg": "data format error"}
        refusal = self._content_check_refusal(body["openid"])
        if refusal:
            return refusal
        trace_id = f"media-trace-{next(self._numbers)}"
        self.media_checks.append({**body, "trace_id": trace_id})
        return {"errcode": 0, "errmsg": "ok", "trace_id": trace_id}

    def subscribe_send(self, query: dict, body: dict) -> dict:
        openid = body.get("touser") or ""
        if openid.startswith("oid-refuse"):
            return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
        if openid.startswith("oid-busy"):
            return {"errcode": -1, "errmsg": "system error"}
        if not openid.startswith("oid-"):
            return {"errcode": 40003, "errmsg": "invalid openid"}
        if body.get("template_id") == "bad-template":
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        data = body.get("data")
        if not isinstance(data, dict) or not data or not all(
            isinstance(item, dict) and field_valid(key, item.get("value"))
            for key, item in data.items()
        ):
            return {"errcode": 47003, "errmsg": "argument invalid! data.value invalid"}
        self.sent.append(body)
        return {"errcode": 0, "errmsg": "ok"}

    def getuserphonenumber(self, query: dict, body: dict) -> dict:
        code, openid = body.get("code") or "", body.get("openid")
        self.phone_openids.append(openid)
        if not code.startswith("phone-"):
            return {"errcode": 40029, "errmsg": "invalid code"}
        number, other_app, _ = code.removeprefix("phone-").partition("+otherapp")
        number, _, issued_to = number.partition("-for-")
        if issued_to and openid is not None and openid != issued_to:
            return {"errcode": 40029, "errmsg": "invalid code"}
        appid = "wx-another-appid" if other_app else self.appid
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": f"+86 {number}",
                "purePhoneNumber": number,
                "countryCode": "86",
                "watermark": {"timestamp": int(time.time()), "appid": appid},
            },
        }

    def _token_refusal(self, query: dict) -> dict | None:
        """Why a call's access token is refused, or None when it is good."""
        with self._lock:
            if self._failures:
                errcode = self._failures.pop(0)
                return {"errcode": errcode, "errmsg": "injected failure"}
            token = query.get("access_token")
            if token and token in self.expired_tokens:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if not token or token != self.live_token:
                return {"errcode": 40001, "errmsg": "invalid credential"}
        return None

    # path -> (handler name, whether it takes ?access_token=)
    POST_ROUTES = {
        "/cgi-bin/stable_token": ("stable_token", False),
        "/wxa/msg_sec_check": ("msg_sec_check", True),
        "/wxa/media_check_async": ("media_check_async", True),
        "/cgi-bin/message/subscribe/send": ("subscribe_send", True),
        "/wxa/business/getuserphonenumber": ("getuserphonenumber", True),
    }

    def post(self, path: str, query: dict, raw: bytes) -> tuple[dict, int]:
        if path not in self.POST_ROUTES:
            return {"errcode": 404, "errmsg": "unknown api"}, 404
        name, needs_token = self.POST_ROUTES[path]
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return {"errcode": 47001, "errmsg": "data format error"}, 200
        self.posted.append((path, body))
        if needs_token:
            refusal = self._token_refusal(query)
            if refusal:
                return refusal, 200
        return getattr(self, name)(query, body), 200

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                path, query = self._parse()
                if path == "/sns/jscode2session":
                    self._answer(fake.jscode2session(query))
                else:
                    self._answer({"errcode": 404, "errmsg": "unknown api"}, status=404)

            def do_POST(self):  # noqa: N802 - the stdlib's name
                path, query = self._parse()
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body, status = fake.post(path, query, raw)
                self._answer(body, status=status)

            def _parse(self) -> tuple[str, dict]:
                parsed = urlparse(self.path)
                query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                fake.calls.append((parsed.path, query))
                return parsed.path, query

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
