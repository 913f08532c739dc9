"""Recording security and governance actions, verifying the chains, reading them.

Domains call `record(...)` inside their own unit of work, at its end: the action and its entry
commit together or not at all. An outcome whose transaction rolls back (a refused sign-in) is
written with `record_now(...)` in a short transaction of its own.

Appending locks the head row of the entry's chain only (`SELECT ... FOR UPDATE` on PostgreSQL;
SQLite admits one writer at a time anyway), so entries of one chain get gapless sequence numbers
while communities never wait for each other. Take it as the last step of a use case: the lock is
held until the caller commits. A use case writing to two chains takes "system" first.

Append-only: nothing here updates or deletes an entry, and there is no purge. MLPS level 2 asks
for at least 180 days of retention; keeping everything is the simplest way to honour that. Should
a purge ever be added, it must keep every entry younger than 180 days and start a new chain
segment from a published head.

The hash chain detects a changed or removed row; someone able to rewrite the whole table could
recompute every later hash, which is why chain heads are published (`GET .../audit/head`) and
compared with the stored ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.core.audit.models import (
    GENESIS_HASH,
    RESULTS,
    SYSTEM_CHAIN,
    AuditChainHead,
    AuditEntry,
    community_chain,
)
from backend.core.audit.permissions import policy
from backend.core.auth import Actor, Role, ScopedToRegion
from backend.core.db import db, utcnow
from backend.core.permissions import system_roles
from backend.core.request_context import client_ip, request_id

# Details are for ids, states and counts. These keys mean a caller is about to log personal data
# or a secret; that is a bug in the caller, so it fails loudly in tests.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {
        "name", "display_name", "username", "phone", "mobile", "password", "token",
        "access_token", "refresh_token", "session_key", "openid", "unionid", "code",
        "invitation_code", "address", "id_card",
    }
)  # fmt: skip

_INSERT_IGNORING_CONFLICT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class Break:
    """The first link of a chain that does not hold."""

    chain: str
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    chain: str
    length: int
    head_seq: int
    head_hash: str
    broken: Break | None = None


@dataclass(frozen=True)
class ChainHead:
    """What a community publishes so anyone can later check its log was not rewritten."""

    chain: str
    seq: int
    hash: str
    updated_at: datetime | None


def record(
    *,
    action: str,
    target_type: str,
    target_id: int | str | None = None,
    community: ScopedToRegion | None = None,
    chain_community_id: int | None = None,
    actor: Actor | None = None,
    actor_user_id: int | None = None,
    actor_role: str | None = None,
    result: str = "ok",
    details: dict | None = None,
    session: Session | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction (flushed, not committed).

    The chain is the community's (`community`, or `chain_community_id` when only the id is at
    hand) or else "system". The actor is an `Actor` (its roles there are recorded) or a bare
    `actor_user_id` with an optional `actor_role`. `details` holds ids and states, never names,
    phone numbers, free text or tokens. Request id and client IP come from the current request.
    """
    if result not in RESULTS:
        raise ValueError(f"audit result must be one of {RESULTS}, not {result!r}")
    community_id = community.id if community is not None else chain_community_id
    if actor is not None:
        actor_user_id = actor.user_id
        actor_role = actor_role or _roles_of(actor, community, community_id)
    entry = AuditEntry(
        chain=community_chain(community_id) if community_id is not None else SYSTEM_CHAIN,
        actor_user_id=actor_user_id,
        actor_role=actor_role,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        result=result,
        request_id=request_id(),
        client_ip=client_ip(),
        details=_clean_details(details),
    )
    _append(session or db.session, entry)
    return entry


def record_now(**kwargs) -> None:
    """`record(...)` in a transaction of its own, committed at once: for outcomes whose own
    transaction rolls back (a refused sign-in). Call it when the caller's session holds no
    uncommitted writes: on SQLite the two would wait for each other."""
    with Session(bind=db.engine, expire_on_commit=False) as session, session.begin():
        record(session=session, **kwargs)


def _roles_of(
    actor: Actor, community: ScopedToRegion | None, community_id: int | None
) -> str | None:
    if community is not None:
        roles = set(actor.roles_in(community))
    else:
        # Without the community's region the street_admin role cannot be derived; callers that
        # have the community pass it.
        roles = set(actor.community_roles.get(community_id, ())) if community_id else set()
        roles |= system_roles(actor)
    return ",".join(role for role in Role if role in roles) or None


def _clean_details(details: dict | None) -> dict:
    details = dict(details or {})
    personal = FORBIDDEN_DETAIL_KEYS & set(details)
    if personal:
        raise ValueError(f"audit details must not hold personal data or secrets: {personal}")
    # Hash what the database will give back (lists, string keys), so verification agrees.
    return json.loads(json.dumps(details, ensure_ascii=False))


def _append(session: Session, entry: AuditEntry) -> None:
    head = _lock_head(session, entry.chain)
    entry.at = utcnow()
    entry.seq = head.seq + 1
    entry.prev_hash = head.hash
    entry.hash = entry_hash(entry)
    session.add(entry)
    head.seq, head.hash, head.updated_at = entry.seq, entry.hash, entry.at
    session.flush()


def _lock_head(session: Session, chain: str) -> AuditChainHead:
    # Creating the head if absent is a write: on SQLite it takes the database's write lock before
    # the head is read; on PostgreSQL concurrent first appends agree on one row, then lock it.
    insert = _INSERT_IGNORING_CONFLICT[session.get_bind().dialect.name]
    session.execute(
        insert(AuditChainHead)
        .values(chain=chain, seq=0, hash=GENESIS_HASH, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["chain"])
    )
    return session.scalars(
        sa.select(AuditChainHead)
        .where(AuditChainHead.chain == chain)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def entry_hash(entry: AuditEntry) -> str:
    """sha256 over a canonical JSON of the entry's fields, its chain position and prev_hash."""
    canonical = {
        "chain": entry.chain,
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_user_id": entry.actor_user_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "result": entry.result,
        "request_id": entry.request_id,
        "client_ip": entry.client_ip,
        "details": entry.details or {},
        "prev_hash": entry.prev_hash,
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- verifying


def verify_chains() -> list[Break]:
    """The first broken link of each chain that has one (empty: every chain holds)."""
    return [report.broken for report in check_chains() if report.broken]


def check_chains() -> list[ChainReport]:
    """Walk every chain in seq order, recomputing hashes and links, and compare with its head."""
    chains = db.session.scalars(
        sa.union(sa.select(AuditEntry.chain), sa.select(AuditChainHead.chain)).order_by("chain")
    ).all()
    return [check_chain(chain) for chain in chains]


def check_chain(chain: str) -> ChainReport:
    length, last_hash, broken = 0, GENESIS_HASH, None
    for entry in _entries_in_order(chain):
        if broken is None:
            broken = _broken_link(entry, length + 1, last_hash)
        length, last_hash = length + 1, entry.hash
    head = db.session.get(AuditChainHead, chain, populate_existing=True)
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS_HASH
    if broken is None and head_seq > length:
        broken = Break(chain, length + 1, f"entries {length + 1}..{head_seq} named by the head "
                                          "are missing (deleted at the end)")
    elif broken is None and (head_seq, head_hash) != (length, last_hash):
        broken = Break(chain, head_seq, "the chain head does not match the last entry")
    return ChainReport(chain, length, head_seq, head_hash, broken)


def _entries_in_order(chain: str) -> Iterator[AuditEntry]:
    query = (
        sa.select(AuditEntry)
        .where(AuditEntry.chain == chain)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=1000, populate_existing=True)
    )
    yield from db.session.scalars(query)


def _broken_link(entry: AuditEntry, expected_seq: int, previous_hash: str) -> Break | None:
    if entry.seq != expected_seq:
        return Break(entry.chain, expected_seq,
                     f"entry {expected_seq} is missing (next entry found: {entry.seq})")
    if entry_hash(entry) != entry.hash:
        return Break(entry.chain, entry.seq, "the entry's hash does not match its contents")
    if entry.prev_hash != previous_hash:
        return Break(entry.chain, entry.seq, "prev_hash does not match the previous entry's hash")
    return None


# -- reading


def chain_head(community: ScopedToRegion | None = None) -> ChainHead:
    """The head of a community's chain (or of the system chain), seq 0 before any entry."""
    chain = community_chain(community.id) if community is not None else SYSTEM_CHAIN
    head = db.session.get(AuditChainHead, chain, populate_existing=True)
    if head is None:
        return ChainHead(chain, 0, GENESIS_HASH, None)
    return ChainHead(chain, head.seq, head.hash, head.updated_at)


def read_chain_head(*, actor: Actor, community_id: int) -> ChainHead:
    """The head to publish: any member of the community, its street, the auditor."""
    community = policy.community(actor, "audit.head", community_id)
    return chain_head(community)


def list_community_entries(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    """A community's entries, newest first: the auditor and the community's street admin.
    The system admin may not read them (separation of duties): 403."""
    community = policy.community(actor, "audit.read", community_id)
    return _entries(community_chain(community.id), filters)


def list_system_entries(*, actor: Actor, filters: dict) -> sa.Select:
    """Entries outside any community (sign-ins, accounts), newest first: the auditor only."""
    policy.require_system(actor, "audit.read_system")
    return _entries(SYSTEM_CHAIN, filters)


def _entries(chain: str, filters: dict) -> sa.Select:
    query = sa.select(AuditEntry).where(AuditEntry.chain == chain)
    for name in ("action", "result", "actor_user_id"):
        if filters.get(name) is not None:
            query = query.where(getattr(AuditEntry, name) == filters[name])
    return query.order_by(AuditEntry.seq.desc())
