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
    covered_household,
    insert_ballot,
    new_ballot,
    replace_ballot,
    try_insert_ballot,
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

    One ballot counts per household: a resident of several households on the roll (an owner of
    several flats) casts for every one of them at once unless they name one (`household_id`,
    to vote flat by flat, e.g. where a flat is co-owned); each household gets its own ballot
    and receipt, and the answer lists them (`covered`). The roll's owner numbers make such an
    owner one head, their flats' areas summed (results.py). All or nothing: a household that
    cannot take the ballot refuses the whole cast, naming it.

    Outcomes: the ballot with its receipt code (201); 404 as `load` hides a consultation;
    409 `voting_not_open` outside the voting window; 403 `not_eligible`; 422
    `household_required` for a resident of several households in a per-resident consultation
    who did not say which; 403 `not_on_roll` for households registered after voting opened;
    422 `invalid_choice` for a choice the method does not allow; 409 `ballot_already_cast` when
    the voter has voted and changes are not allowed (or a simultaneous request won); 409
    `ballot_cast_on_paper` when the household's paper ballot was entered; 409
    `ballot_cast_by_other_member` when another member of the household cast its ballot.
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
        voters = _voters(consultation, households, data.get("household_id"))
        options = frozenset(int(i) for i in (consultation.option_ids or "").split(",") if i)
        decision, marks = checked_choice(consultation, options, data)
        cast = [_cast_for(consultation, voter, decision, marks, actor, len(voters) > 1)
                for voter in voters]
        values, ballot_id, receipt = cast[0]
        return cast_ballot_of(
            values, ballot_id, marks, receipt,
            covered=tuple(covered_household(*one) for one in cast),
        )


def _voters(consultation: sa.Row, households: list[sa.Row], household_id: int | None):
    """Whom the cast is for: the named household, or by default every household of the caller
    on the roll (the only one, for most residents). A per-resident consultation counts the
    resident once, through one household."""
    if consultation.ballot_per == "resident" or household_id is not None or len(households) < 2:
        voter = choose_household(households, household_id)
        if voter.on_roll is None and consultation.ballot_per == "household":
            raise _not_on_roll()
        return [voter]
    on_roll = [household for household in households if household.on_roll is not None]
    if not on_roll:
        raise _not_on_roll()
    return on_roll


def _not_on_roll() -> Forbidden:
    return Forbidden("您的房屋在表决开始后才登记，不在本次表决名册中", code="not_on_roll")


def _cast_for(
    consultation: sa.Row,
    voter: sa.Row,
    decision: str | None,
    marks: list[dict],
    actor: Actor,
    several: bool,
) -> tuple[dict, int, str]:
    """Write one voter's ballot: its row, id and receipt code. A refusal for one of several
    households names it, so the owner may vote for the others flat by flat."""
    elector = voter if voter.on_roll is not None else None
    voter_key = (
        f"h{voter.household_id}" if consultation.ballot_per == "household" else f"u{actor.user_id}"
    )
    values, receipt = new_ballot(
        consultation.id, voter_key, voter.household_id, elector, decision,
        channel="online", cast_by_id=actor.user_id,
    )
    try:
        # Without changes allowed the unique (consultation, voter) constraint alone decides:
        # no lookup first (see insert_ballot); a change needs the standing ballot.
        if consultation.allow_change:
            ballot_id = _cast_or_change(values, marks, actor)
        else:
            ballot_id = insert_ballot(values, marks)
    except Conflict as refused:
        if not several:
            raise
        raise Conflict(
            f"{refused.message}（房屋编号 {voter.household_id}），本次未投出任何一票；"
            "可指定房屋逐户投票",
            code=refused.code,
            errors={"household_ids": [voter.household_id]},
        ) from None
    return values, ballot_id, receipt


# A simultaneous change of the same ballot makes a change read it again; past this many rounds
# (not seen in practice: the write that lost holds the write lock when it reads again) the
# voter is asked to retry rather than have a change acknowledged and lost.
CHANGE_ATTEMPTS = 5


def _cast_or_change(values: dict, marks: list[dict], actor: Actor) -> int:
    """Where changes are allowed: the voter's first ballot, or a change of the standing one.
    A write that lost a race (a first ballot written meanwhile, a change committed meanwhile)
    reads the ballot again and tries on it."""
    inserted = False
    for _ in range(CHANGE_ATTEMPTS):
        standing = _standing_ballot(values["consultation_id"], values["voter_key"])
        if standing is None:
            if inserted:  # not written, and no ballot stands: voting closed meanwhile
                raise voting_not_open()
            inserted = True
            ballot_id = try_insert_ballot(values, marks)
        else:
            ballot_id = _change(standing, values, marks, actor)
        if ballot_id is not None:
            return ballot_id
    raise Conflict("您的表决票正在被同时修改，请稍后重试", code="ballot_change_conflict")


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


def _change(standing: sa.Row, values: dict, marks: list[dict], actor: Actor) -> int | None:
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
