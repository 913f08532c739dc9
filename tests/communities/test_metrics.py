"""What the community register measures for scoring, computed straight on data the factories
write: households, verified residents, property coverage, buildings' floor area, facilities by
kind; many communities in one query each, the evidence listed; and the building's floor area
through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from backend.communities import metrics
from backend.communities.models import FACILITY_KINDS, Building, Facility, Organisation, ServiceArea
from backend.core.db import db
from backend.core.metrics import EVIDENCE_LIMIT, Evidence, Period, registry
from backend.core.tenancy.models import Community, Region
from tests import factories
from tests.helpers import assert_error, assert_ok, url, writes_nothing
from tests.statements import statements

YEAR = Period.calendar_year(2025)
FACILITY_NAMES = {
    f"facility_{measure}_{kind}"
    for kind in FACILITY_KINDS
    if kind != "other"
    for measure in ("area", "count")
}
NAMES = {
    "households",
    "verified_residents",
    "property_service_coverage",
    "building_floor_area",
} | FACILITY_NAMES


def company(code: str, name: str, kind: str = "property_company") -> Organisation:
    row = Organisation(code=code, name=name, kind=kind)
    db.session.add(row)
    db.session.flush()
    return row


def serve(organisation: Organisation, community_id: int, *buildings: Building) -> None:
    db.session.add(
        ServiceArea(
            organisation_id=organisation.id, community_id=community_id, buildings=list(buildings)
        )
    )


def facility(community_id: int, kind: str, name: str, area: str | None = None) -> Facility:
    row = Facility(
        community_id=community_id, kind=kind, name=name, floor_area=Decimal(area) if area else None
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def ctx(app, world):
    """The world, and then:

    - a: three households (two in 1号楼, one in 9号楼); 安居物业 serves all of a, 二号物业 also
      lists 1号楼 (its households are served twice, counted once); the design institute is no
      property company. Both buildings have a floor area. Two verified residents (one of them
      verified for two homes), a revoked and a pending one, and staff.
    - b: three households (one in 1号楼, two in 2号楼); 三号物业 serves 1号楼 only, the design
      institute serves all of b. 2号楼 has no floor area. One verified resident.
    - e: an empty community of street a.
    """
    with app.app_context():
        w = world
        a, b = db.session.get(Community, w.a), db.session.get(Community, w.b)
        block = db.session.get(Building, w.building)
        spare = db.session.get(Building, w.empty_building)
        home_9 = factories.household(spare.units[0], "101")
        block.floor_area, spare.floor_area = Decimal("12000.50"), Decimal("3000.25")

        second = company("P2", "二号物业")
        serve(second, a.id, block)
        design = db.session.get(Organisation, w.design_institute)
        serve(design, a.id)

        b_block = db.session.get(Building, w.b_building)
        b_block.floor_area = Decimal("5000.00")
        b_other = factories.building(b, "2号楼")
        factories.household(b_other.units[0], "101")
        factories.household(b_other.units[0], "102")
        third = company("P3", "三号物业")
        serve(third, b.id, b_block)
        serve(design, b.id)

        two_homes = factories.user("two_homes")
        factories.grant(
            two_homes,
            "resident",
            community_id=a.id,
            household_id=w.free_household,
            relation="owner",
        )
        factories.grant(
            two_homes, "resident", community_id=a.id, household_id=home_9.id, relation="owner"
        )
        moved_out = factories.user("moved_out")
        factories.grant(
            moved_out,
            "resident",
            status="revoked",
            community_id=a.id,
            household_id=home_9.id,
            relation="tenant",
        )
        b_verified = factories.user("b_verified")
        factories.grant(
            b_verified, "resident", community_id=b.id, household_id=w.b_household, relation="owner"
        )

        day_care = facility(a.id, "elderly_service_station", "日间照料中心")
        gym = facility(b.id, "fitness_equipment", "健身角", "120.5")
        board = facility(b.id, "publicity_board", "宣传栏", "3.00")
        e = factories.community("E", db.session.get(Region, w.street_a))
        db.session.commit()
        w.ids = [a.id, b.id, e.id]
        w.e = e.id
        w.second, w.third = second.id, third.id
        w.day_care, w.gym, w.board = day_care.id, gym.id, board.id
        yield w
        db.session.rollback()


# The register's measurements, and the residents verified in it (measured by accounts).
REGISTER = ["communities", "accounts"]

def compute(name: str, ids) -> dict:
    return registry(REGISTER)[name].compute(ids, YEAR)


def evidence(name: str, ids) -> dict:
    return registry(REGISTER)[name].evidence(ids, YEAR)


# ---------------------------------------------------------------- the registry


def test_the_registry_lists_the_communities_measurements_with_chinese_words(app):
    found = registry(REGISTER)
    assert set(found) == NAMES
    assert set(registry()) >= NAMES
    units = {
        "households": "户",
        "verified_residents": "人",
        "property_service_coverage": "%",
        "building_floor_area": "平方米",
    }
    for name, metric in found.items():
        for words in (metric.title, metric.definition):
            assert any("\u4e00" <= char <= "\u9fff" for char in words), name
        if name.startswith("facility_area_"):
            assert metric.unit == "平方米"
        elif name.startswith("facility_count_"):
            assert metric.unit == "处"
        else:
            assert metric.unit == units[name]
        # The register is a state: every definition says the period plays no part.
        assert "现状" in metric.definition, name
    assert "未登记面积的设施按 0 计入" in found["facility_area_parking"].definition
    assert "无数值" in found["building_floor_area"].definition


def test_the_standards_new_facility_kinds_are_known_and_other_stays_last():
    kinds = list(FACILITY_KINDS)
    assert kinds[-1] == "other"
    assert kinds[:3] == ["community_service_station", "kindergarten", "nursery"]
    assert (
        FACILITY_KINDS["fitness_equipment"],
        FACILITY_KINDS["convenience_store"],
        FACILITY_KINDS["publicity_board"],
    ) == ("健身设施", "便利店", "宣传栏（宣传专栏）")


# ---------------------------------------------------------------- the values


def test_households_count_the_register_as_it_stands(ctx):
    a, b, e = ctx.ids
    assert compute("households", ctx.ids) == {a: 3, b: 3, e: 0}
    # A state, not a flow: the period does not change it.
    assert metrics.households(ctx.ids, Period.calendar_year(1990)) == {a: 3, b: 3, e: 0}


def test_verified_residents_count_each_verified_person_once(ctx):
    a, b, e = ctx.ids
    # a: the world's resident and the owner of two homes; not the revoked tenant, the pending
    # claimant, nor the committee, grid worker and professional. b: its pending owner is not.
    assert compute("verified_residents", ctx.ids) == {a: 2, b: 1, e: 0}


def test_property_coverage_counts_households_in_served_buildings_once(ctx):
    a, b, e = ctx.ids
    assert compute("property_service_coverage", ctx.ids) == {
        a: Decimal("100.00"),  # 3 of 3, 1号楼's two households served by two companies
        b: Decimal("33.33"),  # 1 of 3: the design institute serving all of b is no property
        e: None,  # no households: no share to speak of
    }


def test_property_coverage_rounds_half_up_to_two_decimals(ctx):
    row = factories.community("R", db.session.get(Region, ctx.street_a))
    served, other = factories.building(row, "1号楼"), factories.building(row, "2号楼")
    factories.household(served.units[0], "101")
    for index in range(31):
        factories.household(other.units[0], f"{index + 1:03d}")
    serve(db.session.get(Organisation, ctx.second), row.id, served)
    db.session.commit()
    # 1 of 32 = 3.125: half up is 3.13 (half to even would say 3.12).
    assert compute("property_service_coverage", [row.id]) == {row.id: Decimal("3.13")}
    factories.household(served.units[0], "102")
    db.session.commit()
    # 2 of 33 = 6.0606…
    assert compute("property_service_coverage", [row.id]) == {row.id: Decimal("6.06")}


def test_a_company_that_no_longer_serves_the_community_covers_nothing(ctx):
    db.session.execute(
        sa.delete(ServiceArea).where(
            ServiceArea.community_id == ctx.b, ServiceArea.organisation_id == ctx.third
        )
    )
    db.session.commit()
    assert compute("property_service_coverage", [ctx.b]) == {ctx.b: Decimal("0.00")}


def test_building_floor_area_is_the_sum_or_unknown(ctx):
    a, b, e = ctx.ids
    assert compute("building_floor_area", ctx.ids) == {
        a: Decimal("15000.75"),
        b: None,  # 2号楼 has no area: unknown, not 5000.00
        e: None,  # no buildings
    }
    db.session.execute(
        sa.update(Building).where(Building.community_id == b).values(floor_area=Decimal("0.10"))
    )
    db.session.commit()
    assert compute("building_floor_area", [b]) == {b: Decimal("0.20")}


def test_facilities_by_kind_sum_recorded_areas_and_count_every_entry(ctx):
    a, b, e = ctx.ids
    # a's elderly service station 360.00 plus a day-care centre without an area (counts 0).
    assert compute("facility_area_elderly_service_station", ctx.ids) == {
        a: Decimal("360.00"),
        b: Decimal("0.00"),
        e: Decimal("0.00"),
    }
    assert compute("facility_count_elderly_service_station", ctx.ids) == {a: 2, b: 0, e: 0}
    # b's green space has no recorded area: one entry, no area.
    assert compute("facility_area_public_green_space", ctx.ids) == {
        a: Decimal("0.00"),
        b: Decimal("0.00"),
        e: Decimal("0.00"),
    }
    assert compute("facility_count_public_green_space", ctx.ids) == {a: 0, b: 1, e: 0}
    assert compute("facility_area_fitness_equipment", ctx.ids)[b] == Decimal("120.50")
    assert compute("facility_count_publicity_board", ctx.ids) == {a: 0, b: 1, e: 0}
    assert compute("facility_area_publicity_board", ctx.ids)[b] == Decimal("3.00")


# ---------------------------------------------------------------- the evidence


def test_coverage_evidence_lists_each_communitys_property_companies(ctx):
    a, b, e = ctx.ids
    found = evidence("property_service_coverage", ctx.ids)
    assert set(found) == {a, b, e}
    assert sorted(found[a], key=lambda item: item.id) == [
        Evidence("organisation", ctx.property_company, "安居物业（全社区）"),
        Evidence("organisation", ctx.second, "二号物业（1 栋楼）"),
    ]
    assert found[b] == [Evidence("organisation", ctx.third, "三号物业（1 栋楼）")]
    assert found[e] == []


def test_floor_area_evidence_lists_the_buildings_those_without_an_area_first(ctx):
    a, b, e = ctx.ids
    found = evidence("building_floor_area", ctx.ids)
    assert found[a] == [
        Evidence("building", ctx.building, "1号楼（12000.50 平方米）"),
        Evidence("building", ctx.empty_building, "9号楼（3000.25 平方米）"),
    ]
    assert [item.label for item in found[b]] == ["2号楼（面积未登记）", "1号楼（5000.00 平方米）"]
    assert found[e] == []


def test_facility_evidence_lists_the_facilities_of_the_kind(ctx):
    a, b, e = ctx.ids
    for name in ("facility_area_elderly_service_station", "facility_count_elderly_service_station"):
        found = evidence(name, ctx.ids)
        assert set(found) == {a, b, e}
        assert sorted(found[a], key=lambda item: item.id) == [
            Evidence("facility", ctx.facility, "老年服务站（360.00 平方米）"),
            Evidence("facility", ctx.day_care, "日间照料中心（面积未登记）"),
        ]
        assert found[b] == found[e] == []
    assert evidence("facility_count_fitness_equipment", ctx.ids)[b] == [
        Evidence("facility", ctx.gym, "健身角（120.50 平方米）")
    ]


def test_evidence_stops_at_the_limit_per_community(ctx):
    for index in range(EVIDENCE_LIMIT + 1):
        facility(ctx.a, "parking", f"停车场{index:02d}", "10.00")
    facility(ctx.b, "parking", "b停车场")
    db.session.commit()
    found = evidence("facility_count_parking", [ctx.a, ctx.b])
    assert (len(found[ctx.a]), len(found[ctx.b])) == (EVIDENCE_LIMIT, 1)
    assert compute("facility_count_parking", [ctx.a])[ctx.a] == EVIDENCE_LIMIT + 1
    assert compute("facility_area_parking", [ctx.a])[ctx.a] == Decimal("510.00")


# ---------------------------------------------------------------- set-based


def test_no_measurement_runs_a_query_per_community(ctx):
    street = db.session.get(Region, ctx.street_a)
    more = []
    for index in range(20):
        row = factories.community(f"M{index}", street)
        home = factories.building(row, "1号楼")
        factories.household(home.units[0], "101")
        facility(row.id, "parking", "停车场", "5.00")
        serve(db.session.get(Organisation, ctx.property_company), row.id)
        more.append(row.id)
    db.session.commit()
    few, many = ctx.ids, ctx.ids + more
    for name, metric in registry(REGISTER).items():
        runs = []
        for ids in (few, many):
            with statements() as seen:
                values = metric.compute(ids, YEAR)
                found = metric.evidence(ids, YEAR) if metric.evidence else {}
            assert set(values) == set(ids), name
            if metric.evidence:
                assert set(found) == set(ids), name
            runs.append(len(seen))
        assert runs[0] == runs[1], name
        assert runs[0] == (2 if metric.evidence else 1), name
    assert compute("property_service_coverage", more) == dict.fromkeys(more, Decimal("100.00"))


def test_no_communities_asked_for_is_an_empty_answer(ctx):
    for metric in registry(REGISTER).values():
        assert metric.compute([], YEAR) == {}
        if metric.evidence:
            assert metric.evidence([], YEAR) == {}


# ---------------------------------------------------------------- floor area through the API


def new_building(client, headers, community_id, **fields):
    return client.post(url(community_id, "buildings"), headers=headers, json=fields)


def test_a_buildings_floor_area_is_written_and_read_exactly(client, world, committee):
    body = assert_ok(
        new_building(client, committee, world.a, name="7号楼", floor_area="12000.5"), 201
    )
    assert body["floor_area"] == "12000.50"
    path = url(world.a, "buildings", body["id"])
    assert assert_ok(client.get(path, headers=committee))["floor_area"] == "12000.50"
    body = assert_ok(client.patch(path, headers=committee, json={"floor_area": "10000000"}))
    assert body["floor_area"] == "10000000.00"
    body = assert_ok(client.patch(path, headers=committee, json={"floor_area": 8800.25}))
    assert body["floor_area"] == "8800.25"
    body = assert_ok(client.patch(path, headers=committee, json={"floor_area": None}))
    assert body["floor_area"] is None
    assert (
        assert_ok(new_building(client, committee, world.a, name="8号楼"), 201)["floor_area"] is None
    )
    community = assert_ok(client.get(url(world.a), headers=committee))
    assert {b["name"]: b["floor_area"] for b in community["buildings"]}["7号楼"] is None


@pytest.mark.parametrize(
    "value", ["-1", -5, "0", 0, "10000000.01", "12.345", "很大", "", True, [100], {"m2": 1}]
)
def test_a_buildings_floor_area_must_be_a_positive_area(client, world, committee, counts, value):
    with writes_nothing(counts):
        body = assert_error(
            new_building(client, committee, world.a, name="7号楼", floor_area=value),
            422,
            "validation_error",
        )
        assert "floor_area" in body["errors"]["json"]
        body = assert_error(
            client.patch(
                url(world.a, "buildings", world.building),
                headers=committee,
                json={"floor_area": value},
            ),
            422,
            "validation_error",
        )
        assert "floor_area" in body["errors"]["json"]
