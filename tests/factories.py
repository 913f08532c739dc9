"""Test data written straight to the database; behaviour is then exercised through HTTP."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from flask_jwt_extended import create_access_token

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
)
from backend.core.db import db, utcnow
from backend.core.tenancy.models import Community, Region
from backend.tickets.categories import ensure_categories

PASSWORD = "correct-horse-battery"
# One scrypt hash for every test user: hashing is deliberately slow.
_PASSWORD_HASH: list[str] = []


def password_hash() -> str:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(PASSWORD))
    return _PASSWORD_HASH[0]


def token_for(user_id: int) -> str:
    """An access token of a new sign-in (family) of the user; call inside an app context."""
    return create_access_token(identity=str(user_id), additional_claims={"fam": str(uuid.uuid4())})


def region(code: str, name: str, level: str, parent: Region | None = None) -> Region:
    row = Region(code=code, name=name, level=level, parent=parent)
    db.session.add(row)
    db.session.flush()
    row.path = f"{parent.path if parent else '/'}{row.id}/"
    return row


def user(username: str, *, system_admin: bool = False, auditor: bool = False) -> User:
    row = User(
        username=username,
        password_hash=password_hash(),
        display_name=username,
        is_system_admin=system_admin,
        is_auditor=auditor,
    )
    db.session.add(row)
    db.session.flush()
    return row


def grant(user_row: User, role: str, *, status: str = "verified", **scope) -> Membership:
    row = Membership(
        user_id=user_row.id,
        role=role,
        scope_key=membership_scope(**{k: v for k, v in scope.items() if k != "relation"}),
        status=status,
        decided_at=utcnow() if status != "pending" else None,
        **scope,
    )
    db.session.add(row)
    db.session.flush()
    return row


def community(code: str, street: Region) -> Community:
    row = Community(code=code, name=f"{code}社区", region=street)
    db.session.add(row)
    db.session.flush()
    return row


def building(community_row: Community, name: str, unit_names=("1单元",)) -> Building:
    row = Building(community_id=community_row.id, name=name)
    row.units = [Unit(community_id=community_row.id, name=n) for n in unit_names]
    db.session.add(row)
    db.session.flush()
    return row


def household(unit: Unit, room: str, area: str | None = "80.00", owner_ref=None) -> Household:
    row = Household(
        community_id=unit.community_id,
        building_id=unit.building_id,
        unit_id=unit.id,
        room=room,
        exclusive_area=Decimal(area) if area else None,
        owner_ref=owner_ref,
    )
    db.session.add(row)
    db.session.flush()
    return row


@dataclass
class World:
    """Ids of a small world: community `a` holds every role, `b` is another street's community."""

    street_a: int
    street_b: int
    a: int
    b: int
    building: int
    unit: int
    spare_unit: int
    empty_building: int
    household: int
    free_household: int
    grid: int
    facility: int
    property_company: int
    design_institute: int
    b_building: int
    b_unit: int
    b_household: int
    b_grid: int
    b_facility: int
    b_membership: int
    resident: int
    committee: int
    grid_worker: int
    property_staff: int
    professional: int
    street_admin: int
    system_admin: int
    auditor: int
    outsider: int
    claimant: int
    resident_membership: int
    pending_membership: int
    grid_worker_membership: int

    def user_id(self, role: str) -> int:
        return getattr(self, role)


def build_world() -> World:
    province = region("P1", "黑龙江省", "province")
    city = region("C1", "哈尔滨市", "city", province)
    district = region("D1", "南岗区", "district", city)
    street_a = region("S1", "和兴路街道", "street", district)
    street_b = region("S2", "花园街道", "street", district)
    a = community("A", street_a)
    b = community("B", street_b)

    block = building(a, "1号楼", ("1单元", "2单元"))
    unit, spare_unit = block.units[0], block.units[1]
    empty_building = building(a, "9号楼")
    home = household(unit, "101", "80.00", "O-1")
    free_home = household(unit, "102", "90.50", "O-2")
    grid = Grid(community_id=a.id, name="第一网格", buildings=[block])
    facility = Facility(community_id=a.id, kind="elderly_service_station", name="老年服务站",
                        floor_area=Decimal("360.00"))
    property_company = Organisation(code="PROP", name="安居物业", kind="property_company")
    design_institute = Organisation(code="DESIGN", name="城市设计院", kind="design_institute")
    db.session.add_all([grid, facility, property_company, design_institute])
    db.session.flush()
    db.session.add(ServiceArea(community_id=a.id, organisation_id=property_company.id))

    b_block = building(b, "1号楼")
    b_home = household(b_block.units[0], "101")
    b_grid = Grid(community_id=b.id, name="B网格", buildings=[b_block])
    b_facility = Facility(community_id=b.id, kind="public_green_space", name="绿地")
    db.session.add_all([b_grid, b_facility])

    resident = user("resident")
    resident_membership = grant(resident, "resident", community_id=a.id, household_id=home.id,
                                relation="owner")
    committee = user("committee")
    grant(committee, "committee", community_id=a.id)
    grid_worker = user("grid_worker")
    grid_worker_membership = grant(grid_worker, "grid_worker", community_id=a.id)
    grid.workers = [GridWorker(user_id=grid_worker.id)]
    property_staff = user("property_staff")
    grant(property_staff, "property_staff", organisation_id=property_company.id)
    professional = user("professional")
    grant(professional, "professional", community_id=a.id)
    street_admin = user("street_admin")
    grant(street_admin, "street_admin", region_id=street_a.id)
    system_admin = user("system_admin", system_admin=True)
    auditor = user("auditor", auditor=True)
    outsider = user("outsider")
    grant(outsider, "committee", community_id=b.id)
    b_resident = user("b_resident")
    b_membership = grant(b_resident, "resident", status="pending", community_id=b.id,
                         household_id=b_home.id, relation="owner")
    # Reference data the migration seeds; the tests empty every table between tests.
    ensure_categories(db.session)
    claimant = user("claimant")
    pending_membership = grant(claimant, "resident", status="pending", community_id=a.id,
                               household_id=free_home.id, relation="tenant")
    db.session.commit()
    return World(
        street_a=street_a.id, street_b=street_b.id, a=a.id, b=b.id,
        building=block.id, unit=unit.id, spare_unit=spare_unit.id,
        empty_building=empty_building.id, household=home.id, free_household=free_home.id,
        grid=grid.id, facility=facility.id, property_company=property_company.id,
        design_institute=design_institute.id, b_building=b_block.id,
        b_unit=b_block.units[0].id, b_household=b_home.id, b_grid=b_grid.id,
        b_facility=b_facility.id, b_membership=b_membership.id,
        resident=resident.id, committee=committee.id, grid_worker=grid_worker.id,
        property_staff=property_staff.id, professional=professional.id,
        street_admin=street_admin.id, system_admin=system_admin.id, auditor=auditor.id,
        outsider=outsider.id,
        claimant=claimant.id, resident_membership=resident_membership.id,
        pending_membership=pending_membership.id,
        grid_worker_membership=grid_worker_membership.id,
    )


def url_values(world: World) -> dict:
    """A value for each URL parameter of the API, all inside community `a`."""
    return {
        "community_id": world.a,
        "region_id": world.street_a,
        "building_id": world.building,
        "unit_id": world.unit,
        "household_id": world.household,
        "grid_id": world.grid,
        "facility_id": world.facility,
        "organisation_id": world.property_company,
        "membership_id": world.resident_membership,
        "filename": "swagger-ui.css",
        # Rows made per test (the walk's cases create them); a placeholder elsewhere.
        "consultation_id": 1,
        "need_id": 1,
        "comment_id": 1,
        "ballot_id": 1,
        "meeting_id": 1,
        "check_id": 1,
        "ticket_id": 1,
        # A ticket category every community starts with.
        "code": "lighting",
        # An item of a standard (the shipped ones number theirs from 1).
        "item_code": "1",
        "assessment_id": 1,
        # A stored photo's key (none is stored under this one).
        "key": "0" * 32,
    }


def fill_url(rule: str, values: dict) -> str:
    """Turn a Flask rule (or an OpenAPI path) into a URL with the given values."""
    # Converters say what a value may be, not which: <any(csv,xlsx):file_format> -> <file_format>.
    url = re.sub(r"<[^:<>]+:(\w+)>", r"<\1>", rule)
    for name, value in values.items():
        for pattern in (f"<{name}>", f"{{{name}}}"):
            url = url.replace(pattern, str(value))
    assert "<" not in url and "{" not in url, f"no value for a parameter of {rule}"
    return url
