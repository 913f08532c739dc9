"""Grids and their workers, the facility register, and the organisations serving a community."""

from __future__ import annotations

import pytest

from backend.communities.models import Organisation
from backend.core.db import db
from tests import factories
from tests.helpers import API, assert_error, assert_ok, names, url, writes_nothing

# ---------------------------------------------------------------- grids


def new_grid(client, headers, community_id, **fields):
    return client.post(url(community_id, "grids"), headers=headers, json=fields)


def edit_grid(client, headers, grid_id, community_id, **fields):
    return client.patch(url(community_id, "grids", grid_id), headers=headers, json=fields)


def test_a_grid_is_drawn_with_its_buildings_and_workers(client, world, committee,
                                                        new_grid_worker):
    workers = [new_grid_worker, world.grid_worker]
    body = assert_ok(new_grid(client, committee, world.a, name="第二网格",
                              building_ids=[world.empty_building], worker_user_ids=workers), 201)
    assert body["building_ids"] == [world.empty_building]
    assert body["worker_user_ids"] == sorted(workers)
    listed = assert_ok(client.get(url(world.a, "grids"), headers=committee))
    assert names(listed) == ["第一网格", "第二网格"]


@pytest.mark.parametrize("who", ["resident", "outsider", "committee"])
def test_only_grid_workers_of_this_community_may_patrol_its_grids(
    client, world, committee, counts, who
):
    stranger = world.user_id(who)
    with writes_nothing(counts):
        response = new_grid(client, committee, world.a, name="第二网格",
                            worker_user_ids=[world.grid_worker, stranger])
        body = assert_error(response, 422, "not_a_grid_worker")
    assert body["errors"] == {"json": {"worker_user_ids": [stranger]}}


def test_a_grid_cannot_take_a_building_of_another_community(client, world, committee, counts):
    with writes_nothing(counts):
        response = new_grid(client, committee, world.a, name="第二网格",
                            building_ids=[world.empty_building, world.b_building])
        assert_error(response, 404, "building_not_found")


def test_a_grid_name_is_unique_in_its_community(client, world, committee, counts):
    with writes_nothing(counts):
        assert_error(new_grid(client, committee, world.a, name="第一网格"), 409,
                     "grid_name_taken")
    assert_ok(new_grid(client, committee, world.a, name="B网格"), 201)  # b's name is free here


def test_renaming_a_grid_onto_another_name_is_409(client, world, committee, counts):
    assert_ok(new_grid(client, committee, world.a, name="第二网格"), 201)
    with writes_nothing(counts):
        assert_error(edit_grid(client, committee, world.grid, world.a, name="第二网格"), 409,
                     "grid_name_taken")


def test_editing_a_grid_replaces_its_buildings_and_workers(
    client, world, committee, new_grid_worker
):
    body = assert_ok(edit_grid(client, committee, world.grid, world.a,
                               building_ids=[world.empty_building],
                               worker_user_ids=[world.grid_worker, new_grid_worker]))
    assert body["building_ids"] == [world.empty_building]
    assert body["worker_user_ids"] == sorted([world.grid_worker, new_grid_worker])
    body = assert_ok(edit_grid(client, committee, world.grid, world.a, worker_user_ids=[]))
    assert (body["building_ids"], body["worker_user_ids"]) == ([world.empty_building], [])
    [listed] = assert_ok(client.get(url(world.a, "grids"), headers=committee))
    assert listed == body


def test_renaming_a_grid_keeps_its_buildings_and_workers(client, world, committee):
    body = assert_ok(edit_grid(client, committee, world.grid, world.a, name="一网格"))
    assert (body["name"], body["building_ids"], body["worker_user_ids"]) == (
        "一网格", [world.building], [world.grid_worker])


def test_editing_a_grid_with_a_stranger_changes_nothing(client, world, committee, counts):
    with writes_nothing(counts):
        assert_error(edit_grid(client, committee, world.grid, world.a,
                               building_ids=[world.empty_building],
                               worker_user_ids=[world.resident]), 422, "not_a_grid_worker")
    [grid] = assert_ok(client.get(url(world.a, "grids"), headers=committee))
    assert (grid["building_ids"], grid["worker_user_ids"]) == ([world.building],
                                                               [world.grid_worker])


def test_a_grid_of_another_community_is_not_found_under_this_one(client, world, admin, counts):
    with writes_nothing(counts):
        assert_error(edit_grid(client, admin, world.b_grid, world.a, name="x"), 404,
                     "grid_not_found")
        assert_error(client.delete(url(world.a, "grids", world.b_grid), headers=admin), 404,
                     "grid_not_found")


def test_deleting_a_grid_frees_its_buildings(client, world, committee, counts):
    grid = assert_ok(new_grid(client, committee, world.a, name="第二网格",
                              building_ids=[world.empty_building]), 201)
    before = counts()
    assert client.delete(url(world.a, "grids", grid["id"]), headers=committee).status_code == 204
    assert (counts()["grids"], counts()["grid_buildings"]) == (before["grids"] - 1,
                                                               before["grid_buildings"] - 1)
    response = client.delete(url(world.a, "buildings", world.empty_building), headers=committee)
    assert response.status_code == 204


# ---------------------------------------------------------------- facilities


def new_facility(client, headers, community_id, **fields):
    return client.post(url(community_id, "facilities"), headers=headers, json=fields)


def facilities(client, headers, community_id, **filters):
    return assert_ok(client.get(url(community_id, "facilities"), headers=headers,
                                query_string=filters))


def test_a_facility_is_registered_with_a_chinese_label_and_an_exact_area(
    client, world, committee
):
    body = assert_ok(new_facility(client, committee, world.a, kind="kindergarten",
                                  name="阳光幼儿园", floor_area="1200.5"), 201)
    assert (body["kind"], body["kind_label"], body["floor_area"]) == (
        "kindergarten", "幼儿园", "1200.50")
    body = assert_ok(client.patch(url(world.a, "facilities", body["id"]), headers=committee,
                                  json={"floor_area": None}))
    assert body["floor_area"] is None


@pytest.mark.parametrize("kind", ["school", "", "幼儿园", "KINDERGARTEN"])
def test_a_facility_kind_must_be_a_known_kind(client, world, committee, counts, kind):
    with writes_nothing(counts):
        body = assert_error(new_facility(client, committee, world.a, kind=kind, name="某设施"),
                            422, "validation_error")
    assert "kind" in body["errors"]["json"]


def test_a_facility_area_must_be_a_positive_number(client, world, committee, counts):
    with writes_nothing(counts):
        response = new_facility(client, committee, world.a, kind="parking", name="停车场",
                                floor_area="-1")
        assert_error(response, 422, "validation_error")


def test_facilities_are_filtered_by_kind(client, world, committee, auth):
    assert_ok(new_facility(client, committee, world.a, kind="kindergarten", name="幼儿园"), 201)
    headers = auth(world.resident)
    assert names(facilities(client, headers, world.a, kind="kindergarten")) == ["幼儿园"]
    [station] = facilities(client, headers, world.a, kind="elderly_service_station")
    assert (station["name"], station["kind_label"], station["floor_area"]) == (
        "老年服务站", "老年服务站", "360.00")
    assert facilities(client, headers, world.a, kind="public_green_space") == []  # b's only
    assert len(facilities(client, headers, world.a)) == 2
    response = client.get(url(world.a, "facilities"), headers=headers,
                          query_string={"kind": "school"})
    assert_error(response, 422, "validation_error")


def test_a_facility_of_another_community_is_not_found_under_this_one(client, world, admin,
                                                                     counts):
    with writes_nothing(counts):
        response = client.patch(url(world.a, "facilities", world.b_facility), headers=admin,
                                json={"name": "改名"})
        assert_error(response, 404, "facility_not_found")


# ---------------------------------------------------------------- service areas


def serve(client, headers, organisation_id, building_ids, community_id):
    return client.put(url(community_id, "service-areas", organisation_id), headers=headers,
                      json={"building_ids": building_ids})


def service_areas(client, headers, community_id) -> dict[str, dict]:
    listed = assert_ok(client.get(url(community_id, "service-areas"), headers=headers))
    return {area["organisation"]["code"]: area for area in listed}


def test_an_empty_building_list_means_the_whole_community(client, world, committee):
    body = assert_ok(serve(client, committee, world.design_institute, [], world.a))
    assert (body["whole_community"], body["building_ids"]) == (True, [])
    assert body["organisation"]["code"] == "DESIGN"
    assert service_areas(client, committee, world.a)["DESIGN"]["whole_community"] is True


def test_serving_again_replaces_the_buildings_served(client, world, committee, counts):
    assert_ok(serve(client, committee, world.design_institute, [world.building], world.a))
    before = counts()
    body = assert_ok(serve(client, committee, world.design_institute,
                           [world.empty_building, world.building], world.a))
    assert body["whole_community"] is False
    assert sorted(body["building_ids"]) == sorted([world.building, world.empty_building])
    assert counts()["service_areas"] == before["service_areas"]
    body = assert_ok(serve(client, committee, world.design_institute, [], world.a))
    assert body["whole_community"] is True
    assert counts()["service_area_buildings"] == before["service_area_buildings"] - 1


def test_a_service_area_cannot_take_a_building_of_another_community(client, world, committee,
                                                                    counts):
    with writes_nothing(counts):
        response = serve(client, committee, world.design_institute, [world.b_building], world.a)
        assert_error(response, 404, "building_not_found")


def test_an_unknown_organisation_cannot_serve(client, world, committee, counts):
    with writes_nothing(counts):
        assert_error(serve(client, committee, 999999, [], world.a), 404,
                     "organisation_not_found")


def test_an_organisation_not_serving_cannot_stop_serving(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.delete(url(world.a, "service-areas", world.design_institute),
                                 headers=committee)
        assert_error(response, 404, "service_area_not_found")


def test_an_organisation_stops_serving(client, world, committee):
    assert_ok(serve(client, committee, world.property_company, [world.building], world.a))
    response = client.delete(url(world.a, "service-areas", world.property_company),
                             headers=committee)
    assert response.status_code == 204
    assert service_areas(client, committee, world.a) == {}


def test_staff_hold_the_property_staff_role_only_where_their_organisation_serves(
    client, world, committee, auth, make
):
    def create():
        organisation = Organisation(code="PROP2", name="新物业", kind="property_company")
        db.session.add(organisation)
        db.session.flush()
        staff = factories.user("prop2_staff")
        factories.grant(staff, "property_staff", organisation_id=organisation.id)
        return organisation.id, staff.id

    organisation, staff = make(create)

    def roles():
        me = assert_ok(client.get(f"{API}/me", headers=auth(staff)))
        return me["roles"].get(str(world.a), [])

    assert roles() == []
    assert_ok(serve(client, committee, organisation, [], world.a))
    assert roles() == ["property_staff"]
    assert_ok(client.get(url(world.a, "grids"), headers=auth(staff)))  # staff may now read
    assert client.delete(url(world.a, "service-areas", organisation),
                         headers=committee).status_code == 204
    assert roles() == []


# ---------------------------------------------------------------- organisations


def test_an_organisation_code_is_unique(client, world, admin, counts):
    with writes_nothing(counts):
        response = client.post(f"{API}/organisations", headers=admin,
                               json={"code": "PROP", "name": "又一家", "kind": "property_company"})
        assert_error(response, 409, "organisation_code_taken")


def test_organisations_are_found_by_kind_and_name(client, world, auth):
    headers = auth(world.resident)

    def codes(**params):
        response = client.get(f"{API}/organisations", headers=headers, query_string=params)
        return [o["code"] for o in assert_ok(response)]

    assert codes(kind="design_institute") == ["DESIGN"]
    assert codes(q="物业") == ["PROP"]
    assert codes() == ["DESIGN", "PROP"]
