"""Who may run, read, finalise and discard assessments, decide items, and see the street's
ranking (collected by tests/scoring/route_cases.py).

Each case's params make the assessment its route acts on: community a on the Heilongjiang
standard for this year, final where everyone of the community reads it (a resident never sees a
draft: to them it does not exist), a draft where the staff discard or finalise it. The street's
routes answer 404 to everyone but the region's admins, as if the region did not exist.
"""

from __future__ import annotations

from tests.permission_table import COMMITTEE_OR_STREET, MEMBERS, REGION, REGION_ADMINS, Case
from tests.scoring.cases_standards import SHIPPED

COMMUNITY = "/api/v1/communities/<int:community_id>"
ASSESSMENTS = f"{COMMUNITY}/assessments"
ONE = f"{ASSESSMENTS}/<int:assessment_id>"
JUDGEMENT = f"{COMMUNITY}/standards/<code>/items/<item_code>/judgement"
REGION_URL = "/api/v1/regions/<int:region_id>"

# scoring.run and scoring.view_drafts
STAFF = COMMITTEE_OR_STREET
# scoring.judge and scoring.finalise: the self-assessment is the committee's and the street's.
ASSESSORS = frozenset({"committee", "street_admin"})
ITEM = "1"  # assessed, by the committee or the street


def this_year():
    from backend.core.metrics import Period
    from backend.scoring.services.common import local_today

    return Period.calendar_year(local_today(None).year)


def assessment(state: str):
    """A params function: community a's assessment on the shipped standard for this year, run
    now and left in `state` ("draft" or "final"), committed."""

    def make(world) -> dict:
        import sqlalchemy as sa

        from backend.core.db import db, utcnow
        from backend.scoring.models import FINAL, Assessment
        from backend.scoring.services.assessments import run
        from backend.scoring.services.common import standard_or_404

        report = run(standard_or_404(SHIPPED), this_year(), [world.a])
        row = db.session.scalars(
            sa.select(Assessment).where(Assessment.run_id == report.run_id)
        ).one()
        if state == FINAL:
            row.state = FINAL
            row.finalised_at = utcnow()
            row.finalised_by_id = world.committee
        db.session.commit()
        return {"assessment_id": row.id}

    return make


def judged_item(world) -> dict:
    """A params function: the committee's decision on item 1 of the shipped standard, this
    year."""
    from backend.core.db import db, utcnow
    from backend.scoring.models import Judgement

    period = this_year()
    db.session.add(
        Judgement(
            community_id=world.a,
            standard_code=SHIPPED,
            period_start=period.start,
            period_end=period.end,
            item_code=ITEM,
            status="met",
            note="已研究两次创建工作",
            photos=[],
            documents=[],
            decided_by_id=world.committee,
            decided_by_name="committee",
            decided_as="committee",
            decided_at=utcnow(),
        )
    )
    db.session.commit()
    return {"code": SHIPPED, "item_code": ITEM}


CASES = {
    ("GET", f"{COMMUNITY}/scorecard"): Case(MEMBERS, params=assessment("final")),
    ("GET", ASSESSMENTS): Case(MEMBERS, params=assessment("final")),
    ("POST", ASSESSMENTS): Case(STAFF, status=201, body={"standard": SHIPPED}),
    ("GET", ONE): Case(MEMBERS, params=assessment("final")),
    ("DELETE", ONE): Case(STAFF, status=204, params=assessment("draft")),
    ("POST", f"{ONE}/finalise"): Case(ASSESSORS, params=assessment("draft")),
    ("GET", f"{COMMUNITY}/judgements"): Case(STAFF),
    ("PUT", JUDGEMENT): Case(
        ASSESSORS,
        params=lambda w: {"code": SHIPPED, "item_code": ITEM},
        body={"status": "met", "note": "每年研究两次创建工作，有年度目标"},
    ),
    ("DELETE", JUDGEMENT): Case(ASSESSORS, status=204, params=judged_item),
    ("POST", f"{REGION_URL}/assessments"): Case(
        REGION_ADMINS,
        status=201,
        params=lambda w: {"region_id": w.street_a},
        body={"standard": SHIPPED},
        scope=REGION,
        denied=404,
    ),
    ("GET", f"{REGION_URL}/scoring"): Case(
        REGION_ADMINS,
        params=lambda w: {"region_id": w.street_a},
        scope=REGION,
        denied=404,
    ),
}
