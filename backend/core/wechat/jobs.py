"""Recurring work of the WeChat client."""

from backend.core.scheduler import Job
from backend.core.wechat.media import send_stale_checks_to_review
from backend.core.wechat.push import purge_push_nonces

JOBS = [
    Job("wechat.media_checks_to_review", send_stale_checks_to_review, every={"minutes": 5}),
    Job("wechat.purge_push_nonces", purge_push_nonces, every={"minutes": 10}),
]
