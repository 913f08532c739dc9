"""Test set-up: a real database (SQLite file, or PostgreSQL from DATABASE_URL_TEST) migrated
with Alembic, the app talking to a local fake WeChat server, and every table emptied between
tests."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from backend import create_app
from backend.core.db import db
from backend.models import metadata
from tests.factories import World, build_world, token_for
from tests.fake_wechat import FakeWechat

WECHAT_APPID = "wx-test-appid"
WECHAT_SECRET = "wx-test-secret"


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL_TEST")
    if url:
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if os.environ.get("GONGZHI_TEST_SCHEMA") == "create_all":
        # Only while a change has no migration yet; the suite proper always migrates.
        engine = sa.create_engine(url)
        metadata.create_all(engine)
        engine.dispose()
    else:
        from backend import migrate

        migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def fake_wechat():
    server = FakeWechat(WECHAT_APPID, WECHAT_SECRET).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(database_url, fake_wechat, tmp_path_factory):
    return create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "WECHAT_APPID": WECHAT_APPID,
            "WECHAT_SECRET": WECHAT_SECRET,
            "WECHAT_API_BASE": fake_wechat.url,
            "WECHAT_TIMEOUT_SECONDS": 0.5,
            # Limits have their own tests (tests/core/test_ratelimit.py) on an app of their own.
            "RATELIMIT_ENABLED": False,
            "STORAGE_DIR": str(tmp_path_factory.mktemp("uploads")),
        }
    )


def _empty_tables() -> None:
    tables = list(reversed(metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(app, fake_wechat):
    yield
    with app.app_context():
        db.session.remove()
        _empty_tables()
    fake_wechat.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app) -> World:
    """Two communities on two streets, with a user for every role (see tests/factories.py)."""
    with app.app_context():
        return build_world()


@pytest.fixture
def auth(app):
    """`auth(user)` -> the Authorization header of a fresh sign-in of that user."""

    def header(user_id: int) -> dict:
        with app.app_context():
            return {"Authorization": f"Bearer {token_for(user_id)}"}

    return header


def row_counts() -> dict[str, int]:
    """How many rows each table holds: proof that a refused request wrote nothing."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
            for table in metadata.sorted_tables
        }


@pytest.fixture
def counts(app):
    def snapshot() -> dict[str, int]:
        with app.app_context():
            return row_counts()

    return snapshot


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
def give_openid(app):
    """`give_openid(user_id, openid="oid-<user id>")`: the user signs in through our
    mini-program, so WeChat's text check can be asked for them (the fake passes their text
    unless it holds REVIEW or RISKY); without an openid every text waits for review."""

    def run(user_id: int, openid: str | None = None) -> str:
        from backend.core.wechat.models import WechatIdentity

        openid = openid or f"oid-{user_id}"
        with app.app_context():
            db.session.add(
                WechatIdentity(user_id=user_id, appid=app.config["WECHAT_APPID"], openid=openid)
            )
            db.session.commit()
        return openid

    return run
