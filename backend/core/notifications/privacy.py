"""Personal data of notifications: the person's inbox, the subscribe messages they allow, and
the messages queued or sent to them on WeChat."""

from __future__ import annotations

import marshmallow as ma

from backend.core.notifications.models import Notification, OutboxMessage, SubscriptionCredit
from backend.core.privacy import PersonalData, Treatment, delete_rows, records, rows_of

F = ma.fields


class ExportNotificationSchema(ma.Schema):
    id = F.Integer()
    community_id = F.Integer(allow_none=True)
    kind = F.String()
    title = F.String()
    body = F.String()
    link = F.String(allow_none=True)
    read_at = F.DateTime(allow_none=True)
    created_at = F.DateTime()


class ExportSubscriptionSchema(ma.Schema):
    template_id = F.String()
    credits = F.Integer(metadata={"description": "Subscribe messages the user still allows"})
    updated_at = F.DateTime()


PERSONAL_DATA = [
    PersonalData(
        key="notifications",
        models=(Notification,),
        treatment=Treatment.DELETE,
        export=rows_of(Notification.user_id),
        field=F.List(F.Nested(ExportNotificationSchema)),
        forget=delete_rows(Notification.user_id),
    ),
    PersonalData(
        key="subscriptions",
        models=(SubscriptionCredit,),
        treatment=Treatment.DELETE,
        export=rows_of(SubscriptionCredit.user_id),
        field=F.List(F.Nested(ExportSubscriptionSchema)),
        forget=delete_rows(SubscriptionCredit.user_id),
    ),
    # Forgotten before the inbox it may point at (registrations are forgotten last first).
    PersonalData(
        key="wechat_messages",
        models=(OutboxMessage,),
        treatment=Treatment.DELETE,
        export=rows_of(OutboxMessage.user_id),
        field=records(
            "ExportWechatMessage",
            template_id=F.String(),
            page=F.String(allow_none=True),
            data=F.Dict(),
            status=F.String(),
            created_at=F.DateTime(),
            sent_at=F.DateTime(allow_none=True),
        ),
        forget=delete_rows(OutboxMessage.user_id),
    ),
]
