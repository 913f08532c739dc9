"""HTTP for the standards and the measurements they can use."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.scoring import schemas as s
from backend.scoring.services import standards as services

blp = Blueprint("standards", __name__, description="创建标准与可测量的指标")


@blp.route("/metrics")
class Metrics(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.MetricSchema(many=True))
    @errors(401)
    def get(self):
        """Every measurement a standard may use, with its exact definition"""
        return services.metrics_catalogue()


@blp.route("/standards")
class Standards(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.StandardSummarySchema(many=True))
    @errors(401)
    def get(self):
        """The shipped standards and those of the caller's regions"""
        return services.list_standards(actor=current_actor())


@blp.route("/standards/<code>")
class StandardDetail(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.StandardDetailSchema)
    @errors(401, 404)
    def get(self, code):
        """A standard with its whole document"""
        return services.get_standard(actor=current_actor(), code=code)

    @blp.arguments(s.StandardUploadSchema)
    @blp.response(200, s.StandardDetailSchema)
    @errors(401, 404, 422)
    def put(self, data, code):
        """Replace an uploaded standard with a new version (its region's admins)"""
        return services.replace_standard(
            actor=current_actor(), code=code, document=data["document"]
        )

    @blp.response(204)
    @errors(401, 404, 409)
    def delete(self, code):
        """Delete an uploaded standard no community is assessed on any more"""
        services.delete_standard(actor=current_actor(), code=code)


@blp.route("/regions/<int:region_id>/standards")
class RegionStandards(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.StandardUploadSchema)
    @blp.response(201, s.StandardDetailSchema)
    @errors(401, 404, 409, 422)
    def post(self, data, region_id):
        """Upload a standard of the region's own (street admins)"""
        return services.upload_standard(
            actor=current_actor(), region_id=region_id, document=data["document"]
        )


@blp.route("/communities/<int:community_id>/standards")
class CommunityStandards(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.CommunityStandardsSchema)
    @errors(401, 403, 404)
    def get(self, community_id):
        """The standards the community is assessed on"""
        return services.community_standards(actor=current_actor(), community_id=community_id)

    @blp.arguments(s.StandardChoiceSchema)
    @blp.response(200, s.CommunityStandardsSchema)
    @errors(401, 403, 404, 422)
    def put(self, data, community_id):
        """Choose the standards the community is assessed on (street admins)"""
        return services.assign_standards(
            actor=current_actor(), community_id=community_id, codes=data["standards"]
        )
