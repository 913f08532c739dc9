"""HTTP for filing and reading tickets, and the categories. Views translate; services decide."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import PresentedPage
from backend.tickets.schemas import tickets as s
from backend.tickets.services import categories, reporting
from backend.tickets.services.common import shown

blp = Blueprint("tickets", __name__, description="问题报告（工单）：上报、查询、类别")

COMMUNITY = "/communities/<int:community_id>"
ONE = f"{COMMUNITY}/tickets/<int:ticket_id>"


@blp.route(f"{COMMUNITY}/tickets")
class Tickets(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.TicketFilterSchema, location="query")
    @blp.response(200, s.TicketSchema(many=True))
    @blp.paginate(PresentedPage, page_size=20, max_page_size=100)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """The tickets I may see: mine, the public ones, my company's, my grid's, or all (staff)"""
        return reporting.list_tickets(
            actor=current_actor(), community_id=community_id, filters=filters
        )

    @blp.arguments(s.ReportSchema)
    @blp.response(201, s.TicketSchema)
    @errors(401, 403, 404, 422)
    def post(self, data, community_id):
        """Report a problem (residents; grid workers inside their grid, also for a resident)"""
        actor = current_actor()
        context = reporting.report_ticket(actor=actor, community_id=community_id, data=data)
        return shown(context, detail=True)


@blp.route(f"{COMMUNITY}/tickets/duplicates")
class Duplicates(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.DuplicatesQuerySchema, location="query")
    @blp.response(200, s.TicketSchema(many=True))
    @errors(401, 403, 404, 422)
    def get(self, query, community_id):
        """Open tickets of the same category nearby or in the same building, before reporting"""
        return reporting.likely_duplicates(
            actor=current_actor(), community_id=community_id, query=query
        )


@blp.route(ONE)
class TicketById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.TicketSchema)
    @errors(401, 404)
    def get(self, community_id, ticket_id):
        """One ticket, as I may see it"""
        context = reporting.get_ticket(
            actor=current_actor(), community_id=community_id, ticket_id=ticket_id
        )
        return shown(context, detail=True)


@blp.route(f"{ONE}/timeline")
class Timeline(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.TicketEventSchema(many=True))
    @errors(401, 403, 404)
    def get(self, community_id, ticket_id):
        """Every step of the ticket: who, what, when, note, photos (reporter and staff)"""
        return reporting.timeline(
            actor=current_actor(), community_id=community_id, ticket_id=ticket_id
        )


@blp.route(f"{ONE}/support")
class Support(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.TicketSchema)
    @errors(401, 403, 404, 409)
    def post(self, community_id, ticket_id):
        """Join a ticket about the same problem instead of filing another (residents)"""
        context = reporting.support_ticket(
            actor=current_actor(), community_id=community_id, ticket_id=ticket_id
        )
        return shown(context)


@blp.route(f"{COMMUNITY}/ticket-categories")
class Categories(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.CategorySchema(many=True))
    @errors(401, 403, 404)
    def get(self, community_id):
        """The problem categories with this community's deadlines and handlers"""
        return categories.list_categories(actor=current_actor(), community_id=community_id)


@blp.route(f"{COMMUNITY}/ticket-categories/<string:code>")
class CategoryByCode(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.CategorySettingSchema)
    @blp.response(200, s.CategorySchema)
    @errors(401, 403, 404, 422)
    def patch(self, data, community_id, code):
        """Set this community's deadlines, handler and auto-dispatch for a category (committee)"""
        return categories.configure_category(
            actor=current_actor(), community_id=community_id, code=code, data=data
        )
