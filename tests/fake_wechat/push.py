"""WeChat's side of the message push: a request signed, and in safe mode encrypted, as WeChat's
documentation describes it (消息推送, 消息加解密说明), written without our implementation
(backend/core/wechat/safe_mode.py) so that a test fails when ours is wrong.

- signature = sha1(hex) of token, timestamp, nonce sorted and concatenated.
- safe mode: the query adds encrypt_type=aes and msg_signature = the same sha1 over token,
  timestamp, nonce and Encrypt; the JSON body is {"ToUserName", "Encrypt"}.
- Encrypt = base64(AES-256-CBC(key, iv=key[:16], PKCS#7 to 32-byte blocks of
  16 random bytes + len(message) as 4 bytes big-endian + message + AppID)),
  key = base64decode(EncodingAESKey + "=").
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import secrets
import string
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_nonces = itertools.count(int(time.time() * 1000) % 10**9)


def new_encoding_aes_key() -> str:
    """An EncodingAESKey as the mini-program's console makes one: 43 letters and digits."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43))


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def encrypt(message: bytes, *, encoding_aes_key: str, appid: str) -> str:
    key = base64.b64decode(encoding_aes_key + "=")
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + appid.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


class WechatPusher:
    """Builds the (query, body) of pushes to our callback, one fresh nonce each."""

    def __init__(self, *, token: str, appid: str, encoding_aes_key: str | None = None,
                 original_id: str = "gh_abc123"):
        self.token = token
        self.appid = appid
        self.encoding_aes_key = encoding_aes_key
        self.original_id = original_id

    def signed_query(self, *, timestamp: str | None = None, nonce: str | None = None) -> dict:
        timestamp = str(int(time.time())) if timestamp is None else timestamp
        nonce = str(next(_nonces)) if nonce is None else nonce
        signature = sha1_signature(self.token, timestamp, nonce)
        return {"signature": signature, "timestamp": timestamp, "nonce": nonce}

    def plaintext(self, message: dict | str, **query) -> tuple[dict, bytes]:
        """A plaintext-mode push: the signature does not cover the body."""
        return self.signed_query(**query), _bytes(message)

    def safe(self, message: dict | str, *, appid: str | None = None, **query) -> tuple[dict, bytes]:
        """A safe-mode push of `message` to `appid` (ours unless said otherwise)."""
        assert self.encoding_aes_key, "safe mode needs an EncodingAESKey"
        signed = self.signed_query(**query)
        encrypted = encrypt(_bytes(message), encoding_aes_key=self.encoding_aes_key,
                            appid=appid or self.appid)
        signed["encrypt_type"] = "aes"
        signed["msg_signature"] = sha1_signature(
            self.token, signed["timestamp"], signed["nonce"], encrypted
        )
        body = {"ToUserName": self.original_id, "Encrypt": encrypted}
        return signed, json.dumps(body).encode()


def _bytes(message: dict | str) -> bytes:
    return (message if isinstance(message, str) else json.dumps(message)).encode()
