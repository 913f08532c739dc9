"""Our own client of the WeChat server API (requests-based); see `client.py`.

Also here: the text check every domain calls (`content.py`), photo checks (`media.py`),
subscribe-message data fitting (`templates.py`) and WeChat's message push (`routes.py`).
"""

from backend.core.wechat.client import (
    Scene,
    SubscriptionRefused,
    TemplateDataInvalid,
    WechatClient,
    WechatSession,
    wechat_client,
)

__all__ = [
    "Scene",
    "SubscriptionRefused",
    "TemplateDataInvalid",
    "WechatClient",
    "WechatSession",
    "blueprints",
    "wechat_client",
]


def blueprints():
    from backend.core.wechat.routes import blp

    return [blp]
