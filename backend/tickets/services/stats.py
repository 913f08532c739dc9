"""The figures tickets are judged by, live: a community's (by category and by handler) and a
street's dashboard (by community and by category).

The figures are those of `tickets/metrics.py`, defined there once. Each dashboard runs a handful
of grouped statements whatever the number of communities: the counted figures are grouped by the
finest pair of keys (community × category, or category × handler) and added up here into
totals and each breakdown; only medians, which do not add up, get a statement per breakdown.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.communities.models import Organisation
from backend.core.auth import Actor
from backend.core.db import db, utcnow
from backend.core.errors import InvalidInput
from backend.core.metrics import DEFAULT_TIMEZONE, Period
from backend.core.tenancy.models import Community
from backend.core.tenancy.scoping import within_region
from backend.tickets import metrics
from backend.tickets.metrics import Counts, Zones
from backend.tickets.models import Ticket, TicketCategory
from backend.tickets.permissions import policy
from backend.tickets.services.categories import category_by_code
from backend.tickets.services.common import SEES_ALL


@dataclass
class Figures:
    """One row of a dashboard: what was counted over the period, and the state at its end."""

    counts: Counts = field(default_factory=Counts)
    overdue: int = 0
    open: int = 0
    median_resolve_hours: Decimal | None = None

    def add(self, other: Figures) -> None:
        self.counts.add(other.counts)
        self.overdue += other.overdue
        self.open += other.open

    @property
    def empty(self) -> bool:
        return not (self.counts.dispatched or self.open)

    def as_dict(self) -> dict:
        return {
            "dispatched": self.counts.dispatched,
            "response_rate": _rate(self.counts.response_rate()),
            "resolution_rate": _rate(self.counts.resolution_rate()),
            "satisfaction_rate": _rate(self.counts.satisfaction_rate()),
            "reopen_rate": _rate(self.counts.reopen_rate()),
            "overdue": self.overdue,
            "open": self.open,
            "median_resolve_hours": self.median_resolve_hours,
        }


def _rate(rate: metrics.Rate) -> dict:
    return {"numerator": rate.numerator, "denominator": rate.denominator, "percent": rate.percent}


# ---------------------------------------------------------------- the period


def period_of(filters: dict, timezone: str) -> Period:
    """`from` and `to` are local dates, both included; by default the calendar year to date.

    Outcomes: the period; 422 `period_reversed` when `from` is after `to`.
    """
    today = utcnow().astimezone(ZoneInfo(timezone)).date()
    end = filters.get("end")
    start = filters.get("start") or date((end or today).year, 1, 1)
    end = end or max(today, start)
    if start > end:
        raise InvalidInput(
            "统计起始日期不能晚于截止日期", code="period_reversed", errors={"from": [], "to": []}
        )
    return Period(start, end + timedelta(days=1))


def _period_dict(period: Period) -> dict:
    return {"start": period.start, "end": period.end - timedelta(days=1)}


def _zones(communities: Sequence[tuple[int, str | None]], period: Period) -> Zones:
    by_zone: dict[str, list[int]] = {}
    for community_id, timezone in communities:
        by_zone.setdefault(timezone or DEFAULT_TIMEZONE, []).append(community_id)
    return [(ids, *period.utc_bounds(timezone)) for timezone, ids in by_zone.items()]


# ---------------------------------------------------------------- grouped figures


def _figures_by(group_by: Sequence, zones: Zones, *where) -> dict[tuple, Figures]:
    """Figures for each group of `group_by` (two statements: counted, then state)."""
    found: dict[tuple, Figures] = {}
    keys = len(group_by)
    counted = metrics.counted(group_by, metrics.dispatched_in(zones), *where)
    for row in db.session.execute(counted):
        found[tuple(row[:keys])] = Figures(counts=Counts(*row[keys:]))
    state = metrics.overdue_and_open(group_by, zones, *where)
    for row in db.session.execute(state):
        figures = found.setdefault(tuple(row[:keys]), Figures())
        figures.overdue, figures.open = row[keys], row[keys + 1]
    return found


def _roll_up(
    found: dict[tuple, Figures], key_of: Callable[[tuple], Hashable]
) -> dict[Hashable, Figures]:
    totals: dict[Hashable, Figures] = {}
    for key, figures in found.items():
        totals.setdefault(key_of(key), Figures()).add(figures)
    return totals


def _total(found: dict[tuple, Figures]) -> Figures:
    return _roll_up(found, lambda _key: None).get(None, Figures())


def _medians(group_by: Sequence, zones: Zones, *where) -> dict:
    query = metrics.median_resolve_seconds(group_by, metrics.dispatched_in(zones), *where)
    return metrics.medians_by_key(query, len(group_by))


def _categories() -> dict[int, TicketCategory]:
    rows = db.session.scalars(sa.select(TicketCategory).order_by(TicketCategory.position))
    return {category.id: category for category in rows}


def _by_category(
    figures: dict[Hashable, Figures], medians: dict | None = None, *, full: bool = True
) -> list[dict]:
    listed = []
    for category_id, category in _categories().items():
        row = figures.get(category_id)
        if row is None or row.empty:
            continue
        if medians is not None:
            row.median_resolve_hours = medians.get(category_id)
        values = row.as_dict() if full else _without_median(row)
        listed.append(
            {
                "category_id": category_id,
                "category_code": category.code,
                "category_name": category.name,
                **values,
            }
        )
    return listed


def _without_median(figures: Figures) -> dict:
    values = figures.as_dict()
    del values["median_resolve_hours"]
    return values


def _settings() -> dict:
    return {
        "response_rate_base": metrics.response_base(),
        "resolution_counts_unevaluated": metrics.resolution_counts_unevaluated(),
    }


# ---------------------------------------------------------------- a community


def community_stats(*, actor: Actor, community_id: int, filters: dict) -> dict:
    """A community's figures for a period: totals, by category, by handler organisation.

    Committee, street and system admins see all the community's tickets; property staff only
    those handled by their own organisation(s). `category` (a code) narrows every figure to
    that category.

    Outcomes: the figures; 404 for another community's staff; 403 for members without the
    right; 422 `period_reversed`, `category_unknown`.
    """
    community = policy.community(actor, "ticket.view_stats", community_id)
    roles = actor.roles_in(community)
    period = period_of(filters, community.timezone or DEFAULT_TIMEZONE)
    zones = _zones([(community.id, community.timezone)], period)
    where = []
    own_only = not roles & SEES_ALL
    if own_only:
        where.append(Ticket.handler_organisation_id.in_(actor.organisation_ids))
    if filters.get("category"):
        where.append(Ticket.category_id == category_by_code(filters["category"]).id)

    found = _figures_by([Ticket.category_id, Ticket.handler_organisation_id], zones, *where)
    totals = _total(found)
    totals.median_resolve_hours = _medians([], zones, *where).get(None)
    by_category = _roll_up(found, lambda key: key[0])
    by_handler = _roll_up(found, lambda key: key[1])
    category_medians = _medians([Ticket.category_id], zones, *where)
    handler_medians = _medians([Ticket.handler_organisation_id], zones, *where)

    names = dict(
        db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([key for key in by_handler if key is not None])
            )
        ).all()
    )
    handlers = []
    # Dispatched but not yet assigned (no handler) comes last.
    for organisation_id in sorted(by_handler, key=lambda key: (key is None, names.get(key, ""))):
        row = by_handler[organisation_id]
        if row.empty:
            continue
        row.median_resolve_hours = handler_medians.get(organisation_id)
        handlers.append(
            {
                "organisation_id": organisation_id,
                "organisation_name": names.get(organisation_id),
                **row.as_dict(),
            }
        )
    return {
        "community_id": community.id,
        "community_name": community.name,
        "period": _period_dict(period),
        "as_of": min(utcnow(), zones[0][2]),
        "scope": "own_organisations" if own_only else "community",
        "category": filters.get("category"),
        "settings": _settings(),
        "totals": totals.as_dict(),
        "by_category": _by_category(by_category, category_medians),
        "by_handler": handlers,
    }


# ---------------------------------------------------------------- a street


def region_stats(*, actor: Actor, region_id: int, filters: dict) -> dict:
    """The street's dashboard (or any region's): totals, each community, each category, with
    the counted figures and the state (no median time to resolve: see `community_stats`).

    Outcomes: the figures; 404 `region_not_found` for a region the caller does not administer
    (street admins of it or above, system admins), as for one that does not exist.
    """
    region = policy.region(actor, "ticket.view_region_stats", region_id)
    period = period_of(filters, DEFAULT_TIMEZONE)
    communities = db.session.execute(
        sa.select(Community.id, Community.name, Community.timezone)
        .where(within_region(region))
        .order_by(Community.code)
    ).all()
    result = {
        "region_id": region.id,
        "region_name": region.name,
        "period": _period_dict(period),
        "as_of": utcnow(),
        "settings": _settings(),
        "totals": _without_median(Figures()),
        "by_community": [],
        "by_category": [],
    }
    if not communities:
        return result
    zones = _zones([(id_, timezone) for id_, _name, timezone in communities], period)
    result["as_of"] = min(utcnow(), *(end for _ids, _start, end in zones))

    # No median here: it takes a sort of every resolved ticket of the street (~0.5 s at a
    # million); each community's is on its own page.
    found = _figures_by([Ticket.community_id, Ticket.category_id], zones)
    by_community = _roll_up(found, lambda key: key[0])
    result["totals"] = _without_median(_total(found))
    result["by_community"] = [
        {
            "community_id": community_id,
            "community_name": name,
            **_without_median(by_community.get(community_id, Figures())),
        }
        for community_id, name, _timezone in communities
    ]
    result["by_category"] = _by_category(_roll_up(found, lambda key: key[1]), full=False)
    return result
