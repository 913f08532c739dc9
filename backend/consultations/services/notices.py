"""What residents are told about a consultation: opened, reminder, result, cancelled.

Each notice goes to the inbox and, when the subscribe template is configured, to WeChat; it joins
the caller's transaction, so a notice exists exactly when the fact it reports was committed.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from backend.consultations.models import Consultation
from backend.core.notifications.services import WechatMessage, notify
from backend.core.tenancy.models import Community


def local_time(moment: datetime, community: Community) -> str:
    """`2026-11-28 18:00` in the community's time zone, as residents read a deadline."""
    return moment.astimezone(ZoneInfo(community.timezone)).strftime("%Y-%m-%d %H:%M")


def link_to(consultation: Consultation) -> str:
    return f"/pages/consultations/detail?id={consultation.id}"


def tell(
    user_ids,
    *,
    consultation: Consultation,
    community: Community,
    kind: str,
    title: str,
    body: str,
    deadline: datetime | None = None,
    note: str = "",
) -> None:
    template_id = current_app.config.get("WECHAT_TEMPLATE_CONSULTATION")
    wechat = None
    if template_id:
        data = {"thing1": consultation.title, "thing3": note or title}
        if deadline is not None:
            data["time2"] = local_time(deadline, community)
        wechat = WechatMessage(template_id=template_id, data=data)
    notify(
        user_ids=user_ids,
        kind=kind,
        title=title,
        body=body,
        community_id=community.id,
        link=link_to(consultation),
        wechat=wechat,
    )
