"""WeChat's push signatures and its safe mode (安全模式), as WeChat documents them.

- `signature` = sha1 (hex) of the token, timestamp and nonce, sorted and concatenated; it covers
  the URL verification and plaintext pushes, never their body.
- Safe mode: the JSON body carries `Encrypt`, and `msg_signature` is the same sha1 over the
  token, timestamp, nonce and that `Encrypt`, so the body is signed too.
- `Encrypt` is base64 of AES-256-CBC with AESKey = base64decode(EncodingAESKey + "="), 32 bytes,
  and IV = the key's first 16 bytes; PKCS#7 padding to a multiple of 32 bytes (the key's length,
  not AES's block); the plaintext is 16 random bytes, the message's length (4 bytes,
  big-endian), the message, then the AppID it is addressed to.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32
RANDOM_BYTES = 16
LENGTH_BYTES = 4


class Undecryptable(ValueError):
    """The ciphertext was not made with our key as WeChat makes it."""


def wechat_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    # compare_digest refuses non-ASCII text with TypeError; such a signature is simply wrong.
    return given.isascii() and hmac.compare_digest(expected, given.lower())


def aes_key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("an EncodingAESKey is 43 characters, the base64 of 32 bytes")
    return key


def decrypt(encrypted: str, *, encoding_aes_key: str) -> tuple[bytes, str]:
    """The message carried by `Encrypt`, and the AppID closing it."""
    try:
        key = aes_key(encoding_aes_key)
    except (binascii.Error, ValueError):
        raise Undecryptable("our EncodingAESKey is not 43 base64 characters") from None
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise Undecryptable("Encrypt is not base64") from None
    if not data or len(data) % 16:
        raise Undecryptable("Encrypt is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise Undecryptable("bad padding")
    plain = plain[:-pad]
    start = RANDOM_BYTES + LENGTH_BYTES
    if len(plain) < start:
        raise Undecryptable("too short")
    length = int.from_bytes(plain[RANDOM_BYTES:start], "big")
    if start + length > len(plain):
        raise Undecryptable("the length runs past the end")
    try:
        appid = plain[start + length :].decode("ascii")
    except UnicodeDecodeError:
        raise Undecryptable("no AppID at the end") from None
    return plain[start : start + length], appid
