"""Regions, communities, buildings and units: finding them and keeping them tidy.

Who may call each route is covered by tests/core/test_route_permissions.py; this file is about
what the calls do.
"""

from __future__ import annotations

import pytest

from backend.core.db import db
from backend.core.tenancy.models import Region
from tests.helpers import (
    API,
    assert_error,
    assert_ok,
    names,
    pagination,
    url,
    writes_nothing,
)

COMMUNITIES = f"{API}/communities"
REGIONS = f"{API}/regions"


def district_of(app, street_id: int) -> int:
    with app.app_context():
        return db.session.get(Region, street_id).parent_id


def search(client, headers, **params) -> list[str]:
    return [c["code"] for c in assert_ok(client.get(COMMUNITIES, headers=headers,
                                                    query_string=params))]


# ---------------------------------------------------------------- finding a community


@pytest.mark.parametrize(
    ("q", "codes"),
    [("A社区", ["A"]), ("花园", ["B"]), ("和兴路街道", ["A"]), ("社区", ["A", "B"]), ("无此地", []),
     ("%", []), ("_", [])],
)
def test_community_search_matches_the_community_or_the_street_name(client, world, auth, q, codes):
    assert search(client, auth(world.resident), q=q) == codes


def test_community_search_by_region_keeps_to_that_region_subtree(app, client, world, auth):
    headers = auth(world.resident)
    assert search(client, headers, region_id=world.street_a) == ["A"]
    assert search(client, headers, region_id=world.street_b) == ["B"]
    assert search(client, headers, region_id=district_of(app, world.street_a)) == ["A", "B"]
    assert search(client, headers, region_id=world.street_b, q="A社区") == []


def test_community_search_in_an_unknown_region_is_404(client, world, auth):
    response = client.get(COMMUNITIES, headers=auth(world.resident),
                          query_string={"region_id": 999999})
    assert_error(response, 404, "region_not_found")


def test_community_list_is_paged_with_an_x_pagination_header(client, world, auth):
    headers = auth(world.resident)
    first = client.get(COMMUNITIES, headers=headers, query_string={"page_size": 1})
    assert [c["code"] for c in assert_ok(first)] == ["A"]
    meta = pagination(first)
    assert (meta["total"], meta["total_pages"], meta["page"]) == (2, 2, 1)
    second = client.get(COMMUNITIES, headers=headers, query_string={"page_size": 1, "page": 2})
    assert [c["code"] for c in assert_ok(second)] == ["B"]
    assert pagination(second)["page"] == 2


def test_a_page_size_over_the_maximum_is_refused(client, world, auth):
    response = client.get(COMMUNITIES, headers=auth(world.resident),
                          query_string={"page_size": 101})
    assert_error(response, 422, "validation_error")


def test_one_community_comes_with_its_buildings_and_their_units(client, world, auth):
    body = assert_ok(client.get(url(world.a), headers=auth(world.resident)))
    assert body["street_name"] == "和兴路街道"
    buildings = {b["name"]: names(b["units"]) for b in body["buildings"]}
    assert buildings == {"1号楼": ["1单元", "2单元"], "9号楼": ["1单元"]}


def test_an_unknown_community_is_404(client, world, auth):
    assert_error(client.get(url(999999), headers=auth(world.resident)), 404,
                 "community_not_found")


# ---------------------------------------------------------------- regions


def new_region(client, headers, **fields):
    return client.post(REGIONS, headers=headers, json=fields)


def test_a_street_added_under_a_district_holds_communities_found_from_the_district(
    app, client, world, admin
):
    district = district_of(app, world.street_a)
    street = assert_ok(new_region(client, admin, code="S9", name="新街道", level="street",
                                  parent_id=district), 201)
    assert (street["level"], street["parent_id"]) == ("street", district)
    children = assert_ok(client.get(REGIONS, headers=admin, query_string={"parent_id": district}))
    assert "新街道" in names(children)
    assert_ok(client.post(COMMUNITIES, headers=admin,
                          json={"code": "N", "name": "新社区", "region_id": street["id"]}), 201)
    assert search(client, admin, region_id=district) == ["A", "B", "N"]
    assert search(client, admin, region_id=street["id"]) == ["N"]


@pytest.mark.parametrize("level", ["province", "city", "district"])
def test_a_region_must_sit_one_level_below_its_parent(app, client, world, admin, counts, level):
    with writes_nothing(counts):
        response = new_region(client, admin, code="X9", name="错层", level=level,
                              parent_id=district_of(app, world.street_a))
        assert_error(response, 422, "region_level")


def test_nothing_sits_below_a_street(client, world, admin, counts):
    with writes_nothing(counts):
        response = new_region(client, admin, code="X9", name="小区", level="street",
                              parent_id=world.street_a)
        assert_error(response, 422, "region_level")


def test_a_region_code_is_unique(app, client, world, admin, counts):
    with writes_nothing(counts):
        response = new_region(client, admin, code="S1", name="重复", level="street",
                              parent_id=district_of(app, world.street_a))
        assert_error(response, 409, "region_code_taken")


def test_a_region_under_an_unknown_parent_is_404(client, world, admin):
    response = new_region(client, admin, code="X9", name="孤儿", level="city", parent_id=999999)
    assert_error(response, 404, "parent_not_found")


# ---------------------------------------------------------------- registering a community


def new_community(client, headers, region_id, code="N"):
    return client.post(COMMUNITIES, headers=headers,
                       json={"code": code, "name": "新社区", "region_id": region_id})


def test_a_street_admin_registers_communities_in_their_own_street(client, world, auth):
    body = assert_ok(new_community(client, auth(world.street_admin), world.street_a), 201)
    assert (body["region_id"], body["street_name"], body["buildings"]) == (
        world.street_a, "和兴路街道", [])
    assert body["timezone"] == "Asia/Shanghai"


def test_a_street_admin_may_not_register_a_community_in_another_street(
    client, world, auth, counts
):
    with writes_nothing(counts):
        response = new_community(client, auth(world.street_admin), world.street_b)
        assert_error(response, 403, "forbidden")


def test_a_community_belongs_to_a_street_not_a_district(app, client, world, admin, counts):
    with writes_nothing(counts):
        response = new_community(client, admin, district_of(app, world.street_a))
        assert_error(response, 422, "not_a_street")


def test_a_community_code_is_unique(client, world, admin, counts):
    with writes_nothing(counts):
        assert_error(new_community(client, admin, world.street_a, code="A"), 409,
                     "community_code_taken")


# ---------------------------------------------------------------- buildings


def new_building(client, headers, community_id, **fields):
    return client.post(url(community_id, "buildings"), headers=headers, json=fields)


def test_a_building_is_created_with_its_units(client, world, committee):
    body = assert_ok(new_building(client, committee, world.a, name="7号楼", floors=18,
                                  unit_names=["2单元", "1单元"]), 201)
    assert (body["name"], body["floors"], body["community_id"]) == ("7号楼", 18, world.a)
    assert sorted(names(body["units"])) == ["1单元", "2单元"]
    again = assert_ok(client.get(url(world.a, "buildings", body["id"]), headers=committee))
    assert names(again["units"]) == ["1单元", "2单元"]


def test_units_come_in_natural_order(client, world, committee):
    body = assert_ok(new_building(client, committee, world.a, name="8号楼",
                                  unit_names=["10单元", "2单元", "1单元"]), 201)
    again = assert_ok(client.get(url(world.a, "buildings", body["id"]), headers=committee))
    assert names(again["units"]) == ["1单元", "2单元", "10单元"]


def test_a_building_name_is_unique_in_its_community(client, world, committee, admin, counts):
    with writes_nothing(counts):
        response = new_building(client, committee, world.a, name="1号楼", unit_names=["3单元"])
        assert_error(response, 409, "building_name_taken")
    # the same name in another community is another building
    assert_ok(new_building(client, admin, world.b, name="9号楼"), 201)


def test_renaming_a_building_onto_another_name_is_409(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.patch(url(world.a, "buildings", world.empty_building),
                                headers=committee, json={"name": "1号楼"})
        assert_error(response, 409, "building_name_taken")


def test_unit_names_given_twice_are_refused(client, world, committee, counts):
    with writes_nothing(counts):
        response = new_building(client, committee, world.a, name="7号楼",
                                unit_names=["1单元", "1单元 "])
        assert_error(response, 422, "unit_name_duplicate")


def test_a_building_name_longer_than_50_characters_is_refused(client, world, committee, counts):
    with writes_nothing(counts):
        response = new_building(client, committee, world.a, name="楼" * 51)
        body = assert_error(response, 422, "validation_error")
    assert "name" in body["errors"]["json"]
    assert_ok(new_building(client, committee, world.a, name="楼" * 50), 201)


def test_deleting_an_empty_building_removes_its_units(client, world, committee, counts):
    before = counts()
    response = client.delete(url(world.a, "buildings", world.empty_building), headers=committee)
    assert response.status_code == 204
    after = counts()
    assert (after["buildings"], after["units"]) == (before["buildings"] - 1, before["units"] - 1)


def test_a_building_with_households_cannot_be_deleted(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.delete(url(world.a, "buildings", world.building), headers=committee)
        assert_error(response, 409, "building_not_empty")


def test_a_building_in_a_grid_cannot_be_deleted(client, world, committee, counts):
    assert_ok(client.patch(url(world.a, "grids", world.grid), headers=committee,
                           json={"building_ids": [world.building, world.empty_building]}))
    with writes_nothing(counts):
        response = client.delete(url(world.a, "buildings", world.empty_building),
                                 headers=committee)
        assert_error(response, 409, "building_in_use")


def test_a_building_in_a_service_area_cannot_be_deleted(client, world, committee, counts):
    assert_ok(client.put(url(world.a, "service-areas", world.design_institute),
                         headers=committee, json={"building_ids": [world.empty_building]}))
    with writes_nothing(counts):
        response = client.delete(url(world.a, "buildings", world.empty_building),
                                 headers=committee)
        assert_error(response, 409, "building_in_use")


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"floors": 3}), ("DELETE", None)]
)
def test_a_building_of_another_community_is_not_found_under_this_one(
    client, world, admin, counts, method, body
):
    with writes_nothing(counts):
        response = client.open(url(world.a, "buildings", world.b_building), method=method,
                               headers=admin, json=body)
        assert_error(response, 404, "building_not_found")


def test_buildings_are_listed_in_natural_order(client, world, committee):
    for name in ("10号楼", "2号楼"):
        assert_ok(new_building(client, committee, world.a, name=name), 201)
    listed = assert_ok(client.get(url(world.a, "buildings"), headers=committee))
    assert names(listed) == ["1号楼", "2号楼", "9号楼", "10号楼"]


# ---------------------------------------------------------------- units


def new_unit(client, headers, community_id, building_id, name):
    return client.post(url(community_id, "buildings", building_id, "units"), headers=headers,
                       json={"name": name})


def test_a_unit_name_is_unique_within_its_building(client, world, committee, counts):
    with writes_nothing(counts):
        assert_error(new_unit(client, committee, world.a, world.building, "2单元"), 409,
                     "unit_name_taken")
    assert_ok(new_unit(client, committee, world.a, world.empty_building, "2单元"), 201)


def test_renaming_a_unit_onto_a_sibling_name_is_409(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.patch(url(world.a, "units", world.spare_unit), headers=committee,
                                json={"name": "1单元"})
        assert_error(response, 409, "unit_name_taken")


def test_a_unit_with_households_cannot_be_deleted(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.delete(url(world.a, "units", world.unit), headers=committee)
        assert_error(response, 409, "unit_not_empty")


def test_units_of_another_community_are_not_found_under_this_one(client, world, admin, counts):
    with writes_nothing(counts):
        assert_error(client.delete(url(world.a, "units", world.b_unit), headers=admin), 404,
                     "unit_not_found")
        assert_error(new_unit(client, admin, world.a, world.b_building, "3单元"), 404,
                     "building_not_found")
