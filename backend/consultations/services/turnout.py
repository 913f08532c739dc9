"""Watching a vote without seeing into it (turnout), and the bulletin that lets anyone check it
afterwards (receipts and choices, never who holds a receipt)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased, with_expression

from backend.communities.models import Building
from backend.consultations.models import CHANNELS, Ballot, ConsultationElector
from backend.consultations.permissions import policy
from backend.consultations.services.ballots import receipt_hash
from backend.consultations.services.common import consultation_or_404, load
from backend.core.auth import Actor
from backend.core.db import db
from backend.core.errors import Conflict, NotFound
from backend.core.pagination import Presented

COUNTED = ("closed", "published")


def get_turnout(*, actor: Actor, community_id: int, consultation_id: int) -> dict:
    """Ballots so far: by channel, by head and area (owners' decisions), by building.

    Outcomes: the figures (committee, street); 409 `voting_not_started` before voting opened.
    """
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.watch_turnout",
    )
    consultation = context.consultation
    if consultation.voting_opened_at is None:
        raise Conflict("表决尚未开始", code="voting_not_started")
    of_this = Ballot.consultation_id == consultation.id
    by_channel = dict.fromkeys(CHANNELS, 0)
    by_channel.update(
        db.session.execute(
            sa.select(Ballot.channel, sa.func.count()).where(of_this).group_by(Ballot.channel)
        ).all()
    )
    figures = {
        "consultation_id": consultation.id,
        "status": consultation.status,
        "ballots": sum(by_channel.values()),
        "eligible": (
            consultation.eligible_residents
            if consultation.ballot_per == "resident"
            else consultation.roll_households
        )
        or 0,
        "by_channel": by_channel,
        "heads_voted": None,
        "heads_total": None,
        "area_voted": None,
        "area_total": None,
        "by_building": _by_building(consultation.id),
    }
    if consultation.is_owners_decision:
        heads, area = db.session.execute(
            sa.select(
                sa.func.count(sa.distinct(Ballot.owner_no)),
                sa.func.coalesce(sa.func.sum(Ballot.area), 0),
            ).where(of_this)
        ).one()
        figures.update(
            heads_voted=heads,
            heads_total=consultation.roll_heads,
            area_voted=f"{Decimal(area):.2f}",
            area_total=f"{Decimal(consultation.roll_area or 0):.2f}",
        )
    return figures


def _by_building(consultation_id: int) -> list[dict]:
    # Households that took part: with one ballot per resident, several may come from one home.
    voted = (
        sa.select(
            Ballot.building_id, sa.func.count(sa.distinct(Ballot.household_id)).label("voted")
        )
        .where(Ballot.consultation_id == consultation_id)
        .group_by(Ballot.building_id)
        .subquery()
    )
    roll = (
        sa.select(ConsultationElector.building_id, sa.func.count().label("households"))
        .where(ConsultationElector.consultation_id == consultation_id)
        .group_by(ConsultationElector.building_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            roll.c.building_id, Building.name, roll.c.households,
            sa.func.coalesce(voted.c.voted, 0),
        )
        .join(Building, Building.id == roll.c.building_id)
        .outerjoin(voted, voted.c.building_id == roll.c.building_id)
        .order_by(sa.func.length(Building.name), Building.name)
    ).all()
    return [
        {"building_id": b, "building_name": name, "households": n, "voted": v}
        for b, name, n, v in rows
    ]


def bulletin(
    *, actor: Actor, community_id: int, consultation_id: int, filters: dict
) -> Presented:
    """The counted ballots of a closed vote, for every member of the community, by receipt hash
    (in hash order, which says nothing of who voted when). `receipt` looks one up by the code
    on the voter's receipt.

    It holds what a recount needs and no name: the choice of each ballot and, for an owners'
    decision, the exclusive area it counts and, for an owner of several households, an
    `owner_group` shared by that owner's ballots (the lowest of their receipt hashes), so that
    heads are counted as the law counts them. With the result's totals of the roll, anyone
    can recompute the four ratios.

    Outcomes: the entries; 409 `voting_not_closed` before the close; 404 `receipt_not_found`
    for a code that counted nowhere here (changed ballots' old receipts included).
    """
    # Every member of the community may check the count, in scope or not; no eligibility test.
    community = policy.community(actor, "consultation.read_bulletin", community_id)
    consultation = consultation_or_404(consultation_id, community)
    if consultation.status == "draft":
        raise NotFound("未找到该议事协商", code="consultation_not_found")
    if consultation.status not in COUNTED:
        raise Conflict("表决截止后才公布计票清单", code="voting_not_closed")
    query = sa.select(Ballot).where(Ballot.consultation_id == consultation.id)
    if "receipt" in filters:
        query = query.where(Ballot.receipt_hash == receipt_hash(filters["receipt"]))
        if db.session.scalar(sa.select(query.exists())) is False:
            raise NotFound("该回执未计入本次表决", code="receipt_not_found")
    owners = consultation.is_owners_decision
    if owners:
        query = query.options(with_expression(Ballot.owner_group, _owner_group()))

    def entry(ballot: Ballot) -> dict:
        return {
            "receipt_hash": ballot.receipt_hash,
            "decision": ballot.decision,
            "marks": ballot.marks,
            "area": ballot.area if owners else None,
            "owner_group": ballot.owner_group if owners else None,
        }

    return Presented(query.order_by(Ballot.receipt_hash), entry)


def _owner_group() -> sa.ColumnElement:
    """The lowest receipt hash among the ballots of the same owner, for owners holding several
    households on the roll; None for everyone else (one ballot, one head)."""
    same = aliased(Ballot)
    lowest = (
        sa.select(sa.func.min(same.receipt_hash))
        .where(
            same.consultation_id == Ballot.consultation_id,
            same.shared_owner,
            same.owner_no == Ballot.owner_no,
        )
        .scalar_subquery()
    )
    return sa.case((Ballot.shared_owner, lowest), else_=None)
