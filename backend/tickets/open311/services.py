"""Our tickets as Open311 GeoReport v2 sees them: services, requests, and their rules.

- `jurisdiction_id` is a community's `code`, required on every call (the endpoint serves every
  community of the installation).
- A service is a problem category enabled in the community; no extra attributes (`metadata`
  false), so a definition answers an empty attribute list.
- Filing needs the `api_key` the street issued to the caller's organisation, for a community of
  the key's region. The ticket goes through the same steps as a resident's report: the category
  must be enabled there, an `address_id` must be a building of the community, the text goes
  through the content check (no WeChat user behind it, so it waits for a moderator and is not
  public), then the community's dispatch rule and the committee's notice apply.
- The requester's point (`lat`/`long`) is kept: the requester gave it to a city system in order
  to be found, which is the consent our own form asks for separately. Their name and phone are
  kept as "on behalf of" (seen by staff only); `email`, `device_id`, `account_id` and
  `media_url` are not stored (we hold no accounts of theirs and fetch no remote photos).
- Reading is open to anyone, as the specification wants, and shows public tickets only, without
  personal data and without the precise point (`lat`/`long` always null). A valid `api_key` adds
  the non-public tickets its organisation filed, in the communities of its region.

Rule breaks raise `Open311Error` (400 bad or missing parameter, 403 api key, 404 not found);
the routes answer them in Open311's error format.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from backend.communities.models import Building, Organisation, Unit
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.tenancy.models import Community
from backend.core.wechat.content import Scene, Verdict, moderate_text
from backend.tickets.models import (
    OPEN311_STATUS,
    REJECT_REASONS,
    STATUSES,
    Open311Key,
    Ticket,
    TicketCategory,
)
from backend.tickets.services.categories import (
    CommunityCategory,
    community_categories,
    community_category,
)
from backend.tickets.services.common import (
    Context,
    categories_by_id,
    deadlines,
    grid_of,
)
from backend.tickets.services.keys import key_by_secret, key_covers
from backend.tickets.services.reporting import file_ticket, place_in
from backend.tickets.sla import DEADLINE_CLASS_TITLES

# "Default query limit is a span of 90 days or first 1000 requests returned, whichever is
# smallest" (GeoReport v2); a longer span is refused rather than cut.
MAX_REQUESTS = 1000
MAX_SPAN = timedelta(days=90)
# Ticket.description holds 2000 characters (the specification allows 4000): longer is refused.
MAX_DESCRIPTION = 2000
MAX_ADDRESS = 200  # Ticket.location_note
MAX_NAME = 50  # Ticket.on_behalf_name
PHONE = re.compile(r"^\+?[0-9]{5,20}$")
CJK = re.compile(r"[\u4e00-\u9fff]")

# A filing has no user of ours behind it. The requester is the ticket's reporter (reporter_id
# None on both sides), so an automatic dispatch is recorded on the reporter's side, as it is for
# a resident's report.
OPEN311_CALLER = Actor(user_id=None, display_name="Open311")  # type: ignore[arg-type]


class Open311Error(Exception):
    """A call Open311 answers with an error: 400, 403 (api key) or 404."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def _bad(description: str) -> Open311Error:
    return Open311Error(400, description)


def _param(params: dict, name: str) -> str | None:
    """An argument, trimmed; empty is absent ("optional" means an empty value may be sent)."""
    value = (params.get(name) or "").strip()
    return value or None


def _required(params: dict, name: str, what: str) -> str:
    value = _param(params, name)
    if value is None:
        raise _bad(f"缺少参数 {name}（{what}）")
    return value


def _comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def jurisdiction(params: dict) -> Community:
    """The community named by `jurisdiction_id` (its code): 400 when absent, 404 unknown."""
    code = _required(params, "jurisdiction_id", "社区编码")
    community = db.session.scalar(sa.select(Community).where(Community.code == code))
    if community is None:
        raise Open311Error(404, "没有这个辖区（jurisdiction_id）")
    return community


def _key(params: dict, *, required: bool) -> Open311Key | None:
    raw = _param(params, "api_key")
    if raw is None:
        if required:
            raise Open311Error(403, "缺少 api_key")
        return None
    key = key_by_secret(raw)
    if key is None:
        raise Open311Error(403, "api_key 无效或已被吊销")
    return key


def _w3c(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 with the community's offset, as GeoReport v2 requires an offset."""
    if moment is None:
        return None
    return moment.astimezone(zone).isoformat(timespec="seconds")


# ---------------------------------------------------------------- services


def _service(entry: CommunityCategory) -> dict:
    category = entry.category
    response, resolution = deadlines(category, entry.setting)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": (
            f"{category.name}：响应时限 {response.as_text()}，办理时限 {resolution.as_text()}"
        ),
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": DEADLINE_CLASS_TITLES[category.deadline_class],
    }


def list_services(*, params: dict) -> list[dict]:
    """GET services: the categories enabled in the community, with its deadlines.

    Outcomes: the services; 400 without jurisdiction_id; 404 unknown jurisdiction.
    """
    community = jurisdiction(params)
    return [_service(entry) for entry in community_categories(community.id, enabled_only=True)]


def service_definition(*, params: dict, service_code: str) -> dict:
    """GET services/{code}: no extra attributes, so an empty list.

    Outcomes: the definition; 400 without jurisdiction_id; 404 unknown jurisdiction, or a
    category unknown or not enabled there.
    """
    community = jurisdiction(params)
    enabled = community_categories(community.id, enabled_only=True)
    if not any(entry.category.code == service_code for entry in enabled):
        raise Open311Error(404, "本辖区没有这个服务（service_code）")
    return {"service_code": service_code, "attributes": []}


# ---------------------------------------------------------------- filing


def _point(params: dict) -> tuple[Decimal | None, Decimal | None]:
    lat, lng = _param(params, "lat"), _param(params, "long")
    if lat is None and lng is None:
        return None, None
    if lat is None or lng is None:
        raise _bad("lat 与 long 须同时提供")
    try:
        point = Decimal(lat), Decimal(lng)
    except InvalidOperation:
        raise _bad("lat、long 须为 WGS84 十进制经纬度") from None
    if not (point[0].is_finite() and point[1].is_finite()):
        raise _bad("lat、long 须为 WGS84 十进制经纬度")
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        raise _bad("lat、long 超出范围")
    six = Decimal("0.000001")
    return point[0].quantize(six), point[1].quantize(six)


def _building(params: dict) -> int | None:
    address_id = _param(params, "address_id")
    if address_id is None:
        return None
    if not address_id.isdigit() or int(address_id) > 2**31 - 1:
        raise _bad("address_id 须为本社区的楼栋编号")
    return int(address_id)


def _requester_name(params: dict) -> str | None:
    first, last = _param(params, "first_name"), _param(params, "last_name")
    if first is None and last is None:
        return None
    # Chinese names put the family name first, without a space.
    if CJK.search(f"{first or ''}{last or ''}"):
        name = f"{last or ''}{first or ''}"
    else:
        name = " ".join(part for part in (first, last) if part)
    if len(name) > MAX_NAME:
        raise _bad(f"姓名不能超过 {MAX_NAME} 个字符")
    return name


def _requester_phone(params: dict) -> str | None:
    phone = _param(params, "phone")
    if phone is None:
        return None
    phone = re.sub(r"[\s()\-]", "", phone)
    if not PHONE.match(phone):
        raise _bad("phone 格式不正确")
    return phone


def file_request(*, params: dict) -> dict:
    """POST requests: file a ticket for the key's organisation.

    Outcomes: `{service_request_id, service_notice, account_id: null}`; 403 api_key missing,
    unknown or revoked, or the community outside the key's region; 400 a missing or bad
    argument (service_code, description, location), an unknown or disabled service, a
    building that is not the community's, text refused by the content check; 404 unknown
    jurisdiction.
    """
    key = _key(params, required=True)
    community = jurisdiction(params)
    if not key_covers(key, community):
        raise Open311Error(403, "该 api_key 无权向此辖区提交")
    code = _required(params, "service_code", "问题类别代码，见 services")
    description = _required(params, "description", "问题描述")
    if len(description) > MAX_DESCRIPTION:
        raise _bad(f"description 不能超过 {MAX_DESCRIPTION} 个字符")
    lat, lng = _point(params)
    address = _param(params, "address_string")
    if address is not None and len(address) > MAX_ADDRESS:
        raise _bad(f"address_string 不能超过 {MAX_ADDRESS} 个字符")
    building_id = _building(params)
    if lat is None and address is None and building_id is None:
        raise _bad("请提供位置：lat 与 long、address_string 或 address_id")
    name, phone = _requester_name(params), _requester_phone(params)

    filed_under = community_category(community.id, code)
    if not filed_under.enabled:
        raise _bad("本辖区未启用该服务（service_code）")
    category, setting = filed_under.category, filed_under.setting
    building_id, unit_id = place_in(community, {"building_id": building_id})
    # No WeChat user wrote it: the check cannot be asked, so the text waits for a moderator.
    verdict = moderate_text(text=description, author_openid=None, scene=Scene.FORUM)

    with transaction():
        ticket = Ticket(
            community_id=community.id,
            category_id=category.id,
            status="submitted",
            description=description,
            building_id=building_id,
            unit_id=unit_id,
            lat=lat,
            lng=lng,
            location_note=address,
            grid_id=grid_of(community.id, building_id),
            photos=[],
            urgency_claimed=False,
            deadline_class=category.deadline_class,
            reporter_id=None,
            channel="open311",
            on_behalf_name=name,
            on_behalf_phone=phone,
            anonymous=False,
            public=category.public and verdict is Verdict.PUBLISH,
            open311_organisation_id=key.organisation_id,
        )
        handler = file_ticket(
            Context(community, ticket, frozenset(), OPEN311_CALLER),
            category=category,
            setting=setting,
            side="reporter",
            details={
                "channel": "open311",
                "organisation_id": key.organisation_id,
                # The requester gave the point to a city system to be found (see above).
                "location_consent": lat is not None,
            },
        )
        if handler is not None:
            due = _w3c(ticket.resolution_due_at, ZoneInfo(community.timezone))
            notice = f"已受理并派给{handler.name}，办理时限至 {due}"
        else:
            notice = "已收到，社区将尽快受理并派单"
        audit.record(
            action="ticket.report",
            target_type="ticket",
            target_id=ticket.id,
            community=community,
            actor_role="open311",
            details={
                "category": category.code,
                "channel": "open311",
                "organisation_id": key.organisation_id,
                "open311_key_id": key.id,
            },
        )
        return {"service_request_id": str(ticket.id), "service_notice": notice, "account_id": None}


# ---------------------------------------------------------------- reading


def _visible(params: dict, community: Community):
    """Public tickets; with a valid key also those its organisation filed (in its region)."""
    key = _key(params, required=False)
    clause = Ticket.public.is_(True)
    if key is not None and key_covers(key, community):
        clause = sa.or_(clause, Ticket.open311_organisation_id == key.organisation_id)
    return sa.and_(Ticket.community_id == community.id, clause)


def _moment(params: dict, name: str) -> datetime | None:
    value = _param(params, name)
    if value is None:
        return None
    # An unencoded "+08:00" arrives as " 08:00" (a query's "+" is a space).
    if "T" in value:
        value = value.replace(" ", "+")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _bad(f"{name} 须为带时区的 ISO 8601 时间，例如 2026-01-01T00:00:00+08:00")
    return moment.astimezone(UTC)


def _period(params: dict) -> tuple[datetime, datetime]:
    """start_date..end_date; absent: the latest 90 days; longer than 90 days: 400."""
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start is None and end is None:
        end = utcnow()
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise _bad("end_date 不能早于 start_date")
    if end - start > MAX_SPAN:
        raise _bad("查询时间跨度不能超过 90 天")
    return start, end


def _request_ids(value: str) -> list[int]:
    ids = _comma_list(value)
    if not all(part.isdigit() and int(part) <= 2**31 - 1 for part in ids):
        raise _bad("service_request_id 须为以逗号分隔的工单编号")
    if len(ids) > MAX_REQUESTS:
        raise _bad(f"一次最多查询 {MAX_REQUESTS} 个工单")
    return [int(part) for part in ids]


def _statuses(value: str | None) -> list[str]:
    wanted = _comma_list(value)
    if any(status not in ("open", "closed") for status in wanted):
        raise _bad("status 只能是 open、closed（以逗号分隔）")
    return [ours for ours, theirs in OPEN311_STATUS.items() if theirs in wanted]


def _notes(ticket: Ticket) -> str:
    """Our status in words; the reply once resolved, the reason when refused."""
    notes = STATUSES[ticket.status]
    if ticket.status == "rejected" and ticket.reject_reason:
        return f"{notes}：{REJECT_REASONS[ticket.reject_reason]}"
    if ticket.status in ("resolved", "closed") and ticket.reply:
        return f"{notes}：{ticket.reply}"
    return notes


def _names(model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all())


def _requests(tickets: list[Ticket], community: Community) -> list[dict]:
    """The tickets as Open311 requests, with the names of their places and handlers loaded in
    one query each."""
    zone = ZoneInfo(community.timezone)
    categories = categories_by_id()
    buildings = _names(Building, {t.building_id for t in tickets if t.building_id})
    units = _names(Unit, {t.unit_id for t in tickets if t.unit_id})
    handlers = _names(
        Organisation, {t.handler_organisation_id for t in tickets if t.handler_organisation_id}
    )
    rows = []
    for ticket in tickets:
        category = categories[ticket.category_id]
        place = " ".join(
            name for name in (buildings.get(ticket.building_id), units.get(ticket.unit_id)) if name
        )
        address = "，".join(part for part in (place, ticket.location_note) if part) or None
        closed = OPEN311_STATUS[ticket.status] == "closed"
        rows.append(
            {
                "service_request_id": str(ticket.id),
                "status": OPEN311_STATUS[ticket.status],
                "status_notes": _notes(ticket),
                "service_name": category.name,
                "service_code": category.code,
                "description": ticket.description,
                "agency_responsible": handlers.get(ticket.handler_organisation_id),
                "service_notice": None,
                "requested_datetime": _w3c(ticket.created_at, zone),
                "updated_datetime": _w3c(
                    ticket.closed_at if closed and ticket.closed_at else ticket.updated_at, zone
                ),
                "expected_datetime": _w3c(ticket.resolution_due_at, zone),
                "address": address,
                "address_id": str(ticket.building_id) if ticket.building_id else None,
                "zipcode": None,
                # Never a precise point in public: it may be someone's door.
                "lat": None,
                "long": None,
                "media_url": None,
            }
        )
    return rows


def list_requests(*, params: dict) -> list[dict]:
    """GET requests: the community's visible tickets, newest first, at most MAX_REQUESTS.

    Filters: `service_request_id` (comma list; overrides every other filter), `service_code`
    (comma list), `start_date`/`end_date` on the filing time (default the latest 90 days, at
    most 90 days), `status` (open, closed).

    Outcomes: the requests; 400 a bad argument; 403 an unknown or revoked api_key; 404 unknown
    jurisdiction.
    """
    community = jurisdiction(params)
    query = sa.select(Ticket).where(_visible(params, community))
    ids = _param(params, "service_request_id")
    if ids is not None:
        query = query.where(Ticket.id.in_(_request_ids(ids)))
    else:
        codes = _comma_list(_param(params, "service_code"))
        if codes:
            query = query.where(
                Ticket.category_id.in_(
                    sa.select(TicketCategory.id).where(TicketCategory.code.in_(codes))
                )
            )
        start, end = _period(params)
        query = query.where(Ticket.created_at >= start, Ticket.created_at <= end)
        statuses = _statuses(_param(params, "status"))
        if statuses:
            query = query.where(Ticket.status.in_(statuses))
    tickets = db.session.scalars(
        query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MAX_REQUESTS)
    ).all()
    return _requests(list(tickets), community)


def get_request(*, params: dict, request_id: int) -> list[dict]:
    """GET requests/{id}: one visible ticket, as a list of one.

    Outcomes: the request; 400 without jurisdiction_id; 403 an unknown or revoked api_key; 404
    unknown jurisdiction, or a ticket that is not there or not visible to the caller.
    """
    community = jurisdiction(params)
    ticket = db.session.scalar(
        sa.select(Ticket).where(Ticket.id == request_id, _visible(params, community))
    )
    if ticket is None:
        raise Open311Error(404, "未找到该服务请求")
    return _requests([ticket], community)
