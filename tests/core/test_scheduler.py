"""The scheduler: one leader among several processes, a shared timetable, takeover when the
leader goes, jobs that fail without taking the scheduler down, and the first jobs."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_jwt_extended import decode_token

from backend.accounts.models import RefreshToken, User
from backend.core import scheduler as scheduler_module
from backend.core.db import db, utcnow
from backend.core.scheduler import AdvisoryLock, Job, LeaseLock, Scheduler, collect_jobs

ROOT = Path(__file__).resolve().parents[2]
TICK = 0.2


class Runs:
    """What the schedulers' test job did: who ran it, and when."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[tuple[str, float]] = []

    def job(self, who: str) -> Job:
        def run() -> None:
            with self._lock:
                self.items.append((who, time.monotonic()))

        return Job("tick", run, every={"seconds": TICK})

    def by(self, who: str) -> list[float]:
        return [at for name, at in self.items if name == who]


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@contextmanager
def two_schedulers(app, runs: Runs, lease: timedelta):
    """A leader ("first") and a scheduler started after it ("second"), both stopped at the end."""
    first = Scheduler(app, [runs.job("first")], lease=lease).start()
    second = None
    try:
        assert wait_for(lambda: first.leading)
        second = Scheduler(app, [runs.job("second")], lease=lease).start()
        yield first, second
    finally:
        if second is not None:
            second.stop()
        first.stop()


def test_of_two_schedulers_one_runs_each_tick_and_the_other_takes_over_when_it_dies(app):
    runs = Runs()
    with two_schedulers(app, runs, timedelta(seconds=1)) as (first, second):
        time.sleep(1.0)
        assert first.leading and not second.leading
        first.stop(release=False)  # as if killed: the lock is not handed over
        died = time.monotonic()
        assert wait_for(lambda: runs.by("second"), timeout=3.0)
        time.sleep(0.5)

    expected_lock = AdvisoryLock if db.engine.dialect.name == "postgresql" else LeaseLock
    assert isinstance(first.lock, expected_lock)
    first_runs, second_runs = runs.by("first"), runs.by("second")
    assert len(first_runs) >= 4
    assert max(first_runs) < died < min(second_runs)
    assert len(second_runs) >= 2
    # Both keep the same timetable, so a tick run twice would show as two runs at one moment.
    times = sorted(at for _, at in runs.items)
    assert min(later - earlier for earlier, later in itertools.pairwise(times)) > TICK / 2


def test_a_scheduler_that_stops_hands_the_lock_over_before_its_lease_runs_out(app):
    lease = timedelta(seconds=3)
    with two_schedulers(app, Runs(), lease) as (first, second):
        time.sleep(0.3)
        first.stop()
        stopped = time.monotonic()
        assert wait_for(lambda: second.leading, timeout=2.0)
        assert time.monotonic() - stopped < lease.total_seconds()


def test_a_failing_job_is_logged_without_its_message_and_the_jobs_go_on(app, world, caplog):
    failures: list[int] = []
    users: list[int] = []

    resident = "张三, 1号楼1单元101"

    def boom() -> None:
        failures.append(1)
        raise ValueError(resident)

    def count_users() -> None:
        users.append(db.session.scalar(sa.select(sa.func.count()).select_from(User)))

    jobs = [Job("boom", boom, every={"seconds": 0.1}),
            Job("count_users", count_users, every={"seconds": 0.1})]
    scheduler = Scheduler(app, jobs, lease=timedelta(seconds=1)).start()
    try:
        assert wait_for(lambda: len(failures) >= 3 and len(users) >= 3)
    finally:
        scheduler.stop()
    assert users[0] > 0  # ran inside an app context, with the database at hand
    logged = [r.getMessage() for r in caplog.records if r.name == "backend.core.scheduler"]
    assert any("job boom failed: ValueError" in line for line in logged)
    assert "张三" not in caplog.text and "单元" not in caplog.text


def test_jobs_are_collected_from_every_package_and_the_platform(app):
    jobs = collect_jobs()
    names = [job.name for job in jobs]
    assert "accounts.purge_expired_refresh_tokens" in names
    assert "idempotency.purge_expired_keys" in names
    assert len(names) == len(set(names))
    assert all(isinstance(job, Job) and callable(job.run) for job in jobs)


def test_the_nightly_scoring_job_runs_at_two_in_the_morning_beijing_time(app):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    [job] = [job for job in collect_jobs() if job.name == "scoring.refresh_drafts"]
    now = datetime(2026, 11, 21, 12, 30, tzinfo=UTC)
    fires = scheduler_module.timetable(job).get_next_fire_time(None, now)
    assert fires.astimezone(ZoneInfo("Asia/Shanghai")) == datetime(
        2026, 11, 22, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )


def test_two_jobs_of_one_name_are_refused(monkeypatch):
    monkeypatch.setattr(scheduler_module, "EXTRA_JOB_MODULES", ("backend.accounts.jobs",))
    with pytest.raises(ValueError, match="accounts.purge_expired_refresh_tokens"):
        collect_jobs(["accounts"])


def run_job(app, name: str):
    (job,) = [job for job in collect_jobs() if job.name == name]
    with app.app_context():
        return job.run()


def test_the_purge_removes_expired_refresh_tokens_and_sign_ins_keep_working(app, client, world):
    old = client.post("/api/v1/auth/dev-login", json={"username": "resident"}).json
    current = client.post("/api/v1/auth/dev-login", json={"username": "resident"}).json
    with app.app_context():
        old_jti, current_jti = (decode_token(tokens["refresh_token"])["jti"]
                                for tokens in (old, current))
        db.session.get(RefreshToken, old_jti).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

    assert run_job(app, "accounts.purge_expired_refresh_tokens") == 1
    with app.app_context():
        assert db.session.scalars(sa.select(RefreshToken.jti)).all() == [current_jti]
    refreshed = client.post("/api/v1/auth/refresh",
                            headers={"Authorization": f"Bearer {current['refresh_token']}"})
    assert refreshed.status_code == 200


def test_the_scheduler_process_holds_the_lock_until_sigterm(app, database_url, fake_wechat,
                                                             tmp_path):
    script = (ROOT / "scripts" / "scheduler").read_text()
    entry = re.search(r"python -c '([^']+)'", script).group(1)
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url,
           "WECHAT_API_BASE": fake_wechat.url}
    output = tmp_path / "scheduler.log"
    with output.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-c", entry], cwd=ROOT, env=env,
                                   stdout=sink, stderr=subprocess.STDOUT)
    probe = Scheduler(app, [])
    try:
        assert wait_for(lambda: " leads;" in output.read_text(), timeout=20), output.read_text()
        assert probe.lock.acquire() is False
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0, output.read_text()
        assert probe.lock.acquire() is True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        probe.lock.release()
    assert "stopped" in output.read_text()
