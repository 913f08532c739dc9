"""Helpers the register's services share."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.core.db import Base, db
from backend.core.errors import Conflict

# What a referring foreign-key column counts its rows as, with the measure word: its
# `info={COUNTED_AS: "张选票"}`. Read by `refuse_if_referenced`.
COUNTED_AS = "counted_as"
UNNAMED = "条其他记录"


def flush_unique(message: str, code: str) -> None:
    """Flush, answering a unique-constraint clash as 409 (the database is the referee)."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(message, code=code) from None


def apply_changes(row, changes: dict) -> None:
    for name, value in changes.items():
        setattr(row, name, value)


def referring_columns(model: type) -> list[sa.Column]:
    """The columns whose rows would stop a row of `model` from being deleted.

    Read from the foreign keys of every mapped table, whichever package holds it, so the
    register need not know who may point here. What goes with the row is left out: ON DELETE
    CASCADE, and what the ORM deletes with it (a building's units, a grid's workers and its
    buildings' links). Each column returned says what its rows are (`info={COUNTED_AS: ...}`;
    tests/communities/test_deletion.py requires it).
    """
    mapper = sa.inspect(model)
    target = mapper.local_table
    going_along = set()
    for relation in mapper.relationships:
        if relation.secondary is not None:
            going_along.add(relation.secondary)
        elif relation.cascade.delete:
            going_along.add(relation.mapper.local_table)
    return [
        key.parent
        for table in Base.metadata.sorted_tables
        if table not in going_along
        for key in table.foreign_keys
        if key.column.table is target and (key.ondelete or "").upper() != "CASCADE"
    ]


def referrers(row) -> dict[str, int]:
    """What still points at `row`, counted by what it is: {"个居民身份": 3, "张选票": 2}."""
    counted: dict[str, int] = {}
    for column in referring_columns(type(row)):
        number = db.session.scalar(
            sa.select(sa.func.count()).select_from(column.table).where(column == row.id)
        )
        if number:
            label = column.info.get(COUNTED_AS, UNNAMED)
            counted[label] = counted.get(label, 0) + number
    return counted


def delete_unreferenced(row, *, what: str, code: str) -> None:
    """Delete `row`, or answer 409 `code` naming what still refers to it ("该户仍有 3 个居民身份、
    2 张选票，不能删除"). The database's foreign keys stay the referee for a reference made
    between the count and the delete: that too answers 409, never 500."""
    counted = referrers(row)
    if counted:
        listed = "、".join(f"{number} {label}" for label, number in counted.items())
        raise Conflict(
            f"{what}仍有 {listed}，不能删除", code=code, errors={"referenced_by": counted}
        )
    db.session.delete(row)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(f"{what}仍被其他记录引用，不能删除", code=code) from None
