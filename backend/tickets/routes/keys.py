"""HTTP for the Open311 api keys the street issues (the Open311 endpoints: tickets/open311)."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.tickets.schemas import keys as s
from backend.tickets.services import keys as services

blp = Blueprint(
    "open311_keys", __name__, description="Open311 接口密钥：按单位签发给城市系统，街道管理"
)

KEYS = "/regions/<int:region_id>/open311-keys"


@blp.route(KEYS)
class Open311Keys(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.Open311KeySchema(many=True))
    @errors(401, 404)
    def get(self, region_id):
        """The Open311 keys issued for the region, revoked ones included (street admins)"""
        return services.list_keys(actor=current_actor(), region_id=region_id)

    @blp.arguments(s.Open311KeyIssueSchema)
    @blp.response(201, s.Open311IssuedKeySchema)
    @errors(401, 404, 422)
    def post(self, data, region_id):
        """Issue an Open311 api key to an organisation; the key is shown in this answer only"""
        return services.issue_key(actor=current_actor(), region_id=region_id, data=data)


@blp.route(f"{KEYS}/<int:key_id>/revoke")
class Open311KeyRevoke(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.Open311KeySchema)
    @errors(401, 404)
    def post(self, region_id, key_id):
        """Revoke an Open311 api key: refused from now on (street admins)"""
        return services.revoke_key(actor=current_actor(), region_id=region_id, key_id=key_id)
