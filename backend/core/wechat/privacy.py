"""Personal data of the WeChat client: who the person is on WeChat, and the checks of their
photos. The session key is never exported: a credential of our server towards WeChat, it would
let whoever holds the export decrypt WeChat payloads as this person."""

from __future__ import annotations

import sqlalchemy as sa

from backend.core.privacy import Erasure, PersonalData, Treatment, delete_rows, rows_of, shown
from backend.core.wechat.models import MediaCheck, WechatIdentity


def _forget_photo_checks(erasure: Erasure) -> None:
    erasure.session.execute(
        sa.update(MediaCheck)
        .where(MediaCheck.author_user_id == erasure.user_id)
        .values(author_user_id=None)
    )


PERSONAL_DATA = [
    PersonalData(
        key="wechat_identities",
        models=(WechatIdentity,),
        # The same WeChat account may register again, as a new user.
        treatment=Treatment.DELETE,
        export=rows_of(WechatIdentity.user_id),
        field=shown(WechatIdentity, "appid openid unionid created_at"),
        forget=delete_rows(WechatIdentity.user_id),
    ),
    PersonalData(
        key="photo_checks",
        models=(MediaCheck,),
        treatment=Treatment.ANONYMISE,
        export=rows_of(MediaCheck.author_user_id),
        field=shown(MediaCheck, "url status created_at verdict_at"),
        forget=_forget_photo_checks,
        kept="照片审核结论随照片所在的需求或会议记录保留，不再关联到注销的账号",
    ),
]
