"""Serving an app under gunicorn on 127.0.0.1, and loading it from concurrent clients."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench_lib.common import ROOT, free_port, note, percentile

SCRIPTS = ROOT / "scripts"
# Clients mark each request with the phase it was sent in: w(arm-up), m(easured under a closed
# load) or p(aced: measured under an open load at a fixed rate); see `fire`.
PHASE_HEADER = "X-Bench-Phase"
ACCESS_FORMAT = "%({x-bench-phase}i)s %(s)s %(D)s"


def worker_times_ms(access_log: Path, phase: str = "m") -> list[float]:
    """How long the workers spent on each request sent in `phase` (from the access log)."""
    times = []
    for line in access_log.read_text().splitlines():
        sent_in, _status, micros = line.split()
        if sent_in == phase:
            times.append(int(micros) / 1000)
    return times


@contextmanager
def serve(
    app_spec: str, env: dict[str, str], *, workers: int, access_log: Path
) -> Iterator[str]:
    """Run `gunicorn app_spec` with sync workers on a free loopback port; yield its base URL.

    `access_log` gets one line per request: its phase (see `fire`), status and the time the
    worker spent on it in microseconds (gunicorn's %(D)s): the latency without the queue.

    The server is stopped when the block ends, also on an error or Ctrl-C: it runs in a
    session of its own (a Ctrl-C at the terminal does not reach it) and is terminated here by
    its pid, then killed if it does not stop within 10 s.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--pythonpath", str(SCRIPTS), "--log-level", "warning",
        "--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT, app_spec,
    ]
    with tempfile.NamedTemporaryFile(prefix="gongzhi-bench-gunicorn.", suffix=".log") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_serving(base, process, Path(log.name))
            yield base
        finally:
            if process.poll() is None:
                process.terminate()  # gunicorn's graceful stop: workers finish their request
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_serving(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            note(log.read_text(errors="replace")[-3000:])
            raise SystemExit(f"gunicorn exited with status {process.returncode}")
        try:
            # Any answer, a 404 included, means a worker has booted and serves.
            requests.get(f"{base}/", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


@dataclass
class LoadResult:
    """What the clients saw during the measured window (the warm-up is left out)."""

    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # first answers that were not 201
    exhausted: bool = False
    worker_ms: list[float] = field(default_factory=list)  # time in the worker, no queue

    @property
    def created(self) -> int:
        return self.statuses[201]

    @property
    def failed(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 201)

    @property
    def per_second(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)


def merged(results: list[LoadResult]) -> LoadResult:
    """Several rounds of load on one app as one result."""
    total = LoadResult(seconds=sum(result.seconds for result in results))
    for result in results:
        total.latencies_ms += result.latencies_ms
        total.statuses.update(result.statuses)
        total.samples += result.samples[: 5 - len(total.samples)]
        total.exhausted |= result.exhausted
    return total


def fire(
    url: str,
    request_for: Callable[[int], tuple[dict, dict]],
    *,
    clients: int,
    seconds: float,
    warmup: float,
    numbers: Iterator[int],
    limit: int,
    rate: float | None = None,
    phase: str = "m",
) -> LoadResult:
    """POST to `url` from `clients` threads (one requests.Session each, keep-alive) for
    `warmup` + `seconds`; request i sends `request_for(i)` = (headers, json body), i taken from
    `numbers` (shared by the rounds on one app, so each i goes out once), below `limit`.
    Requests of the measured window carry `phase` in their PHASE_HEADER (warm-up ones "w").

    Without `rate` the load is closed: each client sends its next request as soon as the last
    one is answered, so the server is saturated and a latency is mostly the wait in its queue
    (Little's law). Only answers completed inside the measured window count.

    With `rate` the load is open: request k of the run is due at `k / rate` seconds after the
    start, whether or not earlier ones were answered (a client sleeps until its request is
    due), and its latency runs from when it was due, so a server that falls behind is charged
    for the wait it caused (no coordinated omission). Requests due inside the window count,
    each with its answer, however late.
    """
    lock = threading.Lock()
    started = time.perf_counter()
    window_start = started + warmup
    window_end = window_start + seconds
    result = LoadResult(seconds=seconds)
    last_completion = [window_start]
    schedule = itertools.count()

    def next_request() -> tuple[int, float]:
        """The next request's number and the time it is due (now, for a closed load)."""
        with lock:
            number = next(numbers)
            due = started + next(schedule) / rate if rate else None
        if due is None:
            return number, time.perf_counter()
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        return number, due

    def client() -> None:
        session = requests.Session()
        latencies: list[float] = []
        statuses: Counter = Counter()
        try:
            while time.perf_counter() < window_end:
                number, due = next_request()
                if number >= limit:
                    result.exhausted = True
                    break
                if due >= window_end:
                    break
                headers, body = request_for(number)
                measured = due >= window_start
                headers = {**headers, PHASE_HEADER: phase if measured else "w"}
                try:
                    response = session.post(url, json=body, headers=headers, timeout=30)
                    status, text = response.status_code, response.text
                except requests.RequestException as error:
                    status, text = 0, f"{type(error).__name__}: {error}"
                done = time.perf_counter()
                counts = measured if rate else window_start <= done <= window_end
                if counts:
                    latencies.append((done - due) * 1000)
                    statuses[status] += 1
                    if status != 201 and len(result.samples) < 5:
                        with lock:
                            result.samples.append(f"{status} {text[:300]}")
                    last_completion[0] = max(last_completion[0], done)
        finally:
            session.close()
            with lock:
                result.latencies_ms.extend(latencies)
                result.statuses.update(statuses)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if result.exhausted:  # the households ran out before the time: rate over the time used
        result.seconds = max(last_completion[0] - window_start, 1e-9)
    return result
