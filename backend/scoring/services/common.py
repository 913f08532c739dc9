"""What every scoring use case needs: the standards by code, the period asked for, the community
and what the caller may see of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.core.auth import Actor
from backend.core.db import db, utcnow
from backend.core.errors import InvalidInput, NotFound
from backend.core.metrics import DEFAULT_TIMEZONE, Period, registry
from backend.core.tenancy.models import Community, Region
from backend.scoring.models import CommunityStandard, UploadedStandard
from backend.scoring.permissions import policy
from backend.scoring.standard import Standard, StandardInvalid, builtin_documents, parse_standard

# What a community is assessed on when its street chose nothing.
DEFAULT_STANDARDS = ("hlj_green_community", "complete_community_tasks")
# The longest period one assessment covers (a campaign's three years).
MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class Found:
    """A standard and where it comes from: shipped (no region) or uploaded by a region."""

    standard: Standard
    region_id: int | None = None
    region_path: str | None = None

    @property
    def builtin(self) -> bool:
        return self.region_id is None


def parse(document: dict) -> Standard:
    return parse_standard(document, registry())


@cache
def builtin(code: str) -> Standard | None:
    """A shipped standard, parsed once per process (the files and the registry are code)."""
    document = builtin_documents().get(code)
    return parse(document) if document is not None else None


def find_standard(code: str) -> Found | None:
    shipped = builtin(code)
    if shipped is not None:
        return Found(shipped)
    row = db.session.execute(
        sa.select(UploadedStandard, Region.path)
        .join(Region, Region.id == UploadedStandard.region_id)
        .where(UploadedStandard.code == code)
    ).first()
    if row is None:
        return None
    uploaded, path = row
    try:
        return Found(parse(uploaded.document), uploaded.region_id, path)
    except StandardInvalid:
        # A measurement it names was retired since the upload: the street must correct it.
        return None


def standard_or_404(code: str) -> Found:
    found = find_standard(code)
    if found is None:
        raise NotFound("未找到该创建标准", code="standard_not_found")
    return found


def may_read_standard(actor: Actor, found: Found) -> bool:
    """Shipped standards are public; an uploaded one is its region's (`standard.read`)."""
    return found.builtin or policy.can_in_region(actor, "standard.read", found.region_path)


def may_assign(found: Found, community: Community) -> bool:
    """A community can be assessed on a shipped standard or one of its own region's or a region
    above it."""
    return found.builtin or community.region_path.startswith(found.region_path)


def standards_of(community_id: int) -> list[str]:
    chosen = list(
        db.session.scalars(
            sa.select(CommunityStandard.standard_code)
            .where(CommunityStandard.community_id == community_id)
            .order_by(CommunityStandard.standard_code)
        )
    )
    return chosen or list(DEFAULT_STANDARDS)


def standard_for(community: Community, code: str | None) -> Found:
    """The standard asked for, which must be one the community is assessed on (default: the
    first of them).

    Outcomes: the standard; 404 `standard_not_found`.
    """
    assigned = standards_of(community.id)
    code = code or assigned[0]
    if code not in assigned:
        raise NotFound("该社区不按这个标准评估", code="standard_not_found")
    return standard_or_404(code)


def community_for(actor: Actor, community_id: int, action: str) -> tuple[Community, frozenset]:
    community = policy.community(actor, action, community_id)
    return community, actor.roles_in(community)


def sees_drafts(actor: Actor, community: Community) -> bool:
    return policy.can(actor, "scoring.view_drafts", community)


# ---------------------------------------------------------------- periods


def local_today(timezone: str | None) -> date:
    return utcnow().astimezone(ZoneInfo(timezone or DEFAULT_TIMEZONE)).date()


def period_of(filters: dict, timezone: str | None = None) -> Period:
    """A calendar `year` (default: this year, local), or `from`–`to`, both days included.

    Outcomes: the period; 422 `period_reversed`, `period_too_long` or `period_ambiguous`.
    """
    start, end, year = filters.get("start"), filters.get("end"), filters.get("year")
    if year is not None and (start or end):
        raise InvalidInput(
            "请只给出年份，或只给出起止日期", code="period_ambiguous", errors={"year": []}
        )
    if start is None and end is None:
        return Period.calendar_year(year or local_today(timezone).year)
    if start is None or end is None:
        raise InvalidInput(
            "请同时给出起止日期", code="period_incomplete", errors={"from": [], "to": []}
        )
    if start > end:
        raise InvalidInput(
            "起始日期不能晚于截止日期", code="period_reversed", errors={"from": [], "to": []}
        )
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(
            "评估期不能超过三年", code="period_too_long", errors={"from": [], "to": []}
        )
    return Period(start, end + timedelta(days=1))


def previous(period: Period) -> Period:
    """The period of the same length just before (the calendar year before a calendar year)."""
    if period == Period.calendar_year(period.start.year):
        return Period.calendar_year(period.start.year - 1)
    return Period(period.start - (period.end - period.start), period.start)


def period_dict(period: Period) -> dict:
    return {"start": period.start, "end": period.end - timedelta(days=1)}
