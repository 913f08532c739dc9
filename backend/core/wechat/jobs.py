"""Recurring work of the WeChat client."""

from backend.core.scheduler import Job
from backend.core.wechat.media import send_stale_checks_to_review

JOBS = [Job("wechat.media_checks_to_review", send_stale_checks_to_review, every={"minutes": 5})]
