"""Recurring work of consultations: opening, closing and reminding at the scheduled times."""

from backend.consultations.services.lifecycle import advance_due
from backend.core.scheduler import Job

# Every minute: a vote announced to close at 18:00 closes within a minute of it (ballots after
# the deadline are refused by the deadline itself, not by the job).
JOBS = [Job("consultations.advance_due", advance_due, every={"minutes": 1})]
