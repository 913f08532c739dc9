"""Deliberation: residents comment on a consultation or one of its needs, reply one level deep,
and report abusive comments to the committee.

Comments are listed flat, oldest first, each reply carrying its `parent_id`: one page holds a
thread in the order it was written, and clients indent replies under their parent.

Who sees a comment: the published ones, whose parent (for a reply) and need are visible too; a
resident also sees their own awaiting review or rejected (with the reason). A hidden comment is
shown to moderators only, its author included among those who no longer see it. Overseers see all.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from backend.consultations.models import Comment, CommentReport, Need
from backend.consultations.services.common import Context, contribution_or_404, load, oversees
from backend.consultations.services.needs import require_participant, visible_needs
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction
from backend.core.errors import Conflict, InvalidInput
from backend.core.tenancy.models import Community
from backend.core.wechat.content import Scene, Verdict, moderate_text
from backend.core.wechat.identity import wechat_openid

DISCUSSION_OPEN = ("collecting", "voting")


def visible_comments(actor: Actor) -> sa.ColumnElement[bool]:
    """What a non-overseer sees (see the module's docstring)."""
    parent = aliased(Comment)
    return sa.and_(
        sa.or_(
            Comment.status == "published",
            sa.and_(Comment.author_id == actor.user_id, Comment.status.in_(("review", "rejected"))),
        ),
        sa.or_(
            Comment.parent_id.is_(None),
            Comment.parent_id.in_(sa.select(parent.id).where(parent.status == "published")),
        ),
        sa.or_(
            Comment.need_id.is_(None),
            Comment.need_id.in_(sa.select(Need.id).where(visible_needs(actor))),
        ),
    )


def list_comments(*, actor: Actor, community_id: int, consultation_id: int, filters: dict):
    """The comments of a consultation (or of one of its needs, `need_id`), oldest first.

    Outcomes: a select of the comments the actor may see; 404 when the consultation is not theirs
    to see; 403 for callers without a role that views consultations.
    """
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.view",
    )
    query = (
        sa.select(Comment)
        .where(Comment.consultation_id == context.consultation.id)
        .order_by(Comment.created_at, Comment.id)
    )
    if not context.oversees:
        query = query.where(visible_comments(actor))
    if filters.get("need_id") is not None:
        query = query.where(Comment.need_id == filters["need_id"])
    if filters.get("status"):
        query = query.where(Comment.status == filters["status"])
    return query


def present_comments(*, actor: Actor, rows: Sequence[Comment]) -> list[Comment]:
    """Mark each comment for the actor: `mine`, `reported`, and `shown_report_count` (reports
    are for moderators' eyes). Comments of one community, as one page of a list holds."""
    comments = list(rows)
    if not comments:
        return comments
    moderator = oversees(actor, db.session.get(Community, comments[0].community_id))
    reported = set(
        db.session.scalars(
            sa.select(CommentReport.comment_id).where(
                CommentReport.reporter_id == actor.user_id,
                CommentReport.comment_id.in_([comment.id for comment in comments]),
            )
        )
    )
    for comment in comments:
        comment.mine = comment.author_id == actor.user_id
        comment.reported = comment.id in reported
        comment.shown_report_count = comment.report_count if moderator else None
    return comments


def _comment_context(actor: Actor, community_id: int, consultation_id: int) -> Context:
    context = load(
        actor=actor,
        community_id=community_id,
        consultation_id=consultation_id,
        action="consultation.participate",
    )
    require_participant(actor, context)
    if context.consultation.status not in DISCUSSION_OPEN:
        raise Conflict("本次议事协商当前不接受评论", code="discussion_closed")
    return context


def _thread(actor: Actor, context: Context, data: dict) -> tuple[int | None, int | None]:
    """The need and parent a new comment hangs on, checked: (need_id, parent_id)."""
    need_id, parent_id = data.get("need_id"), data.get("parent_id")
    if need_id is not None:
        need = contribution_or_404(Need, need_id, context, visible=visible_needs(actor))
        if need.status != "published":
            raise Conflict("只能评论已公开的需求", code="need_not_published")
    if parent_id is None:
        return need_id, None
    parent = contribution_or_404(Comment, parent_id, context, visible=visible_comments(actor))
    if parent.parent_id is not None:
        raise InvalidInput(
            "只能回复顶层评论，不能回复回复",
            code="reply_depth",
            errors={"json": {"parent_id": ["只能回复顶层评论"]}},
        )
    if parent.status != "published":
        raise Conflict("只能回复已公开的评论", code="comment_not_published")
    if need_id is not None and need_id != parent.need_id:
        raise InvalidInput(
            "回复与被回复的评论须属于同一需求",
            code="reply_need_mismatch",
            errors={"json": {"need_id": ["与被回复的评论不一致"]}},
        )
    return parent.need_id, parent.id


def post_comment(*, actor: Actor, community_id: int, consultation_id: int, data: dict) -> Comment:
    """A resident comments while the consultation collects needs or votes.

    Outcomes: the comment, `published` when WeChat's text check passed it, else `review`; audit
    `comment.posted`. Refusals, nothing written: 404 consultation not theirs to see,
    `need_not_found`, `comment_not_found` (parent); 403 for non-residents, `not_eligible`;
    409 `discussion_closed`, `need_not_published`, `comment_not_published`; 422 `reply_depth`
    (a reply to a reply), `reply_need_mismatch`, `content_risky`.
    """
    with transaction():  # read-only: refuse before asking WeChat anything
        context = _comment_context(actor, community_id, consultation_id)
        _thread(actor, context, data)
        openid = wechat_openid(actor.user_id)
    verdict = moderate_text(text=data["body"], author_openid=openid, scene=Scene.COMMENT)
    with transaction():
        # Checked again: the phase, the need or the parent may have changed meanwhile.
        context = _comment_context(actor, community_id, consultation_id)
        need_id, parent_id = _thread(actor, context, data)
        comment = Comment(
            consultation_id=context.consultation.id,
            community_id=context.community.id,
            need_id=need_id,
            parent_id=parent_id,
            author_id=actor.user_id,
            body=data["body"],
            status="published" if verdict is Verdict.PUBLISH else "review",
        )
        db.session.add(comment)
        db.session.flush()
        audit.record(
            action="comment.posted",
            community=context.community,
            actor=actor,
            target_type="consultation_comment",
            target_id=comment.id,
            details={
                "consultation_id": context.consultation.id,
                "need_id": need_id,
                "parent_id": parent_id,
                "status": comment.status,
            },
        )
    return present_comments(actor=actor, rows=[comment])[0]


def report_comment(
    *, actor: Actor, community_id: int, consultation_id: int, comment_id: int, data: dict
) -> Comment:
    """A resident reports an abusive comment to the committee, once; the comment joins the
    moderation queue. Reports stay possible after the discussion closed: the comment is still
    shown.

    Outcomes: the comment; 409 `comment_already_reported`, `comment_not_published`,
    `own_comment`; 403 `not_eligible`; 404 `comment_not_found`. Nothing written on refusal.
    """
    with transaction():
        context = load(
            actor=actor,
            community_id=community_id,
            consultation_id=consultation_id,
            action="consultation.participate",
        )
        require_participant(actor, context)
        comment = contribution_or_404(Comment, comment_id, context, visible=visible_comments(actor))
        if comment.author_id == actor.user_id:
            raise Conflict("不能举报自己的评论", code="own_comment")
        if comment.status != "published":
            raise Conflict("只能举报已公开的评论", code="comment_not_published")
        db.session.add(
            CommentReport(comment_id=comment.id, reporter_id=actor.user_id, reason=data["reason"])
        )
        try:
            db.session.flush()
        except IntegrityError:
            raise Conflict("您已举报过该评论", code="comment_already_reported") from None
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == comment.id)
            .values(report_count=Comment.report_count + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(comment, ["report_count"])
    return present_comments(actor=actor, rows=[comment])[0]
