"""Consultations: designing one, running it, and what residents and staff read of it."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.consultations.models import (
    BALLOT_UNITS,
    ELECTORATES,
    MATTERS,
    METHODS,
    SCOPES,
    STATUSES,
)
from backend.core.schemas import DocumentSchema, StrictSchema, choice, ids, row_id, text

MAX_OPTIONS = 50


class OptionInputSchema(StrictSchema):
    label = text(100, required=True)
    description = ma.fields.String(validate=validate.Length(max=500), load_default="")
    # Put a need collected in the needs phase to the vote.
    need_id = row_id(allow_none=True)


class ConsultationDesignSchema(StrictSchema):
    """The fields a committee sets; which combinations make sense is checked by the service."""

    title = text(100)
    question = ma.fields.String(validate=validate.Length(max=2000))
    documents = ma.fields.List(ma.fields.Nested(DocumentSchema), validate=validate.Length(max=20))
    method = choice(METHODS, metadata={"description": "单选、多选、排序、分配积分或业主共同决定"})
    matter = ma.fields.Integer(
        validate=validate.OneOf(list(MATTERS)),
        allow_none=True,
        metadata={"description": "民法典第二百七十八条所列事项 1–9（仅业主共同决定）"},
    )
    min_choices = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_OPTIONS), allow_none=True)
    max_choices = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_OPTIONS), allow_none=True)
    points_budget = ma.fields.Integer(validate=validate.Range(min=1, max=1000), allow_none=True)
    scope = choice(SCOPES)
    building_ids = ids()
    unit_ids = ids()
    electorate = choice(ELECTORATES)
    ballot_per = choice(BALLOT_UNITS)
    allow_change = ma.fields.Boolean()
    live_results = ma.fields.Boolean()
    needs_opens_at = ma.fields.AwareDateTime(allow_none=True)
    needs_closes_at = ma.fields.AwareDateTime(allow_none=True)
    voting_opens_at = ma.fields.AwareDateTime()
    voting_closes_at = ma.fields.AwareDateTime()
    options = ma.fields.List(
        ma.fields.Nested(OptionInputSchema), validate=validate.Length(max=MAX_OPTIONS)
    )


class ConsultationCreateSchema(ConsultationDesignSchema):
    title = text(100, required=True)
    method = choice(METHODS, required=True)
    voting_opens_at = ma.fields.AwareDateTime(required=True)
    voting_closes_at = ma.fields.AwareDateTime(required=True)


class ConsultationQuerySchema(StrictSchema):
    status = choice(STATUSES)


class ConsultationReasonSchema(StrictSchema):
    reason = text(200, required=True)


class ExtendSchema(StrictSchema):
    closes_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "当前阶段新的截止时间"}
    )
    reason = text(200, required=True)


class OptionSchema(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String()
    description = ma.fields.String()
    need_id = ma.fields.Integer(allow_none=True)
    position = ma.fields.Integer()


class ConsultationSchema(ma.Schema):
    id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    title = ma.fields.String()
    question = ma.fields.String()
    documents = ma.fields.List(ma.fields.Nested(DocumentSchema))
    method = ma.fields.String()
    matter = ma.fields.Integer(allow_none=True)
    matter_title = ma.fields.Method("_matter_title")
    min_choices = ma.fields.Integer(allow_none=True)
    max_choices = ma.fields.Integer(allow_none=True)
    points_budget = ma.fields.Integer(allow_none=True)
    scope = ma.fields.String()
    building_ids = ma.fields.List(ma.fields.Integer())
    unit_ids = ma.fields.List(ma.fields.Integer())
    electorate = ma.fields.String()
    ballot_per = ma.fields.String()
    allow_change = ma.fields.Boolean()
    live_results = ma.fields.Boolean()
    needs_opens_at = ma.fields.DateTime(allow_none=True)
    needs_closes_at = ma.fields.DateTime(allow_none=True)
    voting_opens_at = ma.fields.DateTime()
    voting_closes_at = ma.fields.DateTime()
    status = ma.fields.String()
    status_reason = ma.fields.String(allow_none=True)
    voting_opened_at = ma.fields.DateTime(allow_none=True)
    closed_at = ma.fields.DateTime(allow_none=True)
    published_at = ma.fields.DateTime(allow_none=True)
    stalled_code = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "系统未能按时推进的原因（错误代码，如 household_area_missing），"
            "处理后自动清除",
        },
    )
    stalled_at = ma.fields.DateTime(allow_none=True)
    options = ma.fields.List(ma.fields.Nested(OptionSchema))
    created_at = ma.fields.DateTime()

    def _matter_title(self, consultation) -> str | None:
        return MATTERS.get(consultation.matter) if consultation.matter else None


class RatioSchema(ma.Schema):
    key = ma.fields.String(
        metadata={
            "description": "participation_area, participation_heads, approval_area or "
            "approval_heads"
        }
    )
    label = ma.fields.String()
    numerator = ma.fields.Raw(metadata={"description": "面积为字符串（两位小数），人数为整数"})
    denominator = ma.fields.Raw()
    unit = ma.fields.String()
    threshold = ma.fields.String(metadata={"example": "2/3"})
    comparator = ma.fields.String(
        metadata={"example": "≥", "description": "法律要求：≥（以上）或 >（过半数）"}
    )
    relation = ma.fields.String(
        metadata={"example": ">", "description": "精确比值与门槛的实际关系：<、= 或 >"}
    )
    met = ma.fields.Boolean()
    percent = ma.fields.String(metadata={"example": "68.58"})
    text = ma.fields.String()


class OwnersTotalsSchema(ma.Schema):
    """The roll and the ballots of an owners' decision, in area (m², strings) and heads."""

    total_area = ma.fields.String()
    total_heads = ma.fields.Integer()
    participating_area = ma.fields.String()
    participating_heads = ma.fields.Integer()
    area = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    heads = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class DecisionSchema(ma.Schema):
    """An owners' decision under Civil Code art. 278: passed or not, and why."""

    matter = ma.fields.Integer()
    matter_title = ma.fields.String()
    rule = ma.fields.String(
        metadata={"description": "special（双四分之三以上）或 ordinary（双过半数）"}
    )
    rule_label = ma.fields.String()
    passed = ma.fields.Boolean()
    ratios = ma.fields.List(ma.fields.Nested(RatioSchema))
    reasons = ma.fields.List(ma.fields.String())
    split_heads = ma.fields.Integer(
        metadata={"description": "名下各户意见不一致的业主人数：参与表决，不计入任何意见"}
    )
    totals = ma.fields.Nested(OwnersTotalsSchema)


class StandingSchema(ma.Schema):
    option_id = ma.fields.Integer()
    label = ma.fields.String()
    votes = ma.fields.Integer()
    score = ma.fields.Integer(metadata={"description": "票数、博尔达得分或所得积分"})
    first_preferences = ma.fields.Integer()
    place = ma.fields.Integer()
    share = ma.fields.String(metadata={"example": "41.67"})


class ResultSchema(ma.Schema):
    """The tally: `decision` for owners' decisions, `standings` for the other methods."""

    consultation_id = ma.fields.Integer()
    method = ma.fields.String()
    final = ma.fields.Boolean(metadata={"description": "投票已截止，结果不再变化"})
    computed_at = ma.fields.String(metadata={"format": "date-time"})
    ballots = ma.fields.Integer()
    eligible = ma.fields.Integer(metadata={"description": "名册上的户数（或每人一票时的居民数）"})
    decision = ma.fields.Nested(DecisionSchema, allow_none=True)
    standings = ma.fields.List(ma.fields.Nested(StandingSchema), allow_none=True)
    winners = ma.fields.List(ma.fields.Integer(), allow_none=True)
    ties = ma.fields.List(ma.fields.String(), allow_none=True)


class TurnoutBuildingSchema(ma.Schema):
    building_id = ma.fields.Integer()
    building_name = ma.fields.String()
    households = ma.fields.Integer()
    voted = ma.fields.Integer()


class TurnoutSchema(ma.Schema):
    """Who has taken part so far, never how anyone voted."""

    consultation_id = ma.fields.Integer()
    status = ma.fields.String()
    ballots = ma.fields.Integer()
    eligible = ma.fields.Integer()
    by_channel = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    heads_voted = ma.fields.Integer(allow_none=True)
    heads_total = ma.fields.Integer(allow_none=True)
    area_voted = ma.fields.String(allow_none=True)
    area_total = ma.fields.String(allow_none=True)
    by_building = ma.fields.List(ma.fields.Nested(TurnoutBuildingSchema))
