"""What the audit API reads and writes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.audit.models import RESULTS
from backend.core.schemas import StrictSchema, choice, text

F = ma.fields


class AuditQuerySchema(StrictSchema):
    action = text(64, metadata={"description": "e.g. membership.verify, auth.login_failed"})
    result = choice(RESULTS)
    actor_user_id = F.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class AuditEntrySchema(ma.Schema):
    chain = F.String(metadata={"description": "community:<id>, or system"})
    seq = F.Integer()
    at = F.DateTime()
    actor_user_id = F.Integer(allow_none=True)
    actor_role = F.String(allow_none=True, metadata={"description": "Comma-separated roles"})
    action = F.String()
    target_type = F.String()
    target_id = F.String(allow_none=True)
    result = F.String(metadata={"description": "ok, denied or failed"})
    request_id = F.String(allow_none=True)
    client_ip = F.String(allow_none=True)
    details = F.Dict()
    prev_hash = F.String()
    hash = F.String(metadata={"description": "sha256 over the entry's fields and prev_hash"})


class ChainHeadSchema(ma.Schema):
    chain = F.String()
    seq = F.Integer(metadata={"description": "Entries in the chain"})
    hash = F.String(metadata={"description": "Hash of the last entry: publish it"})
    updated_at = F.DateTime(allow_none=True)
