"""What the communities API reads and writes."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from backend.communities.models import FACILITY_KINDS, ORGANISATION_KINDS
from backend.core.schemas import (
    Area,
    StrictSchema,
    area,
    choice,
    ids,
    row_id,
    text,
    zone_name,
)
from backend.core.tenancy.models import REGION_LEVELS

F = ma.fields


class BuildingArea(Area):
    """A whole building's gross floor area (建筑面积): far larger than one home's."""

    MAX = Decimal("10000000")

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "metadata",
            {"example": "12000.00", "description": "Gross floor area (建筑面积) in m²"},
        )
        super().__init__(**kwargs)


class RegionSchema(ma.Schema):
    id = F.Integer(dump_only=True)
    code = F.String()
    name = F.String()
    level = F.String()
    parent_id = F.Integer(allow_none=True)


class RegionCreateSchema(StrictSchema):
    code = text(32, required=True)
    name = text(100, required=True)
    level = choice(REGION_LEVELS, required=True)
    parent_id = row_id(allow_none=True)


class RegionQuerySchema(StrictSchema):
    parent_id = row_id()
    level = choice(REGION_LEVELS)


class UnitSchema(ma.Schema):
    id = F.Integer()
    building_id = F.Integer()
    name = F.String()


class BuildingSchema(ma.Schema):
    id = F.Integer()
    community_id = F.Integer()
    name = F.String()
    floors = F.Integer(allow_none=True)
    built_year = F.Integer(allow_none=True)
    floor_area = BuildingArea(allow_none=True)
    units = F.List(F.Nested(UnitSchema))


class CommunitySchema(ma.Schema):
    id = F.Integer()
    code = F.String()
    name = F.String()
    region_id = F.Integer()
    street_name = F.String()
    timezone = F.String()
    address = F.String(allow_none=True)


class CommunityDetailSchema(CommunitySchema):
    buildings = F.List(F.Nested(BuildingSchema))


class CommunityQuerySchema(StrictSchema):
    q = text(50, metadata={"description": "Part of the community's or the street's name"})
    region_id = row_id()


class CommunityCreateSchema(StrictSchema):
    code = text(32, required=True)
    name = text(100, required=True)
    region_id = row_id(required=True)
    timezone = zone_name(load_default="Asia/Shanghai")
    address = text(255, allow_none=True)


class CommunityUpdateSchema(StrictSchema):
    name = text(100)
    timezone = zone_name()
    address = text(255, allow_none=True)


def _unit_names():
    return F.List(text(50), validate=validate.Length(max=50))


class BuildingCreateSchema(StrictSchema):
    name = text(50, required=True)
    floors = F.Integer(allow_none=True, validate=validate.Range(min=1, max=200))
    built_year = F.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))
    floor_area = BuildingArea(allow_none=True)
    unit_names = _unit_names()


class BuildingUpdateSchema(StrictSchema):
    name = text(50)
    floors = F.Integer(allow_none=True, validate=validate.Range(min=1, max=200))
    built_year = F.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))
    floor_area = BuildingArea(allow_none=True)


class UnitCreateSchema(StrictSchema):
    name = text(50, required=True)


class HouseholdSchema(ma.Schema):
    id = F.Integer()
    community_id = F.Integer()
    building_id = F.Integer()
    building_name = F.Function(lambda h: h.building.name)
    unit_id = F.Integer()
    unit_name = F.Function(lambda h: h.unit.name)
    room = F.String()
    exclusive_area = area(allow_none=True)
    owner_ref = F.String(allow_none=True)


class HouseholdCreateSchema(StrictSchema):
    unit_id = row_id(required=True)
    room = text(20, required=True)
    exclusive_area = area(allow_none=True)
    owner_ref = text(64, allow_none=True)


class HouseholdUpdateSchema(StrictSchema):
    unit_id = row_id()
    room = text(20)
    exclusive_area = area(allow_none=True)
    owner_ref = text(64, allow_none=True)


class HouseholdQuerySchema(StrictSchema):
    building_id = row_id()
    unit_id = row_id()
    room = text(20)
    owner_ref = text(64)


class HouseholdImportSchema(StrictSchema):
    file = F.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "CSV: 楼栋,单元,房号,面积,业主编号 (UTF-8 or GBK)",
        },
    )


class ImportSummarySchema(ma.Schema):
    rows = F.Integer()
    created = F.Integer()
    updated = F.Integer()
    buildings_created = F.Integer()
    units_created = F.Integer()


class GridSchema(ma.Schema):
    id = F.Integer()
    community_id = F.Integer()
    name = F.String()
    building_ids = F.Function(lambda grid: [building.id for building in grid.buildings])
    worker_user_ids = F.Function(lambda grid: grid.worker_ids)


class GridCreateSchema(StrictSchema):
    name = text(50, required=True)
    building_ids = ids(load_default=list)
    worker_user_ids = ids(load_default=list)


class GridUpdateSchema(StrictSchema):
    name = text(50)
    building_ids = ids()
    worker_user_ids = ids()


class FacilitySchema(ma.Schema):
    id = F.Integer()
    community_id = F.Integer()
    kind = F.String()
    kind_label = F.Function(lambda facility: FACILITY_KINDS.get(facility.kind, facility.kind))
    name = F.String()
    floor_area = area(allow_none=True)
    notes = F.String(allow_none=True)


class FacilityCreateSchema(StrictSchema):
    kind = choice(FACILITY_KINDS, required=True)
    name = text(100, required=True)
    floor_area = area(allow_none=True)
    notes = text(500, allow_none=True)


class FacilityUpdateSchema(StrictSchema):
    kind = choice(FACILITY_KINDS)
    name = text(100)
    floor_area = area(allow_none=True)
    notes = text(500, allow_none=True)


class FacilityQuerySchema(StrictSchema):
    kind = choice(FACILITY_KINDS)


class OrganisationSchema(ma.Schema):
    id = F.Integer()
    code = F.String()
    name = F.String()
    kind = F.String()


class OrganisationCreateSchema(StrictSchema):
    code = text(32, required=True)
    name = text(100, required=True)
    kind = choice(ORGANISATION_KINDS, required=True)


class OrganisationQuerySchema(StrictSchema):
    kind = choice(ORGANISATION_KINDS)
    q = text(50)


class ServiceAreaSchema(ma.Schema):
    organisation = F.Nested(OrganisationSchema)
    community_id = F.Integer()
    whole_community = F.Function(lambda area: not area.buildings)
    building_ids = F.Function(lambda area: [building.id for building in area.buildings])


class ServiceAreaSetSchema(StrictSchema):
    building_ids = ids(
        required=True,
        metadata={"description": "Buildings served; an empty list means the whole community"},
    )
