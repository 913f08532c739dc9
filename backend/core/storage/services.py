"""Uploaded photos: where their bytes live, what is accepted, and how domains refer to them.

Bytes go to a `Storage` backend chosen by STORAGE_BACKEND; `storage()` returns it. Only `disk`
exists today. An object store (COS, OSS, S3) replaces it by adding a class with the same three
methods and an entry in `BACKENDS`; nothing else changes, since callers only hold keys.

The flow: a client uploads a photo (`upload_photo`) and gets a key; the domain use case that
refers to the photo (filing a ticket, a timeline entry) calls `attach_photos` inside its own
transaction; a daily job (`purge_unattached_files`) removes what nobody attached within a day.
Reading (`read_photo`) is open to every signed-in user: keys carry 128 random bits, so only
those shown a key can ask for it. A domain that needs stricter reading checks access itself
before it hands a key out.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import struct
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from flask import Flask, current_app

from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import DomainError, InvalidInput, NotFound
from backend.core.storage.models import StoredFile
from backend.core.storage.permissions import policy

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"[0-9a-f]{32}")
PHOTO_URL_PREFIX = "/api/v1/photos/"
# Unattached uploads older than this are abandoned forms: the job deletes them.
UNATTACHED_TTL = timedelta(hours=24)
PURGE_BATCH = 500


# -- where the bytes live


class Storage(Protocol):
    """A place for file bytes, addressed by opaque keys it makes itself."""

    def save(self, data: bytes, content_type: str) -> str:
        """Store `data` and return its new key."""

    def open(self, key: str) -> bytes:
        """The bytes stored under `key`; FileNotFoundError when there are none."""

    def delete(self, key: str) -> None:
        """Remove the bytes of `key`; a key already gone is not an error."""


class DiskStorage:
    """Files under `root`, as root/ab/cd/<key>, so no directory grows past 65,536 entries.

    Writes go to a temporary file in the target directory and are renamed into place: a reader
    never sees half a file, and a crash leaves only a stray temporary file behind.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        # The key becomes a path: anything but our own hex keys could climb out of `root`.
        if not KEY_PATTERN.fullmatch(key):
            raise FileNotFoundError(key)
        return self.root / key[:2] / key[2:4] / key

    def save(self, data: bytes, content_type: str) -> str:
        key = secrets.token_hex(16)
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def open(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def delete(self, key: str) -> None:
        # Not one of our keys (FileNotFoundError from `path`): nothing is stored under it.
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink(missing_ok=True)


BACKENDS = {"disk": lambda config: DiskStorage(config["STORAGE_DIR"])}


def storage() -> Storage:
    """The backend the app is configured with (STORAGE_BACKEND)."""
    return BACKENDS[current_app.config["STORAGE_BACKEND"]](current_app.config)


def check_storage_config(app: Flask) -> None:
    """Stop at start-up on a backend we do not have, rather than at the first upload."""
    name = app.config["STORAGE_BACKEND"]
    if name not in BACKENDS:
        raise RuntimeError(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")


# -- what is accepted


class PhotoTooLarge(DomainError):
    status = 413
    code = "photo_too_large"
    message = "照片过大"


def too_large() -> PhotoTooLarge:
    limit = current_app.config["MAX_PHOTO_BYTES"]
    if limit >= 1024 * 1024:
        size = f"{limit / (1024 * 1024):.3g} MB"
    else:
        size = f"{limit / 1024:.3g} KB" if limit >= 1024 else f"{limit} 字节"
    return PhotoTooLarge(f"照片不能超过 {size}")


def sniff_photo_type(data: bytes) -> str | None:
    """The photo's type read from its first bytes; the client's Content-Type is not trusted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def photo_dimensions(data: bytes, content_type: str) -> tuple[int | None, int | None]:
    """Width and height from the image header, or (None, None) when it does not say plainly."""
    try:
        size = _DIMENSIONS[content_type](data)
    except (struct.error, IndexError):
        size = None
    if not size or min(size) <= 0:
        return None, None
    return size


def _png_size(data: bytes):
    if data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


# Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})


def _jpeg_size(data: bytes):
    index = 2
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in _JPEG_STANDALONE:
            index += 2
            continue
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        index += 2 + length
    return None


def _webp_size(data: bytes):
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


_DIMENSIONS = {"image/jpeg": _jpeg_size, "image/png": _png_size, "image/webp": _webp_size}


def check_photo(data: bytes) -> str:
    """The content type of an acceptable photo, or the reason it is refused."""
    if not data:
        raise InvalidInput("请选择要上传的照片", code="photo_missing")
    if len(data) > current_app.config["MAX_PHOTO_BYTES"]:
        raise too_large()
    content_type = sniff_photo_type(data)
    if content_type is None:
        raise InvalidInput("仅支持 JPEG、PNG 或 WebP 格式的照片", code="photo_type_not_allowed")
    return content_type


# -- use cases


def upload_photo(*, actor: Actor, community_id: int, data: bytes) -> StoredFile:
    """Store a photo for later use in `community_id` (anyone with a role there).

    Outcomes: the new, unattached StoredFile; 404 for a community the actor has no role in;
    403 for a role that may not upload (the auditor); 422 `photo_missing` (empty),
    413 `photo_too_large`, 422 `photo_type_not_allowed` (not JPEG, PNG or WebP by its bytes).
    """
    policy.community(actor, "storage.upload", community_id)
    content_type = check_photo(data)
    width, height = photo_dimensions(data, content_type)
    backend = storage()
    key = backend.save(data, content_type)
    try:
        with transaction() as tx:
            row = StoredFile(
                key=key,
                community_id=community_id,
                uploaded_by_id=actor.user_id,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                width=width,
                height=height,
            )
            tx.add(row)
    except BaseException:
        backend.delete(key)
        raise
    return row


def read_photo(*, key: str) -> tuple[bytes, str]:
    """A stored photo's bytes and content type (any signed-in user who knows the key).

    Outcomes: (bytes, content type); 404 `photo_not_found` for a key we do not hold.
    """
    row = _file_by_key(key)
    if row is not None:
        try:
            return storage().open(key), row.content_type
        except FileNotFoundError:
            log.error("stored file %s has a row but no bytes", row.id)
    raise NotFound("未找到该照片", code="photo_not_found")


def _file_by_key(key: str) -> StoredFile | None:
    if not KEY_PATTERN.fullmatch(key):
        return None
    return db.session.scalar(sa.select(StoredFile).where(StoredFile.key == key))


def attach_photos(
    keys: list[str], *, community_id: int, uploader_id: int | None, purpose: str
) -> list[str]:
    """Mark uploaded photos as used by a domain row (`purpose`, e.g. "ticket").

    Called inside the caller's transaction: it flushes, never commits. The rows are locked so
    the purge job cannot delete them between this check and the caller's commit.

    Outcomes: the keys, in order, each once; 422 `photo_unknown` with the refused keys in
    `errors["photos"]` for keys that do not exist, belong to another community, or (when
    `uploader_id` is given) were uploaded by someone else. A key already attached stays valid
    (the same photo on a ticket and on its timeline) and keeps its first purpose.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return []
    rows = {
        row.key: row
        for row in db.session.scalars(
            sa.select(StoredFile)
            .where(StoredFile.key.in_([key for key in wanted if isinstance(key, str)]))
            .with_for_update()
        )
    }
    refused = [
        key
        for key in wanted
        if (row := rows.get(key)) is None
        or row.community_id != community_id
        or (uploader_id is not None and row.uploaded_by_id != uploader_id)
    ]
    if refused:
        raise InvalidInput(
            "照片不存在或已过期，请重新上传",
            code="photo_unknown",
            errors={"photos": refused},
        )
    for key in wanted:
        row = rows[key]
        if not row.attached:
            row.attached = True
            row.purpose = purpose
    db.session.flush()
    return wanted


def photo_url(key: str) -> str:
    """Where clients read the photo: a path relative to the API's host."""
    return f"{PHOTO_URL_PREFIX}{key}"


def purge_unattached_files(older_than: timedelta = UNATTACHED_TTL) -> int:
    """Delete uploads nobody attached within `older_than`, rows first, then bytes.

    A row is only deleted while still unattached (the DELETE says so again, after any lock an
    `attach_photos` holds), and only the bytes of deleted rows are removed. Returns how many.
    """
    cutoff = utcnow() - older_than
    backend = storage()
    purged = 0
    while True:
        with transaction() as tx:
            ids = tx.scalars(
                sa.select(StoredFile.id)
                .where(StoredFile.attached.is_(False), StoredFile.created_at < cutoff)
                .order_by(StoredFile.id)
                .limit(PURGE_BATCH)
            ).all()
            if not ids:
                break
            keys = tx.scalars(
                sa.delete(StoredFile)
                .where(StoredFile.id.in_(ids), StoredFile.attached.is_(False))
                .returning(StoredFile.key)
                .execution_options(synchronize_session=False)
            ).all()
        remove_bytes(keys, backend)
        purged += len(keys)
        if len(ids) < PURGE_BATCH:
            break
    return purged


def remove_bytes(keys: list[str], backend: Storage | None = None) -> None:
    """Remove the bytes of files whose rows are gone (after the commit that deleted them). A
    failure is logged, not raised: the rows are gone, and stray bytes are unreachable by key."""
    backend = backend or storage()
    for key in keys:
        try:
            backend.delete(key)
        except OSError as error:
            log.error("stored file %s not removed (%s)", key, type(error).__name__)
