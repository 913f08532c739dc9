"""The register's part of the route permission table: the regions and organisations, kept by the
system admin; the communities, registered in a street by its admins; one community's places and
registers, kept by its committee."""

from __future__ import annotations

import io

from tests.permission_table import (
    COMMITTEE_OR_STREET,
    HOUSEHOLD_READERS,
    MANAGERS,
    REGION,
    REGION_ADMINS,
    SIGNED_IN,
    STAFF_READERS,
    SYSTEM,
    Case,
)

COMMUNITY = "/api/v1/communities/<int:community_id>"


def _csv():
    return {"file": (io.BytesIO("楼栋,单元,房号,面积\n5号楼,1单元,101,66.6\n".encode()), "r.csv")}


def _district(world):
    from backend.core.db import db
    from backend.core.tenancy.models import Region

    return db.session.get(Region, world.street_a).parent_id


def _unclaimed(world):
    """A household nobody claimed (the world's free household has a pending claim)."""
    from backend.communities.models import Unit
    from backend.core.db import db
    from tests.factories import household

    row = household(db.session.get(Unit, world.spare_unit), "909")
    db.session.commit()
    return {"household_id": row.id}


CASES = {
    # -- the system-wide registers, read by everyone signed in
    ("GET", "/api/v1/regions"): Case(SIGNED_IN, scope=SYSTEM),
    ("POST", "/api/v1/regions"): Case(
        frozenset({"system_admin"}),
        status=201,
        body=lambda w: {"code": "S9", "name": "新街道", "level": "street", "parent_id": _district(w)},
        scope=SYSTEM,
    ),
    ("GET", "/api/v1/organisations"): Case(SIGNED_IN, scope=SYSTEM),
    ("POST", "/api/v1/organisations"): Case(
        frozenset({"system_admin"}),
        status=201,
        body={"code": "NEWPROP", "name": "新物业", "kind": "property_company"},
        scope=SYSTEM,
    ),
    ("GET", "/api/v1/communities"): Case(SIGNED_IN, scope=SYSTEM),
    # -- a street's new community: its admins (the street is a public fact, so 403 to others)
    ("POST", "/api/v1/communities"): Case(
        REGION_ADMINS,
        status=201,
        body=lambda w: {"code": "NEW", "name": "新社区", "region_id": w.street_a},
        scope=REGION,
    ),
    # -- one community
    ("GET", COMMUNITY): Case(SIGNED_IN),
    ("PATCH", COMMUNITY): Case(COMMITTEE_OR_STREET, body={"address": "和兴路 1 号"}),
    ("GET", f"{COMMUNITY}/buildings"): Case(SIGNED_IN),
    ("POST", f"{COMMUNITY}/buildings"): Case(
        MANAGERS, status=201, body={"name": "7号楼", "unit_names": ["1单元"]}
    ),
    ("GET", f"{COMMUNITY}/buildings/<int:building_id>"): Case(SIGNED_IN),
    ("PATCH", f"{COMMUNITY}/buildings/<int:building_id>"): Case(MANAGERS, body={"floors": 7}),
    ("DELETE", f"{COMMUNITY}/buildings/<int:building_id>"): Case(
        MANAGERS, status=204, params=lambda w: {"building_id": w.empty_building}
    ),
    ("POST", f"{COMMUNITY}/buildings/<int:building_id>/units"): Case(
        MANAGERS, status=201, body={"name": "3单元"}
    ),
    ("PATCH", f"{COMMUNITY}/units/<int:unit_id>"): Case(MANAGERS, body={"name": "甲单元"}),
    ("DELETE", f"{COMMUNITY}/units/<int:unit_id>"): Case(
        MANAGERS, status=204, params=lambda w: {"unit_id": w.spare_unit}
    ),
    ("GET", f"{COMMUNITY}/households"): Case(HOUSEHOLD_READERS),
    ("POST", f"{COMMUNITY}/households"): Case(
        MANAGERS, status=201, body=lambda w: {"unit_id": w.unit, "room": "201", "exclusive_area": "75.25"}
    ),
    ("POST", f"{COMMUNITY}/households/import"): Case(MANAGERS, files=_csv),
    ("GET", f"{COMMUNITY}/households/<int:household_id>"): Case(HOUSEHOLD_READERS),
    ("PATCH", f"{COMMUNITY}/households/<int:household_id>"): Case(
        MANAGERS, body={"exclusive_area": "81.20"}
    ),
    ("DELETE", f"{COMMUNITY}/households/<int:household_id>"): Case(
        MANAGERS, status=204, params=_unclaimed
    ),
    ("GET", f"{COMMUNITY}/grids"): Case(STAFF_READERS - {"outsider"}),
    ("POST", f"{COMMUNITY}/grids"): Case(
        MANAGERS, status=201, body=lambda w: {"name": "第二网格", "building_ids": [w.empty_building]}
    ),
    ("PATCH", f"{COMMUNITY}/grids/<int:grid_id>"): Case(MANAGERS, body={"name": "一网格"}),
    ("DELETE", f"{COMMUNITY}/grids/<int:grid_id>"): Case(MANAGERS, status=204),
    ("GET", f"{COMMUNITY}/facilities"): Case(SIGNED_IN),
    ("POST", f"{COMMUNITY}/facilities"): Case(
        MANAGERS, status=201, body={"kind": "public_green_space", "name": "口袋公园",
                                    "floor_area": "1200.00"}
    ),
    ("PATCH", f"{COMMUNITY}/facilities/<int:facility_id>"): Case(
        MANAGERS, body={"floor_area": "380.00"}
    ),
    ("DELETE", f"{COMMUNITY}/facilities/<int:facility_id>"): Case(MANAGERS, status=204),
    ("GET", f"{COMMUNITY}/service-areas"): Case(SIGNED_IN),
    ("PUT", f"{COMMUNITY}/service-areas/<int:organisation_id>"): Case(
        COMMITTEE_OR_STREET,
        body=lambda w: {"building_ids": [w.building]},
        params=lambda w: {"organisation_id": w.design_institute},
    ),
    ("DELETE", f"{COMMUNITY}/service-areas/<int:organisation_id>"): Case(
        COMMITTEE_OR_STREET, status=204
    ),
}
