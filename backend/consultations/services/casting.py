"""Casting ballots online: a resident votes, changes their vote where allowed, reads their
ballots. How a ballot is written, whatever its channel, is ballots.py's.

Casting is the hottest write there is (scripts/bench-ballots): its fixed statements are built
once, and it reads plain rows of the consultation's columns, not entities. The rules it applies
to them are the ones every other use case applies to the entity (services/common.py, choices.py).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import sqlalchemy as sa

from backend.accounts.models import Membership
from backend.consultations.models import (
    Ballot,
    Consultation,
    ConsultationElector,
    ConsultationOption,
)
from backend.consultations.permissions import policy
from backend.consultations.services.ballots import (
    CastBallot,
    cast_ballot_of,
    cast_on_paper,
    checked_choice,
    insert_ballot,
    new_ballot,
    replace_ballot,
    voting_not_open,
)
from backend.consultations.services.common import (
    choose_household,
    eligible_memberships,
    load,
    memberships_with_a_say,
    not_found,
    require_shown,
)
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, Forbidden
from backend.core.tenancy.models import Community, Region

PARTICIPATE = "consultation.participate"


# The consultation as casting reads it, in one statement: the columns its rules read (named as
# the model names them), its community's region for the caller's roles there, and its options.
_CONSULTATION_ROW = (
    sa.select(
        Consultation.id,
        Consultation.community_id,
        Consultation.status,
        Consultation.voting_closes_at,
        Consultation.method,
        Consultation.min_choices,
        Consultation.max_choices,
        Consultation.points_budget,
        Consultation.scope,
        Consultation.electorate,
        Consultation.ballot_per,
        Consultation.allow_change,
        Region.path.label("region_path"),
        sa.select(sa.func.aggregate_strings(sa.cast(ConsultationOption.id, sa.String), ","))
        .where(ConsultationOption.consultation_id == Consultation.id)
        .scalar_subquery()
        .label("option_ids"),
    )
    .join(Community, Community.id == Consultation.community_id)
    .join(Region, Region.id == Community.region_id)
    .where(
        Consultation.id == sa.bindparam("consultation_id"),
        Consultation.community_id == sa.bindparam("community_id"),
    )
)


class _Place(NamedTuple):
    """A community as far as the caller's roles there go (`Actor.roles_in`)."""

    id: int
    region_path: str


def cast_ballot(*, actor: Actor, community_id: int, consultation_id: int, data: dict) -> CastBallot:
    """A resident votes (or changes their vote, where the consultation allows it).

    Outcomes: the ballot with its receipt code (201); 404 as `load` hides a consultation;
    409 `voting_not_open` outside the voting window; 403 `not_eligible`; 422
    `household_required` for a resident of several households who did not say which; 403
    `not_on_roll` for a household registered after voting opened; 422 `invalid_choice` for a
    choice the method does not allow; 409 `ballot_already_cast` when the voter has voted and
    changes are not allowed (or a simultaneous request won); 409 `ballot_cast_on_paper` when
    the household's paper ballot was entered.
    """
    with transaction():
        consultation = (
            db.session.connection()
            .execute(
                _CONSULTATION_ROW,
                {"community_id": community_id, "consultation_id": consultation_id},
            )
            .first()
        )
        if consultation is None:
            not_found(actor, PARTICIPATE, community_id)
        roles = policy.require(
            actor, PARTICIPATE, _Place(consultation.community_id, consultation.region_path)
        )
        households = _households_of(consultation, actor.user_id)
        require_shown(roles, consultation, lambda: bool(households))
        require_voting_open(consultation)
        voter = choose_household(households, data.get("household_id"))
        elector = voter if voter.on_roll is not None else None
        if elector is None and consultation.ballot_per == "household":
            raise Forbidden("您的房屋在表决开始后才登记，不在本次表决名册中", code="not_on_roll")
        voter_key = (
            f"h{voter.household_id}"
            if consultation.ballot_per == "household"
            else f"u{actor.user_id}"
        )
        options = frozenset(int(i) for i in (consultation.option_ids or "").split(",") if i)
        decision, marks = checked_choice(consultation, options, data)
        values, receipt = new_ballot(
            consultation.id, voter_key, voter.household_id, elector, decision,
            channel="online", cast_by_id=actor.user_id,
        )
        # Without changes allowed the unique (consultation, voter) constraint alone decides:
        # no lookup first (see insert_ballot); a change needs the standing ballot, locked.
        standing = (
            _standing_ballot(consultation.id, voter_key) if consultation.allow_change else None
        )
        if standing is None:
            ballot_id = insert_ballot(values, marks)
        else:
            ballot_id = _change(standing, values, marks, actor)
        return cast_ballot_of(values, ballot_id, marks, receipt)


def _households_of(consultation: sa.Row, user_id: int) -> list[sa.Row]:
    """The caller's memberships that give a say (`memberships_with_a_say`), one row per
    household, with the household's entry on the roll (`on_roll` is None for one not on it)."""
    return (
        db.session.connection()
        .execute(
            _households_query(consultation.scope, consultation.electorate),
            {
                "consultation_id": consultation.id,
                "community_id": consultation.community_id,
                "user_id": user_id,
            },
        )
        .all()
    )


@functools.cache
def _households_query(scope: str, electorate: str) -> sa.Select:
    """`_households_of`'s statement, built once per scope and electorate."""
    consultation_id = sa.bindparam("consultation_id")
    elector = ConsultationElector
    return (
        memberships_with_a_say(
            scope=scope,
            electorate=electorate,
            consultation_id=consultation_id,
            community_id=sa.bindparam("community_id"),
        )
        .with_only_columns(
            Membership.household_id,
            elector.household_id.label("on_roll"),
            elector.building_id,
            elector.owner_no,
            elector.shared_owner,
            elector.area,
        )
        .select_from(
            sa.outerjoin(
                Membership,
                elector,
                sa.and_(
                    elector.consultation_id == consultation_id,
                    elector.household_id == Membership.household_id,
                ),
            )
        )
        .where(Membership.user_id == sa.bindparam("user_id"))
        .order_by(Membership.household_id)
    )


def _standing_ballot(consultation_id: int, voter_key: str) -> sa.Row | None:
    return (
        db.session.connection()
        .execute(
            sa.select(Ballot.__table__)
            .where(Ballot.consultation_id == consultation_id, Ballot.voter_key == voter_key)
            .with_for_update()
        )
        .first()
    )


def _change(standing: sa.Row, values: dict, marks: list[dict], actor: Actor) -> int:
    """A voter changes their ballot (`replace_ballot`). Only whoever cast it may change it: one
    member of a household does not silently overturn what another member chose for it, and a
    paper ballot is the committee's to void."""
    if standing.channel != "online":
        raise cast_on_paper()
    if standing.cast_by_id != actor.user_id:
        raise Conflict(
            "该户已由家庭其他成员投票，只有投票人本人可以修改", code="ballot_cast_by_other_member"
        )
    return replace_ballot(standing, values, marks, actor)


def my_ballots(*, actor: Actor, community_id: int, consultation_id: int) -> list[Ballot]:
    """The ballots that count for the caller: their own, or their households' (paper ones
    included, so an owner sees what the committee entered for them)."""
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action=PARTICIPATE,
    )
    consultation = context.consultation
    keys = [f"u{actor.user_id}"] + [
        f"h{m.household_id}" for m in eligible_memberships(actor.user_id, consultation)
    ]
    return list(
        db.session.scalars(
            sa.select(Ballot)
            .where(Ballot.consultation_id == consultation.id, Ballot.voter_key.in_(keys))
            .order_by(Ballot.id)
        )
    )


def require_voting_open(consultation) -> None:
    """409 `voting_not_open` outside the voting window (of an entity or a row)."""
    # The scheduler may close a little after the deadline; the deadline itself is the rule.
    if consultation.status != "voting" or utcnow() >= consultation.voting_closes_at:
        raise voting_not_open()
