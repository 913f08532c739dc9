"""Designing consultations and reading them: what a committee drafts and edits, what residents
and staff may see. Running them is in lifecycle.py."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from backend.communities.models import Building, Unit
from backend.consultations.models import (
    Consultation,
    ConsultationOption,
    Need,
)
from backend.consultations.permissions import policy
from backend.consultations.services.common import (
    Context,
    consultation_or_404,
    load,
    shown_clause,
)
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.tenancy.models import Community
from backend.core.tenancy.scoping import scoped_ids_or_404

# Fields that shape who votes and how: fixed once the needs phase is under way.
FIXED_ONCE_COLLECTING = ("method", "needs_opens_at")


# ---------------------------------------------------------------- reading


def list_consultations(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    """The community's consultations, newest first, those the caller sees (`require_shown`):
    overseers every one, other staff all but drafts, residents those they have a say in."""
    community = policy.community(actor, "consultation.view", community_id)
    roles = actor.roles_in(community)
    query = (
        sa.select(Consultation)
        .where(Consultation.community_id == community.id)
        .options(selectinload(Consultation.buildings), selectinload(Consultation.units))
    )
    if "status" in filters:
        query = query.where(Consultation.status == filters["status"])
    return query.where(shown_clause(roles, actor.user_id)).order_by(Consultation.id.desc())


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

    Outcomes: the draft; 422 when the design does not hold together (see `check_design`);
    404 for buildings, units or needs of another community.
    """
    with transaction():
        community = policy.community(actor, "consultation.manage", community_id)
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

    Outcomes: the consultation, any problem the scheduler reported (`stalled_code`) forgotten,
    to be reported again if its next try meets it; 409 `consultation_locked` once voting opened;
    409 `consultation_field_fixed` for a fixed field; 422 for a design that does not hold
    together.
    """
    with transaction():
        context = managed(actor, community_id, consultation_id)
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
        clear_stall(consultation)
        if consultation.status == "scheduled" and first_start(consultation) <= utcnow():
            raise InvalidInput(
                "计划开始时间已过，请改为以后的时间或直接开始",
                code="start_in_past",
                errors={"json": {first_start_field(consultation): ["开始时间已过"]}},
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
        context = managed(actor, community_id, consultation_id)
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
    check_design(consultation)


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


def check_design(consultation: Consultation) -> None:
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


def first_start(consultation: Consultation) -> datetime:
    return consultation.needs_opens_at or consultation.voting_opens_at


def first_start_field(consultation: Consultation) -> str:
    return "needs_opens_at" if consultation.needs_opens_at else "voting_opens_at"


def clear_stall(consultation: Consultation) -> None:
    """Forget what kept the scheduler from moving it on, once it moved or the committee acted on
    it: a problem the scheduler meets again is then reported again."""
    consultation.stalled_code = None
    consultation.stalled_at = None


def managed(actor: Actor, community_id: int, consultation_id: int, *, lock: bool = False):
    """The consultation as its committee runs it: 404/403 for anyone else."""
    community = policy.community(actor, "consultation.manage", community_id)
    roles = actor.roles_in(community)
    return Context(community, consultation_or_404(consultation_id, community, lock=lock), roles)
