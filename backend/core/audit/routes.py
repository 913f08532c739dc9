"""HTTP for reading the audit log and publishing chain heads."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.audit import schemas as s
from backend.core.audit import services
from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import SelectPage

blp = Blueprint("audit", __name__, description="审计日志")

PAGE = {"page_size": 50, "max_page_size": 200}


@blp.route("/communities/<int:community_id>/audit")
class CommunityAudit(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.AuditQuerySchema, location="query")
    @blp.response(200, s.AuditEntrySchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 403, 404)
    def get(self, filters, community_id):
        """The community's audit log, newest first (auditor, street admin; not the system admin)"""
        return services.list_community_entries(
            actor=current_actor(), community_id=community_id, filters=filters
        )


@blp.route("/communities/<int:community_id>/audit/head")
class CommunityAuditHead(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.ChainHeadSchema)
    @errors(401, 404)
    def get(self, community_id):
        """The head of the community's audit chain (seq and hash), meant to be published"""
        return services.read_chain_head(
            actor=current_actor(), community_id=community_id
        )


@blp.route("/audit/system")
class SystemAudit(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.AuditQuerySchema, location="query")
    @blp.response(200, s.AuditEntrySchema(many=True))
    @blp.paginate(SelectPage, **PAGE)
    @errors(401, 403)
    def get(self, filters):
        """Audit entries outside any community: sign-ins, accounts (auditor only)"""
        return services.list_system_entries(actor=current_actor(), filters=filters)
