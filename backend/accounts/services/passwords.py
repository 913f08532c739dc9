"""Staff passwords: how they are hashed, in one place for sign-in and for new accounts."""

from __future__ import annotations

from werkzeug.security import generate_password_hash


def hash_password(password: str) -> str:
    # Werkzeug's scrypt (n=2^15, r=8, p=1): memory-hard, no extra dependency.
    return generate_password_hash(password, method="scrypt")
