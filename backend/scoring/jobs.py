"""Recurring work of scoring: this year's drafts, refreshed every night."""

from backend.core.scheduler import Job
from backend.scoring.services.assessments import refresh_drafts

JOBS = [
    # Daily at 02:00 Beijing time, when nobody is at work: a city-wide run takes under a minute
    # (scripts/bench-scoring), and the figures move by the day (meetings held, tickets closed).
    Job("scoring.refresh_drafts", refresh_drafts, every={"hours": 24}, offset={"hours": 18}),
]
