"""What every ticket use case starts with: the ticket loaded inside its community and visible to
the caller, the timeline, the deadlines and the default handler of a category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import sqlalchemy as sa
from flask import g, has_app_context

from backend.accounts.models import User
from backend.communities.models import (
    Grid,
    GridWorker,
    Organisation,
    ServiceArea,
    grid_buildings,
    service_area_buildings,
)
from backend.core.auth import Actor, Role
from backend.core.db import db, utcnow
from backend.core.errors import NotFound
from backend.core.masking import mask_phone
from backend.core.permissions import OVERSEERS
from backend.core.tenancy.models import Community
from backend.tickets import sla
from backend.tickets.models import (
    AWAITING_RESPONSE,
    RUNNING,
    STATUSES,
    CategorySetting,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketSupport,
)
from backend.tickets.permissions import policy
from backend.tickets.services.photos import links, shown_photos

# Who sees every ticket of the community.
SEES_ALL = OVERSEERS


@dataclass(frozen=True)
class Context:
    community: Community
    ticket: Ticket
    roles: frozenset[Role]
    actor: Actor

    @property
    def is_reporter(self) -> bool:
        return self.ticket.reporter_id == self.actor.user_id

    @property
    def is_handler(self) -> bool:
        return (
            Role.PROPERTY_STAFF in self.roles
            and self.ticket.handler_organisation_id in self.actor.organisation_ids
        )

    @cached_property
    def is_staff_on_ticket(self) -> bool:
        """Working on this very ticket: the community's overseers, the assigned organisation,
        a grid worker of the ticket's grid. Holding some other role is not enough."""
        if self.roles & SEES_ALL or self.is_handler:
            return True
        return (
            Role.GRID_WORKER in self.roles
            and self.ticket.grid_id is not None
            and self.ticket.grid_id in workers_grids(self.actor, self.community)
        )

    @property
    def sees_reporter(self) -> bool:
        """The reporter's identity: the committee always, the staff on the ticket unless it is
        anonymous, the reporter themselves."""
        if self.is_reporter or self.roles & policy.allowed_roles("ticket.see_reporter"):
            return True
        return not self.ticket.anonymous and self.is_staff_on_ticket

    @property
    def sees_personal_data(self) -> bool:
        """Precise location, every photo, the timeline: the reporter and the staff on the
        ticket; other residents see a public ticket's problem, place and checked photos."""
        return self.is_reporter or self.is_staff_on_ticket

    def side(self) -> str:
        """The actor's side on this ticket, as the timeline shows it."""
        if self.is_reporter:
            return "reporter"
        if self.is_handler:
            return "handler"
        for role, side in (
            (Role.COMMITTEE, "committee"),
            (Role.GRID_WORKER, "grid_worker"),
            (Role.STREET_ADMIN, "street"),
            (Role.SYSTEM_ADMIN, "system"),
        ):
            if role in self.roles:
                return side
        return "resident"


def workers_grids(actor: Actor, community: Community) -> frozenset[int]:
    """The grids of `community` the actor patrols (once per request)."""
    known = g.setdefault("workers_grids", {}) if has_app_context() else {}
    key = (actor.user_id, community.id)
    if key not in known:
        known[key] = frozenset(
            db.session.scalars(
                sa.select(GridWorker.grid_id)
                .join(Grid, Grid.id == GridWorker.grid_id)
                .where(GridWorker.user_id == actor.user_id, Grid.community_id == community.id)
            )
        )
    return known[key]


def visible_tickets(actor: Actor, community: Community, roles: frozenset[Role]):
    """The one rule of who sees which ticket of `community`, as a WHERE clause.

    Committee, street and system admins: all. Property staff: those assigned to their company.
    Grid workers: those in their grids and those they filed. Residents: their own, those they
    support, and the public ones (shown without personal data).
    """
    if roles & SEES_ALL:
        return sa.true()
    clauses = [Ticket.reporter_id == actor.user_id]
    if Role.PROPERTY_STAFF in roles and actor.organisation_ids:
        clauses.append(Ticket.handler_organisation_id.in_(actor.organisation_ids))
    if Role.GRID_WORKER in roles:
        clauses.append(Ticket.grid_id.in_(workers_grids(actor, community)))
    if Role.RESIDENT in roles:
        clauses.append(Ticket.public.is_(True))
    return sa.or_(*clauses)


def load(
    *, actor: Actor, community_id: int, ticket_id: int, action: str, lock: bool = False
) -> Context:
    """Check `action`, load the ticket inside the community; 404 `ticket_not_found` when it is
    not there or not visible to the caller (nobody learns what they may not see)."""
    community = policy.community(actor, action, community_id)
    roles = actor.roles_in(community)
    query = sa.select(Ticket).where(
        Ticket.id == ticket_id,
        Ticket.community_id == community.id,
        visible_tickets(actor, community, roles),
    )
    if lock:
        query = query.with_for_update(of=Ticket)
    ticket = db.session.scalar(query)
    if ticket is None:
        raise NotFound("未找到该工单", code="ticket_not_found")
    return Context(community, ticket, roles, actor)


def record(
    ticket: Ticket,
    kind: str,
    *,
    actor_id: int | None,
    side: str,
    from_status: str | None = None,
    note: str | None = None,
    photos: list[str] | None = None,
    data: dict | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Add a line to the timeline (inside the caller's transaction)."""
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        actor_id=actor_id,
        actor_role=side,
        from_status=from_status,
        to_status=ticket.status,
        note=note,
        photos=list(photos or []),
        data=dict(data or {}),
        created_at=at or utcnow(),
    )
    db.session.add(event)
    return event


def setting_for(community_id: int, category_id: int) -> CategorySetting | None:
    return db.session.scalar(
        sa.select(CategorySetting).where(
            CategorySetting.community_id == community_id,
            CategorySetting.category_id == category_id,
        )
    )


def deadlines(
    category: TicketCategory, setting: CategorySetting | None, deadline_class: str | None = None
) -> tuple[sla.Deadline, sla.Deadline]:
    """(response, resolution) for a ticket: the community's own where set, else the class's.

    An urgency the dispatcher confirmed (`deadline_class="urgent"`) takes the urgent clocks.
    """
    response, resolution = sla.DEADLINE_CLASSES[deadline_class or category.deadline_class]
    if deadline_class is None and setting is not None:
        if setting.response_amount and setting.response_unit:
            response = sla.Deadline(setting.response_amount, setting.response_unit)
        if setting.resolution_amount and setting.resolution_unit:
            resolution = sla.Deadline(setting.resolution_amount, setting.resolution_unit)
    return response, resolution


def ticket_deadlines(ticket: Ticket, category: TicketCategory) -> tuple[sla.Deadline, sla.Deadline]:
    """The ticket's clocks: the urgent class when the dispatcher confirmed an urgency the
    category does not have, else the community's setting or the category's class."""
    confirmed_urgency = ticket.deadline_class == "urgent" and category.deadline_class != "urgent"
    setting = setting_for(ticket.community_id, category.id)
    return deadlines(category, setting, "urgent" if confirmed_urgency else None)


def start_clocks(ticket: Ticket, community: Community, category: TicketCategory, now: datetime):
    """Dispatch: the response and resolution clocks start now."""
    response, resolution = ticket_deadlines(ticket, category)
    ticket.dispatched_at = now
    ticket.response_due_at = sla.due_at(now, response, community.timezone)
    ticket.resolution_due_at = sla.due_at(now, resolution, community.timezone)


def default_handler(
    community_id: int,
    category: TicketCategory,
    building_id: int | None,
    setting: CategorySetting | None,
) -> Organisation | None:
    """Whoever must fix a problem of `category` there: the organisation the community named for
    the category, else (for property categories) the property company serving the building or
    the whole community; None when nobody is known."""
    if setting is not None and setting.handler_organisation_id is not None:
        return db.session.get(Organisation, setting.handler_organisation_id)
    if category.handler_kind != "property":
        return None  # gas, heating, urban management: the community names who, or dispatches
    query = (
        sa.select(Organisation)
        .join(ServiceArea, ServiceArea.organisation_id == Organisation.id)
        .where(ServiceArea.community_id == community_id, Organisation.kind == "property_company")
    )
    listed = sa.select(service_area_buildings.c.service_area_id).where(
        service_area_buildings.c.service_area_id == ServiceArea.id
    )
    if building_id is not None:
        covers = sa.or_(
            ~listed.exists(),
            listed.where(service_area_buildings.c.building_id == building_id).exists(),
        )
    else:
        covers = ~listed.exists()
    # A company named for the building wins over one serving the whole community.
    return db.session.scalar(
        query.where(covers).order_by(listed.exists().desc(), Organisation.id).limit(1)
    )


def grid_of(community_id: int, building_id: int | None) -> int | None:
    if building_id is None:
        return None
    return db.session.scalar(
        sa.select(Grid.id)
        .join(grid_buildings, grid_buildings.c.grid_id == Grid.id)
        .where(Grid.community_id == community_id, grid_buildings.c.building_id == building_id)
        .order_by(Grid.id)
        .limit(1)
    )


def add_support(ticket: Ticket, user_id: int) -> bool:
    """`user_id` joins `ticket` (once); returns whether they were new. Counted in `supporters`."""
    if user_id == ticket.reporter_id:
        return False
    exists = db.session.scalar(
        sa.select(TicketSupport.user_id).where(
            TicketSupport.ticket_id == ticket.id, TicketSupport.user_id == user_id
        )
    )
    if exists is not None:
        return False
    db.session.add(TicketSupport(ticket_id=ticket.id, user_id=user_id))
    ticket.supporters = Ticket.supporters + 1
    return True


def categories_by_id() -> dict[int, TicketCategory]:
    """The categories (a few dozen rows), once per request: lists name each ticket's."""
    known = g.get("ticket_categories") if has_app_context() else None
    if known is None:
        known = {c.id: c for c in db.session.scalars(sa.select(TicketCategory))}
        if has_app_context():
            g.ticket_categories = known
    return known


def shown(context: Context, *, detail: bool = False) -> dict:
    """A ticket as the caller may see it: the one place that hides personal data.

    Everyone who sees the ticket gets the problem, the place (building/unit), the status and
    the clocks, and the reported photos that passed WeChat's check (photos.py). The reporter
    and staff also get the precise point, every photo and the resident a grid worker filed for
    (phone masked except for the committee). Who reported it: hidden
    from the handler and other residents when anonymous; the committee always sees it.
    """
    ticket = context.ticket
    category = categories_by_id()[ticket.category_id]
    now = utcnow()
    view = {
        "id": ticket.id,
        "community_id": ticket.community_id,
        "category": category.code,
        "category_name": category.name,
        "status": ticket.status,
        "status_name": STATUSES[ticket.status],
        "description": ticket.description,
        "building_id": ticket.building_id,
        "unit_id": ticket.unit_id,
        "location_note": ticket.location_note,
        "public": ticket.public,
        "anonymous": ticket.anonymous,
        "urgency_claimed": ticket.urgency_claimed,
        "deadline_class": ticket.deadline_class,
        "channel": ticket.channel,
        "supporters": ticket.supporters,
        "mine": context.is_reporter,
        "handler_organisation_id": ticket.handler_organisation_id,
        "created_at": ticket.created_at,
        "dispatched_at": ticket.dispatched_at,
        "response_due_at": ticket.response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "responded_at": ticket.responded_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "overdue": is_overdue(ticket, now),
        "reply": ticket.reply,
        # The handler's proof of the work, for everyone who sees the ticket (photos.py: why
        # staff's photos are not checked).
        "after_photos": links(ticket.after_photos or []),
        "rating": ticket.rating,
        "fixed": ticket.fixed,
        "evaluation": ticket.evaluation,
        "reopen_count": ticket.reopen_count,
        "reject_reason": ticket.reject_reason,
        "reject_note": ticket.reject_note,
        "duplicate_of_id": ticket.duplicate_of_id,
        "extension_status": ticket.extension_status,
        "extension_until": ticket.extension_until,
        "extension_reason": ticket.extension_reason,
    }
    view["photos"] = shown_photos(
        ticket, party=context.sees_personal_data, actor=context.actor
    )
    if context.sees_personal_data:
        view.update(lat=ticket.lat, lng=ticket.lng)
    # The resident a grid worker filed for is the reporter in all but the account.
    if context.sees_personal_data and context.sees_reporter:
        view.update(
            on_behalf_name=ticket.on_behalf_name,
            on_behalf_phone=(
                ticket.on_behalf_phone
                if context.roles & policy.allowed_roles("ticket.see_reporter")
                else mask_phone(ticket.on_behalf_phone)
            ),
        )
    if context.sees_reporter:
        view["reporter_id"] = ticket.reporter_id
        if detail and ticket.reporter_id is not None:
            view["reporter_name"] = db.session.scalar(
                sa.select(User.display_name).where(User.id == ticket.reporter_id)
            )
    if detail and ticket.handler_organisation_id is not None:
        view["handler_name"] = db.session.scalar(
            sa.select(Organisation.name).where(Organisation.id == ticket.handler_organisation_id)
        )
    return view


def overdue_clause(now: datetime):
    """Open tickets past a deadline, in SQL: not signed by the response deadline, not resolved
    by the resolution deadline. `is_overdue` says the same of one loaded ticket."""
    return sa.or_(
        sa.and_(Ticket.status.in_(AWAITING_RESPONSE), Ticket.response_due_at < now),
        sa.and_(Ticket.status.in_(RUNNING), Ticket.resolution_due_at < now),
    )


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    if (
        ticket.status in AWAITING_RESPONSE
        and ticket.response_due_at is not None
        and now > ticket.response_due_at
    ):
        return True
    return (
        ticket.status in RUNNING
        and ticket.resolution_due_at is not None
        and now > ticket.resolution_due_at
    )
