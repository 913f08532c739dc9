"""A small WeChat server-API client over `requests`.

WeChat answers most errors with HTTP 200 and a JSON `errcode`; the body may come as text/plain.
Each documented errcode is mapped to one of our errors so callers never see WeChat's numbers, and
the system-busy code (-1) is retried once before we give up with 503.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import requests
from flask import current_app

from backend.core.errors import (
    DomainError,
    Forbidden,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)

log = logging.getLogger(__name__)

SYSTEM_BUSY = -1


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


# errcode -> our error, as the jscode2session documentation lists them.
ERRCODES = {
    40029: _code_invalid,
    40163: _code_used,
    45011: _rate_limited,
    40226: _user_blocked,
    40013: _misconfigured,
    40125: _misconfigured,
}


def _unavailable() -> DomainError:
    return ServiceUnavailable("微信服务暂时不可用，请稍后再试", code="wechat_unavailable")


@dataclass(frozen=True)
class WechatSession:
    openid: str
    session_key: str
    unionid: str | None = None


class WechatClient:
    def __init__(self, base_url: str, appid: str, secret: str, timeout: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.timeout = timeout
        self.http = requests.Session()

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
        )
        current_app.extensions["gongzhi_wechat"] = client
    return client
