"""Recurring work of file storage."""

from backend.core.scheduler import Job
from backend.core.storage.services import purge_unattached_files

JOBS = [Job("storage.purge_unattached", purge_unattached_files, every={"days": 1})]
