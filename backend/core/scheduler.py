"""Background jobs: each domain lists its jobs in `jobs.py` as `JOBS = [Job(...)]`; the scheduler
process (`scripts/scheduler`) collects them. Jobs only call services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Job:
    """One recurring job. `run` takes no arguments and is called inside an app context."""

    name: str
    run: Callable[[], object]
    # APScheduler interval trigger arguments, e.g. {"minutes": 1}
    every: dict = field(default_factory=lambda: {"minutes": 1})
