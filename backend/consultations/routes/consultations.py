"""HTTP for running consultations. Views translate; services decide."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.consultations.schemas import consultations as s
from backend.consultations.services import design, lifecycle, results, turnout
from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import SelectPage

blp = Blueprint("consultations", __name__, description="议事协商：设置、开始、延期、截止、取消、公示")

ONE = "/communities/<int:community_id>/consultations/<int:consultation_id>"


@blp.route("/communities/<int:community_id>/consultations")
class Consultations(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.ConsultationQuerySchema, location="query")
    @blp.response(200, s.ConsultationSchema(many=True))
    @blp.paginate(SelectPage, page_size=20, max_page_size=100)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """Consultations of the community (residents: those they may take part in)"""
        return design.list_consultations(
            actor=current_actor(), community_id=community_id, filters=filters
        )

    @blp.arguments(s.ConsultationCreateSchema)
    @blp.response(201, s.ConsultationSchema)
    @errors(401, 403, 404)
    def post(self, data, community_id):
        """Draft a consultation (committee)"""
        return design.create_consultation(
            actor=current_actor(), community_id=community_id, data=data
        )


@blp.route(ONE)
class ConsultationById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ConsultationSchema)
    @errors(401, 403, 404)
    def get(self, community_id, consultation_id):
        """One consultation with its options, dates and documents"""
        return design.get_consultation(
            actor=current_actor(), community_id=community_id, consultation_id=consultation_id
        )

    @blp.arguments(s.ConsultationDesignSchema)
    @blp.response(200, s.ConsultationSchema)
    @errors(401, 403, 404, 409)
    def patch(self, changes, community_id, consultation_id):
        """Change the design before voting opens (committee)"""
        return design.update_consultation(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            changes=changes,
        )

    @blp.response(204)
    @errors(401, 403, 404, 409)
    def delete(self, community_id, consultation_id):
        """Remove a draft made by mistake (committee)"""
        design.delete_draft(
            actor=current_actor(), community_id=community_id, consultation_id=consultation_id
        )


@blp.route(f"{ONE}/schedule")
class Schedule(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ConsultationSchema)
    @errors(401, 403, 404, 409, 422)
    def post(self, community_id, consultation_id):
        """Let a draft open by itself at its date (committee)"""
        return lifecycle.schedule_consultation(
            actor=current_actor(), community_id=community_id, consultation_id=consultation_id
        )


@blp.route(f"{ONE}/open")
class Open(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ConsultationSchema)
    @errors(401, 403, 404, 409, 422)
    def post(self, community_id, consultation_id):
        """Open the next phase now (committee)"""
        return lifecycle.open_consultation(
            actor=current_actor(), community_id=community_id, consultation_id=consultation_id
        )


@blp.route(f"{ONE}/extend")
class Extend(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.ExtendSchema)
    @blp.response(200, s.ConsultationSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id):
        """Give the current phase more time, with a reason (committee)"""
        return lifecycle.extend_consultation(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            **data,
        )


@blp.route(f"{ONE}/close")
class Close(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.ConsultationReasonSchema)
    @blp.response(200, s.ConsultationSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id):
        """Close voting early, with a reason (committee)"""
        return lifecycle.close_consultation(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            **data,
        )


@blp.route(f"{ONE}/cancel")
class Cancel(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.ConsultationReasonSchema)
    @blp.response(200, s.ConsultationSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id):
        """Cancel, with a reason residents see (committee)"""
        return lifecycle.cancel_consultation(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            **data,
        )


@blp.route(f"{ONE}/publish")
class Publish(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ConsultationSchema)
    @errors(401, 403, 404, 409, 422)
    def post(self, community_id, consultation_id):
        """Publish the result of a closed vote (committee)"""
        return lifecycle.publish_result(
            actor=current_actor(), community_id=community_id, consultation_id=consultation_id
        )


@blp.route(f"{ONE}/result")
class Result(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ResultSchema)
    @errors(401, 403, 404, 409)
    def get(self, community_id, consultation_id):
        """The result: after the close, or live where the committee chose live results"""
        return results.get_result(
            actor=current_actor(), community_id=community_id, consultation_id=consultation_id
        )


@blp.route(f"{ONE}/turnout")
class Turnout(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.TurnoutSchema)
    @errors(401, 403, 404, 409)
    def get(self, community_id, consultation_id):
        """Turnout so far, by channel, head, area and building; never how anyone voted"""
        return turnout.get_turnout(
            actor=current_actor(), community_id=community_id, consultation_id=consultation_id
        )
