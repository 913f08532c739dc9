"""Fixtures of the consultation tests: headers of the usual people, and `make`."""

from __future__ import annotations

import pytest

from backend.core.db import db


@pytest.fixture
def make(app):
    """`make(fn)`: run `fn()` (using the factories) in an app context, commit, return its result."""

    def run(fn):
        with app.app_context():
            result = fn()
            db.session.commit()
            return result

    return run


@pytest.fixture
def committee(world, auth) -> dict:
    """Authorization header of community a's committee."""
    return auth(world.committee)


@pytest.fixture
def resident(world, auth) -> dict:
    """Authorization header of the verified owner of `world.household` in community a."""
    return auth(world.resident)
