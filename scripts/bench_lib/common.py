"""What both benchmarks need: a database of their own, the app bound to it, bulk loading, a
community with its households, and the `name: value unit` output."""

from __future__ import annotations

import glob
import math
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from backend.communities.models import Building, Household, Unit
from backend.core.db import db, utcnow
from backend.core.tenancy.models import Community, Region

# The repository root: the project is installed editable, `backend` imports from here.
ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- output


def figure(name: str, value, unit: str = "") -> None:
    """One headline figure on stdout, `name: value unit`; everything else goes to stderr."""
    print(f"{name}: {value}{' ' + unit if unit else ''}", flush=True)


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (p99 of 1,000 samples is the 990th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(round(len(ordered) * fraction, 9)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def warn_if_busy() -> None:
    """Say so when other processes already compete for the CPU: the figures will be noisy."""
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > 0.5:
        note(f"note: load average {load:.1f} on {cores} cores before starting; other processes "
             "compete for the CPU and the figures will be noisy (lower than on a quiet machine)")


def exit_on_sigterm() -> None:
    """`kill` then unwinds like Ctrl-C does: every `finally` and context manager runs, so
    servers and clusters we started are stopped."""
    signal.signal(signal.SIGTERM, lambda _signo, _frame: sys.exit(143))


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def free_port() -> int:
    """A free port on 127.0.0.1, asked of the OS rather than guessed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------- databases


def find_pg_bindir() -> Path | None:
    """Where initdb and pg_ctl live: PATH first, then the newest /usr/lib/postgresql/<v>/bin
    (as scripts/lib.sh looks for them)."""
    initdb = shutil.which("initdb")
    if initdb:
        directory = Path(initdb).resolve().parent
        if (directory / "pg_ctl").exists():
            return directory
    candidates = glob.glob("/usr/lib/postgresql/*/bin")

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path))

    for directory in sorted(candidates, key=version, reverse=True):
        if os.access(f"{directory}/initdb", os.X_OK) and os.access(f"{directory}/pg_ctl", os.X_OK):
            return Path(directory)
    return None


class PostgresCluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1 with a database `gongzhi_bench`.

    As scripts/test: initdb refuses root, so as root the server runs as `postgres` (Debian's
    package creates it) or a system user `gongzhi-pg` made for it. `durable=False` turns fsync
    off, which only speeds up loading data; what a benchmark compares should run durable.
    """

    def __init__(self, *, durable: bool = True) -> None:
        self.durable = durable
        self.bindir = find_pg_bindir()
        if self.bindir is None:
            raise SystemExit(
                "PostgreSQL is not installed (apt-get install postgresql), or pass --database-url"
            )
        self.tmp: Path | None = None
        self.port = 0
        self.user = ""

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://gongzhi@127.0.0.1:{self.port}/gongzhi_bench"

    def _pick_user(self) -> None:
        if os.geteuid() != 0:
            self.user = pwd.getpwuid(os.geteuid()).pw_name
            return
        try:
            pwd.getpwnam("postgres")
            self.user = "postgres"
        except KeyError:
            self.user = "gongzhi-pg"
            try:
                pwd.getpwnam(self.user)
            except KeyError:
                subprocess.run(
                    ["useradd", "--system", "--user-group", "--no-create-home",
                     "--shell", "/usr/sbin/nologin", self.user],
                    check=True,
                )

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, cwd=self.tmp, check=True, **kwargs)

    def start(self) -> PostgresCluster:
        self._pick_user()
        self.tmp = Path(tempfile.mkdtemp(prefix="gongzhi-bench-pg."))
        entry = pwd.getpwnam(self.user)
        os.chown(self.tmp, entry.pw_uid, entry.pw_gid)
        data, log = self.tmp / "data", self.tmp / "log"
        try:
            self._run(
                f"{self.bindir}/initdb", "-D", str(data), "-A", "trust", "-U", "gongzhi",
                "--no-sync", "-E", "UTF8", "--locale=C",
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            self.port = free_port()
            options = f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1"
            if not self.durable:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            self._run(
                f"{self.bindir}/pg_ctl", "-w", "-t", "60", "-D", str(data), "-l", str(log),
                "-o", options, "start", stdout=subprocess.DEVNULL,
            )
            subprocess.run(
                [f"{self.bindir}/createdb", "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "gongzhi", "gongzhi_bench"],
                check=True,
            )
        except subprocess.CalledProcessError as error:
            if log.exists():
                note(log.read_text()[-3000:])
            elif error.stderr:
                note(error.stderr.decode(errors="replace")[-3000:])
            self.stop()
            raise SystemExit(f"PostgreSQL did not start: {error}") from None
        version = subprocess.run(
            [f"{self.bindir}/postgres", "--version"], capture_output=True, text=True
        ).stdout.strip()
        note(f"throw-away {version} on 127.0.0.1:{self.port} "
             f"({'durable' if self.durable else 'fsync off'}, data in {self.tmp})")
        return self

    def stop(self) -> None:
        if self.tmp is None:
            return
        pid_file = self.tmp / "data" / "postmaster.pid"
        if pid_file.exists():
            try:
                # Throw-away data: no clean shutdown needed.
                self._run(
                    f"{self.bindir}/pg_ctl", "-D", str(self.tmp / "data"), "-m", "immediate",
                    "-w", "stop", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            except subprocess.CalledProcessError:
                with suppress(OSError, ValueError, IndexError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def throwaway_database(engine: str, *, durable: bool = True) -> Iterator[str]:
    """The URL of a fresh, empty database of `engine` ("postgresql" or "sqlite"), removed at
    the end. SQLite is a file in a temp dir; the app's engine puts it in WAL mode."""
    if engine == "postgresql":
        with PostgresCluster(durable=durable) as cluster:
            yield cluster.url
        return
    directory = tempfile.mkdtemp(prefix="gongzhi-bench-sqlite.")
    try:
        yield f"sqlite:///{directory}/bench.db"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def engine_name(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def make_app(url: str, **overrides):
    """The real app bound to `url` (development settings, no rate limits)."""
    from backend import create_app

    return create_app({"APP_ENV": "development", "DATABASE_URL": url,
                       "RATELIMIT_ENABLED": False, **overrides})


def migrate(url: str) -> None:
    from backend.migrate import upgrade

    upgrade(url)


def bulk_insert(
    connection: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]
) -> int:
    """Insert `rows` (tuples in `columns` order) inside the connection's transaction: COPY on
    PostgreSQL, executemany in chunks elsewhere. Returns how many rows went in."""
    count = 0
    if connection.dialect.name == "postgresql":
        names = ", ".join(columns)
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    statement = table.insert()
    chunk: list[dict] = []
    for row in rows:
        chunk.append(dict(zip(columns, row, strict=True)))
        if len(chunk) == 10_000:
            connection.execute(statement, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        connection.execute(statement, chunk)
        count += len(chunk)
    return count


def ids_in_order(connection: sa.Connection, column: sa.Column, *where) -> list[int]:
    """The ids just bulk-inserted, in insertion order (ids come from a sequence / rowid)."""
    return list(connection.scalars(sa.select(column).where(*where).order_by(column)))


# ---------------------------------------------------------------- the place


@dataclass(frozen=True)
class Place:
    community_id: int
    household_ids: list[int]


UNITS_PER_BUILDING = 4
FLOORS = 25
DOORS = 4  # rooms per floor: 25 floors × 4 doors = 100 households per unit


def build_community(
    *,
    households: int,
    code: str,
    area_of: Callable[[int], Decimal | None],
    owner_ref_of: Callable[[int], str | None],
) -> Place:
    """A region chain, one community and enough buildings of 4 units × 100 rooms for
    `households` households; household i gets `area_of(i)` and `owner_ref_of(i)`.

    Runs in the app's session and its transaction; the caller commits."""
    now = utcnow()
    parent = None
    for level, name in (("province", "省"), ("city", "市"), ("district", "区"), ("street", "街道")):
        region = Region(code=f"{code}-{level}", name=f"基准{name}", level=level, parent=parent)
        db.session.add(region)
        db.session.flush()
        region.path = f"{parent.path if parent else '/'}{region.id}/"
        parent = region
    community = Community(code=code, name=f"基准社区 {code}", region=parent)
    db.session.add(community)
    db.session.flush()
    connection = db.session.connection()

    per_unit = FLOORS * DOORS
    per_building = UNITS_PER_BUILDING * per_unit
    building_count = -(-households // per_building)
    bulk_insert(
        connection, Building.__table__, ("community_id", "name", "created_at", "updated_at"),
        ((community.id, f"{b + 1}号楼", now, now) for b in range(building_count)),
    )
    building_ids = ids_in_order(connection, Building.id, Building.community_id == community.id)
    bulk_insert(
        connection, Unit.__table__,
        ("community_id", "building_id", "name", "created_at", "updated_at"),
        ((community.id, building_id, f"{u + 1}单元", now, now)
         for building_id in building_ids for u in range(UNITS_PER_BUILDING)),
    )
    unit_ids = ids_in_order(connection, Unit.id, Unit.community_id == community.id)

    def rows():
        for i in range(households):
            unit_index, room_index = divmod(i, per_unit)
            floor, door = divmod(room_index, DOORS)
            yield (
                community.id, building_ids[unit_index // UNITS_PER_BUILDING],
                unit_ids[unit_index], f"{floor + 1}{door + 1:02d}", area_of(i), owner_ref_of(i),
                now, now,
            )

    bulk_insert(
        connection, Household.__table__,
        ("community_id", "building_id", "unit_id", "room", "exclusive_area", "owner_ref",
         "created_at", "updated_at"),
        rows(),
    )
    household_ids = ids_in_order(connection, Household.id, Household.community_id == community.id)
    return Place(community.id, household_ids)
