"""Who may call the routes of running consultations and casting ballots (collected by
tests/consultations/route_cases.py). Each case makes the consultation it needs, in the state
its route expects, so an allowed caller's success is a real success."""

from __future__ import annotations

from datetime import timedelta

from tests.permission_table import MANAGERS, MEMBERS, OVERSEERS, Case

LIST = "/api/v1/communities/<int:community_id>/consultations"
ONE = f"{LIST}/<int:consultation_id>"
RESIDENT = frozenset({"resident"})


def made(status: str, **fields):
    """A params function: a consultation of community a in `status`, committed."""

    def make(world) -> dict:
        from backend.core.db import db
        from tests.consultations.factories import consultation

        row = consultation(world.a, world.committee, status=status, **fields)
        db.session.commit()
        return {"consultation_id": row.id}

    return make


def with_paper_ballot(world) -> dict:
    from backend.consultations.models import Ballot, ConsultationElector
    from backend.consultations.services.ballots import new_receipt
    from backend.core.db import db
    from tests.consultations.factories import consultation

    row = consultation(world.a, world.committee, status="voting", method="owners_decision")
    elector = db.session.query(ConsultationElector).filter_by(
        consultation_id=row.id, household_id=world.household).one()
    ballot = Ballot(consultation_id=row.id, voter_key=f"h{world.household}",
                    household_id=world.household, building_id=elector.building_id,
                    owner_no=elector.owner_no, area=elector.area, decision="agree",
                    channel="paper", paper_ref="扫描件-9", cast_by_id=world.committee,
                    receipt_hash=new_receipt()[1])
    db.session.add(ballot)
    db.session.commit()
    return {"consultation_id": row.id, "ballot_id": ballot.id}


def _later(days: int) -> str:
    from backend.core.db import utcnow

    return (utcnow() + timedelta(days=days)).isoformat()


def _design(world) -> dict:
    return {
        "title": "增设电动车充电桩",
        "method": "single",
        "options": [{"label": "同意增设"}, {"label": "暂缓"}],
        "voting_opens_at": _later(1),
        "voting_closes_at": _later(8),
    }


OWNERS = {"method": "owners_decision"}

CASES = {
    ("GET", LIST): Case(MEMBERS, params=made("voting")),
    ("POST", LIST): Case(MANAGERS, status=201, body=_design),
    ("GET", ONE): Case(MEMBERS, params=made("voting")),
    ("PATCH", ONE): Case(MANAGERS, body={"title": "改名"}, params=made("draft")),
    ("DELETE", ONE): Case(MANAGERS, status=204, params=made("draft")),
    ("POST", f"{ONE}/schedule"): Case(MANAGERS, params=made("draft")),
    ("POST", f"{ONE}/open"): Case(MANAGERS, params=made("draft")),
    ("POST", f"{ONE}/extend"): Case(
        MANAGERS, body=lambda w: {"closes_at": _later(30), "reason": "延期"},
        params=made("voting"),
    ),
    ("POST", f"{ONE}/close"): Case(MANAGERS, body={"reason": "提前截止"}, params=made("voting")),
    ("POST", f"{ONE}/cancel"): Case(MANAGERS, body={"reason": "取消"}, params=made("voting")),
    ("POST", f"{ONE}/publish"): Case(MANAGERS, params=made("closed")),
    ("GET", f"{ONE}/result"): Case(MEMBERS, params=made("voting", live_results=True)),
    ("GET", f"{ONE}/turnout"): Case(OVERSEERS, params=made("voting")),
    ("POST", f"{ONE}/ballots"): Case(
        RESIDENT, status=201, body={"decision": "agree"}, params=made("voting", **OWNERS)
    ),
    ("GET", f"{ONE}/ballots/mine"): Case(RESIDENT, params=made("voting")),
    ("POST", f"{ONE}/paper-ballots"): Case(
        MANAGERS,
        status=201,
        body=lambda w: {"household_id": w.household, "channel": "paper", "paper_ref": "扫描件-1",
                        "decision": "agree"},
        params=made("voting", **OWNERS),
    ),
    ("POST", f"{ONE}/paper-ballots/<int:ballot_id>/void"): Case(
        MANAGERS, status=204, body={"reason": "录入错误"}, params=with_paper_ballot
    ),
    ("GET", f"{ONE}/bulletin"): Case(MEMBERS, params=made("closed")),
}
