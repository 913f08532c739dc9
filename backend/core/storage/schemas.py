"""What the photo upload reads and answers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.schemas import StrictSchema
from backend.core.storage.services import KEY_PATTERN, photo_url

F = ma.fields

BINARY = {"type": "string", "format": "binary"}
# The most a WeChat image picker hands over at once.
MAX_PHOTOS = 9


def photo_keys(*, at_least: int = 0, **kwargs):
    """Keys of photos uploaded to `POST /communities/{id}/photos`, at most nine."""
    return F.List(
        F.String(validate=validate.Regexp(rf"^{KEY_PATTERN.pattern}$")),
        validate=validate.Length(min=at_least, max=MAX_PHOTOS),
        metadata={"description": "上传照片接口返回的 key，最多 9 张"},
        **kwargs,
    )


class PhotoUploadSchema(StrictSchema):
    file = F.Raw(
        required=True,
        metadata={
            **BINARY,
            "description": "JPEG, PNG or WebP, at most MAX_PHOTO_BYTES (5 MiB by default); "
            "the type is read from the bytes, not from the part's Content-Type",
        },
    )


class PhotoSchema(ma.Schema):
    key = F.String(
        metadata={"description": "Refer to the photo by this key (e.g. a ticket's `photos`)"}
    )
    content_type = F.String(metadata={"example": "image/jpeg"})
    size = F.Integer(metadata={"description": "Bytes"})
    width = F.Integer(allow_none=True)
    height = F.Integer(allow_none=True)
    url = F.Function(
        lambda row: photo_url(row.key),
        metadata={"type": "string", "description": "Where to read it (signed-in users)"},
    )
