"""Housekeeping of sign-in data, run by the scheduler (`backend/accounts/jobs.py`)."""

from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import RefreshToken
from backend.core.db import transaction, utcnow


def purge_expired_refresh_tokens() -> int:
    """Delete refresh tokens past their expiry; returns how many went.

    Safe for revocation: an access token is minted together with a refresh token of its family
    that outlives it (30 days against 15 minutes), so while any token of a family still works,
    that family keeps a row, and a revoked family keeps its mark.
    """
    with transaction() as tx:
        return tx.execute(
            sa.delete(RefreshToken).where(RefreshToken.expires_at <= utcnow())
        ).rowcount
