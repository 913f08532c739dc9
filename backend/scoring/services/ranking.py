"""The street's view: its communities ranked on a standard, and its coverage (the share of
communities meeting the standard, the figure the campaigns set targets for: 60 %, 30 %, 50 %)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from backend.core.auth import Actor
from backend.core.db import db
from backend.core.tenancy.models import Community
from backend.core.tenancy.scoping import within_region
from backend.scoring.permissions import policy
from backend.scoring.services.assessments import (
    communities_by_standard,
    newest_per_community,
)
from backend.scoring.services.common import (
    DEFAULT_STANDARDS,
    period_dict,
    period_of,
    standard_or_404,
)
from backend.scoring.services.standards import summary

CENT = Decimal("0.01")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(CENT, ROUND_HALF_UP)


def region_ranking(*, actor: Actor, region_id: int, filters: dict) -> dict:
    """Each community of the region (and below) assessed on the standard, by points, with its
    newest assessment of the period; those not yet assessed are listed apart and count against
    coverage.

    Outcomes: the ranking; 404 `region_not_found` for a region the caller does not administer;
    404 `standard_not_found`; 422 for a bad period.
    """
    region = policy.region(actor, "scoring.rank", region_id)
    found = standard_or_404(filters.get("standard") or DEFAULT_STANDARDS[0])
    period = period_of(filters)
    communities = {
        id_: name
        for id_, name in db.session.execute(
            sa.select(Community.id, Community.name).where(within_region(region))
        )
    }
    assessed_on = communities_by_standard(list(communities)).get(found.standard.code, [])
    newest = newest_per_community(found.standard.code, period, assessed_on)
    ranked = sorted(
        newest.values(),
        key=lambda row: (-row.points, -row.items_met, communities[row.community_id]),
    )
    ranking = []
    for position, row in enumerate(ranked):
        same_as_before = position and (row.points, row.items_met) == (
            ranked[position - 1].points,
            ranked[position - 1].items_met,
        )
        ranking.append(
            {
                "rank": ranking[-1]["rank"] if same_as_before else position + 1,
                "community_id": row.community_id,
                "community_name": communities[row.community_id],
                "assessment_id": row.id,
                "state": row.state,
                "computed_at": row.computed_at,
                "points": row.points,
                "max_points": row.max_points,
                "meets_standard": row.meets_standard,
                "met": row.items_met,
                "partly_met": row.items_partly_met,
                "not_met": row.items_not_met,
                "needs_assessment": row.items_needing_assessment,
                "items": row.items_total,
                "met_percent": _percent(row.items_met, row.items_total),
            }
        )
    not_assessed = sorted(
        (
            {"community_id": id_, "community_name": communities[id_]}
            for id_ in assessed_on
            if id_ not in newest
        ),
        key=lambda row: row["community_name"],
    )
    meeting = sum(1 for row in ranked if row.meets_standard)
    return {
        "region_id": region.id,
        "region_name": region.name,
        "standard": summary(found),
        "period": period_dict(period),
        "communities": len(assessed_on),
        "assessed": len(ranked),
        "meeting_standard": meeting,
        "coverage_percent": _percent(meeting, len(assessed_on)),
        "ranking": ranking,
        "not_assessed": not_assessed,
    }
