"""What the photo upload reads and answers."""

from __future__ import annotations

import marshmallow as ma

from backend.core.schemas import StrictSchema
from backend.core.storage.services import photo_url

F = ma.fields

BINARY = {"type": "string", "format": "binary"}


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
