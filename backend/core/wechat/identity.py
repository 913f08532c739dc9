"""Who a user is on WeChat: the openid WeChat's checks and messages are addressed to."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from backend.core.db import db
from backend.core.wechat.models import WechatIdentity


def wechat_openid(user_id: int) -> str | None:
    """The user's openid in our mini-program, or None (staff signed in with a password).

    WeChat's content checks are asked on behalf of an openid; without one they cannot be.
    """
    return db.session.scalar(
        sa.select(WechatIdentity.openid)
        .where(
            WechatIdentity.user_id == user_id,
            WechatIdentity.appid == current_app.config["WECHAT_APPID"],
        )
        .order_by(WechatIdentity.id)
        .limit(1)
    )
