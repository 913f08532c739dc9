"""HTTP for WeChat's message push: URL verification and the events it pushes."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import SelectPage
from backend.core.wechat import media, push
from backend.core.wechat import schemas as s

blp = Blueprint("wechat", __name__, description="微信消息推送（由微信服务器调用）")


def _plain(text: str) -> Response:
    return Response(text, mimetype="text/plain")


@blp.route("/wechat/push")
class Push(MethodView):
    @blp.doc(security=[])
    @blp.arguments(s.PushVerifyQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, description="The echostr, as plain text", content_type="text/plain")
    @errors(403, 422)
    def get(self, **query):
        """WeChat verifies the push URL: a fresh signed request gets its echostr back"""
        return _plain(push.verify_push_url(**query))

    @blp.doc(security=[])
    @blp.arguments(s.PushQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, description='"success", as plain text', content_type="text/plain")
    @errors(403, 422)
    def post(self, **query):
        """WeChat pushes an event (JSON, plaintext or safe mode), e.g. a photo's content-check
        verdict (wxa_media_check); a repeat of a processed push is acknowledged only"""
        push.receive_push(**query, body=request.get_data())
        return _plain("success")


@blp.route("/communities/<int:community_id>/media-checks")
class MediaChecks(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.MediaReviewQuerySchema, location="query")
    @blp.response(200, s.MediaCheckSchema(many=True))
    @blp.paginate(SelectPage, page_size=20, max_page_size=100)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """Photos of the community by check status, by default those awaiting a person (committee)"""
        return media.list_media_checks(
            actor=current_actor(), community_id=community_id, status=filters["status"]
        )


@blp.route("/communities/<int:community_id>/media-checks/<int:check_id>/decision")
class MediaDecision(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.MediaDecisionSchema)
    @blp.response(200, s.MediaCheckSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, check_id):
        """Decide a photo WeChat could not: pass or risky (committee)"""
        return media.decide_media_check(
            actor=current_actor(),
            community_id=community_id,
            check_id=check_id,
            verdict=data["verdict"],
        )
