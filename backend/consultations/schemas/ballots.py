"""Ballots: what a voter sends, what the committee enters from paper, what comes back."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.consultations.models import DECISIONS
from backend.consultations.schemas.consultations import MAX_OPTIONS
from backend.core.schemas import Area, StrictSchema, choice, row_id, text


class PointsSchema(StrictSchema):
    option_id = row_id(required=True)
    points = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=1000))


class ChoiceSchema(StrictSchema):
    """One of: `decision` (owners' decisions), `option_ids` (single, multiple, and ranking in
    order of preference), `points` (points allocation)."""

    decision = choice(DECISIONS, metadata={"description": "agree 同意 / disagree 反对 / abstain 弃权"})
    option_ids = ma.fields.List(
        row_id(),
        validate=validate.Length(min=1, max=MAX_OPTIONS),
        metadata={"description": "所选选项；排序表决时按偏好从高到低排列"},
    )
    points = ma.fields.List(
        ma.fields.Nested(PointsSchema), validate=validate.Length(min=1, max=MAX_OPTIONS)
    )


class BallotInputSchema(ChoiceSchema):
    household_id = row_id(
        metadata={
            "description": "只为这一户投票（例如共有的房屋逐户表决）。不填时，本票计入您在"
            "表决名册中的每一户，每户各有回执码；每人一票的议事协商中，在多个房屋登记的居民"
            "须说明以哪一户参与"
        },
    )


class PaperBallotInputSchema(ChoiceSchema):
    household_id = row_id(required=True)
    channel = choice(("paper", "proxy"), required=True)
    proxy_name = text(50)
    paper_ref = text(200, required=True, metadata={"description": "书面表决票扫描件的编号或存放位置"})
    received_at = ma.fields.AwareDateTime(
        metadata={
            "description": "收到书面票的时间，默认为当前时间。表决截止后、结果公示前，"
            "可补录截止前收到的书面票，结果随之重新计算"
        }
    )

    @ma.validates_schema
    def _proxy_named(self, data, **kwargs):
        if data.get("channel") == "proxy" and not data.get("proxy_name"):
            raise ma.ValidationError("委托投票须填写代理人姓名", field_name="proxy_name")


class VoidSchema(StrictSchema):
    reason = text(200, required=True)


class MarkSchema(ma.Schema):
    option_id = ma.fields.Integer()
    rank = ma.fields.Integer(allow_none=True)
    points = ma.fields.Integer(allow_none=True)


class BallotSchema(ma.Schema):
    id = ma.fields.Integer()
    consultation_id = ma.fields.Integer()
    household_id = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String()
    proxy_name = ma.fields.String(allow_none=True)
    decision = ma.fields.String(allow_none=True)
    marks = ma.fields.List(ma.fields.Nested(MarkSchema))
    revision = ma.fields.Integer()
    cast_at = ma.fields.DateTime()
    receipt_hash = ma.fields.String(metadata={"description": "回执码的 SHA-256，可在计票清单中核对"})


class CoveredHouseholdSchema(ma.Schema):
    household_id = ma.fields.Integer(allow_none=True)
    id = ma.fields.Integer(metadata={"description": "该户表决票的编号"})
    revision = ma.fields.Integer()
    receipt = ma.fields.String(metadata={"description": "该户的回执码，只显示这一次"})
    receipt_hash = ma.fields.String()


class CastBallotSchema(BallotSchema):
    """The ballot just cast; an owner of several households casts for each at once, and
    `covered` lists them (the other fields are the first one's)."""

    receipt = ma.fields.String(
        metadata={"description": "回执码，只显示这一次：请保存，截止后可在计票清单中核对"}
    )
    covered = ma.fields.List(
        ma.fields.Nested(CoveredHouseholdSchema),
        metadata={"description": "本次投票计入的每一户及其表决票、回执码"},
    )


class BulletinQuerySchema(StrictSchema):
    receipt = text(32, metadata={"description": "按回执码查找（不区分大小写和连字符）"})


class BulletinEntrySchema(ma.Schema):
    """One counted ballot. An owners' decision is recounted from the entries and the result's
    roll totals: area per decision is the sum of `area`; an entry without `owner_group` is one
    owner by head, and the entries sharing an `owner_group` are one owner together, counted
    under a decision only when all of them chose it (but taking part either way)."""

    receipt_hash = ma.fields.String()
    decision = ma.fields.String(allow_none=True)
    marks = ma.fields.List(ma.fields.Nested(MarkSchema))
    area = Area(
        allow_none=True,
        metadata={"description": "业主共同决定：该票计入的专有部分面积（m²）；其他表决为空"},
    )
    owner_group = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "业主共同决定：同一业主名下多户的票共用的标识（其中最小的回执哈希），"
            "按人数计票时合计为一人；单户业主为空"
        },
    )
