"""What the accounts API reads and writes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.accounts.models import CONSENT_KINDS, MEMBERSHIP_STATUSES, RESIDENT_RELATIONS
from backend.accounts.services.memberships import STAFF_ROLES
from backend.core import privacy
from backend.core.schemas import StrictSchema, choice, ids, row_id, text

F = ma.fields


class WechatLoginSchema(StrictSchema):
    code = text(128, required=True, metadata={"description": "The code from wx.login()"})


class PasswordLoginSchema(StrictSchema):
    username = text(64, required=True)
    password = F.String(required=True, validate=validate.Length(min=1, max=128))


class DevLoginSchema(StrictSchema):
    username = text(64, required=True)


class TokenSchema(ma.Schema):
    access_token = F.String()
    refresh_token = F.String()
    token_type = F.String()
    expires_in = F.Integer(metadata={"description": "Seconds the access token stays valid"})
    user_id = F.Function(lambda pair: pair.user.id)
    created = F.Boolean(metadata={"description": "True on a user's first WeChat sign-in"})


class CommunityRefSchema(ma.Schema):
    id = F.Integer()
    code = F.String()
    name = F.String()


class HouseholdRefSchema(ma.Schema):
    id = F.Integer()
    building = F.Function(lambda h: h.building.name)
    unit = F.Function(lambda h: h.unit.name)
    room = F.String()


class MembershipSchema(ma.Schema):
    id = F.Integer()
    user_id = F.Integer()
    user_display_name = F.Function(lambda m: m.user.display_name)
    role = F.String()
    status = F.String()
    relation = F.String(allow_none=True)
    community_id = F.Integer(allow_none=True)
    region_id = F.Integer(allow_none=True)
    organisation_id = F.Integer(allow_none=True)
    household_id = F.Integer(allow_none=True)
    decision_reason = F.String(allow_none=True)
    decided_at = F.DateTime(allow_none=True)
    verified_by_invitation = F.Boolean()
    created_at = F.DateTime()


class MyMembershipSchema(MembershipSchema):
    community = F.Nested(CommunityRefSchema, allow_none=True)
    household = F.Nested(HouseholdRefSchema, allow_none=True)


class MeSchema(ma.Schema):
    id = F.Integer()
    username = F.String(allow_none=True)
    display_name = F.String()
    is_system_admin = F.Boolean()
    is_auditor = F.Boolean()
    memberships = F.List(F.Nested(MyMembershipSchema))
    roles = F.Dict(
        keys=F.String(),
        values=F.List(F.String()),
        metadata={"description": "Verified roles by community id"},
    )
    administered_region_ids = F.List(
        F.Integer(), metadata={"description": "Regions the user oversees as street_admin"}
    )
    phone_masked = F.String(
        allow_none=True, metadata={"description": "The bound phone number, masked: 138****0000"}
    )


class ClaimSchema(StrictSchema):
    building = text(50, required=True, metadata={"example": "3号楼"})
    unit = text(50, required=True, metadata={"example": "2单元"})
    room = text(20, required=True, metadata={"example": "301"})
    relation = choice(RESIDENT_RELATIONS, required=True)
    invitation_code = text(32, metadata={"description": "From the committee's letter"})


class MembershipQuerySchema(StrictSchema):
    status = choice(MEMBERSHIP_STATUSES)
    relation = choice(RESIDENT_RELATIONS)
    building_id = row_id()


class ReasonSchema(StrictSchema):
    reason = text(200, required=True)


class InvitationRequestSchema(StrictSchema):
    household_ids = ids(metadata={"description": "Households to invite"})
    building_id = row_id(metadata={"description": "Or every household of it"})

    @ma.validates_schema
    def one_target(self, data, **kwargs):
        if not data.get("household_ids") and data.get("building_id") is None:
            raise ma.ValidationError("give household_ids or building_id", "household_ids")


class InvitationSchema(ma.Schema):
    household_id = F.Function(lambda pair: pair[0].id)
    building = F.Function(lambda pair: pair[0].building.name)
    unit = F.Function(lambda pair: pair[0].unit.name)
    room = F.Function(lambda pair: pair[0].room)
    code = F.Function(lambda pair: pair[1])


class StaffQuerySchema(StrictSchema):
    role = choice([str(role) for role in STAFF_ROLES])
    status = choice(("verified", "revoked", "all"), load_default="verified")


class StaffGrantSchema(StrictSchema):
    username = text(64, required=True)
    role = choice([str(role) for role in STAFF_ROLES], required=True)
    display_name = text(64)
    password = F.String(
        validate=validate.Length(min=8, max=128),
        metadata={"description": "Only to create a new staff account"},
    )


# -- personal data: consents, phone, export, erasure


class ConsentGrantSchema(StrictSchema):
    kind = choice(CONSENT_KINDS, required=True)
    version = text(
        32,
        metadata={
            "description": "The privacy notice version the user read; required for "
            "privacy_notice and must be the current one",
            "example": "2026-11",
        },
    )


class ConsentSchema(ma.Schema):
    id = F.Integer()
    kind = F.String()
    label = F.Function(lambda consent: CONSENT_KINDS[consent.kind])
    version = F.String()
    granted_at = F.DateTime()
    withdrawn_at = F.DateTime(allow_none=True)


class ConsentStateSchema(ma.Schema):
    kind = F.String()
    label = F.String()
    granted = F.Boolean()
    version = F.String(allow_none=True)
    granted_at = F.DateTime(allow_none=True)


class ConsentsSchema(ma.Schema):
    notice_version = F.String(metadata={"description": "The privacy notice in force"})
    notice_accepted_is_current = F.Boolean(
        metadata={"description": "False: show the new privacy notice and ask again"}
    )
    consents = F.List(F.Nested(ConsentStateSchema))


class PhoneBindSchema(StrictSchema):
    code = text(128, required=True, metadata={"description": "The code of getPhoneNumber"})


class PhoneSchema(ma.Schema):
    bound = F.Boolean()
    phone_masked = F.String(allow_none=True, metadata={"example": "138****0000"})


class EraseSchema(StrictSchema):
    confirm = F.Boolean(
        required=True,
        validate=validate.Equal(True, error="must be true to erase the account."),
        metadata={"description": "Must be true: erasure cannot be undone"},
    )


class ExportProfileSchema(ma.Schema):
    id = F.Integer()
    username = F.String(allow_none=True)
    display_name = F.String()
    phone = F.String(
        allow_none=True,
        metadata={"description": "In full: the export is the one place it is not masked"},
    )
    is_system_admin = F.Boolean()
    created_at = F.DateTime()
    last_login_at = F.DateTime(allow_none=True)


class ExportSignInSchema(ma.Schema):
    signed_in_at = F.DateTime()
    last_refreshed_at = F.DateTime()
    expires_at = F.DateTime()
    ended_at = F.DateTime(allow_none=True, metadata={"description": "Signed out or revoked"})


def export_schema() -> type[ma.Schema]:
    """Everything we hold about the caller: when, under which notice, and each package's piece
    (backend/core/privacy.py). Never in it: the WeChat session key and tokens."""
    fields = {
        "exported_at": F.DateTime(),
        "privacy_notice_version": F.String(),
        **privacy.export_fields(),
    }
    doc = "Everything we hold about the caller. Never in it: the WeChat session key and tokens."
    return type("ExportSchema", (ma.Schema,), {"__doc__": doc, **fields})

