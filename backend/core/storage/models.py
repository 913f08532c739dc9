"""What is known of each stored file; the bytes themselves live in the storage backend."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base, utcnow

KEY_LENGTH = 32
PURPOSE_LENGTH = 32


class StoredFile(Base):
    """One uploaded file (a photo), known by its random key.

    A file starts unattached; the domain that refers to it (a ticket, a timeline entry) attaches
    it in its own transaction. Files nobody attached within a day are purged.
    """

    __tablename__ = "stored_files"
    __table_args__ = (sa.Index(None, "attached", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), unique=True)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    content_type: Mapped[str] = mapped_column(sa.String(32))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # Of the stored bytes (the photo written anew); null on rows older than that rewriting.
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attached: Mapped[bool] = mapped_column(default=False)
    # What it was first attached to, e.g. "ticket"; null while unattached.
    purpose: Mapped[str | None] = mapped_column(sa.String(PURPOSE_LENGTH))
