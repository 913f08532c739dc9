"""The application as operators meet it: configuration, production safety, docs, CLI, demo."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend import create_app
from backend.accounts.models import Membership, User
from backend.communities.models import Household
from backend.config import ConfigurationError
from backend.core.db import db
from backend.core.tenancy.models import Community
from tests.core.test_config import GOOD

STRONG = GOOD


def restore_database(app):
    """A second app rebinds the process-wide session; give it back to the app under test."""
    db.init_app(app)


@pytest.fixture
def production_env(monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in STRONG:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_its_own_secrets(production_env, missing):
    for name, value in STRONG.items():
        if name != missing:
            production_env.setenv(name, value)
    with pytest.raises(ConfigurationError, match=missing):
        create_app({"APP_ENV": "production"})


def test_production_refuses_a_short_secret(production_env):
    for name, value in STRONG.items():
        production_env.setenv(name, value)
    production_env.setenv("JWT_SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="JWT_SECRET_KEY"):
        create_app({"APP_ENV": "production"})


def test_an_unknown_app_env_is_refused(production_env):
    with pytest.raises(ConfigurationError):
        create_app({"APP_ENV": "staging"})


def test_dev_login_answers_404_in_production(production_env, app, world):
    for name, value in STRONG.items():
        production_env.setenv(name, value)
    production = create_app({"APP_ENV": "production"})
    response = production.test_client().post("/api/v1/auth/dev-login",
                                              json={"username": "resident"})
    assert response.status_code == 404
    assert response.json["code"] == "not_found"
    restore_database(app)


def test_docs_are_served_without_any_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "cdn" not in html.lower() and "https://" not in html
    assert "/docs/assets/swagger-ui-bundle.js" in html
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404
    assert client.get("/openapi.json").json["info"]["title"].startswith("Gongzhi")


def test_users_create_makes_a_staff_user_who_can_sign_in(app, client, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--username", "li", "--password",
                                 "long-enough-pw", "--role", "committee", "--community", "A"])
    assert result.exit_code == 0, result.output
    login = client.post("/api/v1/auth/login", json={"username": "li", "password": "long-enough-pw"})
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {login.json['access_token']}"})
    assert me.json["roles"] == {str(world.a): ["committee"]}


@pytest.mark.parametrize(
    ("options", "role"),
    [
        (["--role", "street_admin", "--region", "S1"], "street_admin"),
        (["--role", "property_staff", "--organisation", "PROP"], "property_staff"),
        (["--role", "system_admin"], None),
    ],
)
def test_users_create_scopes_each_role(app, world, options, role):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--username", "wang", "--password", "long-enough-pw", *options]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "wang"))
        roles = [m.role for m in db.session.scalars(
            sa.select(Membership).where(Membership.user_id == user.id))]
        assert roles == ([role] if role else [])
        assert user.is_system_admin is (role is None)


def test_users_create_explains_a_wrong_scope_and_writes_nothing(app, world, counts):
    before = counts()
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--username", "zhao", "--password", "long-enough-pw",
              "--role", "committee", "--community", "NOPE"]
    )
    assert result.exit_code != 0
    assert "community_not_found" in result.output
    assert counts() == before


def test_demo_data_loads_once_and_is_usable(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "dev-login" in first.output
    with app.app_context():
        households = db.session.scalar(sa.select(sa.func.count()).select_from(Household))
        communities = db.session.scalar(sa.select(sa.func.count()).select_from(Community))
    assert communities == 2 and 300 <= households <= 500
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == households
    token = client.post("/api/v1/auth/dev-login", json={"username": "committee_old"}).json
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json["roles"], me.json


def test_demo_data_is_refused_in_production(production_env, app, counts):
    for name, value in STRONG.items():
        production_env.setenv(name, value)
    production = create_app({"APP_ENV": "production"})
    before = counts()
    result = production.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "production" in result.output
    restore_database(app)
    assert counts() == before


def test_an_unreachable_database_answers_503_not_500(app, world, tmp_path):
    from flask_jwt_extended import create_access_token

    # A directory cannot be opened as a SQLite database: every query fails to connect.
    down = create_app({"APP_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path}",
                       "RATELIMIT_ENABLED": False})
    with down.app_context():
        token = create_access_token(identity=str(world.resident), additional_claims={"fam": "f"})
    client = down.test_client()
    for response in (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
        client.post("/api/v1/auth/login", json={"username": "resident", "password": "x"}),
    ):
        assert response.status_code == 503, response.get_json()
        assert response.json["code"] == "database_unavailable"
    restore_database(app)
