"""The categories a community files tickets under, with its own deadlines and handlers."""

from __future__ import annotations

import sqlalchemy as sa

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction
from backend.core.errors import NotFound
from backend.tickets.models import CategorySetting, TicketCategory
from backend.tickets.permissions import policy
from backend.tickets.services.common import deadlines
from backend.tickets.services.flow.dispatch import handler_for


def _effective(category: TicketCategory, setting: CategorySetting | None) -> dict:
    response, resolution = deadlines(category, setting)
    return {
        "id": category.id,
        "code": category.code,
        "name": category.name,
        "deadline_class": category.deadline_class,
        "handler_kind": category.handler_kind,
        "public": category.public,
        "enabled": setting.enabled if setting else True,
        "response_deadline": response.as_text(),
        "resolution_deadline": resolution.as_text(),
        "handler_organisation_id": setting.handler_organisation_id if setting else None,
        "auto_dispatch": setting.auto_dispatch if setting else False,
    }


def list_categories(*, actor: Actor, community_id: int) -> list[dict]:
    """Every category with the community's deadlines and handler (members of the community)."""
    community = policy.community(actor, "ticket.view", community_id)
    settings = {
        s.category_id: s
        for s in db.session.scalars(
            sa.select(CategorySetting).where(CategorySetting.community_id == community.id)
        )
    }
    categories = db.session.scalars(
        sa.select(TicketCategory).order_by(TicketCategory.position, TicketCategory.id)
    )
    return [_effective(c, settings.get(c.id)) for c in categories]


def configure_category(*, actor: Actor, community_id: int, code: str, data: dict) -> dict:
    """Set the community's deadlines, handler, auto-dispatch or enabled flag of a category;
    a deadline set to null returns to the category's class.

    Outcomes: the effective category; 404 `category_not_found`; 404 `organisation_not_found`;
    422 `handler_not_serving_community`.
    """
    with transaction():
        community = policy.community(actor, "ticket.configure", community_id)
        category = db.session.scalar(sa.select(TicketCategory).where(TicketCategory.code == code))
        if category is None:
            raise NotFound("没有这个问题类别", code="category_not_found")
        setting = db.session.scalar(
            sa.select(CategorySetting)
            .where(
                CategorySetting.community_id == community.id,
                CategorySetting.category_id == category.id,
            )
            .with_for_update()
        )
        if setting is None:
            setting = CategorySetting(
                community_id=community.id,
                category_id=category.id,
                enabled=True,
                auto_dispatch=False,
            )
            db.session.add(setting)
        if data.get("handler_organisation_id") is not None:
            handler_for(community.id, data["handler_organisation_id"])
        for field, value in data.items():
            setattr(setting, field, value)
        db.session.flush()
        audit.record(
            action="ticket.configure_category",
            target_type="ticket_category",
            target_id=category.id,
            community=community,
            actor=actor,
            details=dict(data),
        )
        return _effective(category, setting)
