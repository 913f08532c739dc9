"""HTTP for assessments: running them, the scorecard, history, judgements, the street's
ranking."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.scoring import schemas as s
from backend.scoring.services import assessments as services
from backend.scoring.services import judgements, ranking

blp = Blueprint("assessments", __name__, description="评估：按创建标准逐条评分，附证据")

COMMUNITY = "/communities/<int:community_id>"


@blp.route(f"{COMMUNITY}/scorecard")
class Scorecard(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.StandardQuerySchema, location="query")
    @blp.response(200, s.ScorecardSchema)
    @errors(401, 403, 404, 422)
    def get(self, filters, community_id):
        """The community's newest assessment of the period (staff: a preview when none yet)"""
        return services.scorecard(actor=current_actor(), community_id=community_id, filters=filters)


@blp.route(f"{COMMUNITY}/assessments")
class Assessments(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.HistoryQuerySchema, location="query")
    @blp.response(200, s.AssessmentSummarySchema(many=True))
    @errors(401, 403, 404, 422)
    def get(self, filters, community_id):
        """The community's assessments across periods (residents: the final ones)"""
        return services.history(actor=current_actor(), community_id=community_id, filters=filters)

    @blp.arguments(s.RunSchema)
    @blp.response(201, s.ScorecardSchema)
    @errors(401, 403, 404, 409, 422)
    def post(self, data, community_id):
        """Run an assessment now: a new draft replacing the period's draft"""
        return services.run_for_community(
            actor=current_actor(), community_id=community_id, data=data
        )


@blp.route(f"{COMMUNITY}/assessments/<int:assessment_id>")
class AssessmentDetail(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ScorecardSchema)
    @errors(401, 403, 404)
    def get(self, community_id, assessment_id):
        """One assessment, item by item with evidence"""
        return services.get_assessment(
            actor=current_actor(), community_id=community_id, assessment_id=assessment_id
        )

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, assessment_id):
        """Discard a draft"""
        services.delete_draft(
            actor=current_actor(), community_id=community_id, assessment_id=assessment_id
        )


@blp.route(f"{COMMUNITY}/assessments/<int:assessment_id>/finalise")
class AssessmentFinalise(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ScorecardSchema)
    @errors(401, 403, 404, 409)
    def post(self, community_id, assessment_id):
        """Hand the self-assessment over (定稿): it never changes afterwards"""
        return services.finalise(
            actor=current_actor(), community_id=community_id, assessment_id=assessment_id
        )


@blp.route(f"{COMMUNITY}/judgements")
class Judgements(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.StandardQuerySchema, location="query")
    @blp.response(200, s.JudgementOutSchema(many=True))
    @errors(401, 403, 404, 422)
    def get(self, filters, community_id):
        """The decisions people made on the standard's items for the period"""
        return judgements.list_judgements(
            actor=current_actor(), community_id=community_id, filters=filters
        )


@blp.route(f"{COMMUNITY}/standards/<code>/items/<item_code>/judgement")
class ItemJudgement(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.JudgementSchema)
    @blp.response(200, s.JudgementOutSchema)
    @errors(401, 403, 404, 422)
    def put(self, data, community_id, code, item_code):
        """Decide an item no measurement settles: met, partly met or not met, with evidence"""
        return judgements.judge(
            actor=current_actor(),
            community_id=community_id,
            code=code,
            item_code=item_code,
            data=data,
        )

    @blp.arguments(s.AssessmentPeriodSchema, location="query")
    @blp.response(204)
    @errors(401, 403, 404, 422)
    def delete(self, filters, community_id, code, item_code):
        """Take a decision back: the item needs assessment again"""
        judgements.withdraw(
            actor=current_actor(),
            community_id=community_id,
            code=code,
            item_code=item_code,
            filters=filters,
        )


@blp.route("/regions/<int:region_id>/assessments")
class RegionAssessments(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.RegionRunSchema)
    @blp.response(201, s.RegionRunOutSchema)
    @errors(401, 404, 409, 422)
    def post(self, data, region_id):
        """Run the standard for every community of the region assessed on it (street admins)"""
        return services.run_for_region(actor=current_actor(), region_id=region_id, data=data)


@blp.route("/regions/<int:region_id>/scoring")
class RegionRanking(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.StandardQuerySchema, location="query")
    @blp.response(200, s.RankingSchema)
    @errors(401, 404, 422)
    def get(self, filters, region_id):
        """The street's communities ranked on a standard, and its coverage"""
        return ranking.region_ranking(actor=current_actor(), region_id=region_id, filters=filters)
