"""What the joint meetings API (联合议事会议) reads and writes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.schemas import StrictSchema, TrimmedString, photo_urls, row_id, text

F = ma.fields


def _minutes():
    # Minutes may be left blank (entered later); oversized text is refused, not cut.
    return TrimmedString(validate=validate.Length(max=5000))


class MeetingSchema(ma.Schema):
    id = F.Integer()
    community_id = F.Integer()
    consultation_id = F.Integer(allow_none=True)
    held_on = F.Date(metadata={"description": "The community's local date"})
    topic = F.String()
    attendees_count = F.Integer()
    minutes = F.String()
    photos = F.List(
        F.String(),
        attribute="visible_photos",
        metadata={
            "description": "The photos the caller may see: everyone sees those the "
            "WeChat check passed; the committee sees all"
        },
    )
    photos_awaiting_check = F.Integer(
        metadata={"description": "Photos not yet shown to everyone (check pending or refused)"}
    )
    recorded_by_id = F.Integer()
    created_at = F.DateTime()
    updated_at = F.DateTime()


class _MeetingInput(StrictSchema):
    @ma.validates("photos")
    def _photos_distinct(self, value: list[str], **kwargs) -> None:
        # Each photo gets its own check; the same one twice is a slip of the uploader.
        if len(set(value)) != len(value):
            raise ma.ValidationError("the same photo is listed twice.")


class MeetingCreateSchema(_MeetingInput):
    held_on = F.Date(required=True, metadata={"description": "Not after today (local date)"})
    topic = text(100, required=True)
    attendees_count = F.Integer(required=True, validate=validate.Range(min=1, max=10000))
    minutes = _minutes()
    photos = photo_urls()
    consultation_id = row_id(
        allow_none=True,
        metadata={"description": "The consultation of this community the meeting discussed"},
    )


class MeetingUpdateSchema(_MeetingInput):
    held_on = F.Date()
    topic = text(100)
    attendees_count = F.Integer(validate=validate.Range(min=1, max=10000))
    minutes = _minutes()
    photos = photo_urls()
    consultation_id = row_id(allow_none=True)


class MeetingQuerySchema(StrictSchema):
    year = F.Integer(
        validate=validate.Range(min=1900, max=2999),
        metadata={"description": "Meetings held in this calendar year"},
    )
    consultation_id = row_id()
