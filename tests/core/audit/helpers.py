"""Reading the audit log straight from the database, and writing entries as a domain would."""

from __future__ import annotations

import sqlalchemy as sa

from backend.core.audit.models import AuditChainHead, AuditEntry, community_chain
from backend.core.audit.services import record
from backend.core.db import db, transaction


def entries(app, chain: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)
            )
        )


def head(app, chain: str) -> AuditChainHead | None:
    with app.app_context():
        return db.session.get(AuditChainHead, chain)


def append(app, community_id: int | None, count: int = 1, action: str = "test.action") -> None:
    """`count` entries in the community's chain (the system chain for None), one transaction
    each, as use cases write them."""
    with app.app_context():
        for number in range(count):
            with transaction():
                record(
                    action=action,
                    chain_community_id=community_id,
                    target_type="thing",
                    target_id=number,
                    details={"n": number},
                )


def raw(app, sql: str, **params) -> None:
    """Change the table behind the application's back, as an intruder holding the table owner's
    rights would: on PostgreSQL they can switch the append-only trigger off first."""
    with app.app_context(), db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        connection.execute(sa.text(sql), params)
        if postgres:
            connection.exec_driver_sql("ALTER TABLE audit_entries ENABLE TRIGGER USER")


def chain_of(community_id: int) -> str:
    return community_chain(community_id)
