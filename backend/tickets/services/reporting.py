"""Filing a ticket, finding likely duplicates first, joining one, and reading tickets.

A resident reports in their community; a grid worker reports inside their own grid, for
themselves or on behalf of a resident (name and phone optional). A precise point is kept only
with the reporter's separate consent. The text goes through WeChat's check like every user
text, and its photos through WeChat's media check like every user photo (photos.py).
Categories set to dispatch automatically go straight to their handler.
"""

from __future__ import annotations

import math
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.communities.models import (
    Building,
    Grid,
    GridWorker,
    Organisation,
    Unit,
    grid_buildings,
)
from backend.core.audit import services as audit
from backend.core.auth import Actor, Role
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, Forbidden, InvalidInput
from backend.core.pagination import Presented
from backend.core.storage.services import attach_photos
from backend.core.tenancy.models import Community
from backend.core.wechat.content import Scene, Verdict, moderate_text
from backend.core.wechat.identity import wechat_openid
from backend.tickets.models import (
    CHANNELS,
    OPEN,
    CategorySetting,
    Ticket,
    TicketCategory,
    TicketEvent,
)
from backend.tickets.permissions import policy
from backend.tickets.services import notices
from backend.tickets.services.categories import category_by_code, community_category
from backend.tickets.services.common import (
    Context,
    add_support,
    default_handler,
    grid_of,
    load,
    overdue_clause,
    record,
    shown,
    visible_tickets,
)
from backend.tickets.services.flow.dispatch import dispatch_now
from backend.tickets.services.photos import check_reported_photos, links, prepare_photo_checks

# "Nearby" for duplicates: open tickets of the same category within this many metres.
NEARBY_METRES = 150
DUPLICATES_SHOWN = 10
EARTH_RADIUS_METRES = 6_371_000


def place_in(community: Community, data: dict) -> tuple[int | None, int | None]:
    """The building and unit named in `data`, checked to be the community's (else 422: an id of
    another community is as unknown as a made-up one)."""
    building_id, unit_id = data.get("building_id"), data.get("unit_id")
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.community_id != community.id:
            raise InvalidInput("本社区没有该单元", code="unit_unknown", errors={"unit_id": []})
        if building_id is not None and building_id != unit.building_id:
            raise InvalidInput(
                "单元不属于所选楼栋", code="unit_not_in_building", errors={"unit_id": []}
            )
        building_id = unit.building_id
    if building_id is not None:
        building = db.session.get(Building, building_id)
        if building is None or building.community_id != community.id:
            raise InvalidInput(
                "本社区没有该楼栋", code="building_unknown", errors={"building_id": []}
            )
    return building_id, unit_id


def _check_location(data: dict) -> None:
    has_point = data.get("lat") is not None or data.get("lng") is not None
    if has_point and (data.get("lat") is None or data.get("lng") is None):
        raise InvalidInput(
            "经纬度须同时提供", code="point_incomplete", errors={"lat": [], "lng": []}
        )
    if has_point and not data.get("location_consent"):
        raise InvalidInput(
            "提供精确位置需要您单独同意",
            code="location_consent_required",
            errors={"location_consent": []},
        )
    if not has_point and data.get("building_id") is None and data.get("unit_id") is None:
        raise InvalidInput(
            "请选择楼栋/单元或提供位置", code="location_required", errors={"building_id": []}
        )


def _require_in_grid(actor: Actor, community: Community, building_id: int | None) -> None:
    """A grid worker reports inside their own grid."""
    inside = building_id is not None and db.session.scalar(
        sa.select(grid_buildings.c.building_id)
        .join(GridWorker, GridWorker.grid_id == grid_buildings.c.grid_id)
        .join(Grid, Grid.id == grid_buildings.c.grid_id)
        .where(
            GridWorker.user_id == actor.user_id,
            Grid.community_id == community.id,
            grid_buildings.c.building_id == building_id,
        )
        .limit(1)
    )
    if not inside:
        raise Forbidden("网格员只能上报自己网格内的问题", code="outside_grid")


def report_ticket(*, actor: Actor, community_id: int, data: dict) -> Context:
    """File a ticket.

    Outcomes: the ticket (201), each photo sent to WeChat's check; 422 `category_unknown`, `category_disabled`, `location_required`,
    `point_incomplete`, `location_consent_required`, `building_unknown`, `unit_unknown`,
    `unit_not_in_building`, `photo_unknown`, `content_risky`, `on_behalf_for_grid_workers`;
    403 `outside_grid` for a grid worker outside their grid.
    """
    community = policy.community(actor, "ticket.report", community_id)
    roles = actor.roles_in(community)
    _check_location(data)
    as_grid_worker = Role.GRID_WORKER in roles and Role.RESIDENT not in roles
    if data.get("on_behalf") is not None and Role.GRID_WORKER not in roles:
        raise InvalidInput(
            "只有网格员可以代居民上报",
            code="on_behalf_for_grid_workers",
            errors={"on_behalf": []},
        )
    openid = wechat_openid(actor.user_id)
    verdict = moderate_text(text=data["description"], author_openid=openid, scene=Scene.FORUM)
    with transaction():
        filed_under = community_category(community.id, data["category"])
        if not filed_under.enabled:
            raise InvalidInput(
                "本社区未启用该问题类别", code="category_disabled", errors={"category": []}
            )
        category, setting = filed_under.category, filed_under.setting
        building_id, unit_id = place_in(community, data)
        if as_grid_worker or data.get("on_behalf"):
            _require_in_grid(actor, community, building_id)
        on_behalf = data.get("on_behalf") or {}
        has_point = data.get("lat") is not None
        ticket = Ticket(
            community_id=community.id,
            category_id=category.id,
            status="submitted",
            description=data["description"],
            building_id=building_id,
            unit_id=unit_id,
            lat=data.get("lat") if has_point else None,
            lng=data.get("lng") if has_point else None,
            location_note=data.get("location_note"),
            grid_id=grid_of(community.id, building_id),
            photos=attach_photos(
                data.get("photos") or [],
                community_id=community.id,
                uploader_id=actor.user_id,
                purpose="ticket",
            ),
            urgency_claimed=bool(data.get("urgent")),
            deadline_class=category.deadline_class,
            reporter_id=actor.user_id,
            channel="grid_worker" if as_grid_worker or on_behalf else "resident",
            on_behalf_name=on_behalf.get("name"),
            on_behalf_phone=on_behalf.get("phone"),
            anonymous=bool(data.get("anonymous")),
            # A text WeChat wants a person to look at stays between reporter and staff.
            public=category.public and not data.get("private") and verdict is Verdict.PUBLISH,
            reporter_private=bool(data.get("private")),
        )
        context = Context(community, ticket, roles, actor)
        file_ticket(
            context,
            category=category,
            setting=setting,
            side="grid_worker" if ticket.channel == "grid_worker" else "reporter",
        )
        check_reported_photos(ticket, author=actor, openid=openid)
        audit.record(
            action="ticket.report",
            target_type="ticket",
            target_id=ticket.id,
            community=community,
            actor=actor,
            details={"category": category.code, "channel": ticket.channel},
        )
        return context


def file_ticket(
    context: Context,
    *,
    category: TicketCategory,
    setting: CategorySetting | None,
    side: str,
    details: dict | None = None,
) -> Organisation | None:
    """Save the new ticket of `context`, whoever filed it (a resident, a grid worker, an Open311
    client): its "submitted" line, then the category's automatic dispatch, or a notice to the
    committee. Returns the handler it went to, when dispatched at once."""
    ticket = context.ticket
    db.session.add(ticket)
    db.session.flush()
    record(
        ticket,
        "submitted",
        actor_id=context.actor.user_id,
        side=side,
        note=ticket.description,
        photos=ticket.photos,
        data={
            "category": category.code,
            "urgency_claimed": ticket.urgency_claimed,
            **(details or {}),
        },
    )
    handler = default_handler(ticket.community_id, category, ticket.building_id, setting)
    if setting is not None and setting.auto_dispatch and handler is not None:
        dispatch_now(context, handler, utcnow(), by_system=True)
        return handler
    notices.tell_committee(
        ticket,
        "ticket_submitted",
        "新的问题报告待受理",
        f"工单 #{ticket.id}（{category.name}，{CHANNELS[ticket.channel]}）："
        f"{ticket.description[:40]}",
    )
    return None


def likely_duplicates(*, actor: Actor, community_id: int, query: dict) -> list[dict]:
    """Open tickets of the same category in the same building or within NEARBY_METRES of the
    point, that the caller may see: shown before a new report is saved, to join one instead.

    Outcomes: up to DUPLICATES_SHOWN tickets, nearest and most supported first.
    """
    community = policy.community(actor, "ticket.report", community_id)
    roles = actor.roles_in(community)
    category = category_by_code(query["category"])
    building_id, _ = place_in(community, query)
    lat, lng = query.get("lat"), query.get("lng")
    places = []
    if building_id is not None:
        places.append(Ticket.building_id == building_id)
    if lat is not None and lng is not None:
        # A box first (indexable, cheap), the exact distance below.
        dlat = NEARBY_METRES / 111_320
        dlng = dlat / max(math.cos(math.radians(float(lat))), 0.01)
        places.append(
            sa.and_(
                Ticket.lat.between(Decimal(lat) - Decimal(dlat), Decimal(lat) + Decimal(dlat)),
                Ticket.lng.between(Decimal(lng) - Decimal(dlng), Decimal(lng) + Decimal(dlng)),
            )
        )
    if not places:
        raise InvalidInput(
            "请选择楼栋/单元或提供位置", code="location_required", errors={"building_id": []}
        )
    candidates = db.session.scalars(
        sa.select(Ticket)
        .where(
            Ticket.community_id == community.id,
            Ticket.category_id == category.id,
            Ticket.status.in_(OPEN),
            sa.or_(*places),
            visible_tickets(actor, community, roles),
        )
        .order_by(Ticket.supporters.desc(), Ticket.id.desc())
        .limit(DUPLICATES_SHOWN * 5)
    ).all()

    def distance(ticket: Ticket) -> float:
        if lat is None or ticket.lat is None:
            return 0.0 if ticket.building_id == building_id else math.inf
        return _metres(float(lat), float(lng), float(ticket.lat), float(ticket.lng))

    near = [t for t in candidates if distance(t) <= NEARBY_METRES]
    near.sort(key=lambda t: (distance(t), -t.supporters, -t.id))
    return [shown(Context(community, t, roles, actor)) for t in near[:DUPLICATES_SHOWN]]


def _metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine): exact enough at a community's scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(math.sqrt(a))


def support_ticket(*, actor: Actor, community_id: int, ticket_id: int) -> Context:
    """A resident who sees the same problem joins the ticket (once; again is no change).

    Outcomes: the ticket; 409 `ticket_not_open` for a closed or rejected one.
    """
    with transaction():
        context = load(
            actor=actor, community_id=community_id, ticket_id=ticket_id, action="ticket.support"
        )
        ticket = context.ticket
        if ticket.status not in OPEN:
            raise Conflict("该工单已结束，无法附议", code="ticket_not_open")
        try:
            with db.session.begin_nested():
                joined = add_support(ticket, actor.user_id)
                db.session.flush()
        except IntegrityError:
            joined = False  # a simultaneous request of the same resident won
        if joined:
            record(ticket, "supported", actor_id=actor.user_id, side="resident")
        db.session.flush()
        db.session.refresh(ticket)
        return context


# ---------------------------------------------------------------- reading


def list_tickets(*, actor: Actor, community_id: int, filters: dict) -> Presented:
    """The tickets of a community the caller may see, newest first, filtered by status,
    category, handler, overdue, mine; each shown as the caller may see it."""
    community = policy.community(actor, "ticket.view", community_id)
    roles = actor.roles_in(community)
    query = sa.select(Ticket).where(
        Ticket.community_id == community.id, visible_tickets(actor, community, roles)
    )
    if filters.get("status"):
        query = query.where(Ticket.status.in_(filters["status"]))
    if filters.get("category"):
        query = query.where(
            Ticket.category_id.in_(
                sa.select(TicketCategory.id).where(TicketCategory.code.in_(filters["category"]))
            )
        )
    if filters.get("organisation_id") is not None:
        query = query.where(Ticket.handler_organisation_id == filters["organisation_id"])
    if filters.get("overdue"):
        query = query.where(overdue_clause(utcnow()))
    if filters.get("mine"):
        query = query.where(Ticket.reporter_id == actor.user_id)
    return Presented(
        query.order_by(Ticket.created_at.desc(), Ticket.id.desc()),
        lambda ticket: shown(Context(community, ticket, roles, actor)),
        prepare=prepare_photo_checks,
    )


def get_ticket(*, actor: Actor, community_id: int, ticket_id: int) -> Context:
    return load(actor=actor, community_id=community_id, ticket_id=ticket_id, action="ticket.view")


def timeline(*, actor: Actor, community_id: int, ticket_id: int) -> list[TicketEvent]:
    """The ticket's timeline as the caller may read it: other residents see no timeline of a
    ticket that is not theirs (its notes and photos are the parties' business)."""
    context = get_ticket(actor=actor, community_id=community_id, ticket_id=ticket_id)
    if not context.sees_personal_data:
        raise Forbidden("只有报告人和工作人员可以查看处理过程", code="timeline_private")
    events = db.session.scalars(
        sa.select(TicketEvent)
        .where(TicketEvent.ticket_id == context.ticket.id)
        .order_by(TicketEvent.id)
    ).all()
    for event in events:
        event.shown_photos = links(event.photos or [])
    return list(events)
