"""Idempotency-Key on POSTs (a retried request returns the first answer, with no second effect)."""


def init_app(app) -> None:
    pass
