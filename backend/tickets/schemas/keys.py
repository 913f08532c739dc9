"""Open311 api keys: what the street sends to issue one, what comes back."""

from __future__ import annotations

import marshmallow as ma

from backend.core.schemas import StrictSchema, row_id, text

F = ma.fields


class Open311KeyIssueSchema(StrictSchema):
    organisation_id = row_id(
        required=True,
        metadata={"description": "运行对接系统的单位（如 12345 热线、职能部门）"},
    )
    label = text(100, required=True, metadata={"description": "用途说明，例如「区 12345 热线」"})


class Open311KeySchema(ma.Schema):
    id = F.Integer()
    region_id = F.Integer()
    organisation_id = F.Integer()
    organisation_name = F.String()
    label = F.String()
    created_by_id = F.Integer()
    created_at = F.AwareDateTime()
    revoked_at = F.AwareDateTime(allow_none=True)


class Open311IssuedKeySchema(Open311KeySchema):
    api_key = F.String(
        metadata={"description": "密钥本身，只在签发时显示这一次；系统只保存其 SHA-256"}
    )
