"""Uploaded photos: where their bytes live, what is accepted, and how domains refer to them.

Bytes go to a `Storage` backend chosen by STORAGE_BACKEND; `storage()` returns it. Only `disk`
exists today. An object store (COS, OSS, S3) replaces it by adding a class with the same three
methods and an entry in `BACKENDS`; nothing else changes, since callers only hold keys.

The flow: a client uploads a photo (`upload_photo`), which is decoded and written anew without
its metadata (images.py), and gets a key; the domain use case that refers to the photo (filing
a ticket, a timeline entry) calls `attach_photos` inside its own transaction; a daily job
(`purge_unattached_files`) removes what nobody attached within a day. Reading (`read_photo`)
takes a signed, short-lived link (links.py), no token: a domain signs one when it shows the
photo to someone it lets see it, and the link is the permission.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app

from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import DomainError, InvalidInput, NotFound
from backend.core.storage.images import CleanPhoto, clean_photo
from backend.core.storage.links import check_photo_link
from backend.core.storage.models import StoredFile
from backend.core.storage.permissions import policy

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"[0-9a-f]{32}")
# Unattached uploads older than this are abandoned forms: the job deletes them.
UNATTACHED_TTL = timedelta(hours=24)
MIN_PHOTO_URL_TTL = timedelta(seconds=60)
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
    """Stop at start-up on settings photos cannot work with, rather than at the first upload."""
    config = app.config
    name = config["STORAGE_BACKEND"]
    if name not in BACKENDS:
        raise RuntimeError(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    if config["PHOTO_URL_TTL"] < MIN_PHOTO_URL_TTL:
        raise RuntimeError("PHOTO_URL_TTL must be at least 60 seconds")
    if config["MAX_PHOTO_PIXELS"] < 1:
        raise RuntimeError("MAX_PHOTO_PIXELS must be a positive number of pixels")
    base = urlsplit(config["PUBLIC_BASE_URL"])
    if config["PUBLIC_BASE_URL"] and (
        base.scheme not in ("http", "https") or not base.netloc or base.query or base.fragment
    ):
        raise RuntimeError("PUBLIC_BASE_URL must be an absolute URL such as https://api.example.cn")
    # Production serves the mini-program, whose network access is https only.
    if config["APP_ENV"] == "production" and config["PUBLIC_BASE_URL"] and base.scheme != "https":
        raise RuntimeError("PUBLIC_BASE_URL must use https in production")


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


def check_photo(data: bytes) -> CleanPhoto:
    """The photo decoded and written anew (see images.py), or the reason it is refused."""
    if not data:
        raise InvalidInput("请选择要上传的照片", code="photo_missing")
    if len(data) > current_app.config["MAX_PHOTO_BYTES"]:
        raise too_large()
    return clean_photo(data, max_pixels=current_app.config["MAX_PHOTO_PIXELS"])


# -- use cases


def upload_photo(*, actor: Actor, community_id: int, data: bytes) -> StoredFile:
    """Store a photo for later use in `community_id` (anyone with a role there).

    What is stored is the photo written anew: no metadata, upright, at most 4096 px a side; its
    size, digest and dimensions are those of the stored bytes.

    Outcomes: the new, unattached StoredFile; 404 for a community the actor has no role in;
    403 for a role that may not upload (the auditor); 422 `photo_missing` (empty),
    413 `photo_too_large`, 422 `photo_type_not_allowed` (not JPEG, PNG or WebP by its bytes),
    `photo_too_many_pixels`, `photo_unreadable`. Nothing is written on a refusal.
    """
    policy.community(actor, "storage.upload", community_id)
    photo = check_photo(data)
    backend = storage()
    key = backend.save(photo.data, photo.content_type)
    try:
        with transaction() as tx:
            row = StoredFile(
                key=key,
                community_id=community_id,
                uploaded_by_id=actor.user_id,
                content_type=photo.content_type,
                size=len(photo.data),
                sha256=hashlib.sha256(photo.data).hexdigest(),
                width=photo.width,
                height=photo.height,
            )
            tx.add(row)
    except BaseException:
        backend.delete(key)
        raise
    return row


def read_photo(*, key: str, expires: int | None, signature: str | None) -> tuple[bytes, str, int]:
    """A stored photo by its signed link (anyone holding the link; no token).

    Outcomes: (bytes, content type, seconds the link has left); 403 `photo_link_invalid`,
    `photo_link_expired` (checked before the key is looked up: nobody probes keys); 404
    `photo_not_found` for a key we no longer hold.
    """
    left = check_photo_link(key, expires, signature)
    row = _file_by_key(key)
    if row is not None:
        try:
            return storage().open(key), row.content_type, left
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
