"""Personal data of notifications: the person's inbox, the subscribe messages they allow, and
the messages queued or sent to them on WeChat."""

from __future__ import annotations

import marshmallow as ma

from backend.core.notifications.models import Notification, OutboxMessage, SubscriptionCredit
from backend.core.privacy import PersonalData, Treatment, delete_rows, rows_of, shown

F = ma.fields


PERSONAL_DATA = [
    PersonalData(
        key="notifications",
        models=(Notification,),
        treatment=Treatment.DELETE,
        export=rows_of(Notification.user_id),
        field=shown(Notification, "id community_id kind title body link read_at created_at"),
        forget=delete_rows(Notification.user_id),
    ),
    PersonalData(
        key="subscriptions",
        models=(SubscriptionCredit,),
        treatment=Treatment.DELETE,
        export=rows_of(SubscriptionCredit.user_id),
        field=shown(
            SubscriptionCredit,
            "template_id credits updated_at",
            credits=F.Integer(metadata={"description": "Subscribe messages the user still allows"}),
        ),
        forget=delete_rows(SubscriptionCredit.user_id),
    ),
    # Forgotten before the inbox it may point at (registrations are forgotten last first).
    PersonalData(
        key="wechat_messages",
        models=(OutboxMessage,),
        treatment=Treatment.DELETE,
        export=rows_of(OutboxMessage.user_id),
        field=shown(
            OutboxMessage, "template_id page data status created_at sent_at", data=F.Dict()
        ),
        forget=delete_rows(OutboxMessage.user_id),
    ),
]
