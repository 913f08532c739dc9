"""Grids and their workers, the facility register, and the organisations serving a community."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.communities.models import (
    Building,
    Facility,
    Grid,
    GridWorker,
    Organisation,
    ServiceArea,
)
from backend.communities.permissions import policy
from backend.communities.services.common import (
    apply_changes,
    delete_unreferenced,
    flush_unique,
)
from backend.core.auth import Actor, Role, role_holders
from backend.core.db import db, transaction
from backend.core.errors import InvalidInput, NotFound
from backend.core.tenancy.scoping import scoped_ids_or_404, scoped_or_404


def list_grids(*, actor: Actor, community_id: int) -> sa.Select:
    community = policy.community(actor, "community.view_registers", community_id)
    return (
        sa.select(Grid)
        .where(Grid.community_id == community.id)
        .options(selectinload(Grid.buildings), selectinload(Grid.workers))
        .order_by(Grid.name)
    )


def _grid_workers(community, user_ids: list[int]) -> list[GridWorker]:
    """Only users holding the grid_worker role in this community may patrol its grids."""
    wanted = set(user_ids)
    holders = role_holders(community.id, Role.GRID_WORKER, wanted)
    if holders != wanted:
        raise InvalidInput(
            "网格员必须是本社区的网格员", code="not_a_grid_worker",
            errors={"json": {"worker_user_ids": sorted(wanted - holders)}},
        )
    return [GridWorker(user_id=user_id) for user_id in sorted(wanted)]


def create_grid(*, actor: Actor, community_id: int, data: dict) -> Grid:
    """A grid of this community's buildings with its workers. 404 for a foreign building;
    422 not_a_grid_worker; 409 grid_name_taken."""
    with transaction() as tx:
        community = policy.community(actor, "community.manage_grids", community_id)
        grid = Grid(community_id=community.id, name=data["name"])
        grid.buildings = scoped_ids_or_404(Building, data.get("building_ids", []), community)
        grid.workers = _grid_workers(community, data.get("worker_user_ids", []))
        tx.add(grid)
        flush_unique("该网格名称已存在", "grid_name_taken")
        return grid


def update_grid(*, actor: Actor, community_id: int, grid_id: int, changes: dict) -> Grid:
    with transaction():
        community = policy.community(actor, "community.manage_grids", community_id)
        grid = scoped_or_404(Grid, grid_id, community)
        if "building_ids" in changes:
            grid.buildings = scoped_ids_or_404(Building, changes.pop("building_ids"), community)
        if "worker_user_ids" in changes:
            grid.workers = _grid_workers(community, changes.pop("worker_user_ids"))
        apply_changes(grid, changes)
        flush_unique("该网格名称已存在", "grid_name_taken")
        return grid


def delete_grid(*, actor: Actor, community_id: int, grid_id: int) -> None:
    """Remove a grid; its buildings and workers are released. 409 grid_in_use naming what still
    points at it (tickets reported in it)."""
    with transaction():
        community = policy.community(actor, "community.manage_grids", community_id)
        grid = scoped_or_404(Grid, grid_id, community)
        delete_unreferenced(grid, what="该网格", code="grid_in_use")


def release_grid_worker(*, community_id: int, user_id: int) -> None:
    """Take a user off every grid of the community (their grid_worker role was taken away).

    Called inside the caller's transaction, which has already checked who may do it.
    """
    grid_ids = sa.select(Grid.id).where(Grid.community_id == community_id)
    db.session.execute(
        sa.delete(GridWorker).where(
            GridWorker.user_id == user_id, GridWorker.grid_id.in_(grid_ids)
        )
    )


def list_facilities(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    community = policy.community(actor, "community.view", community_id)
    query = sa.select(Facility).where(Facility.community_id == community.id)
    if filters.get("kind"):
        query = query.where(Facility.kind == filters["kind"])
    return query.order_by(Facility.kind, Facility.id)


def create_facility(*, actor: Actor, community_id: int, data: dict) -> Facility:
    with transaction() as tx:
        community = policy.community(actor, "community.manage_facilities", community_id)
        facility = Facility(community_id=community.id, **data)
        tx.add(facility)
        return facility


def update_facility(*, actor: Actor, community_id: int, facility_id: int, changes: dict):
    with transaction():
        community = policy.community(actor, "community.manage_facilities", community_id)
        facility = scoped_or_404(Facility, facility_id, community)
        apply_changes(facility, changes)
        return facility


def delete_facility(*, actor: Actor, community_id: int, facility_id: int) -> None:
    """409 facility_in_use naming what still points at it (nothing does yet)."""
    with transaction():
        community = policy.community(actor, "community.manage_facilities", community_id)
        facility = scoped_or_404(Facility, facility_id, community)
        delete_unreferenced(facility, what="该设施", code="facility_in_use")


def list_organisations(*, actor: Actor, filters: dict) -> sa.Select:
    """Organisations to choose from when naming who serves a community (any signed-in user)."""
    query = sa.select(Organisation).order_by(Organisation.code)
    if filters.get("kind"):
        query = query.where(Organisation.kind == filters["kind"])
    if filters.get("q"):
        query = query.where(Organisation.name.icontains(filters["q"], autoescape=True))
    return query


def create_organisation(*, actor: Actor, data: dict) -> Organisation:
    """System admins register property companies, design institutes and departments."""
    policy.require_system(actor, "organisation.create")
    with transaction() as tx:
        organisation = Organisation(**data)
        tx.add(organisation)
        flush_unique("单位编码已存在", "organisation_code_taken")
        return organisation


def list_service_areas(*, actor: Actor, community_id: int) -> sa.Select:
    community = policy.community(actor, "community.view", community_id)
    return (
        sa.select(ServiceArea)
        .options(selectinload(ServiceArea.buildings))
        .where(ServiceArea.community_id == community.id)
        .order_by(ServiceArea.organisation_id)
    )


def set_service_area(
    *, actor: Actor, community_id: int, organisation_id: int, building_ids: list[int] | None
) -> ServiceArea | None:
    """Say that an organisation serves this community: every building (`building_ids` empty), the
    buildings listed, or no longer (`building_ids` null). Returns the area, or None once removed."""
    with transaction() as tx:
        community = policy.community(actor, "community.manage_service_areas", community_id)
        organisation = tx.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound("未找到该单位", code="organisation_not_found")
        area = tx.scalar(
            sa.select(ServiceArea).where(
                ServiceArea.community_id == community.id,
                ServiceArea.organisation_id == organisation.id,
            )
        )
        if building_ids is None:
            if area is None:
                raise NotFound("该单位未服务本社区", code="service_area_not_found")
            tx.delete(area)
            return None
        if area is None:
            area = ServiceArea(community_id=community.id, organisation=organisation)
            tx.add(area)
        area.buildings = scoped_ids_or_404(Building, building_ids, community)
        flush_unique("该单位已服务本社区", "service_area_exists")
        return area
