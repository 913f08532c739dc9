"""Guards that keep the repository honest: the committed OpenAPI document is the one the code
generates and is valid OpenAPI 3; the migrations build exactly the models' schema, in one line."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openapi_spec_validator import validate

from backend import migrate
from backend.core.db import db
from backend.models import metadata

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT / "openapi" / "openapi.json"


def test_openapi_document_is_up_to_date(client):
    generated = client.get("/openapi.json").json
    committed = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    assert committed == generated, (
        "openapi/openapi.json is stale: run "
        "`.venv/bin/flask --app backend openapi write openapi/openapi.json`"
    )


def test_openapi_document_is_valid_openapi_3():
    validate(json.loads(SPEC_FILE.read_text(encoding="utf-8")))


def test_every_error_answer_is_documented_with_the_error_shape():
    spec = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    error_schema = spec["components"]["schemas"]["Error"]
    assert set(error_schema["properties"]) == {"code", "status", "message", "errors"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            codes = {int(code) for code in operation["responses"] if code != "default"}
            assert any(code >= 400 for code in codes), f"{method} {path} documents no error"
            if path.startswith("/api/v1/") and operation.get("security") != []:
                assert 401 in codes, f"{method} {path} does not document 401"
            if "requestBody" in operation:
                assert {400, 413, 422} <= codes, f"{method} {path} does not document bad bodies"


def test_migrations_have_one_head():
    assert len(migrate.heads()) == 1


def test_models_match_the_migrations(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == [], (
        "models and migrations differ: write a migration with "
        "`.venv/bin/flask --app backend db revision -m '...'`"
    )


def test_migrations_downgrade_to_nothing_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    engine = sa.create_engine(url)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(url)
