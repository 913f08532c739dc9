"""What scoring reads and answers. A standard's document is checked by `standard.parse_standard`
(the same check as the shipped files), so its schema here only says it is an object."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.schemas import DecimalString, DocumentSchema, StrictSchema, choice, text
from backend.core.storage.schemas import PhotoLinks, photo_keys
from backend.scoring.evaluation import JUDGED

F = ma.fields

CODE = validate.Regexp(r"^[a-z0-9_.\-]{1,64}$")


def standard_code(**kwargs):
    kwargs.setdefault("metadata", {"example": "hlj_green_community"})
    return F.String(validate=CODE, **kwargs)


class AssessmentPeriodSchema(StrictSchema):
    year = F.Integer(
        validate=validate.Range(min=2000, max=2100),
        metadata={"description": "A calendar year (the default period: this year, local)"},
    )
    start = F.Date(data_key="from", metadata={"description": "Or: first local day, included"})
    end = F.Date(data_key="to", metadata={"description": "Or: last local day, included"})


class StandardQuerySchema(AssessmentPeriodSchema):
    standard = standard_code(
        metadata={"description": "A standard the community is assessed on (default: its first)"}
    )


class HistoryQuerySchema(StrictSchema):
    standard = standard_code()


class RunSchema(StandardQuerySchema):
    pass


class RegionRunSchema(AssessmentPeriodSchema):
    standard = standard_code(required=True)


class JudgementSchema(AssessmentPeriodSchema):
    status = choice(JUDGED, required=True, metadata={"description": "met, partly_met, not_met"})
    note = text(1000)
    photos = photo_keys(load_default=list)
    documents = F.List(
        F.Nested(DocumentSchema), validate=validate.Length(max=10), load_default=list
    )


class StandardUploadSchema(StrictSchema):
    document = F.Dict(
        required=True,
        metadata={
            "description": "The standard, in the shape of backend/scoring/standards/*.yaml "
            "(code, name, source, areas, items with evaluation); refused with every problem "
            "listed by field"
        },
    )


class StandardChoiceSchema(StrictSchema):
    standards = F.List(standard_code(), required=True, validate=validate.Length(min=1, max=10))


# ---------------------------------------------------------------- answers


class MetricSchema(ma.Schema):
    name = F.String()
    title = F.String()
    unit = F.String()
    definition = F.String()
    has_evidence = F.Boolean()


class StandardSummarySchema(ma.Schema):
    code = F.String()
    name = F.String()
    version = F.Integer()
    source = F.Dict(keys=F.String(), values=F.String())
    builtin = F.Boolean()
    region_id = F.Integer(allow_none=True)
    areas = F.Integer()
    items = F.Integer()
    max_points = DecimalString()
    passing_points = DecimalString()


class StandardDetailSchema(StandardSummarySchema):
    document = F.Dict()


class CommunityStandardsSchema(ma.Schema):
    community_id = F.Integer()
    chosen = F.Boolean(metadata={"description": "false: the shipped standards by default"})
    standards = F.List(F.Nested(StandardSummarySchema))


class AssessmentPeriodOutSchema(ma.Schema):
    start = F.Date()
    end = F.Date(metadata={"description": "Last local day, included"})


class CountsSchema(ma.Schema):
    points = DecimalString()
    max_points = DecimalString()
    items = F.Integer()
    met = F.Integer()
    partly_met = F.Integer()
    not_met = F.Integer()
    needs_assessment = F.Integer()


class TotalsSchema(CountsSchema):
    passing_points = DecimalString()
    meets_standard = F.Boolean()


class AreaTotalsSchema(CountsSchema):
    code = F.String()
    title = F.String()


class ItemSchema(ma.Schema):
    code = F.String()
    area = F.String()
    area_title = F.String()
    title = F.String()
    criterion = F.String()
    checked = F.String(allow_none=True)
    requirement = F.String(allow_none=True)
    responsible = F.List(F.String())
    status = F.String(metadata={"description": "met, partly_met, not_met, needs_assessment"})
    status_label = F.String()
    points = F.String()
    max_points = F.String()
    method = F.String(metadata={"description": "measured, facility, assessed, combined"})
    method_label = F.String()
    detail = F.Dict(
        metadata={
            "description": "What decided the status: a tree of measured / facility / assessed "
            "parts (all_of / any_of), each with its status, values, threshold, evidence "
            "({kind, id, label}) and a line in Chinese"
        }
    )


class StandardRefSchema(ma.Schema):
    code = F.String()
    name = F.String()
    version = F.Integer()
    source = F.Dict(keys=F.String(), values=F.String())


class ScorecardSchema(ma.Schema):
    id = F.Integer(allow_none=True, metadata={"description": "null for a preview"})
    community_id = F.Integer()
    community_name = F.String()
    standard = F.Nested(StandardRefSchema)
    period = F.Nested(AssessmentPeriodOutSchema)
    state = F.String(metadata={"description": "draft, final, or preview (not stored)"})
    state_label = F.String()
    computed_at = F.AwareDateTime(allow_none=True)
    finalised_at = F.AwareDateTime(allow_none=True)
    totals = F.Nested(TotalsSchema)
    areas = F.List(F.Nested(AreaTotalsSchema))
    items = F.List(F.Nested(ItemSchema))
    definitions = F.Dict(
        metadata={"description": "Each measurement read: title, unit and definition, as run"}
    )


class AssessmentSummarySchema(CountsSchema):
    id = F.Integer()
    standard_code = F.String()
    period = F.Nested(AssessmentPeriodOutSchema)
    state = F.String()
    state_label = F.String()
    computed_at = F.AwareDateTime()
    finalised_at = F.AwareDateTime(allow_none=True)
    meets_standard = F.Boolean()


class JudgementOutSchema(ma.Schema):
    standard = F.String()
    item = F.String()
    status = F.String()
    note = F.String(allow_none=True)
    photos = F.List(F.String(), metadata={"description": "照片的 key（评定时提交的）"})
    photo_urls = PhotoLinks(attribute="photos")
    documents = F.List(F.Nested(DocumentSchema))
    decided_by = F.String()
    decided_as = F.String(metadata={"description": "committee or street"})
    decided_at = F.String()
    draft_run_id = F.Integer()


class RegionRunOutSchema(ma.Schema):
    region_id = F.Integer()
    standard = F.String()
    period = F.Nested(AssessmentPeriodOutSchema)
    communities = F.Integer()
    meeting_standard = F.Integer()
    seconds = F.Float()


class RankedSchema(CountsSchema):
    rank = F.Integer()
    community_id = F.Integer()
    community_name = F.String()
    assessment_id = F.Integer()
    state = F.String()
    computed_at = F.AwareDateTime()
    meets_standard = F.Boolean()
    met_percent = DecimalString(allow_none=True)


class NotAssessedSchema(ma.Schema):
    community_id = F.Integer()
    community_name = F.String()


class RankingSchema(ma.Schema):
    region_id = F.Integer()
    region_name = F.String()
    standard = F.Nested(StandardSummarySchema)
    period = F.Nested(AssessmentPeriodOutSchema)
    communities = F.Integer(metadata={"description": "Communities assessed on the standard"})
    assessed = F.Integer()
    meeting_standard = F.Integer()
    coverage_percent = DecimalString(
        allow_none=True,
        metadata={"description": "meeting_standard ÷ communities × 100"},
    )
    ranking = F.List(F.Nested(RankedSchema))
    not_assessed = F.List(F.Nested(NotAssessedSchema))
