"""What the ticket dashboards read and answer (definitions: backend/tickets/metrics.py)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.schemas import StrictSchema

F = ma.fields


class StatsQuerySchema(StrictSchema):
    start = F.Date(
        data_key="from",
        metadata={"description": "First local day counted (default: 1 January of `to`'s year)"},
    )
    end = F.Date(
        data_key="to",
        metadata={"description": "Last local day counted, included (default: today)"},
    )


class CommunityStatsQuerySchema(StatsQuerySchema):
    category = F.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "A category code: every figure counts that category only"},
    )


class PeriodSchema(ma.Schema):
    start = F.Date(data_key="from")
    end = F.Date(data_key="to", metadata={"description": "Included"})


class RateSchema(ma.Schema):
    numerator = F.Integer()
    denominator = F.Integer()
    percent = F.String(
        allow_none=True,
        metadata={
            "example": "86.67",
            "description": "numerator ÷ denominator × 100, two decimals; null when the "
            "denominator is 0",
        },
    )


class SettingsSchema(ma.Schema):
    response_rate_base = F.String(
        metadata={"description": "dispatched (default) or responded: the response rate's base"}
    )
    resolution_counts_unevaluated = F.Boolean(
        metadata={
            "description": "Whether tickets closed without evaluation join the "
            "resolution rate's denominator"
        }
    )


class CountedSchema(ma.Schema):
    dispatched = F.Integer(metadata={"description": "Dispatched in the period, not rejected"})
    response_rate = F.Nested(
        RateSchema, metadata={"description": "Contacted within the response deadline"}
    )
    resolution_rate = F.Nested(
        RateSchema, metadata={"description": "Confirmed fixed ÷ evaluated by the reporter"}
    )
    satisfaction_rate = F.Nested(RateSchema, metadata={"description": "Rated 4–5 ÷ rated"})
    reopen_rate = F.Nested(
        RateSchema, metadata={"description": "Reopened ÷ resolved at least once"}
    )
    overdue = F.Integer(metadata={"description": "Open and past a deadline, as of `as_of`"})
    open = F.Integer(metadata={"description": "Not yet resolved, as of `as_of`"})


class FiguresSchema(CountedSchema):
    median_resolve_hours = F.String(
        allow_none=True,
        metadata={"example": "30.50", "description": "Median hours from dispatch to resolution"},
    )


class CategoryFiguresSchema(FiguresSchema):
    category_id = F.Integer()
    category_code = F.String()
    category_name = F.String()


class HandlerFiguresSchema(FiguresSchema):
    organisation_id = F.Integer(
        allow_none=True,
        metadata={"description": "null: no handler yet (submitted, or accepted, not assigned)"},
    )
    organisation_name = F.String(allow_none=True)


class CommunityStatsSchema(ma.Schema):
    community_id = F.Integer()
    community_name = F.String()
    period = F.Nested(PeriodSchema)
    as_of = F.DateTime(metadata={"description": "When overdue and open tickets are counted"})
    scope = F.String(
        metadata={
            "description": "community: every ticket; own_organisations: property staff see "
            "the tickets of their own organisation(s) only"
        }
    )
    category = F.String(allow_none=True, metadata={"description": "The category asked for"})
    settings = F.Nested(SettingsSchema)
    totals = F.Nested(FiguresSchema)
    by_category = F.List(F.Nested(CategoryFiguresSchema))
    by_handler = F.List(F.Nested(HandlerFiguresSchema))


class RegionCommunitySchema(CountedSchema):
    community_id = F.Integer()
    community_name = F.String()


class RegionCategorySchema(CountedSchema):
    category_id = F.Integer()
    category_code = F.String()
    category_name = F.String()


class RegionStatsSchema(ma.Schema):
    region_id = F.Integer()
    region_name = F.String()
    period = F.Nested(PeriodSchema)
    as_of = F.DateTime()
    settings = F.Nested(SettingsSchema)
    totals = F.Nested(CountedSchema)
    by_community = F.List(F.Nested(RegionCommunitySchema))
    by_category = F.List(F.Nested(RegionCategorySchema))
