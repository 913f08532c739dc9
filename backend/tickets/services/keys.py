"""Open311 api keys: issued per organisation for a region's communities, shown once, revocable.

A city system (a 12345 hotline, a department's case tool) files and reads tickets through
`/open311/v2/` with an `api_key`. The street issues it to the organisation that runs the
system, for the communities of its region; only the key's SHA-256 is stored, so the key
itself is shown once, in the answer that issues it. Street admins of the region (or above)
and system admins manage keys; to everyone else the region's keys do not exist (404).
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from backend.communities.models import Organisation
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import InvalidInput, NotFound
from backend.core.permissions import broadest
from backend.core.tenancy.models import Community, Region
from backend.tickets.models import Open311Key
from backend.tickets.permissions import policy

MANAGE = "open311_key.manage"

# 32 random bytes: as strong as the hash that stores them.
KEY_BYTES = 32


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def key_by_secret(raw: str) -> Open311Key | None:
    """The live key whose secret is `raw`; None for an unknown or revoked one."""
    key = db.session.scalar(sa.select(Open311Key).where(Open311Key.key_hash == hash_key(raw)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def key_covers(key: Open311Key, community: Community) -> bool:
    """A key reaches the communities of its region and of the regions below it."""
    region = db.session.get(Region, key.region_id)
    return region is not None and community.region_path.startswith(region.path)


def _audit(actor: Actor, action: str, key: Open311Key, region: Region) -> None:
    audit.record(
        action=action,
        target_type="open311_key",
        target_id=key.id,
        actor=actor,
        actor_role=str(broadest(policy.region_roles(actor, MANAGE, region.path))),
        details={"region_id": key.region_id, "organisation_id": key.organisation_id},
    )


def shown_key(key: Open311Key, organisation_name: str | None = None) -> dict:
    return {
        "id": key.id,
        "region_id": key.region_id,
        "organisation_id": key.organisation_id,
        "organisation_name": organisation_name
        if organisation_name is not None
        else db.session.scalar(
            sa.select(Organisation.name).where(Organisation.id == key.organisation_id)
        ),
        "label": key.label,
        "created_by_id": key.created_by_id,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def issue_key(*, actor: Actor, region_id: int, data: dict) -> dict:
    """Issue an api key to an organisation for the region's communities.

    Outcomes: the key with its secret `api_key`, shown this once (201); 404
    `region_not_found` (also for a region the caller does not administer); 422
    `organisation_unknown`.
    """
    with transaction():
        region = policy.region(actor, MANAGE, region_id)
        organisation = db.session.get(Organisation, data["organisation_id"])
        if organisation is None:
            raise InvalidInput(
                "没有这个单位", code="organisation_unknown", errors={"organisation_id": []}
            )
        raw = secrets.token_urlsafe(KEY_BYTES)
        key = Open311Key(
            organisation_id=organisation.id,
            region_id=region.id,
            key_hash=hash_key(raw),
            label=data["label"],
            created_by_id=actor.user_id,
        )
        db.session.add(key)
        db.session.flush()
        _audit(actor, "ticket.open311_key_issue", key, region)
        return {**shown_key(key, organisation.name), "api_key": raw}


def list_keys(*, actor: Actor, region_id: int) -> list[dict]:
    """The keys issued for the region, newest first, revoked ones included (never the secret).

    Outcomes: the keys; 404 `region_not_found`.
    """
    region = policy.region(actor, MANAGE, region_id)
    rows = db.session.execute(
        sa.select(Open311Key, Organisation.name)
        .join(Organisation, Organisation.id == Open311Key.organisation_id)
        .where(Open311Key.region_id == region.id)
        .order_by(Open311Key.id.desc())
    ).all()
    return [shown_key(key, name) for key, name in rows]


def revoke_key(*, actor: Actor, region_id: int, key_id: int) -> dict:
    """Revoke a key: it is refused from now on. Revoking it again changes nothing.

    Outcomes: the key; 404 `region_not_found`, `open311_key_not_found`.
    """
    with transaction():
        region = policy.region(actor, MANAGE, region_id)
        key = db.session.scalar(
            sa.select(Open311Key)
            .where(Open311Key.id == key_id, Open311Key.region_id == region.id)
            .with_for_update()
        )
        if key is None:
            raise NotFound("未找到该接口密钥", code="open311_key_not_found")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            _audit(actor, "ticket.open311_key_revoke", key, region)
        return shown_key(key)
