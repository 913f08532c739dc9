"""A small WeChat server-API client over `requests`.

WeChat answers most errors with HTTP 200 and a JSON `errcode`; the body may come as text/plain.
Each documented errcode is mapped to one of our errors so callers never see WeChat's numbers, and
the system-busy code (-1) is retried once before we give up with 503.

Calls that carry `?access_token=` go through `call()`: the token is shared by every process
through the database (`tokens.py`); a token WeChat calls invalid or expired is replaced and the
call retried once, never more.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum

import requests
from flask import current_app

from backend.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from backend.core.wechat.tokens import TokenStore

log = logging.getLogger(__name__)

SYSTEM_BUSY = -1
# invalid credential, invalid access_token, access_token expired
TOKEN_REJECTED = frozenset({40001, 40014, 42001})
# WeChat refuses a text check past this length; longer text is checked in pieces.
TEXT_CHECK_LIMIT = 2500
SUGGESTIONS = ("pass", "review", "risky")


class Scene(IntEnum):
    """Where user content appears, as the content-security API names it."""

    PROFILE = 1  # 资料
    COMMENT = 2  # 评论
    FORUM = 3  # 论坛
    SOCIAL_LOG = 4  # 社交日志


class SubscriptionRefused(Conflict):
    """The user declined the message or has no subscription credit left: do not retry."""

    code = "wechat_subscription_refused"
    message = "用户未订阅该消息或订阅次数已用完"


class TemplateDataInvalid(InvalidInput):
    """The template or its data breaks WeChat's rules: retrying the same message cannot help."""

    code = "wechat_template_data_invalid"
    message = "订阅消息的模板或内容不符合微信的要求"


class OpenidRefused(Conflict):
    """WeChat will not check content on behalf of this openid: the check cannot be asked now."""

    code = "wechat_openid_refused"
    message = "微信无法以该用户身份进行内容安全检测"


class OpenidInvalid(OpenidRefused):
    """40003: the openid is not one of our mini-program's users (another AppID's, or gone)."""

    code = "wechat_openid_invalid"
    message = "微信用户标识无效，无法进行内容安全检测"


class OpenidInactive(OpenidRefused):
    """61010: the user has not visited the mini-program recently (the content checks want an
    openid seen within the last two hours)."""

    code = "wechat_user_inactive"
    message = "用户近期未访问小程序，暂时无法进行内容安全检测"


def _code_invalid():
    return Unauthorized("微信登录凭证无效，请重新进入小程序", code="wechat_code_invalid")


def _code_used():
    return Unauthorized("微信登录凭证已被使用，请重新进入小程序", code="wechat_code_used")


def _rate_limited():
    return TooManyRequests("微信登录过于频繁，请稍后再试", code="wechat_rate_limited")


def _user_blocked():
    return Forbidden("微信判定该账号存在风险，暂时无法登录", code="wechat_user_blocked")


def _misconfigured():
    return ServiceUnavailable("微信服务配置有误，请联系管理员", code="wechat_misconfigured")


def _unavailable() -> DomainError:
    return ServiceUnavailable("微信服务暂时不可用，请稍后再试", code="wechat_unavailable")


Errors = Mapping[int, Callable[[], DomainError]]

# errcode -> our error, as the jscode2session documentation lists them.
ERRCODES: Errors = {
    40029: _code_invalid,
    40163: _code_used,
    45011: _rate_limited,
    40226: _user_blocked,
    40013: _misconfigured,
    40125: _misconfigured,
}

# stable_token: wrong AppID or secret, or our server's IP missing from the allow-list.
TOKEN_ERRCODES: Errors = {40013: _misconfigured, 40125: _misconfigured, 40164: _misconfigured}

SUBSCRIBE_ERRCODES: Errors = {
    43101: SubscriptionRefused,
    40003: lambda: SubscriptionRefused("该用户无法接收订阅消息", code="wechat_openid_invalid"),
    47003: TemplateDataInvalid,
    40037: lambda: TemplateDataInvalid("订阅消息模板不存在", code="wechat_template_invalid"),
    41030: lambda: TemplateDataInvalid("订阅消息跳转的页面不存在", code="wechat_page_invalid"),
}

# msg_sec_check and media_check_async, beyond the plumbing's codes.
CONTENT_CHECK_ERRCODES: Errors = {40003: OpenidInvalid, 61010: OpenidInactive}

PHONE_ERRCODES: Errors = {
    40029: lambda: InvalidInput(
        "手机号授权已失效，请重新授权", code="wechat_phone_code_invalid"
    ),
}


@dataclass(frozen=True)
class WechatSession:
    openid: str
    session_key: str
    unionid: str | None = None


class WechatClient:
    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        timeout: float = 5.0,
        *,
        miniprogram_state: str = "formal",
    ):
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.timeout = timeout
        self.miniprogram_state = miniprogram_state
        self.http = requests.Session()
        # A lease outlives one slow fetch, so a crashed holder blocks the others only briefly.
        self.tokens = TokenStore(appid, lease_seconds=2 * timeout + 5)

    # -- sign-in

    def code_to_session(self, code: str) -> WechatSession:
        """Exchange a `wx.login` code for the user's openid (jscode2session)."""
        body = self._get(
            "/sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self.secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        if not body.get("openid") or not body.get("session_key"):
            log.error("jscode2session answered without openid: %s", sorted(body))
            raise _unavailable()
        return WechatSession(
            openid=body["openid"], session_key=body["session_key"], unionid=body.get("unionid")
        )

    def phone_number(self, code: str, *, openid: str) -> str:
        """The phone number (without country code) the user `openid` shared through
        getPhoneNumber.

        WeChat checks that the code was issued to `openid` (a code taken from another user is
        refused like a bad one, 422), and we check that the answer's watermark names our AppID
        (422 `wechat_phone_wrong_app` otherwise).
        """
        body = self.call(
            "/wxa/business/getuserphonenumber",
            {"code": code, "openid": openid},
            errors=PHONE_ERRCODES,
        )
        phone_info = body.get("phone_info") or {}
        number = phone_info.get("purePhoneNumber")
        if not number:
            log.error("getuserphonenumber answered without a number")
            raise _unavailable()
        if (phone_info.get("watermark") or {}).get("appid") != self.appid:
            log.error("getuserphonenumber answered with another AppID's watermark")
            raise InvalidInput(
                "手机号授权不属于本小程序，请重新授权", code="wechat_phone_wrong_app"
            )
        return number

    # -- content security

    def check_text(self, content: str, *, openid: str, scene: int, title: str | None = None) -> str:
        """WeChat's verdict on a user's text: "pass", "review" or "risky".

        Text past WeChat's limit is checked piece by piece; the worst verdict counts. Raises
        OpenidInvalid or OpenidInactive when WeChat will not check for this openid,
        ServiceUnavailable when it cannot answer.
        """
        verdicts = []
        for start in range(0, max(len(content), 1), TEXT_CHECK_LIMIT):
            payload = {
                "content": content[start : start + TEXT_CHECK_LIMIT],
                "version": 2,
                "scene": int(Scene(scene)),
                "openid": openid,
            }
            if title and start == 0:
                payload["title"] = title
            body = self.call("/wxa/msg_sec_check", payload, errors=CONTENT_CHECK_ERRCODES)
            # v2 answers errcode 0 even for risky text: the verdict is in result.suggest.
            suggest = (body.get("result") or {}).get("suggest")
            if suggest not in SUGGESTIONS:
                log.error("msg_sec_check answered without a verdict")
                raise _unavailable()
            verdicts.append(suggest)
        return max(verdicts, key=SUGGESTIONS.index)

    def submit_media_check(self, url: str, *, openid: str, scene: int) -> str:
        """Ask WeChat to check an image; the verdict comes later by push. Returns the trace_id.
        Raises like check_text."""
        body = self.call(
            "/wxa/media_check_async",
            {
                "media_url": url,
                "media_type": 2,  # image
                "version": 2,
                "scene": int(Scene(scene)),
                "openid": openid,
            },
            errors=CONTENT_CHECK_ERRCODES,
        )
        if not body.get("trace_id"):
            log.error("media_check_async answered without trace_id")
            raise _unavailable()
        return body["trace_id"]

    # -- subscribe messages

    def send_subscribe_message(
        self, *, openid: str, template_id: str, data: dict[str, str], page: str | None
    ) -> None:
        """Send one subscribe message; `data` maps the template's keys to their values.

        Raises SubscriptionRefused (no credit, unknown user) and TemplateDataInvalid (template or
        data refused): neither is worth retrying. ServiceUnavailable is.
        """
        payload = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": self.miniprogram_state,
            "lang": "zh_CN",
        }
        if page:
            payload["page"] = page
        self.call("/cgi-bin/message/subscribe/send", payload, errors=SUBSCRIBE_ERRCODES)

    # -- the plumbing

    def access_token(self, *, rejected: str | None = None) -> str:
        """The AppID's access token, shared through the database (see tokens.py)."""
        return self.tokens.token(self._fetch_token, rejected=rejected)

    def call(self, path: str, payload: dict, *, errors: Errors | None = None) -> dict:
        """POST `payload` as JSON to an API taking `?access_token=`; the answer's body.

        A rejected token is replaced and the call retried once; so is system busy (-1). Other
        errcodes become the error `errors` maps them to, else ServiceUnavailable.
        """
        token = self.access_token()
        token_retried = busy_retried = False
        while True:
            body = self._request("POST", path, params={"access_token": token}, data=_json(payload))
            errcode = body.get("errcode") or 0
            if errcode in TOKEN_REJECTED and not token_retried:
                log.warning("WeChat %s refused the access token (%s), refreshing", path, errcode)
                token_retried = True
                token = self.access_token(rejected=token)
                continue
            if errcode == SYSTEM_BUSY and not busy_retried:
                log.warning("WeChat busy on %s, retrying once", path)
                busy_retried = True
                continue
            if errcode:
                log.warning("WeChat %s answered errcode %s", path, errcode)
                raise (errors or {}).get(errcode, _unavailable)()
            return body

    def _fetch_token(self, force_refresh: bool) -> tuple[str, int]:
        payload = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self.secret,
            "force_refresh": force_refresh,
        }
        for attempt in (1, 2):
            body = self._request("POST", "/cgi-bin/stable_token", data=_json(payload))
            errcode = body.get("errcode") or 0
            if errcode == SYSTEM_BUSY and attempt == 1:
                continue
            if errcode:
                log.warning("WeChat stable_token answered errcode %s", errcode)
                raise TOKEN_ERRCODES.get(errcode, _unavailable)()
            break
        token, expires_in = body.get("access_token"), body.get("expires_in")
        if not token or not isinstance(expires_in, int):
            log.error("stable_token answered without a token")
            raise _unavailable()
        return token, expires_in

    def _get(self, path: str, params: dict) -> dict:
        for attempt in (1, 2):
            body = self._request("GET", path, params=params)
            errcode = body.get("errcode") or 0
            if errcode == SYSTEM_BUSY and attempt == 1:
                log.warning("WeChat busy on %s, retrying once", path)
                continue
            if errcode:
                log.warning("WeChat %s answered errcode %s", path, errcode)
                raise ERRCODES.get(errcode, _unavailable)()
            return body
        raise _unavailable()  # pragma: no cover - the loop returns or raises

    def _request(self, method: str, path: str, **kwargs) -> dict:
        # Only the path is ever logged: the query carries the access token or the secret.
        if "data" in kwargs:
            kwargs["headers"] = {"Content-Type": "application/json; charset=utf-8"}
        try:
            response = self.http.request(
                method, self.base_url + path, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            log.warning("WeChat %s unreachable: %s", path, type(exc).__name__)
            raise _unavailable() from exc
        if response.status_code >= 500:
            raise _unavailable()
        try:
            body = json.loads(response.text)
        except ValueError as exc:
            raise _unavailable() from exc
        if not isinstance(body, dict):
            raise _unavailable()
        return body


def _json(payload: dict) -> bytes:
    # WeChat wants UTF-8 text, not \\u escapes, in what it checks and shows.
    return json.dumps(payload, ensure_ascii=False).encode()


def wechat_client() -> WechatClient:
    """The client configured for the current app (one per app, sharing its HTTP pool)."""
    client = current_app.extensions.get("gongzhi_wechat")
    if client is None:
        config = current_app.config
        client = WechatClient(
            config["WECHAT_API_BASE"],
            config["WECHAT_APPID"],
            config["WECHAT_SECRET"],
            config["WECHAT_TIMEOUT_SECONDS"],
            miniprogram_state=config["WECHAT_MINIPROGRAM_STATE"],
        )
        current_app.extensions["gongzhi_wechat"] = client
    return client
