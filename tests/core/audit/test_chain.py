"""The hash chain: entries link per community, tampering and deletion are named by
`flask audit verify`, chains are independent, and concurrent appends stay gapless."""

from __future__ import annotations

import os
import threading
import time

import pytest
import sqlalchemy as sa

from backend.core.audit.models import GENESIS_HASH, SYSTEM_CHAIN, AuditEntry
from backend.core.audit.services import entry_hash, record, verify_chains
from backend.core.db import db, transaction
from tests.core.audit.helpers import append, chain_of, entries, head, raw


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_entries_link_into_a_numbered_chain_whose_head_is_the_last_entry(app, world):
    append(app, world.a, 3)
    chain = entries(app, chain_of(world.a))
    assert [entry.seq for entry in chain] == [1, 2, 3]
    assert chain[0].prev_hash == GENESIS_HASH
    assert [entry.prev_hash for entry in chain[1:]] == [entry.hash for entry in chain[:-1]]
    assert all(entry.hash == entry_hash(entry) for entry in chain)
    assert len({entry.hash for entry in chain}) == 3
    stored = head(app, chain_of(world.a))
    assert (stored.seq, stored.hash) == (3, chain[-1].hash)


def test_audit_verify_lists_intact_chains_with_their_length_and_head(app, world):
    append(app, world.a, 2)
    append(app, None, 1)
    result = verify(app)
    assert result.exit_code == 0, result.output
    last = entries(app, chain_of(world.a))[-1]
    assert f"community:{world.a}: 2 entries, head {last.hash}" in result.output
    assert "system: 1 entries" in result.output
    assert "all 2 chains intact" in result.output


def assert_named(app, chain: str, seq: int, reason: str) -> None:
    result = verify(app)
    assert result.exit_code != 0
    assert f"{chain}: BROKEN at seq {seq}: {reason}" in result.output


def test_a_changed_field_is_named_by_chain_and_seq(app, world):
    append(app, world.a, 4)
    raw(app, "UPDATE audit_entries SET target_id = '999' WHERE chain = :c AND seq = 2",
        c=chain_of(world.a))
    assert_named(app, chain_of(world.a), 2, "the entry's hash does not match its contents")
    with app.app_context():
        assert [(b.chain, b.seq) for b in verify_chains()] == [(chain_of(world.a), 2)]


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link(app, world):
    append(app, world.a, 3)
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(chain=chain_of(world.a), seq=2).one()
        entry.result = "denied"
        forged = entry_hash(entry)
        db.session.rollback()
    raw(app, "UPDATE audit_entries SET result = 'denied', hash = :h WHERE chain = :c AND seq = 2",
        h=forged, c=chain_of(world.a))
    assert_named(app, chain_of(world.a), 3, "prev_hash does not match the previous entry's hash")


@pytest.mark.parametrize(
    ("deleted", "reason"),
    [(2, "entry 2 is missing"), (3, "entries 3..3 named by the head are missing")],
    ids=["in the middle", "at the end"],
)
def test_a_deleted_row_is_detected(app, world, deleted, reason):
    append(app, world.a, 3)
    raw(app, "DELETE FROM audit_entries WHERE chain = :c AND seq = :s",
        c=chain_of(world.a), s=deleted)
    assert_named(app, chain_of(world.a), deleted, reason)


def test_the_database_refuses_to_change_or_delete_entries(app, world):
    if db.engine.dialect.name != "postgresql" or os.environ.get("GONGZHI_TEST_SCHEMA"):
        pytest.skip("the append-only trigger comes with the PostgreSQL migration")
    append(app, world.a, 1)
    for statement in ("UPDATE audit_entries SET result = 'denied'", "DELETE FROM audit_entries"):
        with (
            app.app_context(),
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            db.engine.begin() as connection,
        ):
            connection.exec_driver_sql(statement)
    assert [e.result for e in entries(app, chain_of(world.a))] == ["ok"]


def test_communities_have_independent_chains(app, world):
    append(app, world.a, 2)
    append(app, world.b, 2)
    assert [e.seq for e in entries(app, chain_of(world.b))] == [1, 2]
    assert entries(app, chain_of(world.b))[0].prev_hash == GENESIS_HASH
    raw(app, "UPDATE audit_entries SET action = 'x.y' WHERE chain = :c AND seq = 1",
        c=chain_of(world.a))
    with app.app_context():
        assert [(b.chain, b.seq) for b in verify_chains()] == [(chain_of(world.a), 1)]


def test_audit_head_prints_the_chain_head_of_a_community(app, world):
    append(app, world.a, 2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "head", "--community", "A"])
    assert result.exit_code == 0, result.output
    assert f"community:{world.a} seq 2 hash {head(app, chain_of(world.a)).hash}" in result.output
    empty = runner.invoke(args=["audit", "head"])
    assert f"{SYSTEM_CHAIN} seq 0 hash {GENESIS_HASH}" in empty.output
    unknown = runner.invoke(args=["audit", "head", "--community", "NOPE"])
    assert unknown.exit_code != 0


def test_details_refuse_personal_data(app, world):
    with app.app_context(), pytest.raises(ValueError, match="personal"), transaction():
        record(action="t.t", chain_community_id=world.a, target_type="user", target_id=1,
               details={"phone": "13800138000"})
    assert entries(app, chain_of(world.a)) == []


def _run(*targets):
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


def test_concurrent_appends_to_one_chain_keep_seq_gapless(app, world):
    start = threading.Barrier(2)

    def writer():
        start.wait()
        append(app, world.a, 15)

    _run(writer, writer)
    assert [e.seq for e in entries(app, chain_of(world.a))] == list(range(1, 31))
    with app.app_context():
        assert verify_chains() == []


def _hold_chain_lock(app, community_id, held: threading.Event, moments: dict) -> None:
    with app.app_context(), transaction():
        record(action="t.hold", chain_community_id=community_id, target_type="thing")
        held.set()
        time.sleep(0.4)
        moments["first_commit"] = time.monotonic()
    db.session.remove()


def _append_after(app, community_id, held: threading.Event, moments: dict) -> None:
    held.wait(5)
    append(app, community_id)
    moments["second_done"] = time.monotonic()


def test_an_append_waits_for_the_chain_lock_of_an_open_transaction(app, world):
    append(app, world.a)  # the head row exists: the wait is on its lock, not on its creation
    held, moments = threading.Event(), {}
    _run(lambda: _hold_chain_lock(app, world.a, held, moments),
         lambda: _append_after(app, world.a, held, moments))
    assert moments["second_done"] > moments["first_commit"]
    assert [(e.seq, e.action) for e in entries(app, chain_of(world.a))] == [
        (1, "test.action"), (2, "t.hold"), (3, "test.action")
    ]


def test_a_community_does_not_wait_for_another_communitys_chain(app, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite admits one writer at a time: only PostgreSQL locks per chain")
    held, moments = threading.Event(), {}
    _run(lambda: _hold_chain_lock(app, world.a, held, moments),
         lambda: _append_after(app, world.b, held, moments))
    assert moments["second_done"] < moments["first_commit"]
    assert [e.seq for e in entries(app, chain_of(world.b))] == [1]
