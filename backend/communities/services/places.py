"""Regions, communities, buildings and units."""

from __future__ import annotations

import sqlalchemy as sa

from backend.communities.models import (
    Building,
    Household,
    Unit,
)
from backend.communities.permissions import policy
from backend.communities.services.common import (
    apply_changes,
    delete_unreferenced,
    flush_unique,
)
from backend.core.auth import Actor
from backend.core.db import transaction
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.tenancy.models import REGION_LEVELS, Community, Region
from backend.core.tenancy.scoping import region_or_404, scoped_or_404


def list_regions(*, actor: Actor, filters: dict) -> sa.Select:
    """The region tree, one level at a time (`parent_id`), or by level."""
    query = sa.select(Region).order_by(Region.code)
    if "parent_id" in filters:
        query = query.where(Region.parent_id == filters["parent_id"])
    if filters.get("level"):
        query = query.where(Region.level == filters["level"])
    return query


def create_region(*, actor: Actor, data: dict) -> Region:
    """System admins build the tree: a street under a district under a city under a province.

    Outcomes: the region; 403 unless system admin; 404 parent_not_found; 422 region_level
    when the level does not sit right below the parent's; 409 region_code_taken.
    """
    policy.require_system(actor, "region.create")
    with transaction() as tx:
        parent = None
        if data.get("parent_id") is not None:
            parent = tx.get(Region, data["parent_id"])
            if parent is None:
                raise NotFound("未找到上级区域", code="parent_not_found")
        if parent and parent.level == REGION_LEVELS[-1]:
            raise InvalidInput("街道下不能再设区域", code="region_level")
        expected = REGION_LEVELS[REGION_LEVELS.index(parent.level) + 1] if parent else "province"
        if data["level"] != expected:
            raise InvalidInput(f"该位置的区域层级应为 {expected}", code="region_level")
        region = Region(code=data["code"], name=data["name"], level=data["level"], parent=parent)
        tx.add(region)
        flush_unique("区域编码已存在", "region_code_taken")
        region.path = f"{parent.path if parent else '/'}{region.id}/"
        return region


def list_communities(*, actor: Actor, filters: dict) -> sa.Select:
    """Communities to find one's home: search by community or street name, or by region."""
    query = sa.select(Community).join(Community.region).order_by(Community.code)
    if filters.get("q"):
        q = filters["q"]
        query = query.where(
            sa.or_(
                Community.name.icontains(q, autoescape=True),
                Region.name.icontains(q, autoescape=True),
            )
        )
    if filters.get("region_id") is not None:
        region = region_or_404(filters["region_id"])
        query = query.where(Region.path.startswith(region.path))
    return query


def get_community(*, actor: Actor, community_id: int) -> Community:
    """One community, public to every signed-in user (its buildings come with it)."""
    community = policy.community(actor, "community.view", community_id)
    return community


def create_community(*, actor: Actor, data: dict) -> Community:
    """A system admin, or the street admin above it, registers a community under a street.

    Outcomes: the community; 404 region_not_found; 422 not_a_street; 403 outside one's region;
    409 community_code_taken.
    """
    with transaction() as tx:
        region = policy.region(actor, "community.create", data["region_id"])
        if region.level != "street":
            raise InvalidInput("社区必须隶属于街道", code="not_a_street")
        community = Community(region=region, **{k: v for k, v in data.items() if k != "region_id"})
        tx.add(community)
        flush_unique("社区编码已存在", "community_code_taken")
        return community


def update_community(*, actor: Actor, community_id: int, changes: dict) -> Community:
    """The committee corrects its community's name, address or time zone."""
    with transaction():
        community = policy.community(actor, "community.edit", community_id)
        apply_changes(community, changes)
        return community


def list_buildings(*, actor: Actor, community_id: int) -> sa.Select:
    community = policy.community(actor, "community.view", community_id)
    return (
        sa.select(Building)
        .where(Building.community_id == community.id)
        .order_by(sa.func.length(Building.name), Building.name)
    )


def get_building(*, actor: Actor, community_id: int, building_id: int) -> Building:
    community = policy.community(actor, "community.view", community_id)
    return scoped_or_404(Building, building_id, community)


def create_building(*, actor: Actor, community_id: int, data: dict) -> Building:
    """Add a building, optionally with its units by name. 409 building_name_taken."""
    with transaction() as tx:
        community = policy.community(actor, "community.manage_places", community_id)
        unit_names = data.pop("unit_names", None) or []
        if len(set(unit_names)) != len(unit_names):
            raise InvalidInput("单元名称重复", code="unit_name_duplicate")
        building = Building(community_id=community.id, **data)
        building.units = [Unit(community_id=community.id, name=name) for name in unit_names]
        tx.add(building)
        flush_unique("该楼栋名称已存在", "building_name_taken")
        return building


def update_building(*, actor: Actor, community_id: int, building_id: int, changes: dict):
    with transaction():
        community = policy.community(actor, "community.manage_places", community_id)
        building = scoped_or_404(Building, building_id, community)
        apply_changes(building, changes)
        flush_unique("该楼栋名称已存在", "building_name_taken")
        return building


def delete_building(*, actor: Actor, community_id: int, building_id: int) -> None:
    """Remove a building entered by mistake, with its units. 409 building_not_empty while
    households remain; 409 building_in_use naming what else still points at it (grids, service
    areas, consultations, tickets)."""
    with transaction() as tx:
        community = policy.community(actor, "community.manage_places", community_id)
        building = scoped_or_404(Building, building_id, community)
        if tx.scalar(sa.select(Household.id).where(Household.building_id == building.id).limit(1)):
            raise Conflict("楼栋下仍有房屋，不能删除", code="building_not_empty")
        delete_unreferenced(building, what="该楼栋", code="building_in_use")


def create_unit(*, actor: Actor, community_id: int, building_id: int, data: dict) -> Unit:
    with transaction() as tx:
        community = policy.community(actor, "community.manage_places", community_id)
        building = scoped_or_404(Building, building_id, community)
        unit = Unit(community_id=community.id, building_id=building.id, name=data["name"])
        tx.add(unit)
        flush_unique("该单元名称已存在", "unit_name_taken")
        return unit


def update_unit(*, actor: Actor, community_id: int, unit_id: int, changes: dict) -> Unit:
    with transaction():
        community = policy.community(actor, "community.manage_places", community_id)
        unit = scoped_or_404(Unit, unit_id, community)
        apply_changes(unit, changes)
        flush_unique("该单元名称已存在", "unit_name_taken")
        return unit


def delete_unit(*, actor: Actor, community_id: int, unit_id: int) -> None:
    """409 unit_not_empty while households remain; 409 unit_in_use naming what else still points
    at it (consultations, tickets)."""
    with transaction() as tx:
        community = policy.community(actor, "community.manage_places", community_id)
        unit = scoped_or_404(Unit, unit_id, community)
        if tx.scalar(sa.select(Household.id).where(Household.unit_id == unit.id).limit(1)):
            raise Conflict("单元下仍有房屋，不能删除", code="unit_not_empty")
        delete_unreferenced(unit, what="该单元", code="unit_in_use")
