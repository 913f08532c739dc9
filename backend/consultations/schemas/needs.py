"""Needs (征集), comments, and the committee's moderation of both."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.consultations.models import COMMENT_STATUSES, NEED_CLASSES, NEED_STATUSES
from backend.core.schemas import (
    StrictSchema,
    TrimmedString,
    choice,
    photo_urls,
    row_id,
    text,
)

F = ma.fields
MODERATION_KINDS = ("need", "comment")


class NeedCreateSchema(StrictSchema):
    title = text(60, required=True)
    description = TrimmedString(validate=validate.Length(max=2000), load_default="")
    need_class = choice(
        NEED_CLASSES,
        required=True,
        metadata={"description": "basic 基础类、improve 完善类、upgrade 提升类"},
    )
    photos = photo_urls(load_default=list, metadata={"description": "最多 9 张照片的 https 地址"})


class NeedQuerySchema(StrictSchema):
    need_class = choice(NEED_CLASSES)
    status = choice(NEED_STATUSES, metadata={"description": "审核状态（居民只看到公开的和自己的）"})


class NeedSchema(ma.Schema):
    id = F.Integer()
    consultation_id = F.Integer()
    author_id = F.Integer()
    mine = F.Boolean(metadata={"description": "调用者本人提出的需求"})
    title = F.String()
    description = F.String()
    need_class = F.String()
    need_class_label = F.Function(lambda need: NEED_CLASSES.get(need.need_class))
    photos = F.List(
        F.String(),
        attribute="shown_photos",
        metadata={"description": "调用者可见的照片：通过检测的，作者与审核人可见全部"},
    )
    status = F.String(metadata={"description": "review 待审核、published 已公开、rejected 未通过、merged 已合并"})
    decision_reason = F.String(allow_none=True, metadata={"description": "未通过的原因"})
    merged_into_id = F.Integer(allow_none=True)
    support_count = F.Integer()
    supported = F.Boolean(metadata={"description": "调用者已支持"})
    created_at = F.DateTime()
    decided_at = F.DateTime(allow_none=True)


class DecisionReasonSchema(StrictSchema):
    reason = text(200, required=True, metadata={"description": "告知作者的原因"})


class NeedMergeSchema(StrictSchema):
    into_need_id = row_id(required=True, metadata={"description": "保留的需求，重复需求的支持并入其中"})


class CommentCreateSchema(StrictSchema):
    body = text(1000, required=True)
    need_id = row_id(allow_none=True, metadata={"description": "评论的需求；留空为评论议题本身"})
    parent_id = row_id(allow_none=True, metadata={"description": "回复的评论（仅一级回复）"})


class CommentQuerySchema(StrictSchema):
    need_id = row_id()
    status = choice(COMMENT_STATUSES, metadata={"description": "审核状态（居民只看到公开的和自己的）"})


class CommentReportSchema(StrictSchema):
    reason = TrimmedString(validate=validate.Length(max=200), load_default="")


class CommentSchema(ma.Schema):
    id = F.Integer()
    consultation_id = F.Integer()
    need_id = F.Integer(allow_none=True)
    parent_id = F.Integer(allow_none=True, metadata={"description": "被回复的评论；顶层评论为空"})
    author_id = F.Integer()
    mine = F.Boolean(metadata={"description": "调用者本人的评论"})
    body = F.String()
    status = F.String(metadata={"description": "review 待审核、published 已公开、rejected 未通过、hidden 已隐藏"})
    decision_reason = F.String(allow_none=True)
    report_count = F.Integer(
        attribute="shown_report_count",
        allow_none=True,
        metadata={"description": "待处理的举报数，仅审核人可见"},
    )
    reported = F.Boolean(metadata={"description": "调用者已举报"})
    created_at = F.DateTime()


class ModerationQuerySchema(StrictSchema):
    kind = choice(MODERATION_KINDS)
    consultation_id = row_id()


class ModerationItemSchema(ma.Schema):
    """One entry of the queue: a need or comment awaiting a decision, or a reported comment."""

    kind = F.String(metadata={"description": "need 或 comment"})
    id = F.Integer()
    consultation_id = F.Integer()
    excerpt = F.String(metadata={"description": "需求标题或评论开头"})
    status = F.String()
    report_count = F.Integer()
    created_at = F.DateTime()
