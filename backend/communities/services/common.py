"""Helpers the register's services share."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from backend.core.db import db
from backend.core.errors import Conflict


def flush_unique(message: str, code: str) -> None:
    """Flush, answering a unique-constraint clash as 409 (the database is the referee)."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(message, code=code) from None


def apply_changes(row, changes: dict) -> None:
    for name, value in changes.items():
        setattr(row, name, value)
