"""HTTP for the needs phase, comments and their moderation. Views translate; services decide."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.consultations.schemas import needs as s
from backend.consultations.services import comments, moderation, needs
from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import RowPage, SelectPage

blp = Blueprint("consultation_needs", __name__, description="需求征集、评论与审核")

PAGE = {"page_size": 20, "max_page_size": 100}
CONSULTATION = "/communities/<int:community_id>/consultations/<int:consultation_id>"
NEED = f"{CONSULTATION}/needs/<int:need_id>"
COMMENT = f"{CONSULTATION}/comments/<int:comment_id>"


class NeedPage(SelectPage):
    """A page of needs, each marked for the caller (their own, supported, photos they may see)."""

    @property
    def items(self) -> list:
        return needs.present_needs(actor=current_actor(), rows=super().items)


class CommentPage(SelectPage):
    """A page of comments, each marked for the caller."""

    @property
    def items(self) -> list:
        return comments.present_comments(actor=current_actor(), rows=super().items)


# -- needs


@blp.route(f"{CONSULTATION}/needs")
class Needs(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.NeedQuerySchema, location="query")
    @blp.response(200, s.NeedSchema(many=True))
    @blp.paginate(NeedPage, **PAGE)
    @errors(401, 403, 404)
    def get(self, filters, community_id, consultation_id):
        """The needs collected, most supported first (residents: published ones and their own)"""
        return needs.list_needs(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            filters=filters,
        )

    @blp.arguments(s.NeedCreateSchema)
    @blp.response(201, s.NeedSchema)
    @errors(401, 403, 404, 409, 422)
    def post(self, data, community_id, consultation_id):
        """Propose a need while needs are collected (eligible residents)"""
        return needs.propose_need(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            data=data,
        )


@blp.route(NEED)
class NeedById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.NeedSchema)
    @errors(401, 403, 404)
    def get(self, community_id, consultation_id, need_id):
        """One need"""
        return needs.get_need(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            need_id=need_id,
        )


@blp.route(f"{NEED}/support")
class NeedSupport(MethodView):
    decorators = [jwt_required()]

    @blp.response(201, s.NeedSchema)
    @errors(401, 403, 404, 409)
    def post(self, community_id, consultation_id, need_id):
        """Support a published need, once (eligible residents, while needs are collected)"""
        return needs.support_need(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            need_id=need_id,
        )

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, consultation_id, need_id):
        """Withdraw one's support (while needs are collected)"""
        needs.withdraw_support(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            need_id=need_id,
        )


@blp.route(f"{NEED}/approve")
class NeedApprove(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.NeedSchema)
    @errors(401, 403, 404, 409)
    def post(self, community_id, consultation_id, need_id):
        """Publish a need awaiting review (committee)"""
        return moderation.approve_need(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            need_id=need_id,
        )


@blp.route(f"{NEED}/reject")
class NeedReject(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.DecisionReasonSchema)
    @blp.response(200, s.NeedSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id, need_id):
        """Reject a need, with a reason shown to its author (committee)"""
        return moderation.reject_need(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            need_id=need_id,
            data=data,
        )


@blp.route(f"{NEED}/restore")
class NeedRestore(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.NeedSchema)
    @errors(401, 403, 404, 409)
    def post(self, community_id, consultation_id, need_id):
        """Undo a rejection: publish the need again (committee; a merge cannot be undone)"""
        return moderation.restore_need(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            need_id=need_id,
        )


@blp.route(f"{NEED}/merge")
class NeedMerge(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.NeedMergeSchema)
    @blp.response(200, s.NeedSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id, need_id):
        """Merge a duplicate into another need; supports carry over (committee). Returns the
        need merged into."""
        return moderation.merge_need(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            need_id=need_id,
            data=data,
        )


# -- comments


@blp.route(f"{CONSULTATION}/comments")
class Comments(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.CommentQuerySchema, location="query")
    @blp.response(200, s.CommentSchema(many=True))
    @blp.paginate(CommentPage, **PAGE)
    @errors(401, 403, 404)
    def get(self, filters, community_id, consultation_id):
        """The discussion, oldest first, flat: a reply names its comment in `parent_id`"""
        return comments.list_comments(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            filters=filters,
        )

    @blp.arguments(s.CommentCreateSchema)
    @blp.response(201, s.CommentSchema)
    @errors(401, 403, 404, 409, 422)
    def post(self, data, community_id, consultation_id):
        """Comment on the consultation or a need, or reply to a comment (eligible residents)"""
        return comments.post_comment(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            data=data,
        )


@blp.route(f"{COMMENT}/report")
class CommentReport(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.CommentReportSchema)
    @blp.response(201, s.CommentSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id, comment_id):
        """Report an abusive comment to the committee, once (eligible residents)"""
        return comments.report_comment(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            comment_id=comment_id,
            data=data,
        )


@blp.route(f"{COMMENT}/approve")
class CommentApprove(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.CommentSchema)
    @errors(401, 403, 404, 409)
    def post(self, community_id, consultation_id, comment_id):
        """Publish a comment awaiting review, or keep a reported one and clear its reports
        (committee)"""
        return moderation.approve_comment(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            comment_id=comment_id,
        )


@blp.route(f"{COMMENT}/reject")
class CommentReject(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.DecisionReasonSchema)
    @blp.response(200, s.CommentSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id, comment_id):
        """Reject a comment awaiting review, with a reason shown to its author (committee)"""
        return moderation.reject_comment(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            comment_id=comment_id,
            data=data,
        )


@blp.route(f"{COMMENT}/hide")
class CommentHide(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.DecisionReasonSchema)
    @blp.response(200, s.CommentSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id, comment_id):
        """Hide a published comment, e.g. after reports (committee)"""
        return moderation.hide_comment(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            comment_id=comment_id,
            data=data,
        )


@blp.route(f"{COMMENT}/unhide")
class CommentUnhide(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.CommentSchema)
    @errors(401, 403, 404, 409)
    def post(self, community_id, consultation_id, comment_id):
        """Undo a hide: publish the comment again (committee)"""
        return moderation.unhide_comment(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            comment_id=comment_id,
        )


# -- the committee's queue


@blp.route("/communities/<int:community_id>/moderation")
class ModerationQueue(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.ModerationQuerySchema, location="query")
    @blp.response(200, s.ModerationItemSchema(many=True))
    @blp.paginate(RowPage, **PAGE)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """What awaits moderation across the community's consultations, oldest first"""
        return moderation.moderation_queue(
            actor=current_actor(), community_id=community_id, filters=filters
        )
