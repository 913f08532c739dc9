"""What the photo upload reads and answers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.schemas import StrictSchema
from backend.core.storage.links import photo_url
from backend.core.storage.services import KEY_PATTERN

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


class PhotoLinks(F.List):
    """Signed links to the photos whose keys a record holds (`attribute`), signed as they are
    shown: a stored key opens nothing by itself."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "metadata", {"description": "照片的签名链接，短时有效，无需令牌即可打开"}
        )
        super().__init__(F.String(), dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else [photo_url(key) for key in value]


class PhotoUploadSchema(StrictSchema):
    file = F.Raw(
        required=True,
        metadata={
            **BINARY,
            "description": "JPEG, PNG or WebP, at most MAX_PHOTO_BYTES (5 MiB by default) and "
            "MAX_PHOTO_PIXELS (50 MP); the type is read from the bytes, not from the part's "
            "Content-Type. Stored decoded and written anew: no EXIF, GPS or other metadata, "
            "turned upright, at most 4096 px a side",
        },
    )


class PhotoSchema(ma.Schema):
    key = F.String(
        metadata={"description": "Refer to the photo by this key (e.g. a ticket's `photos`)"}
    )
    content_type = F.String(metadata={"example": "image/jpeg"})
    size = F.Integer(metadata={"description": "Bytes, as stored (written anew)"})
    width = F.Integer(allow_none=True)
    height = F.Integer(allow_none=True)
    url = F.Function(
        lambda row: photo_url(row.key),
        metadata={
            "type": "string",
            "description": "A signed link that opens the photo without a token, for PHOTO_URL_TTL",
        },
    )


class PhotoLinkSchema(StrictSchema):
    """The signature part of a photo link, as the API shows it (never built by clients)."""

    expires = F.Integer(
        validate=validate.Range(min=0, max=2**40),
        metadata={"description": "Unix time the link stops working"},
    )
    signature = F.String(validate=validate.Length(max=100))
