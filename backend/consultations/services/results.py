"""The tally: SQL adds the ballots up in one pass, `tally.py` applies the rules.

Owners' decisions sum areas in one flat pass and count heads there too, grouping per owner
(`owner_no`) only the ballots of owners with several households (`shared_owner`). Other methods
aggregate the marks per option. Neither loops over ballots in Python.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from backend.consultations import tally
from backend.consultations.models import DECISIONS, Ballot, BallotMark, Consultation
from backend.consultations.services.common import load
from backend.core.auth import Actor
from backend.core.db import db, utcnow
from backend.core.errors import Conflict, Forbidden


def get_result(*, actor: Actor, community_id: int, consultation_id: int) -> dict:
    """The result of a vote.

    Outcomes: the stored result once closed; the live tally while voting when the committee
    chose live results; 403 `results_hidden` while voting otherwise (for everyone, the committee
    included: nobody steers a vote by its interim count); 409 `voting_not_started` before
    voting, 409 `consultation_cancelled` after a cancel.
    """
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.view",
    )
    consultation = context.consultation
    if consultation.status in ("closed", "published"):
        return consultation.result
    if consultation.status == "voting":
        if not consultation.live_results:
            raise Forbidden("表决截止前不公开结果", code="results_hidden")
        return compute(consultation, final=False)
    if consultation.status == "cancelled":
        raise Conflict("该议事协商已取消，没有结果", code="consultation_cancelled")
    raise Conflict("表决尚未开始", code="voting_not_started")


def compute(consultation: Consultation, *, final: bool, now: datetime | None = None) -> dict:
    """Tally the counted ballots of `consultation` (JSON-safe, stored as is at the close)."""
    eligible = (
        consultation.eligible_residents
        if consultation.ballot_per == "resident"
        else consultation.roll_households
    )
    result = {
        "consultation_id": consultation.id,
        "method": consultation.method,
        "final": final,
        "computed_at": (now or utcnow()).isoformat(),
        "ballots": 0,
        "eligible": eligible or 0,
        "decision": None,
        "standings": None,
        "winners": None,
        "ties": None,
    }
    if consultation.is_owners_decision:
        totals, result["ballots"] = _owners_aggregate(consultation)
        result["decision"] = tally.decide_owners_matter(consultation.matter, totals).as_dict()
    else:
        ballots = db.session.scalar(
            sa.select(sa.func.count()).where(Ballot.consultation_id == consultation.id)
        )
        result["ballots"] = ballots
        choice = tally.rank_options(consultation.method, option_totals(consultation), ballots)
        as_dict = choice.as_dict()
        result.update(
            standings=as_dict["standings"], winners=as_dict["winners"], ties=as_dict["ties"]
        )
    return result


def owners_totals(consultation: Consultation) -> tally.OwnersTotals:
    return _owners_aggregate(consultation)[0]


def _owners_aggregate(consultation: Consultation) -> tuple[tally.OwnersTotals, int]:
    """The totals and the number of ballots, in one statement.

    Areas need no grouping: each household's area counts under its own decision, so one flat
    pass sums them. Heads do: an owner is one head however many households they hold. An owner
    of one household (most of them) is one ballot, one head, counted in the same flat pass;
    only the ballots of owners with several households (`shared_owner`, from the roll) are
    grouped per owner, where an owner whose households voted differently counts in no
    decision's heads.
    """
    mine = Ballot.consultation_id == consultation.id
    single = sa.not_(Ballot.shared_owner)
    flat = (
        sa.select(
            sa.func.count().label("ballots"),
            *(
                sa.func.coalesce(sa.func.sum(Ballot.area).filter(Ballot.decision == d), 0).label(
                    f"area_{d}"
                )
                for d in DECISIONS
            ),
            sa.func.count().filter(single).label("single_heads"),
            *(
                sa.func.count().filter(single, Ballot.decision == d).label(f"single_{d}")
                for d in DECISIONS
            ),
        )
        .where(mine)
        .subquery()
    )
    per_owner = (
        sa.select(
            Ballot.owner_no,
            sa.func.min(Ballot.decision).label("lowest"),
            sa.func.max(Ballot.decision).label("highest"),
        )
        .where(mine, Ballot.shared_owner)
        .group_by(Ballot.owner_no)
        .subquery()
    )
    unanimous = per_owner.c.lowest == per_owner.c.highest
    shared = sa.select(
        sa.func.count().label("shared_heads"),
        *(
            sa.func.count().filter(unanimous, per_owner.c.lowest == d).label(f"shared_{d}")
            for d in DECISIONS
        ),
    ).subquery()
    # Two one-row aggregates side by side: an explicit join on TRUE, not an accidental product.
    row = (
        db.session.execute(sa.select(flat, shared).select_from(flat.join(shared, sa.true())))
        .one()
        ._mapping
    )
    totals = tally.OwnersTotals(
        total_area=_area(consultation.roll_area),
        total_heads=consultation.roll_heads or 0,
        area={d: _area(row[f"area_{d}"]) for d in DECISIONS},
        heads={d: int(row[f"single_{d}"]) + int(row[f"shared_{d}"]) for d in DECISIONS},
        participating_heads=int(row["single_heads"]) + int(row["shared_heads"]),
    )
    return totals, int(row["ballots"])


def owners_decision(consultation: Consultation) -> tally.OwnersDecision:
    return tally.decide_owners_matter(consultation.matter, owners_totals(consultation))


def option_totals(consultation: Consultation) -> list[tally.OptionTotal]:
    """Per option: ballots marking it, its score (votes, Borda points or points), first choices."""
    option_count = len(consultation.options)
    if consultation.method == "ranking":
        score = sa.func.sum(option_count - BallotMark.rank)
    elif consultation.method == "points":
        score = sa.func.sum(BallotMark.points)
    else:
        score = sa.func.count()
    rows = db.session.execute(
        sa.select(
            BallotMark.option_id,
            sa.func.count(),
            score,
            sa.func.sum(sa.case((BallotMark.rank == 1, 1), else_=0)),
        )
        .where(BallotMark.consultation_id == consultation.id)
        .group_by(BallotMark.option_id)
    ).all()
    by_option = {option_id: (votes, score, first) for option_id, votes, score, first in rows}
    totals = []
    for option in consultation.options:
        votes, points, first = by_option.get(option.id, (0, 0, 0))
        totals.append(
            tally.OptionTotal(
                option_id=option.id,
                label=option.label,
                votes=int(votes),
                score=int(points or 0),
                first_preferences=int(first or 0),
            )
        )
    return totals


def summary(result: dict | None) -> str:
    """One sentence for the notice of publication."""
    if not result:
        return "表决结果已公示。"
    if result.get("decision"):
        return "；".join(result["decision"]["reasons"][:1]) + "。详情请查看表决结果。"
    winners = [s["label"] for s in result.get("standings") or [] if s["place"] == 1]
    if not winners or not result["ballots"]:
        return "本次表决没有有效票。"
    return f"得票最多的是：{'、'.join(winners)}（共 {result['ballots']} 张有效票）。"


def _area(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
