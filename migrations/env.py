"""Alembic environment: the database comes from the app's DATABASE_URL (or the caller's
connection, as the CLI and tests pass one)."""

from __future__ import annotations

from alembic import context

from backend.models import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from backend.config import load_config
        from backend.core.db import create_db_engine

        url = config.get_main_option("sqlalchemy.url") or load_config()["DATABASE_URL"]
        engine = create_db_engine(url)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run against a database")
run_migrations_online()
