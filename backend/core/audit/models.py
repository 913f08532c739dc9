"""The audit log: append-only entries, hash-chained per community.

Each community has its own chain ("community:<id>"); actions outside any community (sign-in,
account creation) go to the "system" chain. An entry's hash covers its fields and the previous
entry's hash, so changing or removing a row breaks the chain from there on. The head row of each
chain is the lock appenders take, so communities never wait on each other's writes.

`actor_user_id` has no foreign key on purpose: erasing a user must not rewrite history (an update
here would break the chain), and the id alone says nothing about the person.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, utcnow

SYSTEM_CHAIN = "system"
GENESIS_HASH = "0" * 64
RESULTS = ("ok", "denied", "failed")

# 64-bit on PostgreSQL (the log only grows); SQLite needs INTEGER for its rowid alias.
_EntryId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def community_chain(community_id: int) -> str:
    return f"community:{community_id}"


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.UniqueConstraint("chain", "seq"),
        sa.Index("ix_audit_entries_chain_action_seq", "chain", "action", "seq"),
    )

    id: Mapped[int] = mapped_column(_EntryId, primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(32))
    seq: Mapped[int]
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None]
    # The actor's roles where they acted, comma-separated ("committee,resident").
    actor_role: Mapped[str | None] = mapped_column(sa.String(128))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    result: Mapped[str] = mapped_column(sa.String(16))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    client_ip: Mapped[str | None] = mapped_column(sa.String(45))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditChainHead(Base):
    """The last entry of one chain: its seq and hash, publishable as the chain's fingerprint."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS_HASH)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
