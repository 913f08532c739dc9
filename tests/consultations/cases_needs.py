"""Who may call the needs, comments and moderation routes (collected by
tests/consultations/route_cases.py). Each case's params make a collecting consultation of
community a with the rows the route acts on."""

from __future__ import annotations

from tests.permission_table import COMMITTEE_OR_STREET, MANAGERS, ROLES, Case

CONSULTATION = "/api/v1/communities/<int:community_id>/consultations/<int:consultation_id>"
NEEDS = f"{CONSULTATION}/needs"
NEED = f"{NEEDS}/<int:need_id>"
COMMENTS = f"{CONSULTATION}/comments"
COMMENT = f"{COMMENTS}/<int:comment_id>"
QUEUE = "/api/v1/communities/<int:community_id>/moderation"
# Every member of the community, residents included; the auditor reads the audit log only.
MEMBERS = frozenset(ROLES) - {"auditor"}
RESIDENT = frozenset({"resident"})

NEED_BODY = {"title": "加装电梯", "description": "三楼以上老人多", "need_class": "improve"}


def _consultation(world):
    from tests.consultations.factories import consultation

    return consultation(world.a, world.committee, status="collecting")


def _need(world, consultation_id, *, status="published", author=None, title="修缮屋顶"):
    from backend.consultations.models import Need
    from backend.core.db import db

    row = Need(
        consultation_id=consultation_id,
        community_id=world.a,
        author_id=author or world.committee,
        title=title,
        need_class="basic",
        status=status,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _comment(world, consultation_id, *, status="published", author=None, report_count=0):
    from backend.consultations.models import Comment
    from backend.core.db import db

    row = Comment(
        consultation_id=consultation_id,
        community_id=world.a,
        author_id=author or world.committee,
        body="楼道灯坏了很久",
        status=status,
        report_count=report_count,
    )
    db.session.add(row)
    db.session.flush()
    return row


def with_consultation(world) -> dict:
    from backend.core.db import db

    row = _consultation(world)
    db.session.commit()
    return {"consultation_id": row.id}


def with_need(status="published", supported_by_resident=False):
    def make(world) -> dict:
        from backend.consultations.models import NeedSupport
        from backend.core.db import db

        consultation = _consultation(world)
        need = _need(world, consultation.id, status=status)
        if supported_by_resident:
            db.session.add(NeedSupport(need_id=need.id, user_id=world.resident))
            need.support_count = 1
        db.session.commit()
        return {"consultation_id": consultation.id, "need_id": need.id}

    return make


def with_comment(status="published", report_count=0):
    def make(world) -> dict:
        from backend.core.db import db

        consultation = _consultation(world)
        comment = _comment(world, consultation.id, status=status, report_count=report_count)
        db.session.commit()
        return {"consultation_id": consultation.id, "comment_id": comment.id}

    return make


def merge_target(world) -> dict:
    """A second published need in the consultation the case's params made (the newest one)."""
    import sqlalchemy as sa

    from backend.consultations.models import Consultation
    from backend.core.db import db

    consultation_id = db.session.scalar(sa.select(sa.func.max(Consultation.id)))
    target = _need(world, consultation_id, title="屋顶漏水")
    db.session.commit()
    return {"into_need_id": target.id}


def with_queue(world) -> dict:
    from backend.core.db import db

    consultation = _consultation(world)
    _need(world, consultation.id, status="review")
    _comment(world, consultation.id, report_count=2)
    db.session.commit()
    return {}


CASES = {
    ("GET", NEEDS): Case(MEMBERS, params=with_need()),
    ("POST", NEEDS): Case(RESIDENT, status=201, body=NEED_BODY, params=with_consultation),
    ("GET", NEED): Case(MEMBERS, params=with_need()),
    ("POST", f"{NEED}/support"): Case(RESIDENT, status=201, params=with_need()),
    ("DELETE", f"{NEED}/support"): Case(
        RESIDENT, status=204, params=with_need(supported_by_resident=True)
    ),
    ("POST", f"{NEED}/approve"): Case(MANAGERS, params=with_need("review")),
    ("POST", f"{NEED}/reject"): Case(
        MANAGERS, body={"reason": "与本次改造无关"}, params=with_need("review")
    ),
    ("POST", f"{NEED}/restore"): Case(MANAGERS, params=with_need("rejected")),
    ("POST", f"{NEED}/merge"): Case(MANAGERS, body=merge_target, params=with_need()),
    ("GET", COMMENTS): Case(MEMBERS, params=with_comment()),
    ("POST", COMMENTS): Case(
        RESIDENT, status=201, body={"body": "支持加装电梯"}, params=with_consultation
    ),
    ("POST", f"{COMMENT}/report"): Case(
        RESIDENT, status=201, body={"reason": "人身攻击"}, params=with_comment()
    ),
    ("POST", f"{COMMENT}/approve"): Case(MANAGERS, params=with_comment("review")),
    ("POST", f"{COMMENT}/reject"): Case(
        MANAGERS, body={"reason": "含广告"}, params=with_comment("review")
    ),
    ("POST", f"{COMMENT}/hide"): Case(
        MANAGERS, body={"reason": "多人举报"}, params=with_comment(report_count=2)
    ),
    ("POST", f"{COMMENT}/unhide"): Case(MANAGERS, params=with_comment("hidden")),
    # Reading the queue is overseeing (street included); deciding is the committee's.
    ("GET", QUEUE): Case(COMMITTEE_OR_STREET, params=with_queue),
}
