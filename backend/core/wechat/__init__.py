"""Our own client of the WeChat server API (requests-based); see `client.py`."""

from backend.core.wechat.client import WechatClient, WechatSession, wechat_client

__all__ = ["WechatClient", "WechatSession", "blueprints", "wechat_client"]


def blueprints():
    return []
