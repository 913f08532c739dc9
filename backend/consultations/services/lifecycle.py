"""A consultation's life, as the committee runs it: design, open, extend, close, cancel, publish.

The scheduler moves consultations on at their dates through the same steps (`advance_due`), so
"opened by hand" and "opened at 8:00" do the same things: check, snapshot the roll, tell
residents, write the audit entry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from backend.accounts.models import Membership
from backend.communities.models import Building, Community, Unit
from backend.communities.services.common import community_or_404, scoped_ids_or_404
from backend.consultations.models import (
    RUNNING,
    Ballot,
    Consultation,
    ConsultationOption,
    Need,
)
from backend.consultations.permissions import policy
from backend.consultations.services import notices, results
from backend.consultations.services.common import (
    Context,
    consultation_or_404,
    eligible_memberships_query,
    eligible_user_ids,
    load,
)
from backend.consultations.services.electorate import check_areas_known, snapshot_electorate
from backend.core.audit import services as audit
from backend.core.auth import Actor, Role
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(hours=24)
# Fields that shape who votes and how: fixed once the needs phase is under way.
FIXED_ONCE_COLLECTING = ("method", "needs_opens_at")


# ---------------------------------------------------------------- reading


def list_consultations(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    """The community's consultations, newest first. Overseers see every one, other staff all
    but drafts, residents those they are eligible for."""
    community = community_or_404(community_id)
    roles = policy.require(actor, "consultation.view", community)
    query = sa.select(Consultation).where(Consultation.community_id == community.id)
    if "status" in filters:
        query = query.where(Consultation.status == filters["status"])
    if not roles & policy.allowed_roles("consultation.view_all"):
        query = query.where(Consultation.status != "draft")
        if roles == {Role.RESIDENT}:
            query = query.where(_eligible_clause(actor.user_id))
    return query.order_by(Consultation.id.desc())


def _eligible_clause(user_id: int):
    """SQL: the user holds a verified resident membership in the consultation's scope."""
    from backend.communities.models import Household
    from backend.consultations.models import consultation_buildings, consultation_units

    in_scope = sa.or_(
        Consultation.scope == "community",
        sa.and_(
            Consultation.scope == "buildings",
            Household.building_id.in_(
                sa.select(consultation_buildings.c.building_id).where(
                    consultation_buildings.c.consultation_id == Consultation.id
                )
            ),
        ),
        sa.and_(
            Consultation.scope == "units",
            Household.unit_id.in_(
                sa.select(consultation_units.c.unit_id).where(
                    consultation_units.c.consultation_id == Consultation.id
                )
            ),
        ),
    )
    return (
        sa.select(Membership.id)
        .join(Household, Household.id == Membership.household_id)
        .where(
            Membership.user_id == user_id,
            Membership.role == Role.RESIDENT,
            Membership.status == "verified",
            Membership.community_id == Consultation.community_id,
            sa.or_(Consultation.electorate != "owners", Membership.relation == "owner"),
            in_scope,
        )
        .exists()
    )


def get_consultation(*, actor: Actor, community_id: int, consultation_id: int) -> Consultation:
    """One consultation. Outcomes: it, or 404 for drafts (to non-overseers), for residents
    outside its scope, and for another community's staff."""
    return load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.view",
    ).consultation


# ---------------------------------------------------------------- designing


def create_consultation(*, actor: Actor, community_id: int, data: dict) -> Consultation:
    """Draft a consultation (committee).

    Outcomes: the draft; 422 when the design does not hold together (see `_check_design`);
    404 for buildings, units or needs of another community.
    """
    with transaction():
        community = community_or_404(community_id)
        policy.require(actor, "consultation.manage", community)
        owners = data["method"] == "owners_decision"
        consultation = Consultation(
            community_id=community.id,
            created_by_id=actor.user_id,
            status="draft",
            question="",
            documents=[],
            scope="community",
            # The law decides who votes on an owners' matter; other votes default to residents.
            electorate="owners" if owners else "residents",
            ballot_per="household",
            allow_change=False,
            live_results=False,
        )
        _apply_design(consultation, community, data)
        db.session.add(consultation)
        db.session.flush()
        audit.record(
            action="consultation.created",
            target_type="consultation",
            target_id=consultation.id,
            community=community,
            actor=actor,
            details={"method": consultation.method},
        )
        return consultation


def update_consultation(
    *, actor: Actor, community_id: int, consultation_id: int, changes: dict
) -> Consultation:
    """Change the design (committee): anything while a draft or scheduled; while needs are
    collected, everything but the method and the needs phase's start (options may now take up
    collected needs).

    Outcomes: the consultation; 409 `consultation_locked` once voting opened; 409
    `consultation_field_fixed` for a fixed field; 422 for a design that does not hold together.
    """
    with transaction():
        context = _managed(actor, community_id, consultation_id)
        consultation = context.consultation
        if consultation.status not in ("draft", "scheduled", "collecting"):
            raise Conflict("表决已开始，不能再修改，可延期、提前截止或取消", code="consultation_locked")
        if consultation.status == "collecting":
            fixed = [name for name in FIXED_ONCE_COLLECTING if name in changes]
            if fixed:
                raise Conflict(
                    "需求征集已开始，表决方式和征集开始时间不能再修改",
                    code="consultation_field_fixed",
                    errors={"json": {name: ["征集开始后不可修改"] for name in fixed}},
                )
        _apply_design(consultation, context.community, changes)
        if consultation.status == "scheduled" and _first_start(consultation) <= utcnow():
            raise InvalidInput(
                "计划开始时间已过，请改为以后的时间或直接开始",
                code="start_in_past",
                errors={"json": {_first_start_field(consultation): ["开始时间已过"]}},
            )
        audit.record(
            action="consultation.edited",
            target_type="consultation",
            target_id=consultation.id,
            community=context.community,
            actor=actor,
            details={"fields": sorted(changes)},
        )
        return consultation


def delete_draft(*, actor: Actor, community_id: int, consultation_id: int) -> None:
    """Remove a draft made by mistake (committee). Outcome: 409 `not_a_draft` once it was
    scheduled or opened (cancel it instead, which residents can see)."""
    with transaction():
        context = _managed(actor, community_id, consultation_id)
        if context.consultation.status != "draft":
            raise Conflict("只能删除草稿，已发布的议事协商请取消", code="not_a_draft")
        db.session.delete(context.consultation)
        audit.record(
            action="consultation.deleted",
            target_type="consultation",
            target_id=consultation_id,
            community=context.community,
            actor=actor,
        )


def _apply_design(consultation: Consultation, community: Community, data: dict) -> None:
    data = dict(data)
    building_ids = data.pop("building_ids", None)
    unit_ids = data.pop("unit_ids", None)
    options = data.pop("options", None)
    for name, value in data.items():
        setattr(consultation, name, value)
    if building_ids is not None:
        consultation.buildings = scoped_ids_or_404(Building, building_ids, community)
    if unit_ids is not None:
        consultation.units = scoped_ids_or_404(Unit, unit_ids, community)
    if options is not None:
        consultation.options = [
            ConsultationOption(
                label=option["label"],
                description=option.get("description", ""),
                need_id=_need_to_vote_on(consultation, option.get("need_id")),
                position=position,
            )
            for position, option in enumerate(options)
        ]
    _check_design(consultation)


def _need_to_vote_on(consultation: Consultation, need_id: int | None) -> int | None:
    if need_id is None:
        return None
    need = db.session.scalar(
        sa.select(Need).where(Need.id == need_id, Need.consultation_id == consultation.id)
        if consultation.id
        else sa.select(Need).where(sa.false())
    )
    if need is None or need.status != "published":
        raise NotFound("未找到该需求", code="need_not_found")
    return need.id


def _check_design(consultation: Consultation) -> None:
    """The combinations that make a consultation meaningful; 422 naming every broken field."""
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    c = consultation
    option_count = len(c.options)
    if c.is_owners_decision:
        if c.matter is None:
            problem("matter", "业主共同决定须选择民法典第二百七十八条所列事项")
        if c.electorate != "owners":
            problem("electorate", "业主共同决定只能由业主表决")
        if c.ballot_per != "household":
            problem("ballot_per", "业主共同决定每户（专有部分）一票")
        if option_count:
            problem("options", "业主共同决定的选项固定为同意、反对、弃权")
        for name in ("min_choices", "max_choices", "points_budget"):
            if getattr(c, name) is not None:
                problem(name, "业主共同决定不适用此项")
    else:
        if c.matter is not None:
            problem("matter", "仅业主共同决定需要选择法定事项")
        if option_count < 2:
            problem("options", "至少需要两个选项")
        if c.method == "multiple":
            low, high = c.min_choices or 1, c.max_choices or option_count
            if not 1 <= low <= high <= max(option_count, 1):
                problem("max_choices", "应满足 1 ≤ 最少选择数 ≤ 最多选择数 ≤ 选项数")
        elif c.method == "ranking":
            if c.min_choices is not None and c.min_choices > option_count:
                problem("min_choices", "最少排序数不能超过选项数")
        elif c.method == "points" and c.points_budget is None:
            problem("points_budget", "分配积分须设定每人可分配的总分")
    if c.scope == "buildings" and not c.buildings:
        problem("building_ids", "请选择楼栋")
    if c.scope == "units" and not c.units:
        problem("unit_ids", "请选择单元")
    if c.scope != "buildings" and c.buildings:
        problem("building_ids", "仅在范围为指定楼栋时填写")
    if c.scope != "units" and c.units:
        problem("unit_ids", "仅在范围为指定单元时填写")
    if c.voting_opens_at and c.voting_closes_at and c.voting_opens_at >= c.voting_closes_at:
        problem("voting_closes_at", "表决截止时间须晚于开始时间")
    if (c.needs_opens_at is None) != (c.needs_closes_at is None):
        problem("needs_closes_at", "需求征集的开始和截止时间须同时填写")
    elif c.needs_opens_at is not None:
        if c.needs_opens_at >= c.needs_closes_at:
            problem("needs_closes_at", "征集截止时间须晚于开始时间")
        if c.voting_opens_at and c.needs_closes_at > c.voting_opens_at:
            problem("voting_opens_at", "表决须在需求征集截止后开始")
    if problems:
        raise InvalidInput("议事协商的设置不完整或相互矛盾", code="invalid_design",
                           errors={"json": problems})


def _first_start(consultation: Consultation) -> datetime:
    return consultation.needs_opens_at or consultation.voting_opens_at


def _first_start_field(consultation: Consultation) -> str:
    return "needs_opens_at" if consultation.needs_opens_at else "voting_opens_at"


# ---------------------------------------------------------------- running


def schedule_consultation(*, actor: Actor, community_id: int, consultation_id: int):
    """Let a draft open by itself at its first date (committee).

    Outcomes: `scheduled`; 409 `consultation_not_draft`; 422 `start_in_past` when the first date
    has passed (open it now instead).
    """
    with transaction():
        context = _managed(actor, community_id, consultation_id, lock=True)
        consultation = context.consultation
        if consultation.status != "draft":
            raise Conflict("只有草稿可以定时发布", code="consultation_not_draft")
        _check_design(consultation)
        if _first_start(consultation) <= utcnow():
            raise InvalidInput(
                "计划开始时间已过，请修改时间或直接开始",
                code="start_in_past",
                errors={"json": {_first_start_field(consultation): ["开始时间已过"]}},
            )
        consultation.status = "scheduled"
        _record(context, "consultation.scheduled", actor)
        return consultation


def open_consultation(*, actor: Actor, community_id: int, consultation_id: int):
    """Open the next phase now (committee): a draft or scheduled consultation starts collecting
    needs (or voting, when it has no needs phase); one collecting needs starts voting.

    Outcomes: the consultation in its new phase, residents in scope notified; 409
    `consultation_not_openable` in any other state; 409 `closes_in_past` when the phase would
    already be over; 409 `household_area_missing` / `electorate_empty` when the roll cannot be
    drawn up (owners' decisions need every exclusive area).
    """
    with transaction():
        context = _managed(actor, community_id, consultation_id, lock=True)
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
        context = _managed(actor, community_id, consultation_id, lock=True)
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
        context = _managed(actor, community_id, consultation_id, lock=True)
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
        context = _managed(actor, community_id, consultation_id, lock=True)
        consultation = context.consultation
        if consultation.status not in RUNNING:
            raise Conflict("只有计划中或进行中的议事协商可以取消", code="consultation_not_running")
        was_public = consultation.status != "scheduled"
        consultation.status = "cancelled"
        consultation.status_reason = reason
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
        context = _managed(actor, community_id, consultation_id, lock=True)
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
    missing from the register) is logged and left for the committee, the others go on.
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
            _remind(context, now)
        return True


# ---------------------------------------------------------------- the steps themselves


def _open_next_phase(context: Context, actor: Actor | None, now: datetime) -> None:
    consultation = context.consultation
    if consultation.status in ("draft", "scheduled"):
        _check_design(consultation)
        if consultation.needs_opens_at is not None:
            _open_needs_phase(context, actor, now)
        else:
            _open_voting(context, actor, now)
    elif consultation.status == "collecting":
        _open_voting(context, actor, now)
    else:
        raise Conflict("当前状态不能开始下一阶段", code="consultation_not_openable")


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
    _check_design(consultation)
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


def _managed(actor: Actor, community_id: int, consultation_id: int, *, lock: bool = False):
    community = community_or_404(community_id)
    roles = policy.require(actor, "consultation.manage", community)
    return Context(community, consultation_or_404(consultation_id, community, lock=lock), roles)


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
