"""What the notifications API reads and writes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.notifications.models import OUTBOX_STATUSES, TEMPLATE_ID_LENGTH
from backend.core.schemas import StrictSchema, choice

F = ma.fields

# wx.requestSubscribeMessage takes at most 3 templates at a time; a phone may report a few
# answers together, never dozens.
MAX_TEMPLATES_PER_REPORT = 10


class NotificationSchema(ma.Schema):
    id = F.Integer()
    kind = F.String(metadata={"example": "membership_verified"})
    title = F.String()
    body = F.String()
    link = F.String(allow_none=True, metadata={"description": "Mini-program page to open"})
    community_id = F.Integer(allow_none=True)
    read = F.Function(lambda n: n.read_at is not None, metadata={"type": "boolean"})
    read_at = F.DateTime(allow_none=True)
    created_at = F.DateTime()


class InboxQuerySchema(StrictSchema):
    unread = F.Boolean(metadata={"description": "true: only unread; false: only read"})


class UnreadCountSchema(ma.Schema):
    unread = F.Integer()


class MarkedSchema(ma.Schema):
    marked = F.Integer(metadata={"description": "How many notifications were marked read"})


class SubscriptionReportSchema(StrictSchema):
    template_ids = F.List(
        F.String(
            validate=[
                validate.Length(min=1, max=TEMPLATE_ID_LENGTH),
                validate.Regexp(r"^[A-Za-z0-9_-]+$", error="not a template id."),
            ]
        ),
        required=True,
        validate=validate.Length(min=1, max=MAX_TEMPLATES_PER_REPORT),
        metadata={"description": "Templates the user accepted (answer `accept`)"},
    )


class SubscriptionCreditSchema(ma.Schema):
    template_id = F.String()
    credits = F.Integer(metadata={"description": "Messages of this template we may still send"})
    updated_at = F.DateTime()


class OutboxQuerySchema(StrictSchema):
    status = choice(OUTBOX_STATUSES)


class OutboxMessageSchema(ma.Schema):
    """Whether a message went out; its content stays out of this view."""

    id = F.Integer()
    user_id = F.Integer()
    notification_id = F.Integer(allow_none=True)
    template_id = F.String()
    page = F.String(allow_none=True)
    status = choice(OUTBOX_STATUSES)
    attempts = F.Integer()
    next_attempt_at = F.DateTime()
    last_error = F.String(allow_none=True, metadata={"example": "wechat_unavailable"})
    sent_at = F.DateTime(allow_none=True)
    created_at = F.DateTime()
