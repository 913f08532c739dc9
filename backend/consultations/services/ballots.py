"""A ballot, whatever its channel: its receipt, its row, one per voter, its history.

One ballot counts per voter (household, or resident when so configured): the database's unique
constraint on (consultation, voter) is the referee, so simultaneous requests cannot both count.
A voter who may change their ballot replaces it in place; the old one moves to the history, as
does a paper ballot the committee voids. Each ballot gets a receipt code, shown once; only its
SHA-256 is kept, and the bulletin lists it after the close so the voter can check their ballot
was counted as cast.

Residents cast online (casting.py), the committee enters paper and proxy ballots
(paper_ballots.py); what a ballot may contain is choices.py's. The statements here are built
once: casting is the hottest write there is.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.consultations.choices import BallotRules, InvalidChoice, check_choice, choice_record
from backend.consultations.models import Ballot, BallotHistory, BallotMark, Consultation
from backend.core.auth import Actor
from backend.core.db import db, utcnow
from backend.core.errors import Conflict, InvalidInput

# Receipt codes: 16 characters of an alphabet without look-alikes (0/O, 1/I/L), 80 bits.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 16


@dataclass(frozen=True)
class CoveredHousehold:
    """One household a cast counts for: its own ballot row, revision and receipt code."""

    household_id: int | None
    id: int
    revision: int
    receipt: str
    receipt_hash: str


@dataclass(frozen=True)
class CastBallot:
    """A ballot as its voter sees it right after casting: the receipt code appears only here.

    An owner of several households casts for each of them at once (services/casting.py): the
    fields are the first household's ballot, `covered` lists every household's."""

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
    covered: tuple[CoveredHousehold, ...] = ()


def new_receipt() -> tuple[str, str]:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    code = "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))
    return code, receipt_hash(code)


def receipt_hash(code: str) -> str:
    normalised = code.strip().upper().replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


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


def cast_ballot_of(
    values: dict,
    ballot_id: int,
    marks: list[dict],
    receipt: str,
    covered: tuple[CoveredHousehold, ...] | None = None,
) -> CastBallot:
    """The ballot just written (`values`, its row) as its voter sees it; `covered` lists every
    household the cast counts for (by default just this ballot's)."""
    if covered is None:
        covered = (covered_household(values, ballot_id, receipt),)
    return CastBallot(
        id=ballot_id,
        marks=marks,
        receipt=receipt,
        covered=covered,
        **{
            name: values[name]
            for name in (
                "consultation_id", "household_id", "channel", "proxy_name", "decision",
                "revision", "cast_at", "receipt_hash",
            )
        },
    )


def covered_household(values: dict, ballot_id: int, receipt: str) -> CoveredHousehold:
    return CoveredHousehold(
        household_id=values["household_id"],
        id=ballot_id,
        revision=values["revision"],
        receipt=receipt,
        receipt_hash=values["receipt_hash"],
    )


def insert_ballot(values: dict, marks: list[dict], *, status: str = "voting") -> int:
    """Store a new ballot while the consultation is still in `status` (409 `voting_not_open`
    otherwise); the unique (consultation, voter) constraint refuses a second one (409
    `ballot_already_cast`, or `ballot_cast_on_paper` for an online one after a paper one)."""
    ballot_id = try_insert_ballot(values, marks, status=status)
    if ballot_id is None:
        standing = db.session.connection().execute(
            _STANDING_CHANNEL,
            {"consultation_id": values["consultation_id"], "voter_key": values["voter_key"]},
        ).scalar()
        if standing is None:
            raise voting_not_open()
        if standing != "online" and values["channel"] == "online":
            raise cast_on_paper()
        raise Conflict("该户（或您）已投票", code="ballot_already_cast")
    return ballot_id


def try_insert_ballot(values: dict, marks: list[dict], *, status: str = "voting") -> int | None:
    """`insert_ballot`'s write: the new ballot's id, or None when it was not written (a ballot
    stands for the voter, or the consultation is no longer in `status`)."""
    connection = db.session.connection()
    ballot_id = connection.execute(
        _INSERT_BALLOT[connection.dialect.name],
        {**values, **_taking(values["consultation_id"], status)},
    ).scalar()
    if ballot_id is not None:
        _insert_marks(ballot_id, values["consultation_id"], marks)
    return ballot_id


def replace_ballot(standing: sa.Row, values: dict, marks: list[dict], actor: Actor) -> int | None:
    """The new ballot `values` takes the standing one's row (and its id) with the next revision,
    while voting is still open (409 `voting_not_open` otherwise); the standing one goes to the
    history.

    The update holds only while the ballot is still at the standing revision: a change that
    read it before a simultaneous one committed writes nothing and gets None, to read the
    ballot again (SQLite's FOR UPDATE is a no-op, so reading it locked is not enough). Every
    acknowledged change is thus the last one or in the history, never overwritten unseen.
    """
    connection = db.session.connection()
    values["revision"] = standing.revision + 1
    changed = connection.execute(
        sa.update(Ballot.__table__)
        .where(
            Ballot.id == standing.id,
            Ballot.revision == standing.revision,
            _STILL_TAKING_BALLOTS,
        )
        .values(values),
        _taking(values["consultation_id"], "voting"),
    )
    if not changed.rowcount:
        still_taking = connection.execute(
            sa.select(_STILL_TAKING_BALLOTS), _taking(values["consultation_id"], "voting")
        ).scalar()
        if not still_taking:
            raise voting_not_open()
        return None
    standing_marks = connection.execute(
        sa.select(BallotMark.option_id, BallotMark.rank, BallotMark.points)
        .where(BallotMark.ballot_id == standing.id)
        .order_by(BallotMark.option_id)
    ).all()
    retire(standing, choice_record(standing.decision, standing_marks), actor, "changed")
    connection.execute(sa.delete(BallotMark).where(BallotMark.ballot_id == standing.id))
    _insert_marks(standing.id, values["consultation_id"], marks)
    return standing.id


def cast_on_paper() -> Conflict:
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
