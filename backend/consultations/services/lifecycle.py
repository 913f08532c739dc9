"""A consultation's life, as the committee runs it: schedule, open, extend, close, cancel, publish.

The scheduler moves consultations on at their dates through the same steps (`advance_due`), so
"opened by hand" and "opened at 8:00" do the same things: check, snapshot the roll, tell
residents, write the audit entry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.accounts.services.memberships import committee_user_ids
from backend.consultations.models import (
    RUNNING,
    Ballot,
    Consultation,
)
from backend.consultations.services import notices, results
from backend.consultations.services.common import (
    Context,
    eligible_memberships_query,
    eligible_user_ids,
)
from backend.consultations.services.design import (
    check_design,
    clear_stall,
    first_start,
    first_start_field,
    managed,
)
from backend.consultations.services.electorate import check_areas_known, snapshot_electorate
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, DomainError, InvalidInput
from backend.core.tenancy.models import Community

log = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(hours=24)


# ---------------------------------------------------------------- running


def schedule_consultation(*, actor: Actor, community_id: int, consultation_id: int):
    """Let a draft open by itself at its first date (committee).

    Outcomes: `scheduled`; 409 `consultation_not_draft`; 422 `start_in_past` when the first date
    has passed (open it now instead).
    """
    with transaction():
        context = managed(actor, community_id, consultation_id, lock=True)
        consultation = context.consultation
        if consultation.status != "draft":
            raise Conflict("只有草稿可以定时发布", code="consultation_not_draft")
        check_design(consultation)
        if first_start(consultation) <= utcnow():
            raise InvalidInput(
                "计划开始时间已过，请修改时间或直接开始",
                code="start_in_past",
                errors={"json": {first_start_field(consultation): ["开始时间已过"]}},
            )
        consultation.status = "scheduled"
        _record(context, "consultation.scheduled", actor)
        return consultation


def open_consultation(*, actor: Actor, community_id: int, consultation_id: int):
    """Open the next phase now (committee): a draft or scheduled consultation starts collecting
    needs (or voting, when it has no needs phase); one collecting needs starts voting.

    Outcomes: the consultation in its new phase, residents in scope notified, any problem the
    scheduler reported (`stalled_code`) cleared; 409
    `consultation_not_openable` in any other state; 409 `closes_in_past` when the phase would
    already be over; 409 `household_area_missing` / `electorate_empty` when the roll cannot be
    drawn up (owners' decisions need every exclusive area).
    """
    with transaction():
        context = managed(actor, community_id, consultation_id, lock=True)
        _open_next_phase(context, actor, utcnow())
        return context.consultation


def extend_consultation(
    *, actor: Actor, community_id: int, consultation_id: int, closes_at: datetime, reason: str
):
    """Give the current phase more time (committee), with a reason residents see.

    Extending the needs phase past the start of voting moves the voting window by as much.
    Outcomes: the consultation; 409 `consultation_not_running` unless collecting or voting;
    422 `not_later` unless the new close is later than both the current one and now.
    """
    with transaction():
        context = managed(actor, community_id, consultation_id, lock=True)
        consultation = context.consultation
        now = utcnow()
        if consultation.status == "collecting":
            current = consultation.needs_closes_at
        elif consultation.status == "voting":
            current = consultation.voting_closes_at
        else:
            raise Conflict("只有进行中的征集或表决可以延期", code="consultation_not_running")
        if closes_at <= max(current, now):
            raise InvalidInput(
                "新的截止时间须晚于原截止时间和当前时间",
                code="not_later",
                errors={"json": {"closes_at": ["须晚于原截止时间"]}},
            )
        if consultation.status == "collecting":
            consultation.needs_closes_at = closes_at
            if closes_at > consultation.voting_opens_at:
                shift = closes_at - consultation.voting_opens_at
                consultation.voting_opens_at += shift
                consultation.voting_closes_at += shift
        else:
            consultation.voting_closes_at = closes_at
            if closes_at - now > REMIND_BEFORE:
                consultation.reminded_at = None  # the reminder belongs to the new deadline
        consultation.status_reason = reason
        clear_stall(consultation)
        notices.tell(
            eligible_user_ids(consultation),
            consultation=consultation,
            community=context.community,
            kind="consultation_extended",
            title=f"议事协商延期：{consultation.title}",
            body=f"截止时间延至 {notices.local_time(closes_at, context.community)}。原因：{reason}",
            deadline=closes_at,
            note="截止时间已延长",
        )
        _record(context, "consultation.extended", actor, phase=consultation.status)
        return consultation


def close_consultation(*, actor: Actor, community_id: int, consultation_id: int, reason: str):
    """Close voting early (committee), with a reason; the result is computed now.

    Outcomes: `closed` with its result; 409 `consultation_not_voting`.
    """
    with transaction():
        context = managed(actor, community_id, consultation_id, lock=True)
        if context.consultation.status != "voting":
            raise Conflict("只有表决中的议事协商可以提前截止", code="consultation_not_voting")
        context.consultation.status_reason = reason
        _close(context, actor, utcnow())
        return context.consultation


def cancel_consultation(*, actor: Actor, community_id: int, consultation_id: int, reason: str):
    """Cancel a scheduled or running consultation (committee); residents who could see it are
    told why. Its ballots stay, uncounted. Outcome: 409 `consultation_not_running` otherwise
    (delete a draft; a closed vote stands)."""
    with transaction():
        context = managed(actor, community_id, consultation_id, lock=True)
        consultation = context.consultation
        if consultation.status not in RUNNING:
            raise Conflict("只有计划中或进行中的议事协商可以取消", code="consultation_not_running")
        was_public = consultation.status != "scheduled"
        consultation.status = "cancelled"
        consultation.status_reason = reason
        clear_stall(consultation)
        if was_public:
            notices.tell(
                eligible_user_ids(consultation),
                consultation=consultation,
                community=context.community,
                kind="consultation_cancelled",
                title=f"议事协商已取消：{consultation.title}",
                body=f"原因：{reason}",
                note="议事协商已取消",
            )
        _record(context, "consultation.cancelled", actor)
        return consultation


def publish_result(*, actor: Actor, community_id: int, consultation_id: int):
    """Publish the result of a closed vote (committee, 公示): everyone in scope is told it.

    Outcomes: `published`; 409 `consultation_not_closed`.
    """
    with transaction():
        context = managed(actor, community_id, consultation_id, lock=True)
        consultation = context.consultation
        if consultation.status != "closed":
            raise Conflict("只有已截止的表决可以公示结果", code="consultation_not_closed")
        consultation.status = "published"
        consultation.published_at = utcnow()
        notices.tell(
            eligible_user_ids(consultation),
            consultation=consultation,
            community=context.community,
            kind="consultation_result",
            title=f"表决结果公示：{consultation.title}",
            body=results.summary(consultation.result),
            note="表决结果已公示",
        )
        _record(context, "consultation.published", actor)
        return consultation


# ---------------------------------------------------------------- the scheduler's part


def advance_due(now: datetime | None = None) -> dict[str, int]:
    """Move every consultation whose date has come: open scheduled ones, start voting after the
    needs phase, close votes at their deadline, remind those who have not voted 24 hours before.

    Each consultation moves in a transaction of its own: one that cannot move (an exclusive area
    missing from the register) is left for the committee, the others go on. Its committee is told
    why, once per problem (`consultation_stalled`, audit `consultation.stalled`), and it is tried
    again every run: it moves on by itself once the problem is fixed.
    """
    now = now or utcnow()
    due = {
        "opened": sa.select(Consultation.id).where(
            Consultation.status == "scheduled",
            sa.func.coalesce(Consultation.needs_opens_at, Consultation.voting_opens_at) <= now,
        ),
        "voting_opened": sa.select(Consultation.id).where(
            Consultation.status == "collecting", Consultation.voting_opens_at <= now
        ),
        "closed": sa.select(Consultation.id).where(
            Consultation.status == "voting", Consultation.voting_closes_at <= now
        ),
        "reminded": sa.select(Consultation.id).where(
            Consultation.status == "voting",
            Consultation.reminded_at.is_(None),
            Consultation.voting_closes_at > now,
            Consultation.voting_closes_at <= now + REMIND_BEFORE,
        ),
    }
    done = dict.fromkeys(due, 0)
    for outcome, query in due.items():
        for consultation_id in db.session.scalars(query.order_by(Consultation.id)).all():
            try:
                if _advance_one(consultation_id, outcome, now):
                    done[outcome] += 1
            except (Conflict, InvalidInput) as exc:
                log.warning("consultation %s cannot be %s: %s", consultation_id, outcome, exc.code)
                _report_stall(consultation_id, outcome, exc, now)
    return done


def _advance_one(consultation_id: int, outcome: str, now: datetime) -> bool:
    with transaction():
        consultation = db.session.scalar(
            sa.select(Consultation).where(Consultation.id == consultation_id).with_for_update()
        )
        community = db.session.get(Community, consultation.community_id)
        context = Context(community, consultation, frozenset())
        if outcome in ("opened", "voting_opened"):
            if consultation.status not in ("scheduled", "collecting"):
                return False
            _open_next_phase(context, None, now)
        elif outcome == "closed":
            if consultation.status != "voting":
                return False
            _close(context, None, now)
        else:
            if consultation.status != "voting" or consultation.reminded_at is not None:
                return False
            if consultation.voting_opened_at > consultation.voting_closes_at - REMIND_BEFORE:
                # The opening notice, sent less than a day before the close, is the reminder.
                # reminded_at stays empty: a deadline extended later gets its own reminder.
                return False
            _remind(context, now)
        return True


def _report_stall(consultation_id: int, outcome: str, problem: DomainError, now: datetime):
    """Mark the consultation with what keeps it from moving on and tell its committee, unless
    this very problem was reported already. Its own transaction: the failed step rolled back."""
    with transaction():
        consultation = db.session.scalar(
            sa.select(Consultation).where(Consultation.id == consultation_id).with_for_update()
        )
        if consultation.status not in RUNNING or consultation.stalled_code == problem.code:
            return
        consultation.stalled_code = problem.code
        consultation.stalled_at = now
        community = db.session.get(Community, consultation.community_id)
        needs_next = consultation.status == "scheduled" and consultation.needs_opens_at
        phase = "需求征集" if needs_next else "表决"
        notices.tell(
            committee_user_ids(community.id),
            consultation=consultation,
            community=community,
            kind="consultation_stalled",
            title=f"未能按时开始{phase}：{consultation.title}",
            body=f"{problem.message}。处理后系统会自动开始，也可以手动开始。",
            note=f"未能按时开始{phase}",
        )
        _record(
            Context(community, consultation, frozenset()),
            "consultation.stalled",
            None,
            problem=problem.code,
            step=outcome,
        )


# ---------------------------------------------------------------- the steps themselves


def _open_next_phase(context: Context, actor: Actor | None, now: datetime) -> None:
    consultation = context.consultation
    if consultation.status in ("draft", "scheduled"):
        check_design(consultation)
        if consultation.needs_opens_at is not None:
            _open_needs_phase(context, actor, now)
        else:
            _open_voting(context, actor, now)
    elif consultation.status == "collecting":
        _open_voting(context, actor, now)
    else:
        raise Conflict("当前状态不能开始下一阶段", code="consultation_not_openable")
    clear_stall(consultation)


def _open_needs_phase(context: Context, actor: Actor | None, now: datetime) -> None:
    consultation = context.consultation
    if consultation.needs_closes_at <= now:
        raise Conflict("需求征集截止时间已过，请先修改时间", code="closes_in_past")
    consultation.needs_opens_at = min(consultation.needs_opens_at, now)
    consultation.status = "collecting"
    notices.tell(
        eligible_user_ids(consultation),
        consultation=consultation,
        community=context.community,
        kind="consultation_opened",
        title=f"需求征集开始：{consultation.title}",
        body=f"欢迎提出需求、参与讨论，征集截至 "
        f"{notices.local_time(consultation.needs_closes_at, context.community)}。",
        deadline=consultation.needs_closes_at,
        note="需求征集已开始",
    )
    _record(context, "consultation.opened", actor, phase="collecting")


def _open_voting(context: Context, actor: Actor | None, now: datetime) -> None:
    consultation = context.consultation
    if consultation.voting_closes_at <= now:
        raise Conflict("表决截止时间已过，请先修改时间", code="closes_in_past")
    check_design(consultation)
    if consultation.is_owners_decision:
        check_areas_known(consultation)
    if consultation.needs_closes_at is not None and consultation.needs_closes_at > now:
        consultation.needs_closes_at = now  # voting opened early ends the needs phase
    consultation.voting_opens_at = min(consultation.voting_opens_at, now)
    consultation.voting_opened_at = now
    consultation.status = "voting"
    if snapshot_electorate(consultation) == 0:
        raise Conflict("表决范围内没有登记的房屋", code="electorate_empty")
    notices.tell(
        eligible_user_ids(consultation),
        consultation=consultation,
        community=context.community,
        kind="consultation_opened",
        title=f"表决开始：{consultation.title}",
        body=f"请在 {notices.local_time(consultation.voting_closes_at, context.community)} "
        "前投票。",
        deadline=consultation.voting_closes_at,
        note="表决已开始，请及时投票",
    )
    _record(context, "consultation.opened", actor, phase="voting")


def _close(context: Context, actor: Actor | None, now: datetime) -> None:
    consultation = context.consultation
    consultation.status = "closed"
    consultation.closed_at = now
    db.session.flush()
    consultation.result = results.compute(consultation, final=True, now=now)
    _record(context, "consultation.closed", actor, ballots=consultation.result["ballots"])


def _remind(context: Context, now: datetime) -> None:
    consultation = context.consultation
    consultation.reminded_at = now
    waiting = _not_yet_voted(consultation)
    notices.tell(
        waiting,
        consultation=consultation,
        community=context.community,
        kind="consultation_reminder",
        title=f"表决即将截止：{consultation.title}",
        body=f"您尚未投票，表决将于 "
        f"{notices.local_time(consultation.voting_closes_at, context.community)} 截止。",
        deadline=consultation.voting_closes_at,
        note="您尚未投票",
    )
    _record(context, "consultation.reminded", None, recipients=len(waiting))


def _not_yet_voted(consultation: Consultation) -> list[int]:
    memberships = eligible_memberships_query(consultation).subquery()
    if consultation.ballot_per == "household":
        voted = sa.select(Ballot.household_id).where(Ballot.consultation_id == consultation.id)
        query = sa.select(memberships.c.user_id).where(memberships.c.household_id.not_in(voted))
    else:
        voted = sa.select(Ballot.voter_key).where(Ballot.consultation_id == consultation.id)
        query = sa.select(memberships.c.user_id).where(
            (sa.literal("u") + sa.cast(memberships.c.user_id, sa.String)).not_in(voted)
        )
    return list(db.session.scalars(query.distinct().order_by(memberships.c.user_id)))


def _record(context: Context, action: str, actor: Actor | None, **details) -> None:
    audit.record(
        action=action,
        target_type="consultation",
        target_id=context.consultation.id,
        community=context.community,
        actor=actor,
        actor_role=None if actor else "scheduler",
        details={"status": context.consultation.status, **details},
    )
