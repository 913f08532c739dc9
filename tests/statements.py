"""Counting SQL: a measurement or a dashboard runs the same statements for 2 communities as for
200 (set-based, never one query per community)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from backend.core.db import db


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block (needs an app context)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
