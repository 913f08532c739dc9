"""Casting ballots: online by residents, on paper or by proxy as entered by the committee.

One ballot counts per voter (household, or resident when so configured): the database's unique
constraint on (consultation, voter) is the referee, so simultaneous requests cannot both count.
A voter who may change their ballot replaces it in place; the old one moves to the history.
Each ballot gets a receipt code, shown once; only its SHA-256 is kept, and the bulletin lists it
after the close so the voter can check their ballot was counted as cast.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.consultations.models import (
    CHANNELS,
    Ballot,
    BallotHistory,
    BallotMark,
    Consultation,
    ConsultationElector,
)
from backend.consultations.services.common import (
    Context,
    eligible_memberships,
    load,
    require_eligible,
)
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, Forbidden, InvalidInput, NotFound

# Receipt codes: 16 characters of an alphabet without look-alikes (0/O, 1/I/L), 80 bits.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 16


@dataclass(frozen=True)
class CastBallot:
    """A ballot as its voter sees it right after casting: the receipt code appears only here."""

    ballot: Ballot
    receipt: str

    def __getattr__(self, name):
        return getattr(self.ballot, name)


def new_receipt() -> tuple[str, str]:
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    code = "-".join(code[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))
    return code, receipt_hash(code)


def receipt_hash(code: str) -> str:
    normalised = code.strip().upper().replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


# ---------------------------------------------------------------- online


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
        context = load(
            actor=actor,
            community_id=community_id,
            consultation_id=consultation_id,
            action="consultation.participate",
        )
        consultation = context.consultation
        _require_voting_open(consultation)
        membership = require_eligible(actor, consultation, data.get("household_id"))
        household_id = membership.household_id
        elector = _elector(consultation, household_id)
        if elector is None and consultation.ballot_per == "household":
            raise Forbidden("您的房屋在表决开始后才登记，不在本次表决名册中", code="not_on_roll")
        voter_key = (
            f"h{household_id}" if consultation.ballot_per == "household" else f"u{actor.user_id}"
        )
        decision, marks = _choice(consultation, data)
        # Without changes allowed the unique (consultation, voter) constraint alone decides:
        # no lookup first (see _save); a change needs the standing ballot, locked.
        existing = None
        if consultation.allow_change:
            existing = db.session.scalar(
                sa.select(Ballot)
                .where(Ballot.consultation_id == consultation.id, Ballot.voter_key == voter_key)
                .with_for_update()
            )
        if existing is not None:
            if existing.channel != "online":
                raise Conflict("该户已提交书面表决票，不能再在线投票", code="ballot_cast_on_paper")
            if not consultation.allow_change:
                raise Conflict("您已投票，本次表决不允许修改", code="ballot_already_cast")
            _retire(existing, actor, "changed")
            # Replace the marks in SQL first: the unit of work would insert the new marks
            # before deleting the old ones, and the same option would clash on the key.
            db.session.execute(sa.delete(BallotMark).where(BallotMark.ballot_id == existing.id))
            db.session.expire(existing, ["marks"])
            ballot = existing
            ballot.revision += 1
        else:
            ballot = Ballot(consultation_id=consultation.id, voter_key=voter_key)
        code, digest = new_receipt()
        _fill(ballot, consultation, elector, household_id, decision, marks)
        ballot.channel = "online"
        ballot.proxy_name = ballot.paper_ref = None
        ballot.cast_by_id = actor.user_id
        ballot.receipt_hash = digest
        ballot.cast_at = utcnow()
        _save(ballot)
        return CastBallot(ballot, code)


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

    Outcomes: the ballot with its receipt code, for the owner's copy (201); 409
    `paper_ballots_per_household` for per-resident consultations; 404 `household_not_on_roll`;
    409 `ballot_already_cast` (online or on paper: one ballot per household, whichever came
    first); 422 `invalid_choice`; 409 `voting_not_open`.
    """
    with transaction():
        context = _committee(actor, community_id, consultation_id)
        consultation = context.consultation
        _require_voting_open(consultation)
        if consultation.ballot_per != "household":
            raise Conflict("每人一票的议事协商不接受书面票", code="paper_ballots_per_household")
        elector = _elector(consultation, data["household_id"])
        if elector is None:
            raise NotFound("该房屋不在本次表决名册中", code="household_not_on_roll")
        decision, marks = _choice(consultation, data)
        ballot = Ballot(consultation_id=consultation.id, voter_key=f"h{elector.household_id}")
        code, digest = new_receipt()
        _fill(ballot, consultation, elector, elector.household_id, decision, marks)
        ballot.channel = data["channel"]
        ballot.proxy_name = data.get("proxy_name") if data["channel"] == "proxy" else None
        ballot.paper_ref = data["paper_ref"]
        ballot.cast_by_id = actor.user_id
        ballot.receipt_hash = digest
        ballot.cast_at = utcnow()
        _save(ballot)
        audit.record(
            action="ballot.paper_recorded",
            target_type="ballot",
            target_id=ballot.id,
            community=context.community,
            actor=actor,
            details={
                "consultation_id": consultation.id,
                "household_id": elector.household_id,
                "channel": ballot.channel,
            },
        )
        return CastBallot(ballot, code)


def void_paper_ballot(
    *, actor: Actor, community_id: int, consultation_id: int, ballot_id: int, reason: str
) -> None:
    """Undo a paper or proxy ballot entered by mistake (committee), while voting is open; it
    moves to the history with the reason, and the household may vote again.

    Outcomes: 204; 404 `ballot_not_found`; 409 `online_ballot` (a resident's own ballot is
    theirs to change, never the committee's); 409 `voting_not_open`.
    """
    with transaction():
        context = _committee(actor, community_id, consultation_id)
        _require_voting_open(context.consultation)
        ballot = db.session.scalar(
            sa.select(Ballot)
            .where(Ballot.id == ballot_id, Ballot.consultation_id == context.consultation.id)
            .with_for_update()
        )
        if ballot is None:
            raise NotFound("未找到该表决票", code="ballot_not_found")
        if ballot.channel == "online":
            raise Conflict("居民在线提交的表决票不能由工作人员作废", code="online_ballot")
        _retire(ballot, actor, "voided", reason)
        db.session.delete(ballot)
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


def _choice(consultation: Consultation, data: dict) -> tuple[str | None, list[BallotMark]]:
    """Check the choice against the method; return the decision or the marks to store."""
    decision = data.get("decision")
    option_ids = data.get("option_ids")
    points = data.get("points")
    if consultation.is_owners_decision:
        if decision is None or option_ids is not None or points is not None:
            _invalid("decision", "请选择同意、反对或弃权")
        return decision, []
    if decision is not None:
        _invalid("decision", "本次表决不是业主共同决定")
    known = {option.id for option in consultation.options}
    option_count = len(known)
    if consultation.method == "points":
        if not points or option_ids is not None:
            _invalid("points", "请为选项分配积分")
        chosen = [entry["option_id"] for entry in points]
        _check_options(chosen, known, "points")
        total = sum(entry["points"] for entry in points)
        if total > consultation.points_budget:
            _invalid("points", f"积分合计 {total}，超过可分配的 {consultation.points_budget} 分")
        return None, [
            BallotMark(option_id=entry["option_id"], points=entry["points"]) for entry in points
        ]
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
            BallotMark(option_id=option_id, rank=rank)
            for rank, option_id in enumerate(option_ids, start=1)
        ]
    return None, [BallotMark(option_id=option_id) for option_id in option_ids]


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
        raise Conflict("当前不在表决时间内", code="voting_not_open")


def _elector(consultation: Consultation, household_id: int) -> ConsultationElector | None:
    return db.session.scalar(
        sa.select(ConsultationElector).where(
            ConsultationElector.consultation_id == consultation.id,
            ConsultationElector.household_id == household_id,
        )
    )


def _fill(ballot, consultation, elector, household_id, decision, marks) -> None:
    ballot.household_id = household_id
    ballot.building_id = elector.building_id if elector else None
    # Owners' decisions count area and heads as the roll had them when voting opened.
    ballot.owner_no = elector.owner_no if elector else None
    ballot.shared_owner = elector.shared_owner if elector else False
    ballot.area = elector.area if elector else None
    ballot.decision = decision
    for mark in marks:
        mark.consultation_id = consultation.id
    ballot.marks = marks


def _retire(ballot: Ballot, actor: Actor, reason: str, void_reason: str | None = None) -> None:
    db.session.add(
        BallotHistory(
            consultation_id=ballot.consultation_id,
            voter_key=ballot.voter_key,
            household_id=ballot.household_id,
            channel=ballot.channel,
            receipt_hash=ballot.receipt_hash,
            choice=choice_of(ballot),
            revision=ballot.revision,
            cast_at=ballot.cast_at,
            ended_reason=reason,
            ended_by_id=actor.user_id,
            void_reason=void_reason,
        )
    )


def choice_of(ballot: Ballot) -> dict:
    if ballot.decision is not None:
        return {"decision": ballot.decision}
    return {"marks": [[m.option_id, m.rank, m.points] for m in ballot.marks]}


def _save(ballot: Ballot) -> None:
    if ballot.id is None:
        db.session.add(ballot)
    try:
        db.session.flush()
    except IntegrityError:
        # The voter's ballot is already in: say whether it came on paper.
        consultation_id, voter_key = ballot.consultation_id, ballot.voter_key
        db.session.rollback()
        channel = db.session.scalar(
            sa.select(Ballot.channel).where(
                Ballot.consultation_id == consultation_id, Ballot.voter_key == voter_key
            )
        )
        if channel is not None and channel != "online" and ballot.channel == "online":
            raise Conflict(
                "该户已提交书面表决票，不能再在线投票", code="ballot_cast_on_paper"
            ) from None
        raise Conflict("该户（或您）已投票", code="ballot_already_cast") from None


def _committee(actor: Actor, community_id: int, consultation_id: int) -> Context:
    return load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.record_paper_ballot",
    )


__all__ = ["CHANNELS", "cast_ballot", "my_ballots", "record_paper_ballot", "void_paper_ballot"]
