"""Demo data: one street in Harbin with an old and a new community, and an account per role.

`flask --app backend demo load` calls `load_demo()` then `print_accounts(click.echo)`. Everything is
deterministic (random.Random(42)) so that demos, screenshots and manual tests see the same rows.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app

from backend.accounts.models import Membership, User, membership_scope
from backend.accounts.services.passwords import hash_password
from backend.communities.models import (
    Building,
    Facility,
    Grid,
    GridWorker,
    Household,
    Organisation,
    ServiceArea,
    Unit,
    grid_buildings,
)
from backend.core.auth import Role
from backend.core.db import transaction, utcnow
from backend.core.tenancy.models import Community, Region
from backend.core.wechat.models import WechatIdentity

DEMO_PASSWORD = "gongzhi-demo"
STREET_CODE = "DEMO-STREET"
PROPERTY_CODE = "DEMO-PROP"
DESIGN_CODE = "DEMO-DESIGN"
DEVELOPER_REF = "DEVELOPER"

# Ancestors carry their GB/T 2260 codes and are reused if a real tree already holds them;
# only the street is the demo's own, and its presence is what makes loading idempotent.
REGIONS = [
    ("230000", "黑龙江省", "province"),
    ("230100", "哈尔滨市", "city"),
    ("230103", "南岗区", "district"),
    (STREET_CODE, "和兴路街道", "street"),
]

# code, name, address, year built, buildings as (floors, units); two households per floor per unit.
# The old estate: 13 units x 6 floors x 2 = 156; the new one: 2 units x (18+18+25) floors x 2 = 244.
COMMUNITIES = [
    ("DEMO-OLD", "和兴社区", "和兴路56号和兴小区", 1994, [(6, 3), (6, 2), (6, 3), (6, 3), (6, 2)]),
    ("DEMO-NEW", "学府社区", "学府路318号学府嘉园", 2016, [(18, 2), (18, 2), (25, 2)]),
]
# Exclusive areas (m²) of a floor plan: 1990s walk-ups are small, the new towers larger.
AREA_RANGE = {"DEMO-OLD": (48, 78), "DEMO-NEW": (86, 143)}
GROSS_TO_EXCLUSIVE = Decimal("1.25")

# The register the complete-community items are scored on. The old estate lacks EV charging,
# an express point and a micro fire station, and its green space is below the 1000 m² minimum,
# so its score shows gaps that the renovation consultations can address.
FACILITIES = {
    "DEMO-OLD": [
        ("community_service_station", "和兴社区党群服务中心", 820, None),
        ("elderly_service_station", "和兴社区老年人日间照料中心", 360, None),
        ("property_office", "龙安物业和兴服务站", 45, "仅服务 1–3 号楼"),
        ("waste_sorting_point", "垃圾分类集中投放点", 24, "共 3 处"),
        ("public_activity_space", "楼间健身广场", 450, None),
        ("public_green_space", "宅间绿地", 620, "改造方案拟增至 1000 m²"),
        ("parking", "地面停车位", None, "划线车位 48 个，改造中"),
    ],
    "DEMO-NEW": [
        ("community_service_station", "学府社区综合服务站", 860, None),
        ("elderly_service_station", "学府社区老年服务站", 380, None),
        ("kindergarten", "学府嘉园幼儿园", 2400, "6 班"),
        ("supermarket", "学府生鲜超市", 650, None),
        ("express_point", "快递驿站", 45, None),
        ("micro_fire_station", "微型消防站", 30, None),
        ("property_office", "龙安物业学府嘉园服务中心", 300, None),
        ("waste_sorting_point", "垃圾分类投放亭", 40, "共 4 处"),
        ("ev_charging", "电动自行车集中充电棚", 260, "充电口 120 个"),
        ("public_green_space", "中心花园", 1200, None),
        ("public_activity_space", "中心花园活动广场", 600, None),
        ("fitness_equipment", "室外健身器材", None, "共 12 件"),
        ("publicity_board", "绿色社区宣传栏", None, "小区南门、东门各一处"),
        ("accessibility", "出入口无障碍坡道", None, "3 栋楼单元门"),
        ("public_toilet", "公共厕所", 40, None),
        ("convenience_shop", "便民商业街", None, "理发、洗衣、药店、维修"),
        ("health_station", "学府社区卫生服务站", 150, None),
        ("nursery", "学府托育园", 260, None),
        ("parking", "地下停车场", None, "车位 520 个"),
    ],
}

# The property company manages the whole new estate but only buildings 1–3 of the old one
# (4 and 5 are abandoned by their former manager, 弃管楼): coverage is then partial, as in HLJ 12.
SERVICED_OLD_BUILDINGS = ["1号楼", "2号楼", "3号楼"]
ORGANISATIONS = [
    (PROPERTY_CODE, "哈尔滨龙安物业服务有限公司", "property_company"),
    (DESIGN_CODE, "哈尔滨松江建筑设计研究院", "design_institute"),
]
# community code, grid name, buildings, grid worker.
GRIDS = [
    ("DEMO-OLD", "和兴第一网格", ["1号楼", "2号楼", "3号楼"], "grid_old"),
    ("DEMO-OLD", "和兴第二网格", ["4号楼", "5号楼"], "grid_old"),
    ("DEMO-NEW", "学府第一网格", ["1号楼", "2号楼", "3号楼"], "grid_new"),
]


class DemoAccount(NamedTuple):
    username: str
    display_name: str
    role: Role
    community: str | None  # the community code of a community-scoped role
    description: str


DEMO_ACCOUNTS = [
    DemoAccount("admin", "系统管理员", Role.SYSTEM_ADMIN, None, "系统管理员：区域、社区、单位"),
    DemoAccount("auditor", "审计员", Role.AUDITOR, None, "安全审计员：只读审计日志（与系统管理员分立）"),
    DemoAccount("street", "李国栋", Role.STREET_ADMIN, None, "和兴路街道干部：查看、比较辖区社区"),
    DemoAccount("committee_old", "张丽华", Role.COMMITTEE, "DEMO-OLD", "和兴社区居委会"),
    DemoAccount("committee_new", "陈静", Role.COMMITTEE, "DEMO-NEW", "学府社区居委会"),
    DemoAccount("grid_old", "刘洋", Role.GRID_WORKER, "DEMO-OLD", "网格员：和兴第一、第二网格"),
    DemoAccount("grid_new", "赵磊", Role.GRID_WORKER, "DEMO-NEW", "网格员：学府第一网格"),
    DemoAccount("property", "孙海涛", Role.PROPERTY_STAFF, None, "龙安物业客服（服务两个社区）"),
    DemoAccount("designer", "周雨桐", Role.PROFESSIONAL, None, "社区规划师，松江设计院"),
    DemoAccount("engineer", "吴志强", Role.PROFESSIONAL, None, "结构工程师，松江设计院"),
    DemoAccount("owner_old", "王淑芬", Role.RESIDENT, "DEMO-OLD", "业主，已认证"),
    DemoAccount("owner2_old", "李建国", Role.RESIDENT, "DEMO-OLD", "业主，两套房，已认证"),
    DemoAccount("tenant_old", "马晓东", Role.RESIDENT, "DEMO-OLD", "租户，已认证"),
    DemoAccount("family_old", "王磊", Role.RESIDENT, "DEMO-OLD", "家庭成员（王淑芬之子），已认证"),
    DemoAccount("pending_old", "杨秀英", Role.RESIDENT, "DEMO-OLD", "业主认证申请待审核"),
    DemoAccount("owner_new", "郑凯文", Role.RESIDENT, "DEMO-NEW", "业主，已认证"),
    DemoAccount("tenant_new", "林婷", Role.RESIDENT, "DEMO-NEW", "租户，已认证"),
]

# Residents' claims: relation, status, homes as (building, unit, room) in the account's community.
# An owner claiming several homes holds them under one owner_ref: one owner by head.
RESIDENT_HOMES = {
    "owner_old": ("owner", "verified", [("1号楼", "1单元", "301")]),
    "owner2_old": ("owner", "verified", [("2号楼", "2单元", "501"), ("4号楼", "1单元", "201")]),
    "tenant_old": ("tenant", "verified", [("3号楼", "1单元", "602")]),
    "family_old": ("family", "verified", [("1号楼", "1单元", "301")]),
    "pending_old": ("owner", "pending", [("5号楼", "2单元", "102")]),
    "owner_new": ("owner", "verified", [("1号楼", "1单元", "1501")]),
    "tenant_new": ("tenant", "verified", [("2号楼", "2单元", "802")]),
}
EXTRA_TWO_HOME_OWNERS = {"DEMO-OLD": 2, "DEMO-NEW": 3}  # unnamed owners, besides owner2_old
UNSOLD_UNITS = 10  # in the new estate, still held by the developer


def load_demo() -> bool:
    """Create the demo street and everything in it. False (and no change) if already loaded."""
    rng = random.Random(42)
    with transaction() as tx:
        if tx.scalar(sa.select(Region.id).where(Region.code == STREET_CODE)) is not None:
            return False
        # An operator may already have made e.g. `admin`: say so rather than fail on a constraint.
        usernames = [account.username for account in DEMO_ACCOUNTS]
        taken = tx.scalars(sa.select(User.username).where(User.username.in_(usernames))).all()
        if taken:
            raise RuntimeError(f"demo usernames already in use: {', '.join(sorted(taken))}")

        street = _load_regions(tx)
        communities: dict[str, Community] = {}
        buildings: dict[tuple[str, str], Building] = {}
        homes: dict[tuple[str, str, str, str], Household] = {}
        next_owner = iter(range(1, 10_000))  # owner refs run on across both communities
        for code, name, address, year, plan in COMMUNITIES:
            community = Community(code=code, name=name, address=address, region_id=street.id)
            tx.add(community)
            tx.flush()
            communities[code] = community
            households = _load_estate(tx, rng, community, year, plan, buildings, homes)
            _assign_owners(rng, code, households, homes, next_owner)
            tx.add_all(
                Facility(
                    community_id=community.id,
                    kind=kind,
                    name=facility_name,
                    floor_area=None if area is None else Decimal(area),
                    notes=notes,
                )
                for kind, facility_name, area, notes in FACILITIES[code]
            )

        orgs = {code: Organisation(code=code, name=n, kind=k) for code, n, k in ORGANISATIONS}
        tx.add_all(orgs.values())
        tx.flush()
        prop = orgs[PROPERTY_CODE]
        serviced = [buildings["DEMO-OLD", name] for name in SERVICED_OLD_BUILDINGS]
        old, new = communities["DEMO-OLD"], communities["DEMO-NEW"]
        tx.add(ServiceArea(organisation_id=prop.id, community_id=new.id))  # no buildings: all
        tx.add(ServiceArea(organisation_id=prop.id, community_id=old.id, buildings=serviced))

        users = _load_users(tx, street, prop, communities, homes)
        _load_consultations(tx, old, buildings, users)
        for code, grid_name, building_names, worker in GRIDS:
            tx.add(
                Grid(
                    community_id=communities[code].id,
                    name=grid_name,
                    buildings=[buildings[code, name] for name in building_names],
                    workers=[GridWorker(user_id=users[worker].id)],
                )
            )
        tx.flush()
        _load_tickets(tx, old, buildings, users, prop)
    return True


def _load_consultations(tx, old: Community, buildings, users) -> None:
    """The old estate's renovation: needs being collected from everyone, and the owners of
    1号楼1单元 deciding on an elevator (art. 278 matter 7), voting open now."""
    from datetime import timedelta

    from backend.consultations.models import Consultation, Need
    from backend.consultations.services.electorate import snapshot_electorate

    now = utcnow().replace(second=0, microsecond=0)
    day = timedelta(days=1)
    committee = users["committee_old"].id
    renovation = Consultation(
        community_id=old.id, created_by_id=committee, status="collecting",
        title="和兴小区老旧小区改造需求征集",
        question="本次改造资金有限，请提出并支持您最关心的改造项目，征集结束后投票排序。",
        documents=[], method="ranking", scope="community", electorate="residents",
        ballot_per="household", allow_change=True, live_results=False,
        needs_opens_at=now - 3 * day, needs_closes_at=now + 11 * day,
        voting_opens_at=now + 11 * day, voting_closes_at=now + 25 * day,
    )
    tx.add(renovation)
    tx.flush()
    for author, title, need_class, supports in (
        ("owner_old", "1单元加装电梯", "improve", 12),
        ("owner2_old", "更换老化供水管道", "basic", 31),
        ("tenant_old", "增设电动自行车充电桩", "improve", 18),
    ):
        tx.add(Need(consultation_id=renovation.id, community_id=old.id,
                    author_id=users[author].id, title=title, need_class=need_class,
                    status="published", support_count=supports, photos=[]))
    block = buildings["DEMO-OLD", "1号楼"]
    elevator = Consultation(
        community_id=old.id, created_by_id=committee, status="voting",
        title="1号楼1单元加装电梯", method="owners_decision", matter=7,
        question="是否同意按公示方案为1号楼1单元加装电梯，费用按楼层分摊？",
        documents=[], scope="units", electorate="owners", ballot_per="household",
        allow_change=True, live_results=False, units=[block.units[0]],
        voting_opens_at=now - 2 * day, voting_opened_at=now - 2 * day,
        voting_closes_at=now + 12 * day,
    )
    tx.add(elevator)
    tx.flush()
    snapshot_electorate(elevator)


def _load_tickets(tx, old: Community, buildings, users, prop: Organisation) -> None:
    """Problem reports of the old estate at every step: one waiting for the committee, one the
    property company is working on, one resolved awaiting its rating, one closed and rated."""
    from datetime import timedelta

    from backend.tickets import sla
    from backend.tickets.categories import ensure_categories
    from backend.tickets.models import Ticket, TicketCategory, TicketEvent

    ensure_categories(tx)
    now = utcnow().replace(second=0, microsecond=0)
    categories = {c.code: c for c in tx.scalars(sa.select(TicketCategory))}
    grid_of = {
        building_id: grid_id
        for grid_id, building_id in tx.execute(
            sa.select(Grid.id, grid_buildings.c.building_id)
            .join(grid_buildings, grid_buildings.c.grid_id == Grid.id)
            .where(Grid.community_id == old.id)
        )
    }
    # reporter, category, building, description, status, hours since filed, rating
    for reporter, code, building, description, status, age, rating in (
        ("tenant_old", "waterlogging", "4号楼", "4号楼北侧雨后积水，老人出行不便", "submitted", 3, None),
        ("owner_old", "lighting", "1号楼", "1号楼1单元楼道灯不亮", "in_progress", 30, None),
        ("grid_old", "fire_lane", "2号楼", "2号楼东侧消防通道被私家车堵塞", "resolved", 50, None),
        ("owner2_old", "noise", "3号楼", "3号楼底商夜间施工噪声扰民", "closed", 200, 4),
    ):
        category = categories[code]
        filed = now - timedelta(hours=age)
        place = buildings["DEMO-OLD", building]
        ticket = Ticket(
            community_id=old.id, category_id=category.id, status=status,
            description=description, building_id=place.id, grid_id=grid_of.get(place.id),
            photos=[], after_photos=[], deadline_class=category.deadline_class,
            reporter_id=users[reporter].id,
            channel="grid_worker" if reporter.startswith("grid") else "resident",
            public=True, created_at=filed,
        )
        events = [("submitted", "reporter", filed)]
        if status != "submitted":
            dispatched = filed + timedelta(hours=1)
            response, resolution = sla.DEADLINE_CLASSES[category.deadline_class]
            ticket.handler_organisation_id = prop.id
            ticket.dispatched_at = dispatched
            ticket.response_due_at = sla.due_at(dispatched, response, old.timezone)
            ticket.resolution_due_at = sla.due_at(dispatched, resolution, old.timezone)
            ticket.responded_at = dispatched + timedelta(minutes=40)
            events += [("accepted", "committee", dispatched), ("assigned", "committee", dispatched),
                       ("signed", "handler", ticket.responded_at),
                       ("started", "handler", ticket.responded_at)]
        if status in ("resolved", "closed"):
            ticket.resolved_at = ticket.responded_at + timedelta(hours=2)
            ticket.reply = "已现场处理完毕"
            events.append(("resolved", "handler", ticket.resolved_at))
        if status == "closed":
            ticket.closed_at = ticket.resolved_at + timedelta(days=1)
            ticket.rating, ticket.fixed, ticket.evaluation = rating, True, "confirmed"
            events.append(("confirmed", "reporter", ticket.closed_at))
        tx.add(ticket)
        tx.flush()
        reached = {"submitted": "submitted", "accepted": "accepted", "assigned": "assigned",
                   "signed": "signed", "started": "in_progress", "resolved": "resolved",
                   "confirmed": "closed"}
        tx.add_all(
            TicketEvent(ticket_id=ticket.id, kind=kind, actor_role=side, created_at=at,
                        to_status=reached[kind], photos=[], data={})
            for kind, side, at in events
        )


def _load_regions(tx) -> Region:
    """Province › city › district › street; the path "/<id>/.../" needs the ids, so after flush."""
    parent = None
    for code, name, level in REGIONS:
        region = tx.scalar(sa.select(Region).where(Region.code == code))
        if region is None:
            region = Region(code=code, name=name, level=level, parent_id=parent and parent.id)
            tx.add(region)
            tx.flush()
            region.path = f"{parent.path if parent else '/'}{region.id}/"
        parent = region
    return parent


def _load_estate(tx, rng, community, year, plan, buildings, homes) -> list[Household]:
    """Buildings, units and rooms ("301": floor 3, door 1). One floor plan per stack of rooms
    gives the base area; surveyed areas still differ a little from floor to floor."""
    low, high = AREA_RANGE[community.code]
    households = []
    for number, (floors, unit_count) in enumerate(plan, start=1):
        building = Building(
            community_id=community.id, name=f"{number}号楼", floors=floors, built_year=year
        )
        tx.add(building)
        tx.flush()
        buildings[community.code, building.name] = building
        for unit_number in range(1, unit_count + 1):
            unit = Unit(
                community_id=community.id, building_id=building.id, name=f"{unit_number}单元"
            )
            tx.add(unit)
            tx.flush()
            plans = [rng.uniform(low, high) for _door in (1, 2)]
            for floor in range(1, floors + 1):
                for door, base in enumerate(plans, start=1):
                    household = Household(
                        community_id=community.id,
                        building_id=building.id,
                        unit_id=unit.id,
                        room=f"{floor}{door:02d}",
                        exclusive_area=Decimal(f"{base + rng.uniform(-0.8, 0.8):.2f}"),
                    )
                    households.append(household)
                    homes[community.code, building.name, unit.name, household.room] = household
        # Gross floor area (建筑面积): the homes plus stairs, walls and shared rooms, about a
        # quarter more; the base of the property office's 2‰ (complete-community item 16).
        building.floor_area = (
            sum(home.exclusive_area for home in households if home.building_id == building.id)
            * GROSS_TO_EXCLUSIVE
        ).quantize(Decimal("0.01"))
    tx.add_all(households)
    tx.flush()
    return households


def _assign_owners(rng, code, households, homes, next_owner) -> None:
    """owner_ref "O-0001"...; a few owners hold two homes (one ref, one owner by head) and the
    developer's unsold units share the ref DEVELOPER, as the owners' register counts them."""
    same_owner: dict[int, int] = {}  # household id -> id of the household whose ref it shares
    claimed: set[int] = set()
    for username, (relation, _status, rooms) in RESIDENT_HOMES.items():
        if _account(username).community != code:
            continue
        ids = sorted(homes[code, *room].id for room in rooms)
        claimed.update(ids)
        if relation == "owner":
            same_owner.update((other, ids[0]) for other in ids[1:])
    free = [household for household in households if household.id not in claimed]
    unsold: set[int] = set()
    if code == "DEMO-NEW":  # the developer still holds flats in the last tower it built
        tower = [household for household in free if household.building.name == "3号楼"]
        unsold = {household.id for household in rng.sample(tower, UNSOLD_UNITS)}
        free = [household for household in free if household.id not in unsold]
    picked = rng.sample(free, 2 * EXTRA_TWO_HOME_OWNERS[code])
    for pair in zip(picked[::2], picked[1::2], strict=True):
        first, second = sorted(household.id for household in pair)
        same_owner[second] = first
    refs: dict[int, str] = {}
    for household in households:  # in id order: a shared ref is assigned before it is copied
        if household.id in unsold:
            household.owner_ref = DEVELOPER_REF
        elif household.id in same_owner:
            household.owner_ref = refs[same_owner[household.id]]
        else:
            household.owner_ref = f"O-{next(next_owner):04d}"
        refs[household.id] = household.owner_ref


def _load_users(tx, street, prop, communities, homes) -> dict[str, User]:
    """One user per DEMO_ACCOUNTS row, holding the role it describes."""
    now = utcnow()
    appid = current_app.config["WECHAT_APPID"]
    users = {}
    for account in DEMO_ACCOUNTS:  # each its own salted hash, as a real account would have
        users[account.username] = User(
            username=account.username,
            password_hash=hash_password(DEMO_PASSWORD),
            display_name=account.display_name,
            is_system_admin=account.role is Role.SYSTEM_ADMIN,
            is_auditor=account.role is Role.AUDITOR,
        )
    tx.add_all(users.values())
    tx.flush()
    # Verified residents were verified by their community's committee member.
    committee = {a.community: users[a.username] for a in DEMO_ACCOUNTS if a.role is Role.COMMITTEE}

    for account in DEMO_ACCOUNTS:
        user = users[account.username]
        scopes: list[dict] = []
        if account.role is Role.STREET_ADMIN:
            scopes = [{"region_id": street.id}]
        elif account.role is Role.PROPERTY_STAFF:
            scopes = [{"organisation_id": prop.id}]
        elif account.role is Role.PROFESSIONAL:  # professionals serve every demo community
            scopes = [{"community_id": community.id} for community in communities.values()]
        elif account.role in (Role.COMMITTEE, Role.GRID_WORKER):
            scopes = [{"community_id": communities[account.community].id}]
        tx.add_all(
            Membership(
                user_id=user.id,
                role=str(account.role),
                scope_key=membership_scope(**scope),
                status="verified",
                decided_at=now,
                **scope,
            )
            for scope in scopes
        )
        if account.role is not Role.RESIDENT:
            continue
        relation, status, rooms = RESIDENT_HOMES[account.username]
        decided = status != "pending"
        for room in rooms:
            household = homes[account.community, *room]
            tx.add(
                Membership(
                    user_id=user.id,
                    role=str(Role.RESIDENT),
                    scope_key=membership_scope(household_id=household.id),
                    community_id=household.community_id,
                    household_id=household.id,
                    relation=relation,
                    status=status,
                    decided_by_id=committee[account.community].id if decided else None,
                    decided_at=now if decided else None,
                )
            )
        # Residents arrive through WeChat; a fake openid lets them look the part (no session key).
        tx.add(WechatIdentity(user_id=user.id, appid=appid, openid=f"demo-openid-{user.username}"))
    return users


def _account(username: str) -> DemoAccount:
    return next(account for account in DEMO_ACCOUNTS if account.username == username)


def _scope_label(account: DemoAccount) -> str:
    if account.community:
        return account.community
    return {
        Role.STREET_ADMIN: STREET_CODE,
        Role.PROPERTY_STAFF: PROPERTY_CODE,
        Role.PROFESSIONAL: ",".join(code for code, *_rest in COMMUNITIES),
    }.get(account.role, "-")


def _who(account: DemoAccount) -> str:
    homes = RESIDENT_HOMES.get(account.username, (None, None, []))[2]
    rooms = "、".join("".join(room) for room in homes)
    return f"{account.display_name} · {account.description}" + (f"（{rooms}）" if rooms else "")


def print_accounts(echo) -> None:
    """The demo accounts and how to get a token for each."""
    rows = [("username", "role", "scope", "who")]
    rows += [(a.username, str(a.role), _scope_label(a), _who(a)) for a in DEMO_ACCOUNTS]
    widths = [max(len(row[i]) for row in rows) + 2 for i in range(3)]  # ASCII columns only
    for row in rows:
        echo("".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + row[3])
    echo("")
    echo("Token by username (dev-login exists in development and test only):")
    for account in DEMO_ACCOUNTS:
        echo(
            "  curl -s -X POST http://127.0.0.1:5000/api/v1/auth/dev-login"
            " -H 'Content-Type: application/json'"
            f' -d \'{{"username":"{account.username}"}}\''
        )
    echo(f"Token by password (every demo account, staff or resident): password {DEMO_PASSWORD}")
    echo(
        "  curl -s -X POST http://127.0.0.1:5000/api/v1/auth/login"
        " -H 'Content-Type: application/json'"
        f' -d \'{{"username":"committee_old","password":"{DEMO_PASSWORD}"}}\''
    )
    echo("Then call the API with the header: Authorization: Bearer <access_token>")
