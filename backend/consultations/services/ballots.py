"""Casting ballots: online by residents, on paper or by proxy as entered by the committee.

One ballot counts per voter (household, or resident when so configured): the database's unique
constraint on (consultation, voter) is the referee, so simultaneous requests cannot both count.
A voter who may change their ballot replaces it in place; the old one moves to the history.
Each ballot gets a receipt code, shown once; only its SHA-256 is kept, and the bulletin lists it
after the close so the voter can check their ballot was counted as cast.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import Membership
from backend.consultations.models import (
    CHANNELS,
    Ballot,
    BallotHistory,
    BallotMark,
    Consultation,
    ConsultationElector,
    ConsultationOption,
)
from backend.consultations.permissions import policy
from backend.consultations.services import results
from backend.consultations.services.common import (
    Context,
    choose_household,
    eligible_memberships,
    eligible_memberships_query,
    load,
    not_found,
    oversees_with,
    shown_to,
)
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.core.tenancy.models import Community, Region

# Receipt codes: 16 characters of an alphabet without look-alikes (0/O, 1/I/L), 80 bits.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 16


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


@dataclass(frozen=True)
class BallotBox:
    """What casting needs of a consultation, read in one statement (`_BALLOT_BOX`): its rules,
    its window, its options, and its community's region for the caller's roles there."""

    id: int
    community_id: int
    status: str
    voting_closes_at: datetime
    method: str
    min_choices: int | None
    max_choices: int | None
    points_budget: int | None
    scope: str
    electorate: str
    ballot_per: str
    allow_change: bool
    region_path: str
    option_ids: frozenset[int]

    @property
    def is_owners_decision(self) -> bool:
        return self.method == "owners_decision"

    @property
    def community(self) -> CommunityPlace:
        return CommunityPlace(self.community_id, self.region_path)


@dataclass(frozen=True)
class CommunityPlace:
    """A community as far as the caller's roles there go (`Actor.roles_in`)."""

    id: int
    region_path: str


def new_receipt() -> tuple[str, str]:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    code = "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))
    return code, receipt_hash(code)


def receipt_hash(code: str) -> str:
    normalised = code.strip().upper().replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


# ---------------------------------------------------------------- online

PARTICIPATE = "consultation.participate"

# Casting is the hottest write there is (scripts/bench-ballots): its fixed statements are built
# once, and it reads plain rows, not entities.
_BALLOT_BOX = (
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
_INSERT_BALLOT = (
    sa.insert(Ballot.__table__)
    .from_select(
        [column.key for column in _BALLOT_COLUMNS],
        sa.select(*(sa.bindparam(column.key, type_=column.type) for column in _BALLOT_COLUMNS))
        .where(_STILL_TAKING_BALLOTS),
    )
    .returning(Ballot.__table__.c.id)
)
_INSERT_MARKS = sa.insert(BallotMark.__table__)
_INSERT_HISTORY = sa.insert(BallotHistory.__table__)


def cast_ballot(*, actor: Actor, community_id: int, consultation_id: int, data: dict) -> CastBallot:
    """A resident votes (or changes their vote, where the consultation allows it).

    Outcomes: the ballot with its receipt code (201); 409 `voting_not_open` outside the voting
    window; 403 `not_eligible`; 422 `household_required` for a resident of several households
    who did not say which; 403 `not_on_roll` for a household registered after voting opened;
    422 `invalid_choice` for a choice the method does not allow; 409 `ballot_already_cast`
    when the voter has voted and changes are not allowed (or a simultaneous request won);
    409 `ballot_cast_on_paper` when the household's paper ballot was entered.
    """
    with transaction():
        box = _ballot_box(community_id, consultation_id)
        if box is None:
            not_found(actor, PARTICIPATE, community_id)
        roles = policy.require(actor, PARTICIPATE, box.community)
        households = _households_of(box, actor.user_id)
        # As `load` hides it: a draft, or a consultation the resident has no say in, is not found.
        if not oversees_with(roles) and not shown_to(roles, box, lambda: bool(households)):
            raise NotFound("未找到该议事协商", code="consultation_not_found")
        _require_voting_open(box)
        voter = choose_household(households, data.get("household_id"))
        elector = voter if voter.on_roll is not None else None
        if elector is None and box.ballot_per == "household":
            raise Forbidden("您的房屋在表决开始后才登记，不在本次表决名册中", code="not_on_roll")
        voter_key = (
            f"h{voter.household_id}" if box.ballot_per == "household" else f"u{actor.user_id}"
        )
        decision, marks = _choice(box, box.option_ids, data)
        values, receipt = _new_ballot(
            box.id, voter_key, voter.household_id, elector, decision,
            channel="online", cast_by_id=actor.user_id,
        )
        # Without changes allowed the unique (consultation, voter) constraint alone decides:
        # no lookup first (see _insert); a change needs the standing ballot, locked.
        standing = _standing_ballot(box.id, voter_key) if box.allow_change else None
        if standing is None:
            ballot_id = _insert(values, marks)
        else:
            ballot_id = _replace(standing, values, marks, actor)
        return CastBallot(**_shown(values), id=ballot_id, marks=marks, receipt=receipt)


def _ballot_box(community_id: int, consultation_id: int) -> BallotBox | None:
    row = (
        db.session.connection()
        .execute(_BALLOT_BOX, {"community_id": community_id, "consultation_id": consultation_id})
        .first()
    )
    if row is None:
        return None
    fields = row._asdict()
    options = fields.pop("option_ids") or ""
    return BallotBox(**fields, option_ids=frozenset(int(i) for i in options.split(",") if i))


def _households_of(box: BallotBox, user_id: int) -> list[sa.Row]:
    """The caller's memberships that give a say (`eligible_memberships`), one row per household,
    with the household's entry on the roll (`on_roll` is None for a household not on it)."""
    return (
        db.session.connection()
        .execute(
            _households_query(box.scope, box.electorate),
            {"consultation_id": box.id, "community_id": box.community_id, "user_id": user_id},
        )
        .all()
    )


@dataclass(frozen=True)
class _AnyConsultation:
    """A consultation of one scope and electorate whose ids are bound at execution."""

    scope: str
    electorate: str
    id = sa.bindparam("consultation_id")
    community_id = sa.bindparam("community_id")


@functools.cache
def _households_query(scope: str, electorate: str) -> sa.Select:
    """`_households_of`'s statement, built once per kind of consultation."""
    consultation = _AnyConsultation(scope, electorate)
    elector = ConsultationElector
    return (
        eligible_memberships_query(consultation)
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
                    elector.consultation_id == consultation.id,
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
        raise Conflict("该户已提交书面表决票，不能再在线投票", code="ballot_cast_on_paper")
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
        raise _voting_not_open()
    standing_marks = connection.execute(
        sa.select(BallotMark.option_id, BallotMark.rank, BallotMark.points)
        .where(BallotMark.ballot_id == standing.id)
        .order_by(BallotMark.option_id)
    ).all()
    _retire(standing, choice_record(standing.decision, standing_marks), actor, "changed")
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
        action="consultation.participate",
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


# ---------------------------------------------------------------- paper and proxy


def record_paper_ballot(
    *, actor: Actor, community_id: int, consultation_id: int, data: dict
) -> CastBallot:
    """The committee enters a signed paper ballot (书面投票) or a proxy's ballot for a household.

    A form counts when it was received while voting was open (`received_at`, now by default):
    forms collected door to door until the deadline may still be keyed in after the close, until
    the result is published; each one entered then recounts the stored result.

    Outcomes: the ballot with its receipt code, for the owner's copy (201); 409
    `paper_ballots_per_household` for per-resident consultations; 404 `household_not_on_roll`;
    409 `ballot_already_cast` (online or on paper: one ballot per household, whichever came
    first); 422 `invalid_choice`; 422 `received_outside_voting` for a form received before
    voting opened, after it closed or in the future; 409 `voting_not_open` before voting and
    after a cancel, 409 `result_published` once the result is published.
    """
    with transaction():
        context = _committee(actor, community_id, consultation_id)
        consultation = context.consultation
        now = utcnow()
        received_at = data.get("received_at") or now
        _require_paper_counts(consultation, received_at, now)
        if consultation.ballot_per != "household":
            raise Conflict("每人一票的议事协商不接受书面票", code="paper_ballots_per_household")
        elector = _elector(consultation, data["household_id"])
        if elector is None:
            raise NotFound("该房屋不在本次表决名册中", code="household_not_on_roll")
        options = {option.id for option in consultation.options}
        decision, marks = _choice(consultation, options, data)
        values, receipt = _new_ballot(
            consultation.id, f"h{elector.household_id}", elector.household_id, elector, decision,
            channel=data["channel"], cast_by_id=actor.user_id, paper_ref=data["paper_ref"],
            proxy_name=data.get("proxy_name") if data["channel"] == "proxy" else None,
            cast_at=received_at,
        )
        ballot_id = _insert(values, marks, status=consultation.status)
        _recount_if_closed(consultation, now)
        audit.record(
            action="ballot.paper_recorded",
            target_type="ballot",
            target_id=ballot_id,
            community=context.community,
            actor=actor,
            details={
                "consultation_id": consultation.id,
                "household_id": elector.household_id,
                "channel": values["channel"],
                "received_at": received_at.isoformat(),
                "after_close": consultation.status == "closed",
            },
        )
        return CastBallot(**_shown(values), id=ballot_id, marks=marks, receipt=receipt)


def void_paper_ballot(
    *, actor: Actor, community_id: int, consultation_id: int, ballot_id: int, reason: str
) -> None:
    """Undo a paper or proxy ballot entered by mistake (committee), while voting is open or,
    after the close, until the result is published (the stored result is recounted); it moves to
    the history with the reason, and the household may vote again (on paper after the close).

    Outcomes: 204; 404 `ballot_not_found`; 409 `online_ballot` (a resident's own ballot is
    theirs to change, never the committee's); 409 `voting_not_open`; 409 `result_published`.
    """
    with transaction():
        context = _committee(actor, community_id, consultation_id)
        _require_paper_open(context.consultation)
        ballot = db.session.scalar(
            sa.select(Ballot)
            .where(Ballot.id == ballot_id, Ballot.consultation_id == context.consultation.id)
            .with_for_update()
        )
        if ballot is None:
            raise NotFound("未找到该表决票", code="ballot_not_found")
        if ballot.channel == "online":
            raise Conflict("居民在线提交的表决票不能由工作人员作废", code="online_ballot")
        _retire(ballot, choice_of(ballot), actor, "voided", reason)
        db.session.delete(ballot)
        db.session.flush()
        _recount_if_closed(context.consultation, utcnow())
        audit.record(
            action="ballot.voided",
            target_type="ballot",
            target_id=ballot_id,
            community=context.community,
            actor=actor,
            details={
                "consultation_id": context.consultation.id,
                "household_id": ballot.household_id,
                "channel": ballot.channel,
            },
        )


# ---------------------------------------------------------------- the rules of a choice


def _choice(
    consultation: Consultation | BallotBox, known: Set[int], data: dict
) -> tuple[str | None, list[dict]]:
    """Check the choice against the method and the consultation's options (`known`); return
    the decision or the marks to store."""
    decision = data.get("decision")
    option_ids = data.get("option_ids")
    points = data.get("points")
    if consultation.is_owners_decision:
        if decision is None or option_ids is not None or points is not None:
            _invalid("decision", "请选择同意、反对或弃权")
        return decision, []
    if decision is not None:
        _invalid("decision", "本次表决不是业主共同决定")
    option_count = len(known)
    if consultation.method == "points":
        if not points or option_ids is not None:
            _invalid("points", "请为选项分配积分")
        chosen = [entry["option_id"] for entry in points]
        _check_options(chosen, known, "points")
        total = sum(entry["points"] for entry in points)
        if total > consultation.points_budget:
            _invalid("points", f"积分合计 {total}，超过可分配的 {consultation.points_budget} 分")
        return None, [_mark(entry["option_id"], points=entry["points"]) for entry in points]
    if not option_ids or points is not None:
        _invalid("option_ids", "请选择选项")
    _check_options(option_ids, known, "option_ids")
    if consultation.method == "single":
        low = high = 1
    elif consultation.method == "multiple":
        low, high = consultation.min_choices or 1, consultation.max_choices or option_count
    else:  # ranking: the options in order of preference, at least min_choices of them
        low, high = consultation.min_choices or 1, option_count
    if not low <= len(option_ids) <= high:
        _invalid("option_ids", f"应选择 {low} 至 {high} 项" if low != high else f"应选择 {low} 项")
    if consultation.method == "ranking":
        return None, [
            _mark(option_id, rank=rank) for rank, option_id in enumerate(option_ids, start=1)
        ]
    return None, [_mark(option_id) for option_id in option_ids]


def _mark(option_id: int, *, rank: int | None = None, points: int | None = None) -> dict:
    return {"option_id": option_id, "rank": rank, "points": points}


def _check_options(chosen: list[int], known: set[int], field: str) -> None:
    if len(set(chosen)) != len(chosen):
        _invalid(field, "同一选项不能重复")
    if not set(chosen) <= known:
        _invalid(field, "选项不属于本次表决")


def _invalid(field: str, message: str):
    raise InvalidInput(message, code="invalid_choice", errors={"json": {field: [message]}})


# ---------------------------------------------------------------- helpers


def _require_voting_open(consultation: Consultation) -> None:
    # The scheduler may close a little after the deadline; the deadline itself is the rule.
    if consultation.status != "voting" or utcnow() >= consultation.voting_closes_at:
        raise _voting_not_open()


def _voting_not_open() -> Conflict:
    return Conflict("当前不在表决时间内", code="voting_not_open")


def _require_paper_open(consultation: Consultation) -> None:
    """Paper ballots are entered while voting and, after the close, until publication."""
    if consultation.status == "published":
        raise Conflict("表决结果已公示，不能再录入或作废书面票", code="result_published")
    if consultation.status not in ("voting", "closed"):
        raise _voting_not_open()


def _require_paper_counts(consultation: Consultation, received_at: datetime, now: datetime):
    """A paper form counts when it was received while voting was open."""
    _require_paper_open(consultation)
    # Closed early, voting ended at the close, not at the planned deadline.
    closes = (
        consultation.closed_at if consultation.status == "closed" else consultation.voting_closes_at
    )
    if not consultation.voting_opened_at <= received_at < closes or received_at > now:
        message = "书面票的收到时间须在表决期间内，且不晚于当前时间"
        raise InvalidInput(
            message, code="received_outside_voting", errors={"json": {"received_at": [message]}}
        )


def _recount_if_closed(consultation: Consultation, now: datetime) -> None:
    """After the close the stored result is what gets published: keep it counting every
    ballot (the consultation's row is locked, so no two recounts interleave)."""
    if consultation.status == "closed":
        consultation.result = results.compute(consultation, final=True, now=now)


def _elector(consultation: Consultation, household_id: int) -> ConsultationElector | None:
    return db.session.scalar(
        sa.select(ConsultationElector).where(
            ConsultationElector.consultation_id == consultation.id,
            ConsultationElector.household_id == household_id,
        )
    )


def _new_ballot(
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


def _shown(values: dict) -> dict:
    """The fields of a ballot's row its voter sees (`CastBallot`)."""
    return {
        name: values[name]
        for name in (
            "consultation_id", "household_id", "channel", "proxy_name", "decision",
            "revision", "cast_at", "receipt_hash",
        )
    }


def _insert(values: dict, marks: list[dict], *, status: str = "voting") -> int:
    """Store a new ballot while the consultation is still in `status` (409 `voting_not_open`
    otherwise); the unique (consultation, voter) constraint refuses a second one."""
    try:
        ballot_id = (
            db.session.connection()
            .execute(_INSERT_BALLOT, {**values, **_taking(values["consultation_id"], status)})
            .scalar()
        )
    except IntegrityError:
        db.session.rollback()
        _refuse_second_ballot(values)
    if ballot_id is None:
        raise _voting_not_open()
    _insert_marks(ballot_id, values["consultation_id"], marks)
    return ballot_id


def _taking(consultation_id: int, status: str) -> dict:
    """The parameters of `_STILL_TAKING_BALLOTS`."""
    return {"taking_consultation_id": consultation_id, "taking_status": status}


def _insert_marks(ballot_id: int, consultation_id: int, marks: list[dict]) -> None:
    if marks:
        db.session.connection().execute(
            _INSERT_MARKS,
            [{**mark, "ballot_id": ballot_id, "consultation_id": consultation_id} for mark in marks],
        )


def _refuse_second_ballot(values: dict) -> NoReturn:
    """The voter's ballot is already in: say whether it came on paper."""
    channel = db.session.scalar(
        sa.select(Ballot.channel).where(
            Ballot.consultation_id == values["consultation_id"],
            Ballot.voter_key == values["voter_key"],
        )
    )
    if channel is not None and channel != "online" and values["channel"] == "online":
        raise Conflict("该户已提交书面表决票，不能再在线投票", code="ballot_cast_on_paper")
    raise Conflict("该户（或您）已投票", code="ballot_already_cast")


def _retire(ballot, choice: dict, actor: Actor, reason: str, void_reason: str | None = None):
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


def choice_of(ballot: Ballot) -> dict:
    return choice_record(ballot.decision, ballot.marks)


def choice_record(decision: str | None, marks) -> dict:
    """How the history keeps a choice: the decision, or each mark (by option) as a triple."""
    if decision is not None:
        return {"decision": decision}
    return {"marks": [[m.option_id, m.rank, m.points] for m in marks]}


def _committee(actor: Actor, community_id: int, consultation_id: int) -> Context:
    # Locked: paper ballots wait for a close in progress, and recounts after it take turns.
    return load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.record_paper_ballot",
        lock=True,
    )


__all__ = ["CHANNELS", "cast_ballot", "my_ballots", "record_paper_ballot", "void_paper_ballot"]
