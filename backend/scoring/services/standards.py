"""The standards: the shipped ones, those streets upload, which ones each community is assessed
on, and the measurements a standard's author can use."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.metrics import registry
from backend.core.tenancy.models import Community, Region
from backend.scoring.models import CommunityStandard, UploadedStandard
from backend.scoring.permissions import policy
from backend.scoring.services.common import (
    Found,
    builtin,
    community_for,
    find_standard,
    may_assign,
    may_read_standard,
    parse,
    standard_or_404,
    standards_of,
)
from backend.scoring.standard import Standard, StandardInvalid, builtin_documents


def metrics_catalogue() -> list[dict]:
    """Every measurement a standard may name, with its definition."""
    return [
        {
            "name": metric.name,
            "title": metric.title,
            "unit": metric.unit,
            "definition": metric.definition,
            "has_evidence": metric.evidence is not None,
        }
        for metric in sorted(registry().values(), key=lambda metric: metric.name)
    ]


def summary(found: Found) -> dict:
    standard = found.standard
    return {
        "code": standard.code,
        "name": standard.name,
        "version": standard.version,
        "source": standard.source,
        "builtin": found.builtin,
        "region_id": found.region_id,
        "areas": len(standard.areas),
        "items": len(standard.items),
        "max_points": standard.max_points,
        "passing_points": standard.passing_points,
    }


def detail(found: Found) -> dict:
    return {**summary(found), "document": found.standard.document}


def list_standards(*, actor: Actor) -> list[dict]:
    """The shipped standards, then the uploaded ones the caller may read."""
    found = [Found(builtin(code)) for code in builtin_documents()]
    uploads = db.session.scalars(sa.select(UploadedStandard.code).order_by(UploadedStandard.code))
    for code in uploads:
        standard = find_standard(code)
        if standard is not None and may_read_standard(actor, standard):
            found.append(standard)
    return [summary(standard) for standard in found]


def get_standard(*, actor: Actor, code: str) -> dict:
    """Outcomes: the standard; 404 `standard_not_found` (also for one the caller may not read)."""
    found = standard_or_404(code)
    if not may_read_standard(actor, found):
        raise NotFound("未找到该创建标准", code="standard_not_found")
    return detail(found)


def _validated(document: dict) -> Standard:
    try:
        return parse(document)
    except StandardInvalid as invalid:
        raise InvalidInput(
            "创建标准的内容有误，请按提示修改", code="standard_invalid", errors=invalid.errors
        ) from None


def upload_standard(*, actor: Actor, region_id: int, document: dict) -> dict:
    """A region's own standard.

    Outcomes: 201 and the standard; 404 `region_not_found` for a region the caller does not
    administer; 422 `standard_invalid` with every problem by field; 409 `standard_code_taken`.
    """
    region = policy.region(actor, "standard.upload", region_id)
    standard = _validated(document)
    taken = Conflict("该标准编号已被使用，请换一个", code="standard_code_taken")
    try:
        with transaction():
            if builtin(standard.code) is not None or db.session.scalar(
                sa.select(UploadedStandard.id).where(UploadedStandard.code == standard.code)
            ):
                raise taken
            row = UploadedStandard(
                code=standard.code,
                name=standard.name,
                region_id=region.id,
                version=1,
                document=_stored(document, version=1),
                uploaded_by_id=actor.user_id,
            )
            db.session.add(row)
            db.session.flush()
            audit.record(
                action="scoring.upload_standard",
                target_type="standard",
                target_id=row.code,
                actor=actor,
                details={"region_id": region.id, "items": len(standard.items)},
            )
    except IntegrityError:
        # The same code uploaded at the same moment: the database kept the first.
        raise taken from None
    return detail(standard_or_404(standard.code))


def _stored(document: dict, *, version: int) -> dict:
    return {**document, "version": version}


def _own_upload(actor: Actor, code: str) -> UploadedStandard:
    """Outcomes: the row, locked; 404 `standard_not_found` for a shipped standard, a missing
    one, or one of a region the caller does not administer."""
    if code in builtin_documents():
        raise NotFound("内置的创建标准不能修改或删除", code="standard_not_found")
    found = db.session.execute(
        sa.select(UploadedStandard, Region.path)
        .join(Region, Region.id == UploadedStandard.region_id)
        .where(UploadedStandard.code == code)
        .with_for_update(of=UploadedStandard)
    ).first()
    if found is None or not policy.can_in_region(actor, "standard.change", found.path):
        raise NotFound("未找到该创建标准", code="standard_not_found")
    return found.UploadedStandard


def replace_standard(*, actor: Actor, code: str, document: dict) -> dict:
    """A new version of an uploaded standard; assessments already made keep the text they were
    made on.

    Outcomes: the standard; 404 `standard_not_found`; 422 `standard_invalid`, or
    `standard_code_changed` when the document names another code.
    """
    with transaction():
        # Who may change it first: nobody else learns anything from how their document fails.
        row = _own_upload(actor, code)
        standard = _validated(document)
        if standard.code != code:
            raise InvalidInput(
                "标准编号不能修改",
                code="standard_code_changed",
                errors={"code": ["与地址中的编号不同"]},
            )
        row.version += 1
        row.name = standard.name
        row.document = _stored(document, version=row.version)
        audit.record(
            action="scoring.replace_standard",
            target_type="standard",
            target_id=code,
            actor=actor,
            details={"version": row.version, "items": len(standard.items)},
        )
    return detail(standard_or_404(code))


def delete_standard(*, actor: Actor, code: str) -> None:
    """Outcomes: 204; 404 `standard_not_found`; 409 `standard_in_use` while a community is
    assessed on it (assessments already made keep their copy)."""
    with transaction():
        row = _own_upload(actor, code)
        in_use = db.session.scalar(
            sa.select(sa.func.count()).where(CommunityStandard.standard_code == code)
        )
        if in_use:
            raise Conflict(
                f"还有 {in_use} 个社区按该标准评估，请先为它们改选标准", code="standard_in_use"
            )
        db.session.delete(row)
        audit.record(
            action="scoring.delete_standard", target_type="standard", target_id=code, actor=actor
        )


# ---------------------------------------------------------------- a community's standards


def community_standards(*, actor: Actor, community_id: int) -> dict:
    community, _roles = community_for(actor, community_id, "scoring.view")
    return _assigned(community)


def _assigned(community: Community) -> dict:
    chosen = db.session.scalar(
        sa.select(sa.func.count()).where(CommunityStandard.community_id == community.id)
    )
    standards = []
    for code in standards_of(community.id):
        found = find_standard(code)
        if found is not None:
            standards.append(summary(found))
    return {"community_id": community.id, "chosen": bool(chosen), "standards": standards}


def assign_standards(*, actor: Actor, community_id: int, codes: list[str]) -> dict:
    """Which standards the community is assessed on (replacing the choice before).

    Outcomes: the standards; 404 like any community route; 403 for staff who are not the
    street's; 422 `standard_not_assignable` for a code that does not exist or belongs to
    another region.
    """
    community, _roles = community_for(actor, community_id, "standard.assign")
    codes = list(dict.fromkeys(codes))
    refused = [
        code
        for code in codes
        if (found := find_standard(code)) is None
        or not may_read_standard(actor, found)
        or not may_assign(found, community)
    ]
    if refused:
        raise InvalidInput(
            "这些标准不存在或不适用于该社区",
            code="standard_not_assignable",
            errors={"standards": refused},
        )
    with transaction():
        db.session.execute(
            sa.delete(CommunityStandard).where(CommunityStandard.community_id == community.id)
        )
        now = utcnow()
        db.session.add_all(
            CommunityStandard(
                community_id=community.id,
                standard_code=code,
                assigned_by_id=actor.user_id,
                assigned_at=now,
            )
            for code in codes
        )
        db.session.flush()
        audit.record(
            action="scoring.assign_standards",
            target_type="community",
            target_id=community.id,
            community=community,
            actor=actor,
            details={"standards": codes},
        )
    return _assigned(community)
