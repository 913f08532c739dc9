"""Background jobs: each domain lists its jobs in `jobs.py` as `JOBS = [Job(...)]`; the scheduler
process (`scripts/scheduler`) collects them. Jobs only call services.

Several scheduler processes may run (a second one on standby, or one started by mistake); a
database lock makes exactly one of them the leader, and only the leader runs jobs:

- PostgreSQL: a session advisory lock, held on a connection of its own for the process's life.
  PostgreSQL frees it the moment that connection ends, so a dead leader is replaced at once.
- SQLite (or any other engine): a lease row in `scheduler_leases`, taken and renewed with one
  atomic UPDATE (or the first INSERT), and taken over only after it expired.

Every process keeps the same timetable: intervals count from one fixed epoch, so "the 10:05 run"
means the same moment to all of them, and a standby that takes over carries on the leader's ticks
instead of starting a shifted series. Followers let their ticks pass and keep asking for the lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module
from importlib.util import find_spec

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import NullPool

from backend.core.db import Base, db, utcnow
from backend.packages import PACKAGES

log = logging.getLogger(__name__)

# Modules with a `JOBS` list besides each package's `jobs.py`: platform modules small enough to
# keep their one job beside the service it calls.
EXTRA_JOB_MODULES = ("backend.core.idempotency",)
# The key of the PostgreSQL advisory lock: "gongzhi" in ASCII, one constant for every process.
ADVISORY_LOCK_KEY = 0x67_6F_6E_67_7A_68_69
LEASE_NAME = "scheduler"
# Ticks are counted from here, in every process alike.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    """One recurring job. `run` takes no arguments and is called inside an app context."""

    name: str
    run: Callable[[], object]
    # APScheduler interval trigger arguments, e.g. {"minutes": 1}
    every: dict = field(default_factory=lambda: {"minutes": 1})
    # Where the timetable starts after the epoch (midnight UTC): {"hours": 18} runs a daily job
    # at 02:00 in Beijing.
    offset: dict = field(default_factory=dict)


class SchedulerLease(Base):
    """Who leads the schedulers on engines without advisory locks (SQLite)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(128))
    expires_at: Mapped[datetime]


def collect_jobs(packages: Iterable[str] | None = None) -> list[Job]:
    """Every `JOBS` entry of `backend.<package>.jobs` (packages in `PACKAGES` order) and
    of `EXTRA_JOB_MODULES`. A job module that fails to import fails here, loudly."""
    if packages is None:
        packages = PACKAGES
    modules = [*EXTRA_JOB_MODULES, *(f"backend.{name}.jobs" for name in packages)]
    jobs: list[Job] = []
    for module_name in modules:
        if find_spec(module_name) is None:
            continue
        jobs.extend(import_module(module_name).JOBS)
    names = [job.name for job in jobs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"job names must be unique: {', '.join(duplicates)}")
    return jobs


class AdvisoryLock:
    """PostgreSQL's session advisory lock, on a connection that is never shared or pooled."""

    def __init__(self, engine: sa.Engine, key: int = ADVISORY_LOCK_KEY):
        # NullPool: closing the connection really ends the session, and with it the lock; a
        # pooled connection would carry the lock to whoever borrowed it next.
        self._engine = sa.create_engine(engine.url, poolclass=NullPool)
        self._key = key
        self._connection: sa.Connection | None = None
        # The heartbeat and the job threads share the one connection.
        self._mutex = threading.Lock()

    def acquire(self) -> bool:
        """Take the lock, or check that the connection holding it is still alive."""
        with self._mutex:
            if self._connection is not None:
                return self._alive()
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                taken = connection.scalar(
                    sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
                )
            except sa.exc.DBAPIError:
                connection.close()
                raise
            if taken:
                self._connection = connection
            else:
                connection.close()
            return bool(taken)

    def held(self) -> bool:
        """Asked before every job run: a lost connection means the lock went with it, perhaps
        already to another process."""
        with self._mutex:
            return self._connection is not None and self._alive()

    def _alive(self) -> bool:
        try:
            self._connection.exec_driver_sql("SELECT 1")
            return True
        except sa.exc.DBAPIError:
            self._drop()
            return False

    def release(self) -> None:
        with self._mutex:
            if self._connection is not None:
                # A broken connection holds nothing any more.
                with contextlib.suppress(sa.exc.DBAPIError):
                    self._connection.execute(
                        sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                    )
            self._drop()

    def abandon(self) -> None:
        """Let go without a word, as a killed process would (tests)."""
        with self._mutex:
            self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.invalidate()
            self._connection.close()
            self._connection = None
        self._engine.dispose()


class LeaseLock:
    """A lease row: held until `expires_at`, renewed by its holder, taken over once expired."""

    def __init__(self, engine: sa.Engine, holder: str, duration: timedelta, name: str = LEASE_NAME):
        self._engine = engine
        self._holder = holder
        self._duration = duration
        self._name = name
        # Monotonic time until which this process may act as the leader; a margin below the
        # row's expiry absorbs the time the renewal itself took.
        self._valid_until = 0.0

    def acquire(self) -> bool:
        started = time.monotonic()
        now = utcnow()
        table = SchedulerLease.__table__
        values = {"holder": self._holder, "expires_at": now + self._duration}
        with self._engine.begin() as connection:
            renewed = connection.execute(
                sa.update(table)
                .where(
                    table.c.name == self._name,
                    sa.or_(table.c.holder == self._holder, table.c.expires_at < now),
                )
                .values(**values)
            ).rowcount
        if not renewed:
            try:
                with self._engine.begin() as connection:
                    connection.execute(sa.insert(table).values(name=self._name, **values))
            except IntegrityError:
                self._valid_until = 0.0  # someone else holds a live lease
                return False
        self._valid_until = started + self._duration.total_seconds() * 0.9
        return True

    def held(self) -> bool:
        return time.monotonic() < self._valid_until

    def release(self) -> None:
        table = SchedulerLease.__table__
        self._valid_until = 0.0
        with self._engine.begin() as connection:
            connection.execute(
                sa.delete(table).where(table.c.name == self._name, table.c.holder == self._holder)
            )

    def abandon(self) -> None:
        self._valid_until = 0.0


def _interval(every: dict) -> float:
    return timedelta(**every).total_seconds()


def timetable(job: Job) -> IntervalTrigger:
    """When `job` runs: every `every` from the epoch moved by `offset`, the same in every
    process."""
    return IntervalTrigger(
        seconds=_interval(job.every), start_date=EPOCH + timedelta(**job.offset), timezone=UTC
    )


class Scheduler:
    """Runs `jobs` on their intervals while this process holds the scheduler lock.

    `lease` is how long a silent leader keeps the lock (SQLite); the lock is renewed, or asked for
    again by a follower, every third of it.
    """

    def __init__(
        self, app: Flask, jobs: Iterable[Job], *, lease: timedelta = timedelta(seconds=60)
    ) -> None:
        self.app = app
        self.jobs = list(jobs)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        with app.app_context():
            engine = db.engine
        if engine.dialect.name == "postgresql":
            self.lock: AdvisoryLock | LeaseLock = AdvisoryLock(engine)
        else:
            self.lock = LeaseLock(engine, self.holder, lease)
        self._heartbeat = lease.total_seconds() / 3
        self._stopping = threading.Event()
        self._leading: bool | None = None
        self._thread: threading.Thread | None = None
        self._apscheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(4)},
            # A late tick still runs, once, however late: better than waiting a whole interval.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        for job in self.jobs:
            self._apscheduler.add_job(
                self._run,
                timetable(job),
                args=[job],
                id=job.name,
                name=job.name,
            )

    @property
    def leading(self) -> bool:
        return self.lock.held()

    def start(self) -> Scheduler:
        self._apscheduler.start()
        self._thread = threading.Thread(target=self._keep_lock, name="scheduler-lock", daemon=True)
        self._thread.start()
        return self

    def stop(self, *, release: bool = True) -> None:
        """Stop ticking; `release=False` walks away from the lock as a crash would (tests)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self._apscheduler.shutdown(wait=True)
        if release:
            self._release()
        else:
            self.lock.abandon()

    def _keep_lock(self) -> None:
        while not self._stopping.is_set():
            self._try_lock()
            self._stopping.wait(self._heartbeat)

    def _try_lock(self) -> None:
        try:
            leading = self.lock.acquire()
        except sa.exc.SQLAlchemyError as error:
            leading = False
            # The class name says enough (and the message could quote parameters).
            log.error("scheduler lock unavailable (%s); is the database migrated?",
                      type(error).__name__)
        if leading != self._leading:
            self._leading = leading
            if leading:
                log.info("scheduler %s leads; %d jobs", self.holder, len(self.jobs))
            else:
                log.info("scheduler %s waits for the lock", self.holder)

    def _release(self) -> None:
        try:
            self.lock.release()
        except sa.exc.SQLAlchemyError as error:
            log.error("scheduler lock not released (%s)", type(error).__name__)

    def _run(self, job: Job) -> None:
        if not self.lock.held():
            return
        with self.app.app_context():
            try:
                job.run()
            except Exception as error:
                # Where it failed, not what it said: an exception's text may quote personal data.
                frames = "".join(traceback.format_tb(error.__traceback__))
                log.error("job %s failed: %s\n%s", job.name, type(error).__name__, frames)
