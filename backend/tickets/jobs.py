"""Recurring work of tickets: escalating missed deadlines, closing unevaluated tickets."""

from backend.core.scheduler import Job
from backend.tickets.services.deadlines import auto_close_unevaluated, escalate_overdue

JOBS = [
    # Every 5 minutes: the shortest deadline is an hour and the shortest grace an hour, so a
    # step is taken at most 5 minutes after its time.
    Job("tickets.escalate_overdue", escalate_overdue, every={"minutes": 5}),
    # Hourly: a 7-day window needs no finer clock, and the reporter may still confirm until
    # the ticket is actually closed.
    Job("tickets.auto_close", auto_close_unevaluated, every={"hours": 1}),
]
