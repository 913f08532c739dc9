"""HTTP for offline joint meetings (联合议事会议). Views translate; services decide."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.consultations.schemas import meetings as s
from backend.consultations.services import meetings as services
from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import SelectPage

blp = Blueprint("joint_meetings", __name__, description="联合议事会议")

BASE = "/communities/<int:community_id>/meetings"


class MeetingPage(SelectPage):
    """A page of meetings, each showing the photos its reader may see."""

    @property
    def items(self) -> list:
        return services.show_photos(super().items, actor=current_actor())


@blp.route(BASE)
class Meetings(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.MeetingQuerySchema, location="query")
    @blp.response(200, s.MeetingSchema(many=True))
    @blp.paginate(MeetingPage, page_size=20, max_page_size=100)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """The community's joint meetings, newest first (every member)"""
        return services.list_meetings(
            actor=current_actor(), community_id=community_id, filters=filters
        )

    @blp.arguments(s.MeetingCreateSchema)
    @blp.response(201, s.MeetingSchema)
    @errors(401, 403, 404)
    def post(self, data, community_id):
        """Record a joint meeting held offline (committee)"""
        return services.record_meeting(actor=current_actor(), community_id=community_id, data=data)


@blp.route(f"{BASE}/<int:meeting_id>")
class MeetingById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.MeetingSchema)
    @errors(401, 403, 404)
    def get(self, community_id, meeting_id):
        """One joint meeting"""
        return services.get_meeting(
            actor=current_actor(), community_id=community_id, meeting_id=meeting_id
        )

    @blp.arguments(s.MeetingUpdateSchema)
    @blp.response(200, s.MeetingSchema)
    @errors(401, 403, 404)
    def patch(self, changes, community_id, meeting_id):
        """Correct a meeting entered wrongly (committee)"""
        return services.correct_meeting(
            actor=current_actor(),
            community_id=community_id,
            meeting_id=meeting_id,
            changes=changes,
        )

    @blp.response(204)
    @errors(401, 403, 404)
    def delete(self, community_id, meeting_id):
        """Remove a meeting entered by mistake (committee)"""
        services.remove_meeting(
            actor=current_actor(), community_id=community_id, meeting_id=meeting_id
        )
