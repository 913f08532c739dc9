"""The committee's moderation of needs and comments: the queue, and each decision with its undo.

What WeChat's text check could not decide (`review`) waits here, as do published comments that
residents reported. Decisions and their undos:
- need: approve (review → published), reject (review/published → rejected, the reason shown to the
  author), restore (rejected → published, the undo of a rejection), merge a duplicate into
  another need (supports carry over). A merge is final: once the supports are pooled, nobody can
  tell a support carried over from one given to the target afterwards, so un-merging cannot
  give each need back what it had (409 `need_merged` explains it).
- comment: approve (review → published; on a published comment, it keeps the comment and
  dismisses its reports), reject (review → rejected), hide (published → hidden, e.g. after
  reports), unhide (hidden → published, the undo of a hide; its reports count as dealt with).
Authors hear of approvals, rejections, merges and restorations of their needs, and of rejected
and hidden comments. Every decision is audited with ids and states, never the reason's text.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.consultations.models import Comment, Need, NeedSupport
from backend.consultations.permissions import policy
from backend.consultations.services.comments import present_comments, visible_comments
from backend.consultations.services.common import Context, contribution_or_404, load
from backend.consultations.services.needs import present_needs, visible_needs
from backend.consultations.services.notices import link_to
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction, utcnow
from backend.core.errors import Conflict, InvalidInput, NotFound
from backend.core.notifications.services import notify

EXCERPT = 100


# -- the queue


def moderation_queue(*, actor: Actor, community_id: int, filters: dict) -> sa.CompoundSelect:
    """What awaits the committee across the community's consultations, oldest first: needs and
    comments in review, and published comments with reports not yet dealt with.

    Outcomes: a select of rows (kind, id, consultation_id, excerpt, status, report_count,
    created_at); 404 for another community's staff; 403 for members who do not oversee.
    """
    community = policy.community(actor, "consultation.view_all", community_id)
    needs = sa.select(
        sa.literal("need", sa.String).label("kind"),
        Need.id,
        Need.consultation_id,
        Need.title.label("excerpt"),
        Need.status,
        sa.literal(0, sa.Integer).label("report_count"),
        Need.created_at,
    ).where(Need.community_id == community.id, Need.status == "review")
    # Each part names its columns: either may stand alone (`kind` chosen) and give the names.
    comments = sa.select(
        sa.literal("comment", sa.String).label("kind"),
        Comment.id,
        Comment.consultation_id,
        sa.func.substr(Comment.body, 1, EXCERPT).label("excerpt"),
        Comment.status,
        Comment.report_count,
        Comment.created_at,
    ).where(
        Comment.community_id == community.id,
        sa.or_(
            Comment.status == "review",
            sa.and_(Comment.status == "published", Comment.report_count > 0),
        ),
    )
    if filters.get("consultation_id") is not None:
        needs = needs.where(Need.consultation_id == filters["consultation_id"])
        comments = comments.where(Comment.consultation_id == filters["consultation_id"])
    parts = {"need": needs, "comment": comments}
    if filters.get("kind"):
        parts = {filters["kind"]: parts[filters["kind"]]}
    queue = sa.union_all(*parts.values())
    columns = queue.selected_columns
    return queue.order_by(columns.created_at, columns.kind, columns.id)


# -- needs


def _moderating(actor: Actor, community_id: int, consultation_id: int) -> Context:
    return load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.moderate",
    )


def _decided(row, actor: Actor, status: str, reason: str | None) -> None:
    row.status = status
    row.decision_reason = reason
    row.decided_by_id = actor.user_id
    row.decided_at = utcnow()


def _audit(action: str, context: Context, actor: Actor, row, **details) -> None:
    audit.record(
        action=action,
        community=context.community,
        actor=actor,
        target_type="consultation_need" if isinstance(row, Need) else "consultation_comment",
        target_id=row.id,
        details={"consultation_id": context.consultation.id, "status": row.status, **details},
    )


def _tell(context: Context, user_id: int, kind: str, title: str, body: str) -> None:
    notify(
        user_ids=[user_id],
        kind=kind,
        title=title,
        body=body,
        community_id=context.community.id,
        link=link_to(context.consultation),
    )


def approve_need(
    *, actor: Actor, community_id: int, consultation_id: int, need_id: int
) -> Need:
    """Publish a need awaiting review; its author hears of it (`need_approved`).

    Outcomes: the need; 409 `need_not_in_review`; 404 `need_not_found`; 403 unless committee.
    """
    with transaction():
        context = _moderating(actor, community_id, consultation_id)
        need = contribution_or_404(Need, need_id, context, visible=visible_needs(actor), lock=True)
        if need.status != "review":
            raise Conflict("该需求不在待审核状态", code="need_not_in_review")
        _decided(need, actor, "published", None)
        _tell(context, need.author_id, "need_approved", "您提出的需求已公开",
              f"“{need.title}”已通过审核，居民可以支持和评论了。")
        _audit("need.approved", context, actor, need)
    return present_needs(actor=actor, rows=[need])[0]


def reject_need(
    *, actor: Actor, community_id: int, consultation_id: int, need_id: int, data: dict
) -> Need:
    """Reject a need awaiting review, or withdraw a published one; the reason is shown to its
    author, who hears of it (`need_rejected`). Its supports are kept, for a restore.

    Outcomes: the need; 409 `need_not_rejectable` (already rejected or merged); 404; 403.
    """
    with transaction():
        context = _moderating(actor, community_id, consultation_id)
        need = contribution_or_404(Need, need_id, context, visible=visible_needs(actor), lock=True)
        if need.status not in ("review", "published"):
            raise Conflict("只能驳回待审核或已公开的需求", code="need_not_rejectable")
        previous = need.status
        _decided(need, actor, "rejected", data["reason"])
        _tell(context, need.author_id, "need_rejected", "您提出的需求未通过审核",
              f"“{need.title}”未通过审核，原因：{data['reason']}")
        _audit("need.rejected", context, actor, need, previous=previous)
    return present_needs(actor=actor, rows=[need])[0]


def restore_need(
    *, actor: Actor, community_id: int, consultation_id: int, need_id: int
) -> Need:
    """Undo a rejection: the need is published again with the supports it had; its author
    hears of it (`need_restored`). A merge cannot be undone (see the module's docstring).

    Outcomes: the need; 409 `need_merged` for a merged need, `need_not_rejected` otherwise; 404;
    403.
    """
    with transaction():
        context = _moderating(actor, community_id, consultation_id)
        need = contribution_or_404(Need, need_id, context, visible=visible_needs(actor), lock=True)
        if need.status == "merged":
            raise Conflict(
                "已合并的需求不能撤销合并：其支持已并入目标需求，无法再区分；"
                "如需保留，请由作者重新提出",
                code="need_merged",
            )
        if need.status != "rejected":
            raise Conflict("只能恢复被驳回的需求", code="need_not_rejected")
        _decided(need, actor, "published", None)
        _tell(context, need.author_id, "need_restored", "您提出的需求已恢复公开",
              f"“{need.title}”经复核已恢复公开。")
        _audit("need.restored", context, actor, need)
    return present_needs(actor=actor, rows=[need])[0]


def merge_need(
    *, actor: Actor, community_id: int, consultation_id: int, need_id: int, data: dict
) -> Need:
    """Merge a duplicate need into a published one of the same consultation.

    The duplicate becomes `merged` (pointing at the target) and its author hears of it
    (`need_merged`); every resident who supported the duplicate now supports the target, counted
    once even if they supported both (INSERT … SELECT of the missing supports, then the target's
    count recomputed from the table). The duplicate keeps its own supports as a record.

    Outcomes: the target need; 422 `merge_into_itself`; 404 `need_not_found` (either need, or a
    target in another consultation); 409 `need_not_mergeable` (duplicate already merged or
    rejected), `merge_target_not_published`; 403 unless committee.
    """
    target_id = data["into_need_id"]
    if target_id == need_id:
        raise InvalidInput(
            "不能将需求合并到其自身",
            code="merge_into_itself",
            errors={"json": {"into_need_id": ["不能是被合并的需求本身"]}},
        )
    with transaction():
        context = _moderating(actor, community_id, consultation_id)
        # Both rows locked, in id order, so two merges of the same pair cannot deadlock.
        rows = {
            need.id: need
            for need in db.session.scalars(
                sa.select(Need)
                .where(
                    Need.id.in_((need_id, target_id)),
                    Need.consultation_id == context.consultation.id,
                )
                .order_by(Need.id)
                .with_for_update()
            )
        }
        duplicate, target = rows.get(need_id), rows.get(target_id)
        if duplicate is None or target is None:
            raise NotFound("未找到该需求", code="need_not_found")
        if duplicate.status not in ("review", "published"):
            raise Conflict("该需求已被合并或驳回，不能再合并", code="need_not_mergeable")
        if target.status != "published":
            raise Conflict("只能合并到已公开的需求", code="merge_target_not_published")
        already = sa.select(NeedSupport.user_id).where(NeedSupport.need_id == target.id)
        db.session.execute(
            sa.insert(NeedSupport).from_select(
                ["need_id", "user_id", "created_at"],
                sa.select(sa.literal(target.id), NeedSupport.user_id, NeedSupport.created_at)
                .where(NeedSupport.need_id == duplicate.id)
                .where(NeedSupport.user_id.not_in(already)),
            )
        )
        db.session.execute(
            sa.update(Need)
            .where(Need.id == target.id)
            .values(
                support_count=sa.select(sa.func.count())
                .where(NeedSupport.need_id == target.id)
                .scalar_subquery()
            )
            .execution_options(synchronize_session=False)
        )
        db.session.expire(target, ["support_count"])
        previous = duplicate.status
        _decided(duplicate, actor, "merged", None)
        duplicate.merged_into_id = target.id
        _tell(context, duplicate.author_id, "need_merged", "您提出的需求已合并",
              f"“{duplicate.title}”与“{target.title}”内容相同，已合并，支持数一并计入。")
        _audit("need.merged", context, actor, duplicate, previous=previous,
               merged_into_id=target.id)
    return present_needs(actor=actor, rows=[target])[0]


# -- comments


def approve_comment(
    *, actor: Actor, community_id: int, consultation_id: int, comment_id: int
) -> Comment:
    """Publish a comment awaiting review, or keep a reported comment: its reports are dealt
    with (the count goes back to 0; the reports stay on record, one per resident).

    Outcomes: the comment; 409 `comment_not_in_review` (nothing to decide); 404; 403.
    """
    with transaction():
        context = _moderating(actor, community_id, consultation_id)
        comment = contribution_or_404(
            Comment, comment_id, context, visible=visible_comments(actor), lock=True
        )
        reported = comment.status == "published" and comment.report_count > 0
        if comment.status != "review" and not reported:
            raise Conflict("该评论没有待处理的审核或举报", code="comment_not_in_review")
        previous = comment.status
        _decided(comment, actor, "published", None)
        comment.report_count = 0
        _audit("comment.approved", context, actor, comment, previous=previous)
    return present_comments(actor=actor, rows=[comment])[0]


def reject_comment(
    *, actor: Actor, community_id: int, consultation_id: int, comment_id: int, data: dict
) -> Comment:
    """Reject a comment awaiting review; the reason is shown to its author, who hears of it
    (`comment_rejected`). A published comment is hidden instead.

    Outcomes: the comment; 409 `comment_not_in_review`; 404; 403.
    """
    with transaction():
        context = _moderating(actor, community_id, consultation_id)
        comment = contribution_or_404(
            Comment, comment_id, context, visible=visible_comments(actor), lock=True
        )
        if comment.status != "review":
            raise Conflict("该评论不在待审核状态", code="comment_not_in_review")
        _decided(comment, actor, "rejected", data["reason"])
        _tell(context, comment.author_id, "comment_rejected", "您的评论未通过审核",
              f"您的评论未通过审核，原因：{data['reason']}")
        _audit("comment.rejected", context, actor, comment)
    return present_comments(actor=actor, rows=[comment])[0]


def hide_comment(
    *, actor: Actor, community_id: int, consultation_id: int, comment_id: int, data: dict
) -> Comment:
    """Hide a published comment (typically one residents reported): nobody but moderators sees
    it any more; its author hears why (`comment_hidden`).

    Outcomes: the comment; 409 `comment_not_published`; 404; 403.
    """
    with transaction():
        context = _moderating(actor, community_id, consultation_id)
        comment = contribution_or_404(
            Comment, comment_id, context, visible=visible_comments(actor), lock=True
        )
        if comment.status != "published":
            raise Conflict("只能隐藏已公开的评论", code="comment_not_published")
        _decided(comment, actor, "hidden", data["reason"])
        _tell(context, comment.author_id, "comment_hidden", "您的评论已被隐藏",
              f"您的评论已被社区隐藏，原因：{data['reason']}")
        _audit("comment.hidden", context, actor, comment, reports=comment.report_count)
    return present_comments(actor=actor, rows=[comment])[0]


def unhide_comment(
    *, actor: Actor, community_id: int, consultation_id: int, comment_id: int
) -> Comment:
    """Undo a hide: the comment is published again and its reports count as dealt with, so it
    does not come straight back to the queue.

    Outcomes: the comment; 409 `comment_not_hidden`; 404; 403.
    """
    with transaction():
        context = _moderating(actor, community_id, consultation_id)
        comment = contribution_or_404(
            Comment, comment_id, context, visible=visible_comments(actor), lock=True
        )
        if comment.status != "hidden":
            raise Conflict("该评论未被隐藏", code="comment_not_hidden")
        _decided(comment, actor, "published", None)
        comment.report_count = 0
        _audit("comment.unhidden", context, actor, comment)
    return present_comments(actor=actor, rows=[comment])[0]
