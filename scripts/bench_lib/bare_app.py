"""The baseline of scripts/bench-ballots: a bare Flask + SQLAlchemy app that inserts one row.

`POST /rows {"voter": 1, "choice": "agree"}` inserts one row in its own transaction and
answers 201 with the new id: what any write endpoint costs before it checks anything. It uses
the app's own engine factory, so it gets the same pool and, on SQLite, the same WAL and busy
timeout as the real app. Served with `gunicorn 'bench_lib.bare_app:create_app()'`; reads
DATABASE_URL from the environment.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, jsonify, request
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from backend.core.db import create_db_engine


class Base(DeclarativeBase):
    pass


class BareRow(Base):
    __tablename__ = "bench_bare_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    voter: Mapped[int]
    choice: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )


def create_table(url: str) -> None:
    engine = create_db_engine(url)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    engine = create_db_engine(os.environ["DATABASE_URL"])

    @app.post("/rows")
    def insert_row():
        data = request.get_json()
        with Session(engine) as session, session.begin():
            row = BareRow(voter=int(data["voter"]), choice=str(data["choice"]))
            session.add(row)
            session.flush()
            row_id = row.id
        return jsonify(id=row_id), 201

    return app
