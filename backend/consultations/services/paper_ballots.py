"""Paper and proxy ballots, as the committee enters them: signed forms (书面投票) and proxies'
ballots for a household, keyed in while voting is open and, for forms received in time, after
the close until the result is published; each one entered or voided then recounts the stored
result. They are written like online ballots (ballots.py), one per household whichever came
first.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.consultations.choices import choice_record
from backend.consultations.models import Ballot, Consultation, ConsultationElector
from backend.consultations.services import results
from backend.consultations.services.ballots import (
    CastBallot,
    cast_ballot_of,
    checked_choice,
    insert_ballot,
    new_ballot,
    retire,
    voting_not_open,
)
from backend.consultations.services.common import Context, load
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, InvalidInput, NotFound


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
        decision, marks = checked_choice(consultation, options, data)
        values, receipt = new_ballot(
            consultation.id, f"h{elector.household_id}", elector.household_id, elector, decision,
            channel=data["channel"], cast_by_id=actor.user_id, paper_ref=data["paper_ref"],
            proxy_name=data.get("proxy_name") if data["channel"] == "proxy" else None,
            cast_at=received_at,
        )
        ballot_id = insert_ballot(values, marks, status=consultation.status)
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
        return cast_ballot_of(values, ballot_id, marks, receipt)


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
        retire(ballot, choice_record(ballot.decision, ballot.marks), actor, "voided", reason)
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


def _committee(actor: Actor, community_id: int, consultation_id: int) -> Context:
    # Locked: paper ballots wait for a close in progress, and recounts after it take turns.
    return load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.record_paper_ballot",
        lock=True,
    )


def _require_paper_open(consultation: Consultation) -> None:
    """Paper ballots are entered while voting and, after the close, until publication."""
    if consultation.status == "published":
        raise Conflict("表决结果已公示，不能再录入或作废书面票", code="result_published")
    if consultation.status not in ("voting", "closed"):
        raise voting_not_open()


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
