"""Recurring work of the accounts domain."""

from backend.accounts.services.maintenance import purge_expired_refresh_tokens
from backend.core.scheduler import Job

JOBS = [Job("accounts.purge_expired_refresh_tokens", purge_expired_refresh_tokens,
            every={"hours": 1})]
