"""HTTP for the caller's inbox and subscriptions, and the community's outbox."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.notifications import schemas as s
from backend.core.notifications import services
from backend.core.pagination import SelectPage

blp = Blueprint("notifications", __name__, description="站内通知与订阅消息")

PAGE = {"page_size": 20, "max_page_size": 100}


@blp.route("/me/notifications")
class Inbox(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.InboxQuerySchema, location="query")
    @blp.response(200, s.NotificationSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401)
    def get(self, filters):
        """The caller's notifications, newest first (?unread=true for the unread ones)"""
        return services.list_inbox(actor=current_actor(), filters=filters)


@blp.route("/me/notifications/unread-count")
class UnreadCount(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.UnreadCountSchema)
    @errors(401)
    def get(self):
        """How many of the caller's notifications are unread"""
        return {"unread": services.unread_count(actor=current_actor())}


@blp.route("/me/notifications/<int:notification_id>/read")
class MarkRead(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.NotificationSchema)
    @errors(401, 404)
    def post(self, notification_id):
        """Mark one of the caller's notifications read"""
        return services.mark_read(actor=current_actor(), notification_id=notification_id)


@blp.route("/me/notifications/read-all")
class MarkAllRead(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.MarkedSchema)
    @errors(401)
    def post(self):
        """Mark all of the caller's notifications read"""
        return {"marked": services.mark_all_read(actor=current_actor())}


@blp.route("/me/subscriptions")
class Subscriptions(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.SubscriptionCreditSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401)
    def get(self):
        """The subscribe messages the caller still allows us to send, per template"""
        return services.list_subscriptions(actor=current_actor())

    @blp.arguments(s.SubscriptionReportSchema)
    @blp.response(200, s.SubscriptionCreditSchema(many=True))
    @errors(401)
    def post(self, data):
        """Report the templates accepted in wx.requestSubscribeMessage (one message each)"""
        return services.accept_subscriptions(
            actor=current_actor(), template_ids=data["template_ids"]
        )


@blp.route("/communities/<int:community_id>/outbox")
class Outbox(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.OutboxQuerySchema, location="query")
    @blp.response(200, s.OutboxMessageSchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """The community's WeChat subscribe messages and whether they went out (committee, street)"""
        return services.list_outbox(
            actor=current_actor(), community_id=community_id, filters=filters
        )
