"""Casting ballots online, and writing a ballot whatever its channel (paper_ballots.py enters
the committee's).

One ballot counts per voter (household, or resident when so configured): the database's unique
constraint on (consultation, voter) is the referee, so simultaneous requests cannot both count.
A voter who may change their ballot replaces it in place; the old one moves to the history.
Each ballot gets a receipt code, shown once; only its SHA-256 is kept, and the bulletin lists it
after the close so the voter can check their ballot was counted as cast.

Casting is the hottest write there is (scripts/bench-ballots): its fixed statements are built
once, and it reads plain rows of the consultation's columns, not entities. The rules it applies
to them are the ones every other use case applies to the entity (services/common.py, choices.py).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.accounts.models import Membership
from backend.consultations.choices import BallotRules, InvalidChoice, check_choice, choice_record
from backend.consultations.models import (
    Ballot,
    BallotHistory,
    BallotMark,
    Consultation,
    ConsultationElector,
    ConsultationOption,
)
from backend.consultations.permissions import policy
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
from backend.core.errors import Conflict, Forbidden, InvalidInput
from backend.core.tenancy.models import Community, Region

# Receipt codes: 16 characters of an alphabet without look-alikes (0/O, 1/I/L), 80 bits.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 16

PARTICIPATE = "consultation.participate"


@dataclass(frozen=True)
class CastBallot:
    """A ballot as its voter sees it right after casting: the receipt code appears only here."""

    id: int
    consultation_id: int
    household_id: int | None
    channel: str
    proxy_name: str | None
    decision: str | None
    # {option_id, rank, points} in the order the voter gave them (a ranking reads best first).
    marks: list[dict]
    revision: int
    cast_at: datetime
    receipt_hash: str
    receipt: str


def new_receipt() -> tuple[str, str]:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    code = "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))
    return code, receipt_hash(code)


def receipt_hash(code: str) -> str:
    normalised = code.strip().upper().replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


# ---------------------------------------------------------------- online

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
            ballot_id = _replace(standing, values, marks, actor)
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


def _replace(standing: sa.Row, values: dict, marks: list[dict], actor: Actor) -> int:
    """A voter changes their ballot: the standing one goes to the history, the new one takes
    its row (and its id) with the next revision. Only whoever cast it may change it: one member
    of a household does not silently overturn what another member chose for it."""
    if standing.channel != "online":
        raise _cast_on_paper()
    if standing.cast_by_id != actor.user_id:
        raise Conflict(
            "该户已由家庭其他成员投票，只有投票人本人可以修改", code="ballot_cast_by_other_member"
        )
    connection = db.session.connection()
    values["revision"] = standing.revision + 1
    changed = connection.execute(
        sa.update(Ballot.__table__)
        .where(Ballot.id == standing.id, _STILL_TAKING_BALLOTS)
        .values(values),
        _taking(values["consultation_id"], "voting"),
    )
    if not changed.rowcount:
        raise voting_not_open()
    standing_marks = connection.execute(
        sa.select(BallotMark.option_id, BallotMark.rank, BallotMark.points)
        .where(BallotMark.ballot_id == standing.id)
        .order_by(BallotMark.option_id)
    ).all()
    retire(standing, choice_record(standing.decision, standing_marks), actor, "changed")
    connection.execute(sa.delete(BallotMark).where(BallotMark.ballot_id == standing.id))
    _insert_marks(standing.id, values["consultation_id"], marks)
    return standing.id


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


def voting_not_open() -> Conflict:
    return Conflict("当前不在表决时间内", code="voting_not_open")


def checked_choice(
    rules: BallotRules, options: frozenset[int] | set[int], data: dict
) -> tuple[str | None, list[dict]]:
    """`check_choice` of the choice in `data`; 422 `invalid_choice` naming the field at fault."""
    try:
        return check_choice(
            rules,
            options,
            decision=data.get("decision"),
            option_ids=data.get("option_ids"),
            points=data.get("points"),
        )
    except InvalidChoice as refused:
        raise InvalidInput(
            refused.message,
            code="invalid_choice",
            errors={"json": {refused.field: [refused.message]}},
        ) from None


# ---------------------------------------------------------------- writing a ballot

# A ballot is written only while its consultation still takes ballots, checked in the writing
# statement under a share lock on the consultation's row. Closing locks that row for update: a
# close waits for the ballots being written to commit and counts them, and a ballot checked
# before the close but written after it finds the consultation closed (409), so the stored
# result and the bulletin always hold the same ballots. (SQLite has no row locks and needs
# none: its writers take turns, and the check runs inside the writing statement.)
_STILL_TAKING_BALLOTS = (
    sa.select(Consultation.id)
    .where(
        Consultation.id == sa.bindparam("taking_consultation_id"),
        Consultation.status == sa.bindparam("taking_status"),
    )
    .with_for_update(read=True)
    .exists()
)
_BALLOT_COLUMNS = [column for column in Ballot.__table__.c if column.key != "id"]


def _insert_ballot_statement(insert) -> sa.Insert:
    """A voter's second ballot is not written (ON CONFLICT DO NOTHING) rather than failing the
    statement: PostgreSQL would abort the transaction, and the refusal still has to read the
    standing ballot's channel."""
    return (
        insert(Ballot.__table__)
        .from_select(
            [column.key for column in _BALLOT_COLUMNS],
            sa.select(
                *(sa.bindparam(column.key, type_=column.type) for column in _BALLOT_COLUMNS)
            ).where(_STILL_TAKING_BALLOTS),
        )
        .on_conflict_do_nothing(index_elements=["consultation_id", "voter_key"])
        .returning(Ballot.__table__.c.id)
    )


# By dialect: each spells ON CONFLICT with its own construct.
_INSERT_BALLOT = {
    "sqlite": _insert_ballot_statement(sqlite.insert),
    "postgresql": _insert_ballot_statement(postgresql.insert),
}
_INSERT_MARKS = sa.insert(BallotMark.__table__)
_INSERT_HISTORY = sa.insert(BallotHistory.__table__)
_STANDING_CHANNEL = sa.select(Ballot.channel).where(
    Ballot.consultation_id == sa.bindparam("consultation_id"),
    Ballot.voter_key == sa.bindparam("voter_key"),
)


def new_ballot(
    consultation_id: int,
    voter_key: str,
    household_id: int,
    elector,
    decision: str | None,
    *,
    channel: str,
    cast_by_id: int,
    proxy_name: str | None = None,
    paper_ref: str | None = None,
    cast_at: datetime | None = None,
) -> tuple[dict, str]:
    """The row of a new ballot, and its receipt code; `elector` is the household's entry on the
    roll (anything with its fields), None for a household not on it."""
    receipt, digest = new_receipt()
    values = {
        "consultation_id": consultation_id,
        "voter_key": voter_key,
        "household_id": household_id,
        # Owners' decisions count area and heads as the roll had them when voting opened.
        "building_id": elector.building_id if elector else None,
        "owner_no": elector.owner_no if elector else None,
        "shared_owner": elector.shared_owner if elector else False,
        "area": elector.area if elector else None,
        "decision": decision,
        "channel": channel,
        "proxy_name": proxy_name,
        "paper_ref": paper_ref,
        "cast_by_id": cast_by_id,
        "receipt_hash": digest,
        "revision": 1,
        "cast_at": cast_at or utcnow(),
    }
    return values, receipt


def cast_ballot_of(values: dict, ballot_id: int, marks: list[dict], receipt: str) -> CastBallot:
    """The ballot just written (`values`, its row) as its voter sees it."""
    return CastBallot(
        id=ballot_id,
        marks=marks,
        receipt=receipt,
        **{
            name: values[name]
            for name in (
                "consultation_id", "household_id", "channel", "proxy_name", "decision",
                "revision", "cast_at", "receipt_hash",
            )
        },
    )


def insert_ballot(values: dict, marks: list[dict], *, status: str = "voting") -> int:
    """Store a new ballot while the consultation is still in `status` (409 `voting_not_open`
    otherwise); the unique (consultation, voter) constraint refuses a second one (409
    `ballot_already_cast`, or `ballot_cast_on_paper` for an online one after a paper one)."""
    connection = db.session.connection()
    ballot_id = connection.execute(
        _INSERT_BALLOT[connection.dialect.name],
        {**values, **_taking(values["consultation_id"], status)},
    ).scalar()
    if ballot_id is None:
        standing = connection.execute(
            _STANDING_CHANNEL,
            {"consultation_id": values["consultation_id"], "voter_key": values["voter_key"]},
        ).scalar()
        if standing is None:
            raise voting_not_open()
        if standing != "online" and values["channel"] == "online":
            raise _cast_on_paper()
        raise Conflict("该户（或您）已投票", code="ballot_already_cast")
    _insert_marks(ballot_id, values["consultation_id"], marks)
    return ballot_id


def _cast_on_paper() -> Conflict:
    return Conflict("该户已提交书面表决票，不能再在线投票", code="ballot_cast_on_paper")


def _taking(consultation_id: int, status: str) -> dict:
    """The parameters of `_STILL_TAKING_BALLOTS`."""
    return {"taking_consultation_id": consultation_id, "taking_status": status}


def _insert_marks(ballot_id: int, consultation_id: int, marks: list[dict]) -> None:
    if marks:
        db.session.connection().execute(
            _INSERT_MARKS,
            [{**mark, "ballot_id": ballot_id, "consultation_id": consultation_id} for mark in marks],
        )


def retire(ballot, choice: dict, actor: Actor, reason: str, void_reason: str | None = None):
    """Move a ballot (an entity or a row) that stops counting to the history."""
    db.session.connection().execute(
        _INSERT_HISTORY,
        {
            "consultation_id": ballot.consultation_id,
            "voter_key": ballot.voter_key,
            "household_id": ballot.household_id,
            "channel": ballot.channel,
            "receipt_hash": ballot.receipt_hash,
            "choice": choice,
            "revision": ballot.revision,
            "cast_at": ballot.cast_at,
            "ended_reason": reason,
            "ended_by_id": actor.user_id,
            "void_reason": void_reason,
        },
    )
