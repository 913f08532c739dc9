"""Photo storage's part of the route permission table: anyone with a role in the community
uploads; whoever holds a signed link reads, signed in or not."""

from __future__ import annotations

import io

from tests.permission_table import MEMBERS, PUBLIC, SYSTEM, Case


def _photo():
    from tests.core.test_storage import PNG

    return {"file": (io.BytesIO(PNG), "photo.png", "image/png")}


def stored_photo(world, uploaded_by_id: int) -> str:
    """A photo uploaded in community a by `uploaded_by_id`, not yet attached: its key."""
    from backend.core.db import db
    from backend.core.storage.models import StoredFile
    from backend.core.storage.services import storage
    from tests.core.test_storage import PNG

    key = storage().save(PNG, "image/png")
    db.session.add(
        StoredFile(
            key=key,
            community_id=world.a,
            uploaded_by_id=uploaded_by_id,
            content_type="image/png",
            size=len(PNG),
            sha256="0" * 64,
        )
    )
    db.session.commit()
    return key


def _signed_query(world) -> dict:
    """The signature of a link to the newest photo (the one `params` just stored)."""
    from urllib.parse import parse_qs, urlsplit

    import sqlalchemy as sa

    from backend.core.db import db
    from backend.core.storage.links import photo_url
    from backend.core.storage.models import StoredFile

    key = db.session.scalar(sa.select(StoredFile.key).order_by(StoredFile.id.desc()).limit(1))
    return {name: values[0] for name, values in parse_qs(urlsplit(photo_url(key)).query).items()}


CASES = {
    ("POST", "/api/v1/communities/<int:community_id>/photos"): Case(
        MEMBERS, status=201, files=_photo
    ),
    ("GET", "/api/v1/photos/<key>"): Case(
        PUBLIC,
        params=lambda w: {"key": stored_photo(w, w.resident)},
        scope=SYSTEM,
        extra={"query": _signed_query},
    ),
}
