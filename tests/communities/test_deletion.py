"""Deleting from the register what others still point at: 409 naming what points at it (read
from the foreign keys, whichever package holds them), nothing deleted; the database's foreign keys
stay the referee, and their refusal is a 409 too, never a 500."""

from __future__ import annotations

import pytest

from backend.communities.models import Building, Facility, Grid, Household, Unit
from backend.communities.services import common
from backend.consultations.models import Ballot
from backend.core.db import db
from tests.consultations import factories as consultations
from tests.helpers import assert_error, url, writes_nothing
from tests.tickets.test_open311 import ticket

REGISTER = (Household, Grid, Building, Unit, Facility)


def refused(client, committee, counts, code: str, path: str) -> dict:
    """DELETE the register's row at `path`: 409 `code`, nothing deleted; the error body."""
    with writes_nothing(counts):
        return assert_error(client.delete(path, headers=committee), 409, code)


def test_a_household_still_referred_to_names_what_refers_to_it(
    client, world, committee, counts, make
):
    def refer():
        voting = consultations.consultation(world.a, world.committee, status="voting")
        db.session.add(
            Ballot(
                consultation_id=voting.id,
                voter_key=f"h{world.household}",
                household_id=world.household,
                cast_by_id=world.resident,
                receipt_hash="0" * 64,
            )
        )

    make(refer)
    body = refused(
        client, committee, counts, "household_in_use", url(world.a, "households", world.household)
    )
    referenced_by = body["errors"]["referenced_by"]
    assert referenced_by["个居民身份"] == 1
    assert referenced_by["张选票"] == 1
    assert body["message"].startswith("该户仍有")
    assert "1 个居民身份" in body["message"] and "1 张选票" in body["message"]
    assert body["message"].endswith("，不能删除")


def test_a_grid_tickets_were_reported_in_is_409_naming_them(client, world, committee, counts, make):
    make(lambda: [ticket(world, grid_id=world.grid), ticket(world, grid_id=world.grid)])
    body = refused(client, committee, counts, "grid_in_use", url(world.a, "grids", world.grid))
    assert body["message"] == "该网格仍有 2 张工单，不能删除"
    assert body["errors"] == {"referenced_by": {"张工单": 2}}


def test_a_grid_nothing_refers_to_goes_and_releases_its_buildings_and_workers(
    client, world, committee
):
    assert client.delete(url(world.a, "grids", world.grid), headers=committee).status_code == 204
    assert client.delete(url(world.a, "grids", world.grid), headers=committee).status_code == 404


def test_a_building_or_unit_a_consultation_covers_is_409(client, world, committee, counts, make):
    def scoped():
        from backend.consultations.models import consultation_buildings, consultation_units

        row = consultations.consultation(world.a, world.committee)
        db.session.execute(
            consultation_buildings.insert().values(
                consultation_id=row.id, building_id=world.empty_building
            )
        )
        db.session.execute(
            consultation_units.insert().values(consultation_id=row.id, unit_id=world.spare_unit)
        )

    make(scoped)
    building = refused(
        client,
        committee,
        counts,
        "building_in_use",
        url(world.a, "buildings", world.empty_building),
    )
    unit = refused(
        client, committee, counts, "unit_in_use", url(world.a, "units", world.spare_unit)
    )
    assert building["message"] == "该楼栋仍有 1 个议事协商，不能删除"
    assert unit["message"] == "该单元仍有 1 个议事协商，不能删除"


def test_a_reference_made_after_the_count_is_still_refused_by_the_database(
    client, world, committee, counts, monkeypatch
):
    """Between the count and the delete another request may point at the row: the foreign key
    refuses the delete, and the answer is the same 409."""
    monkeypatch.setattr(common, "referrers", lambda row: {})
    body = refused(
        client, committee, counts, "household_in_use", url(world.a, "households", world.household)
    )
    assert body["message"] == "该户仍被其他记录引用，不能删除"


def test_a_foreign_key_no_service_checked_answers_409_not_500(
    client, world, committee, counts, monkeypatch
):
    """The last backstop: any write a foreign key refuses is a 409, whatever the route."""
    from backend.communities.services import households

    def delete_unchecked(row, **kwargs):
        db.session.delete(row)
        db.session.flush()

    monkeypatch.setattr(households, "delete_unreferenced", delete_unchecked)
    refused(
        client, committee, counts, "reference_conflict", url(world.a, "households", world.household)
    )


@pytest.mark.parametrize("model", REGISTER, ids=lambda model: model.__tablename__)
def test_every_column_that_stops_a_deletion_says_what_its_rows_are(app, model):
    """A new table pointing at the register must say how its rows are counted in the 409."""
    with app.app_context():
        unnamed = [
            f"{column.table.name}.{column.name}"
            for column in common.referring_columns(model)
            if common.COUNTED_AS not in column.info
        ]
    assert unnamed == []
