"""Fixtures of the consultation tests: headers of the usual people, and `make`."""

from __future__ import annotations

import pytest

from backend.core.db import db


@pytest.fixture
def committee(world, auth) -> dict:
    """Authorization header of community a's committee."""
    return auth(world.committee)


@pytest.fixture
def resident(world, auth) -> dict:
    """Authorization header of the verified owner of `world.household` in community a."""
    return auth(world.resident)


@pytest.fixture
def new_resident(app, world):
    """`new_resident(name, room="201", unit_id=world.unit)` -> the id of a new verified owner of a
    new household in community a."""

    def run(name: str, room: str = "201", unit_id: int | None = None) -> int:
        from backend.communities.models import Unit
        from tests.factories import grant, household, user

        with app.app_context():
            home = household(db.session.get(Unit, unit_id or world.unit), room)
            row = user(name)
            grant(row, "resident", community_id=world.a, household_id=home.id, relation="owner")
            db.session.commit()
            return row.id

    return run


@pytest.fixture
def wechat_token(app):
    """The shared WeChat access token fetched beforehand, so that a refused request's row counts
    compare the domain's writes only (the first call to WeChat stores the token)."""
    from backend.core.wechat import wechat_client

    with app.app_context():
        wechat_client().access_token()
