"""Encryption of personal data at rest (Fernet, keyed from FIELD_ENCRYPTION_KEY)."""

from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

_fernets: dict[str, Fernet] = {}


def _fernet() -> Fernet:
    """The app's FIELD_ENCRYPTION_KEY (any string), stretched to Fernet's 32 bytes."""
    key = current_app.config["FIELD_ENCRYPTION_KEY"]
    if key not in _fernets:
        digest = hashlib.sha256(key.encode()).digest()
        _fernets[key] = Fernet(base64.urlsafe_b64encode(digest))
    return _fernets[key]


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong FIELD_ENCRYPTION_KEY?") from exc


class EncryptedText(sa.types.TypeDecorator):
    """A text column stored encrypted; reads give the plaintext back."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)
