"""Headers of the people who manage a community, ready to use."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def committee(world, auth) -> dict:
    """Authorization header of community a's committee."""
    return auth(world.committee)


@pytest.fixture
def admin(world, auth) -> dict:
    """Authorization header of the system admin."""
    return auth(world.system_admin)


@pytest.fixture
def new_grid_worker(world, make) -> int:
    """A second verified grid worker of community a (not yet in any grid)."""

    def create():
        user = factories.user("grid_worker_2")
        factories.grant(user, "grid_worker", community_id=world.a)
        return user.id

    return make(create)
