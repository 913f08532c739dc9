"""What WeChat's message push sends us in the query string."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.schemas import StorableTextSchema, StrictSchema
from backend.core.wechat.media import media_link


def _param(max_length: int, **kwargs) -> ma.fields.String:
    # Missing means unsigned: 403 like a wrong signature, not a validation error.
    return ma.fields.String(load_default="", validate=validate.Length(max=max_length), **kwargs)


class SignedQuerySchema(StorableTextSchema):
    """WeChat's signature parameters. Other parameters are ignored rather than refused: WeChat
    adds some (openid) and a refusal would only make it push again."""

    class Meta:
        unknown = ma.EXCLUDE

    signature = _param(64, metadata={"description": "sha1 of the sorted token, timestamp, nonce"})
    timestamp = _param(20, metadata={"description": "Unix seconds; a few minutes old at most"})
    nonce = _param(64, metadata={"description": "Never accepted twice with another message"})


class PushQuerySchema(SignedQuerySchema):
    encrypt_type = _param(
        16, metadata={"description": "`aes` in safe mode (the body carries `Encrypt`)"}
    )
    msg_signature = _param(
        64, metadata={"description": "Safe mode: sha1 of the sorted token, timestamp, nonce, Encrypt"}
    )


class PushVerifyQuerySchema(SignedQuerySchema):
    echostr = _param(128, metadata={"description": "Echoed back when the request is signed"})


class MediaReviewQuerySchema(StrictSchema):
    status = ma.fields.String(
        load_default="manual_review",
        validate=validate.OneOf(["pending", "manual_review", "review", "pass", "risky"]),
    )


class MediaDecisionSchema(StrictSchema):
    verdict = ma.fields.String(
        required=True,
        validate=validate.OneOf(["pass", "risky"]),
        metadata={"description": "pass 通过（所有人可见）/ risky 违规（仅作者和审核人可见）"},
    )


class MediaCheckSchema(ma.Schema):
    id = ma.fields.Integer()
    owner_kind = ma.fields.String(metadata={"description": "照片所属：consultation_need、joint_meeting…"})
    owner_id = ma.fields.Integer()
    url = ma.fields.Function(
        media_link,
        metadata={"type": "string", "description": "打开照片的链接（本站照片为短时有效的签名链接）"},
    )
    status = ma.fields.String()
    created_at = ma.fields.DateTime()
    verdict_at = ma.fields.DateTime(allow_none=True)
