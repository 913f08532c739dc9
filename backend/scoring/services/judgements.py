"""People's decisions on the items no measurement settles: met, partly met or not met, with a
note and evidence. A judgement belongs to a community, a standard and a period; the community's
draft is evaluated again at once so the scorecard shows it."""

from __future__ import annotations

import sqlalchemy as sa

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Forbidden, InvalidInput, NotFound
from backend.core.storage.services import attach_photos
from backend.scoring.models import Judgement
from backend.scoring.permissions import assessor_role
from backend.scoring.services.assessments import judgement_dict, run
from backend.scoring.services.common import community_for, period_of, standard_for
from backend.scoring.standard.nodes import ASSESSOR_ROLES, Item


def _assessed_item(found, item_code: str) -> Item:
    item = found.standard.item(item_code)
    if item is None:
        raise NotFound("该标准没有这个条目", code="item_not_found")
    if item.assessed is None:
        raise InvalidInput(
            "该条目完全由平台测量，无需人工评定", code="item_not_assessed", errors={"item": []}
        )
    return item


def _decider(roles: frozenset, item: Item) -> str:
    """As whom the caller decides the item; 403 `assessor_role_required` when the item is for
    another role to decide."""
    decided_as = assessor_role(roles, item.assessed.roles)
    if decided_as is None:
        who = "或".join(ASSESSOR_ROLES[role] for role in item.assessed.roles)
        raise Forbidden(f"该条目须由{who}评定", code="assessor_role_required")
    return decided_as


def _judgement_query(community_id, code, period, item_code):
    return sa.select(Judgement).where(
        Judgement.community_id == community_id,
        Judgement.standard_code == code,
        Judgement.period_start == period.start,
        Judgement.period_end == period.end,
        Judgement.item_code == item_code,
    )


def judge(*, actor: Actor, community_id: int, code: str, item_code: str, data: dict) -> dict:
    """Record (or correct) the decision on an item.

    Outcomes: the judgement and the refreshed draft's id; 404 / 403 as for any community route;
    404 `standard_not_found` or `item_not_found`; 422 `item_not_assessed` for an item only
    measurements decide; 403 `assessor_role_required` when the item is for another role to
    decide; 422 `photo_unknown` for photos not uploaded to this community.
    """
    community, roles = community_for(actor, community_id, "scoring.judge")
    found = standard_for(community, code)
    item = _assessed_item(found, item_code)
    decided_as = _decider(roles, item)
    period = period_of(data, community.timezone)
    with transaction():
        # Before the row exists: attaching locks the photos' rows, and that query's autoflush
        # must not write a judgement still missing its decider.
        photos = attach_photos(
            data.get("photos") or [],
            community_id=community.id,
            uploader_id=None,
            purpose="judgement",
        )
        row = db.session.scalars(
            _judgement_query(community.id, code, period, item.code).with_for_update()
        ).first()
        if row is None:
            row = Judgement(
                community_id=community.id,
                standard_code=code,
                period_start=period.start,
                period_end=period.end,
                item_code=item.code,
            )
            db.session.add(row)
        row.status = data["status"]
        row.note = data.get("note")
        row.photos = photos
        row.documents = data.get("documents") or []
        row.decided_by_id = actor.user_id
        row.decided_by_name = actor.display_name
        row.decided_as = decided_as
        row.decided_at = utcnow()
        db.session.flush()
        audit.record(
            action="scoring.judge",
            target_type="judgement",
            target_id=row.id,
            community=community,
            actor=actor,
            details={"standard": code, "item": item.code, "status": row.status},
        )
        judged = judgement_dict(row)
    report = run(found, period, [community.id], run_by_id=actor.user_id)
    return {
        "standard": code,
        "item": item.code,
        **judged,
        "draft_run_id": report.run_id,
    }


def withdraw(*, actor: Actor, community_id: int, code: str, item_code: str, filters: dict) -> None:
    """Take a decision back (a mistake): the item needs assessment again.

    Outcomes: 204; 404 `judgement_not_found` when there is none; the rest as `judge`.
    """
    community, roles = community_for(actor, community_id, "scoring.judge")
    found = standard_for(community, code)
    item = _assessed_item(found, item_code)
    _decider(roles, item)
    period = period_of(filters, community.timezone)
    with transaction():
        row = db.session.scalars(
            _judgement_query(community.id, code, period, item.code).with_for_update()
        ).first()
        if row is None:
            raise NotFound("该条目还没有评定", code="judgement_not_found")
        db.session.delete(row)
        audit.record(
            action="scoring.withdraw_judgement",
            target_type="judgement",
            target_id=row.id,
            community=community,
            actor=actor,
            details={"standard": code, "item": item.code},
        )
    run(found, period, [community.id], run_by_id=actor.user_id)


def list_judgements(*, actor: Actor, community_id: int, filters: dict) -> list[dict]:
    community, _roles = community_for(actor, community_id, "scoring.view_drafts")
    found = standard_for(community, filters.get("standard"))
    period = period_of(filters, community.timezone)
    rows = db.session.scalars(
        sa.select(Judgement)
        .where(
            Judgement.community_id == community.id,
            Judgement.standard_code == found.standard.code,
            Judgement.period_start == period.start,
            Judgement.period_end == period.end,
        )
        .order_by(Judgement.id)
    )
    return [
        {"standard": row.standard_code, "item": row.item_code, **judgement_dict(row)}
        for row in rows
    ]
