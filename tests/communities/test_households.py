"""The household register: rooms, exact floor areas, owners, and the committee's CSV import."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backend.communities.models import Household
from backend.core.db import db
from tests.helpers import (
    assert_error,
    assert_ok,
    csv_file,
    url,
    writes_nothing,
)

HEADER = "楼栋,单元,房号,面积,业主编号\n"


def new_household(client, headers, community_id, **fields):
    return client.post(url(community_id, "households"), headers=headers, json=fields)


def households(client, headers, community_id, **filters) -> list[dict]:
    return assert_ok(client.get(url(community_id, "households"), headers=headers,
                                query_string={"page_size": 500, **filters}))


def rooms(items) -> list[tuple[str, str, str]]:
    return [(h["building_name"], h["unit_name"], h["room"]) for h in items]


def unit_of(client, headers, community_id, building_id) -> int:
    building = assert_ok(client.get(url(community_id, "buildings", building_id), headers=headers))
    return building["units"][0]["id"]


# ---------------------------------------------------------------- one household at a time


def test_a_household_is_registered_in_a_unit_of_its_building(client, world, committee):
    body = assert_ok(new_household(client, committee, world.a, unit_id=world.spare_unit,
                                   room="201", exclusive_area="75.25", owner_ref="O-9"), 201)
    assert body["building_id"] == world.building
    assert (body["building_name"], body["unit_name"], body["room"]) == ("1号楼", "2单元", "201")
    assert (body["exclusive_area"], body["owner_ref"]) == ("75.25", "O-9")


def test_a_unit_of_another_community_is_not_found(client, world, committee, counts):
    with writes_nothing(counts):
        response = new_household(client, committee, world.a, unit_id=world.b_unit, room="201")
        assert_error(response, 404, "unit_not_found")


def test_a_room_is_registered_once_per_unit(client, world, committee, counts):
    with writes_nothing(counts):
        response = new_household(client, committee, world.a, unit_id=world.unit, room="101")
        assert_error(response, 409, "household_exists")
    assert_ok(new_household(client, committee, world.a, unit_id=world.spare_unit, room="101"), 201)


def test_areas_are_stored_and_returned_exactly_with_two_decimals(app, client, world, committee):
    given = {"201": "0.10", "202": "0.20", "203": "12345.67", "204": "99999.99", "205": "75.5"}
    for room, area in given.items():
        assert_ok(new_household(client, committee, world.a, unit_id=world.spare_unit,
                                room=room, exclusive_area=area), 201)
    listed = households(client, committee, world.a, unit_id=world.spare_unit)
    assert {h["room"]: h["exclusive_area"] for h in listed} == {
        "201": "0.10", "202": "0.20", "203": "12345.67", "204": "99999.99", "205": "75.50"}
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.sum(Household.exclusive_area)).where(
            Household.unit_id == world.spare_unit, Household.room.in_(["201", "202"])))
    assert total == Decimal("0.30")


def test_a_household_may_have_no_area_yet(client, world, committee):
    body = assert_ok(new_household(client, committee, world.a, unit_id=world.spare_unit,
                                   room="201", exclusive_area=None), 201)
    assert body["exclusive_area"] is None


@pytest.mark.parametrize("area", ["0", "0.00", "-1", "-0.01", "abc", "100000.00", "NaN", ""])
def test_an_area_must_be_a_positive_number_of_square_metres(
    client, world, committee, counts, area
):
    with writes_nothing(counts):
        response = new_household(client, committee, world.a, unit_id=world.spare_unit,
                                 room="201", exclusive_area=area)
        body = assert_error(response, 422, "validation_error")
    assert "exclusive_area" in body["errors"]["json"]


def test_an_area_correction_is_refused_when_not_positive(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.patch(url(world.a, "households", world.household), headers=committee,
                                json={"exclusive_area": "-80"})
        assert_error(response, 422, "validation_error")


def test_the_register_filters_by_building_unit_and_room(client, world, committee):
    other_unit = unit_of(client, committee, world.a, world.empty_building)
    for unit_id in (world.spare_unit, other_unit):
        assert_ok(new_household(client, committee, world.a, unit_id=unit_id, room="101"), 201)
    assert rooms(households(client, committee, world.a, building_id=world.building)) == [
        ("1号楼", "1单元", "101"), ("1号楼", "1单元", "102"), ("1号楼", "2单元", "101")]
    assert rooms(households(client, committee, world.a, unit_id=world.unit)) == [
        ("1号楼", "1单元", "101"), ("1号楼", "1单元", "102")]
    assert rooms(households(client, committee, world.a, room="101")) == [
        ("1号楼", "1单元", "101"), ("1号楼", "2单元", "101"), ("9号楼", "1单元", "101")]
    assert households(client, committee, world.a, building_id=world.b_building) == []


def test_the_register_holds_only_this_community(client, world, committee):
    listed = households(client, committee, world.a)
    assert {h["community_id"] for h in listed} == {world.a}
    response = client.get(url(world.a, "households", world.b_household), headers=committee)
    assert_error(response, 404, "household_not_found")


def test_moving_a_household_to_another_building_follows_its_unit(client, world, committee):
    target = unit_of(client, committee, world.a, world.empty_building)
    body = assert_ok(client.patch(url(world.a, "households", world.free_household),
                                  headers=committee, json={"unit_id": target}))
    assert (body["unit_id"], body["building_id"]) == (target, world.empty_building)
    assert (body["building_name"], body["unit_name"]) == ("9号楼", "1单元")
    moved = households(client, committee, world.a, building_id=world.empty_building)
    assert [h["id"] for h in moved] == [world.free_household]


def test_a_household_cannot_move_into_another_community(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.patch(url(world.a, "households", world.free_household),
                                headers=committee, json={"unit_id": world.b_unit})
        assert_error(response, 404, "unit_not_found")


def test_renaming_a_room_onto_a_registered_one_is_409(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.patch(url(world.a, "households", world.free_household),
                                headers=committee, json={"room": "101"})
        assert_error(response, 409, "household_exists")


@pytest.mark.parametrize("claimed", ["household", "free_household"])  # verified / pending claim
def test_a_household_a_resident_claimed_cannot_be_deleted(
    client, world, committee, counts, claimed
):
    with writes_nothing(counts):
        response = client.delete(url(world.a, "households", getattr(world, claimed)),
                                 headers=committee)
        assert_error(response, 409, "household_in_use")


def test_an_unclaimed_household_is_deleted_with_its_invitations(client, world, committee, counts):
    home = assert_ok(new_household(client, committee, world.a, unit_id=world.spare_unit,
                                   room="201"), 201)
    assert_ok(client.post(url(world.a, "invitations"), headers=committee,
                          json={"household_ids": [home["id"]]}), 201)
    before = counts()
    response = client.delete(url(world.a, "households", home["id"]), headers=committee)
    assert response.status_code == 204
    after = counts()
    assert after["households"] == before["households"] - 1
    assert after["household_invitations"] == before["household_invitations"] - 1


# ---------------------------------------------------------------- CSV import


def import_csv(client, headers, community_id, text, encoding="utf-8"):
    return client.post(url(community_id, "households", "import"), headers=headers,
                       data=csv_file(text, encoding), content_type="multipart/form-data")


REGISTER = HEADER + (
    "1号楼,1单元,101,81.5,O-1\n"   # already registered: updated
    "1号楼,3单元,301,66.60,O-3\n"  # new unit in a known building
    "5号楼,1单元,101,70,O-5\n"     # new building and unit
    "5号楼,1单元,102,,\n"          # area and owner not known yet
)


def test_import_creates_buildings_units_and_households_as_needed(client, world, committee):
    summary = assert_ok(import_csv(client, committee, world.a, REGISTER))
    assert summary == {"rows": 4, "created": 3, "updated": 1, "buildings_created": 1,
                       "units_created": 2}
    listed = {(h["building_name"], h["unit_name"], h["room"]): (h["exclusive_area"],
                                                                h["owner_ref"])
              for h in households(client, committee, world.a)}
    assert listed[("1号楼", "1单元", "101")] == ("81.50", "O-1")
    assert listed[("1号楼", "3单元", "301")] == ("66.60", "O-3")
    assert listed[("5号楼", "1单元", "101")] == ("70.00", "O-5")
    assert listed[("5号楼", "1单元", "102")] == (None, None)
    assert listed[("1号楼", "1单元", "102")] == ("90.50", "O-2")  # not in the file: untouched


def test_reimporting_updates_areas_and_creates_nothing(client, world, committee, counts):
    assert_ok(import_csv(client, committee, world.a, REGISTER))
    before = counts()
    summary = assert_ok(import_csv(client, committee, world.a,
                                   REGISTER.replace("66.60", "66.66")))
    assert summary == {"rows": 4, "created": 0, "updated": 4, "buildings_created": 0,
                       "units_created": 0}
    assert counts() == before
    [home] = households(client, committee, world.a, room="301")
    assert home["exclusive_area"] == "66.66"


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_import_reads_gbk_and_utf8_with_or_without_bom(client, world, committee, encoding):
    summary = assert_ok(import_csv(client, committee, world.a, REGISTER, encoding))
    assert (summary["created"], summary["updated"]) == (3, 1)
    assert ("5号楼", "1单元", "101") in rooms(households(client, committee, world.a))


def test_import_accepts_english_headers_in_any_order(client, world, committee):
    text = "room,unit,building,exclusive_area\n201,2单元,1号楼,55.5\n"
    assert assert_ok(import_csv(client, committee, world.a, text))["created"] == 1
    [home] = households(client, committee, world.a, unit_id=world.spare_unit)
    assert (home["room"], home["exclusive_area"]) == ("201", "55.50")


def test_import_is_all_or_nothing_when_rows_are_bad(client, world, committee, counts):
    text = HEADER + (
        "6号楼,1单元,101,50,O-6\n"   # line 2: fine on its own
        "6号楼,1单元,102,abc,\n"     # line 3: area is not a number
        "6号楼,1单元,,60,\n"         # line 4: no room
        "\n"                         # line 5: blank, skipped
        "6号楼,1单元,101,50,\n"      # line 6: the same room as line 2
        "6号楼,1单元,103,0,\n"       # line 7: zero area
        "6号楼,1单元,104,-3,\n"      # line 8: negative area
    )
    with writes_nothing(counts):
        body = assert_error(import_csv(client, committee, world.a, text), 422,
                            "csv_rows_invalid")
    assert sorted(body["errors"], key=int) == ["3", "4", "6", "7", "8"]
    assert all(body["errors"][line] for line in body["errors"])


def test_import_refuses_a_file_without_a_required_column(client, world, committee, counts):
    with writes_nothing(counts):
        body = assert_error(import_csv(client, committee, world.a, "楼栋,单元,面积\n1号楼,1单元,80\n"),
                            422, "csv_columns")
    assert body["errors"] == {"columns": ["room"]}


def test_import_without_a_file_field_is_refused(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.post(url(world.a, "households", "import"), headers=committee,
                               data={"other": "x"}, content_type="multipart/form-data")
        body = assert_error(response, 422, "validation_error")
    assert "file" in body["errors"]["files"]


def test_import_of_an_empty_file_is_refused(client, world, committee):
    assert_error(import_csv(client, committee, world.a, ""), 422, "csv_empty")


def test_import_of_an_undecodable_file_is_refused(client, world, committee, counts):
    with writes_nothing(counts):
        response = client.post(url(world.a, "households", "import"), headers=committee,
                               data={"file": (io.BytesIO(b"\xff\xfe\xff"), "r.csv")},
                               content_type="multipart/form-data")
        assert_error(response, 422, "csv_encoding")


@pytest.mark.parametrize(
    "text",
    ["楼栋,单元,房号,面积\n1号楼,1单元,101,80\n", "楼栋,单元,房号,业主编号\n1号楼,1单元,101,O-1\n"],
    ids=["without_owner_column", "without_area_column"],
)
def test_reimport_leaves_alone_what_the_file_has_no_column_for(client, world, committee, text):
    assert_ok(import_csv(client, committee, world.a, text))
    [home] = households(client, committee, world.a, unit_id=world.unit, room="101")
    assert (home["exclusive_area"], home["owner_ref"]) == ("80.00", "O-1")


def test_an_area_with_a_third_decimal_is_refused_not_rounded(client, world, committee, counts):
    with writes_nothing(counts):
        for value in ("75.255", 75.255):
            response = client.post(url(world.a, "households"), headers=committee,
                                   json={"unit_id": world.unit, "room": "301",
                                         "exclusive_area": value})
            body = assert_error(response, 422, "validation_error")
            assert "exclusive_area" in body["errors"]["json"]
        body = assert_error(import_csv(client, committee, world.a,
                                       HEADER + "1号楼,1单元,301,75.255,O-9\n"),
                            422, "csv_rows_invalid")
        assert list(body["errors"]) == ["2"]
    accepted = client.post(url(world.a, "households"), headers=committee,
                           json={"unit_id": world.unit, "room": "301", "exclusive_area": "75.250"})
    assert assert_ok(accepted, 201)["exclusive_area"] == "75.25"
