"""Loading rows of one community: a scoped row is never loaded by its id alone.

A model may name its own not-found answer as `not_found = (message, code)`; others answer the
generic 未找到该资源 / not_found.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa

from backend.core.db import db
from backend.core.errors import NotFound
from backend.core.tenancy.models import Community, Region

T = TypeVar("T")

GENERIC_NOT_FOUND = ("未找到该资源", "not_found")


def community_or_404(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound("未找到该社区", code="community_not_found")
    return community


def region_or_404(region_id: int) -> Region:
    region = db.session.get(Region, region_id)
    if region is None:
        raise NotFound("未找到该区域", code="region_not_found")
    return region


def within_region(region: Region) -> sa.ColumnElement[bool]:
    """Communities of `region` and of every region below it."""
    return Community.region_id.in_(
        sa.select(Region.id).where(Region.path.startswith(region.path, autoescape=True))
    )


def _not_found(model: type) -> NotFound:
    message, code = getattr(model, "not_found", GENERIC_NOT_FOUND)
    return NotFound(message, code=code)


def scoped_or_404(model: type[T], row_id: int, community: Community) -> T:
    row = db.session.scalar(
        sa.select(model).where(model.id == row_id, model.community_id == community.id)
    )
    if row is None:
        raise _not_found(model)
    return row


def scoped_ids_or_404(model: type, ids: list[int], community: Community) -> list:
    """All the rows named by `ids`, each in `community`; one missing or foreign id is a 404."""
    wanted = set(ids)
    rows = db.session.scalars(
        sa.select(model).where(model.id.in_(wanted), model.community_id == community.id)
    ).all()
    if len(rows) != len(wanted):
        raise _not_found(model)
    return list(rows)
