"""HTTP for the figures tickets are judged by (definitions: backend/tickets/metrics.py)."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.tickets.schemas import stats as s
from backend.tickets.services import stats as services

blp = Blueprint("ticket_stats", __name__, description="工单统计：响应率、解决率、满意率")


@blp.route("/communities/<int:community_id>/ticket-stats")
class CommunityTicketStats(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.CommunityStatsQuerySchema, location="query")
    @blp.response(200, s.CommunityStatsSchema)
    @errors(401, 403, 404, 422)
    def get(self, filters, community_id):
        """A community's ticket figures, by category and handler (property staff: their own)"""
        return services.community_stats(
            actor=current_actor(), community_id=community_id, filters=filters
        )


@blp.route("/regions/<int:region_id>/ticket-stats")
class RegionTicketStats(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.StatsQuerySchema, location="query")
    @blp.response(200, s.RegionStatsSchema)
    @errors(401, 404, 422)
    def get(self, filters, region_id):
        """The street's dashboard: ticket figures by community and category (street admins)"""
        return services.region_stats(actor=current_actor(), region_id=region_id, filters=filters)
