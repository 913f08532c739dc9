"""The notifications service's scheduled work."""

from backend.core.notifications.services import send_due_messages
from backend.core.scheduler import Job

JOBS = [Job("notifications.send_outbox", send_due_messages, every={"seconds": 30})]
