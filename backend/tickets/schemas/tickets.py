"""Tickets: what a reporter sends, the moves of the flow, what comes back."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import validate

from backend.core.schemas import DecimalString, StrictSchema, choice, row_id, text
from backend.core.storage.schemas import photo_keys
from backend.tickets.models import REJECT_REASONS, STATUSES

F = ma.fields


def _within(bound: int):
    # A plain validator, not Range: Range's bounds would be documented as strings for a
    # decimal-as-string field, which is not valid OpenAPI.
    def check(value) -> None:
        if not -bound <= value <= bound:
            raise ma.ValidationError(f"must be between -{bound} and {bound}.")

    return check


def latitude(**kwargs):
    return DecimalString(
        places=6,
        validate=_within(90),
        metadata={"example": "45.750000", "description": "纬度（WGS84），-90 到 90"},
        **kwargs,
    )


def longitude(**kwargs):
    return DecimalString(
        places=6,
        validate=_within(180),
        metadata={"example": "126.650000", "description": "经度（WGS84），-180 到 180"},
        **kwargs,
    )


def _calendar_moment(value) -> None:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ma.ValidationError("not a representable time.") from None


class OnBehalfSchema(StrictSchema):
    name = text(50)
    phone = F.String(validate=validate.Regexp(r"^\+?[0-9]{5,20}$"))


class ReportSchema(StrictSchema):
    category = text(
        32, required=True, metadata={"description": "问题类别代码，见 ticket-categories"}
    )
    description = text(2000, required=True)
    building_id = row_id()
    unit_id = row_id()
    lat = latitude()
    lng = longitude()
    location_consent = F.Boolean(
        load_default=False, metadata={"description": "同意提供精确位置（单独同意）"}
    )
    location_note = text(200)
    photos = photo_keys(load_default=list)
    urgent = F.Boolean(load_default=False, metadata={"description": "报告人认为紧急"})
    anonymous = F.Boolean(load_default=False, metadata={"description": "对处理单位和其他居民匿名"})
    private = F.Boolean(load_default=False, metadata={"description": "不向其他居民公开"})
    on_behalf = F.Nested(OnBehalfSchema, metadata={"description": "网格员代居民上报"})


class DuplicatesQuerySchema(StrictSchema):
    category = text(32, required=True)
    building_id = row_id()
    unit_id = row_id()
    lat = latitude()
    lng = longitude()


class TicketFilterSchema(StrictSchema):
    status = F.List(choice(STATUSES), validate=validate.Length(max=len(STATUSES)))
    category = F.List(text(32), validate=validate.Length(max=50))
    organisation_id = row_id()
    overdue = F.Boolean()
    mine = F.Boolean()


class TicketNoteSchema(StrictSchema):
    note = text(2000)


class AcceptSchema(TicketNoteSchema):
    organisation_id = row_id(metadata={"description": "同时派给该单位"})
    urgent = F.Boolean(load_default=False, metadata={"description": "确认紧急，适用紧急时限"})
    publish = F.Boolean(
        load_default=False,
        metadata={"description": "内容审核后向其他居民公开（报告人要求不公开的除外）"},
    )


class AssignSchema(TicketNoteSchema):
    organisation_id = row_id(required=True)


class RejectSchema(TicketNoteSchema):
    reason = choice(REJECT_REASONS, required=True)
    duplicate_of_id = row_id()


class TicketReasonSchema(StrictSchema):
    reason = text(500, required=True)


class StartSchema(TicketNoteSchema):
    photos = photo_keys(load_default=list)


class ResolveSchema(StrictSchema):
    reply = text(2000, required=True)
    after_photos = photo_keys(required=True, at_least=1)


class ExtensionRequestSchema(StrictSchema):
    until = F.AwareDateTime(required=True, default_timezone=None, validate=_calendar_moment)
    reason = text(500, required=True)


class ExtensionDecisionSchema(TicketNoteSchema):
    decision = choice(("approve", "reject"), required=True)


class ConfirmSchema(StrictSchema):
    rating = F.Integer(required=True, validate=validate.Range(min=1, max=5))
    fixed = F.Boolean(required=True)
    comment = text(500)


class TicketSchema(ma.Schema):
    """A ticket as the caller may see it (personal fields appear only for those who may)."""

    id = F.Integer()
    community_id = F.Integer()
    category = F.String()
    category_name = F.String()
    status = F.String(metadata={"enum": list(STATUSES)})
    status_name = F.String()
    description = F.String()
    building_id = F.Integer(allow_none=True)
    unit_id = F.Integer(allow_none=True)
    location_note = F.String(allow_none=True)
    lat = DecimalString(places=6, allow_none=True)
    lng = DecimalString(places=6, allow_none=True)
    photos = F.List(
        F.String(),
        metadata={
            "description": "Signed links to the reported photos the caller may see (all of them "
            "for the reporter and staff; for neighbours, those WeChat's check passed), each "
            "opening without a token for PHOTO_URL_TTL"
        },
    )
    public = F.Boolean()
    anonymous = F.Boolean()
    urgency_claimed = F.Boolean()
    deadline_class = F.String()
    channel = F.String()
    supporters = F.Integer()
    mine = F.Boolean()
    reporter_id = F.Integer(allow_none=True)
    reporter_name = F.String(allow_none=True)
    on_behalf_name = F.String(allow_none=True)
    on_behalf_phone = F.String(allow_none=True)
    handler_organisation_id = F.Integer(allow_none=True)
    handler_name = F.String(allow_none=True)
    created_at = F.AwareDateTime()
    dispatched_at = F.AwareDateTime(allow_none=True)
    response_due_at = F.AwareDateTime(allow_none=True)
    resolution_due_at = F.AwareDateTime(allow_none=True)
    responded_at = F.AwareDateTime(allow_none=True)
    resolved_at = F.AwareDateTime(allow_none=True)
    closed_at = F.AwareDateTime(allow_none=True)
    overdue = F.Boolean()
    reply = F.String(allow_none=True)
    after_photos = F.List(
        F.String(), metadata={"description": "Signed links to the handler's photos after the work"}
    )
    rating = F.Integer(allow_none=True)
    fixed = F.Boolean(allow_none=True)
    evaluation = F.String(allow_none=True)
    reopen_count = F.Integer()
    reject_reason = F.String(allow_none=True)
    reject_note = F.String(allow_none=True)
    duplicate_of_id = F.Integer(allow_none=True)
    extension_status = F.String(allow_none=True)
    extension_until = F.AwareDateTime(allow_none=True)
    extension_reason = F.String(allow_none=True)


class TicketEventSchema(ma.Schema):
    id = F.Integer()
    kind = F.String()
    actor_role = F.String(
        metadata={"description": "reporter / handler / committee / grid_worker / street / system"}
    )
    from_status = F.String(allow_none=True)
    to_status = F.String(allow_none=True)
    note = F.String(allow_none=True)
    photos = F.List(
        F.String(), attribute="shown_photos", metadata={"description": "Signed links"}
    )
    data = F.Dict()
    created_at = F.AwareDateTime()


class CategorySchema(ma.Schema):
    id = F.Integer()
    code = F.String()
    name = F.String()
    deadline_class = F.String()
    handler_kind = F.String()
    public = F.Boolean()
    enabled = F.Boolean()
    response_deadline = F.String(metadata={"description": "例如「2 小时」「1 个工作日」"})
    resolution_deadline = F.String()
    handler_organisation_id = F.Integer(allow_none=True)
    auto_dispatch = F.Boolean()


class CategorySettingSchema(StrictSchema):
    enabled = F.Boolean()
    response_amount = F.Integer(allow_none=True, validate=validate.Range(min=1, max=1000))
    response_unit = choice(("hours", "working_days"), allow_none=True)
    resolution_amount = F.Integer(allow_none=True, validate=validate.Range(min=1, max=1000))
    resolution_unit = choice(("hours", "working_days"), allow_none=True)
    handler_organisation_id = row_id(allow_none=True)
    auto_dispatch = F.Boolean()

    @ma.validates_schema
    def _pairs(self, data, **kwargs):
        for clock in ("response", "resolution"):
            amount, unit = data.get(f"{clock}_amount"), data.get(f"{clock}_unit")
            if (f"{clock}_amount" in data) != (f"{clock}_unit" in data) or (
                (amount is None) != (unit is None)
            ):
                raise ma.ValidationError("时限数值与单位须同时提供", field_name=f"{clock}_unit")
