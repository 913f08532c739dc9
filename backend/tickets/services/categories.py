"""The categories a community files tickets under, with its own deadlines and handlers; which
of them it has enabled is read here for every channel (the app, Open311)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction
from backend.core.errors import InvalidInput, NotFound
from backend.tickets.models import CategorySetting, TicketCategory
from backend.tickets.permissions import policy
from backend.tickets.services.common import deadlines, setting_for
from backend.tickets.services.flow.dispatch import handler_for


@dataclass(frozen=True)
class CommunityCategory:
    """A category as one community has it: with its own setting, or None for the defaults."""

    category: TicketCategory
    setting: CategorySetting | None

    @property
    def enabled(self) -> bool:
        """Tickets may be filed under it here: enabled unless the community turned it off."""
        return self.setting is None or self.setting.enabled


def category_by_code(code: str) -> TicketCategory:
    category = db.session.scalar(sa.select(TicketCategory).where(TicketCategory.code == code))
    if category is None:
        raise InvalidInput("没有这个问题类别", code="category_unknown", errors={"category": [code]})
    return category


def community_category(community_id: int, code: str) -> CommunityCategory:
    """The category `code` with the community's setting; 422 `category_unknown`."""
    category = category_by_code(code)
    return CommunityCategory(category, setting_for(community_id, category.id))


def community_categories(
    community_id: int, *, enabled_only: bool = False
) -> list[CommunityCategory]:
    """Every category in its order with the community's setting; `enabled_only`: only those
    tickets may be filed under there."""
    settings = {
        s.category_id: s
        for s in db.session.scalars(
            sa.select(CategorySetting).where(CategorySetting.community_id == community_id)
        )
    }
    categories = db.session.scalars(
        sa.select(TicketCategory).order_by(TicketCategory.position, TicketCategory.id)
    )
    entries = [CommunityCategory(c, settings.get(c.id)) for c in categories]
    return [entry for entry in entries if entry.enabled or not enabled_only]


def _effective(entry: CommunityCategory) -> dict:
    category, setting = entry.category, entry.setting
    response, resolution = deadlines(category, setting)
    return {
        "id": category.id,
        "code": category.code,
        "name": category.name,
        "deadline_class": category.deadline_class,
        "handler_kind": category.handler_kind,
        "public": category.public,
        "enabled": entry.enabled,
        "response_deadline": response.as_text(),
        "resolution_deadline": resolution.as_text(),
        "handler_organisation_id": setting.handler_organisation_id if setting else None,
        "auto_dispatch": setting.auto_dispatch if setting else False,
    }


def list_categories(*, actor: Actor, community_id: int) -> list[dict]:
    """Every category with the community's deadlines and handler (members of the community)."""
    community = policy.community(actor, "ticket.view", community_id)
    return [_effective(entry) for entry in community_categories(community.id)]


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
        return _effective(CommunityCategory(category, setting))
