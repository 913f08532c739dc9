"""HTTP for Open311 GeoReport v2 under /open311/v2 (not /api/v1): each resource in JSON and XML.

Open311 clients send query arguments and form bodies (`application/x-www-form-urlencoded`), not
JSON, and expect Open311's error list, so the views read the arguments themselves and every
refusal under /open311/ is answered in that format (`formats.render_error`), in the URL's JSON or
XML: the views' own, and through `answer_error` (registered by the package's `init_app`) those
raised before or around them (an unknown path or format 404, 405, a body too large 413, rate
limits, a crash). No bearer token: the `api_key` argument identifies a filing organisation.
Documented in the OpenAPI document with Open311's own error schema, JSON and XML.
"""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from backend.core.errors import DomainError
from backend.core.schemas import UNSTORABLE_MESSAGE, holds_unstorable, shown
from backend.tickets.open311 import formats as f
from backend.tickets.open311 import services
from backend.tickets.open311.services import Open311Error

PREFIX = "/open311/"
blp = Blueprint(
    "open311",
    __name__,
    url_prefix=f"{PREFIX}v2",
    description="Open311 GeoReport v2：城市系统对接（JSON 与 XML；jurisdiction_id 为社区编码）",
)

FORMAT = "<any(json, xml):format>"


def _format() -> str:
    """The format the URL names, also when no route matched (`….xml`): JSON by default."""
    fmt = (request.view_args or {}).get("format")
    if fmt in f.FORMATS:
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def answer_error(status: int, message: str) -> Response:
    """Any error answered under /open311/, in Open311's list and the URL's format."""
    return f.render_error(_format(), status, message)


@blp.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    return f.render_error(_format(), error.status, error.description)


@blp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    """The ticket rules reused here speak our error shape; Open311 knows 400, 403 and 404."""
    status = error.status if error.status in (403, 404) or error.status >= 500 else 400
    return f.render_error(_format(), status, error.message)


def _params() -> dict:
    """Query arguments and, for POST, the form body (`api_key` may come either way). No
    argument may hold a NUL (PostgreSQL's text cannot) or a lone surrogate: 400."""
    params = request.args.to_dict() | request.form.to_dict()
    unstorable = sorted(name for name, value in params.items() if holds_unstorable([name, value]))
    if unstorable:
        raise Open311Error(400, f"{shown(unstorable[0])}：{UNSTORABLE_MESSAGE}")
    return params


# ---------------------------------------------------------------- documentation

ERROR_MEANING = {
    400: "参数缺失或有误（Open311 错误列表）",
    403: "api_key 缺失、无效、已吊销，或无权访问该辖区",
    404: "辖区、服务或请求不存在",
}
# An error in XML: <errors><error><code>404</code><description>…</description></error></errors>
XML_ERRORS = {"text/xml": {"schema": {"type": "string", "description": "<errors><error>…"}}}


def _query(name: str, description: str, *, required: bool = False, **schema) -> dict:
    return {
        "in": "query",
        "name": name,
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


JURISDICTION = _query("jurisdiction_id", "社区编码（必填）", required=True, maxLength=32)
API_KEY = _query("api_key", "可选：本单位的密钥，另可看到本单位提交的非公开工单")
XML_TOO = {200: {"content": {"text/xml": {"schema": {"type": "string"}}}}}


def _documented(*statuses: int, parameters=(), responses=None, **extra):
    """No bearer token; the query arguments; Open311's errors, XML beside JSON (every other
    error, `default` included, takes the same shape: backend/core/docs.py)."""

    def decorate(view):
        for status in statuses:
            view = blp.alt_response(
                status, schema=f.Open311ErrorSchema(many=True), description=ERROR_MEANING[status]
            )(view)
        xml = {status: {"content": XML_ERRORS} for status in statuses}
        documented = {**xml, **(responses or {})}
        return blp.doc(security=[], parameters=list(parameters), responses=documented, **extra)(
            view
        )

    return decorate


FILING_FIELDS = {
    "api_key": "本单位的密钥（必填）",
    "jurisdiction_id": "社区编码（必填）",
    "service_code": "问题类别代码（必填）",
    "description": "问题描述（必填，≤ 2000 字）",
    "lat": "WGS84 纬度（与 long 同时提供）",
    "long": "WGS84 经度",
    "address_string": "位置说明（≤ 200 字）",
    "address_id": "本社区的楼栋编号",
    "first_name": "报告人名",
    "last_name": "报告人姓",
    "phone": "报告人电话（仅工作人员可见）",
    "email": "不保存",
    "media_url": "不保存",
}
FILING_BODY = {
    "requestBody": {
        "required": True,
        "description": "位置三选一：lat 与 long、address_string、address_id",
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["api_key", "jurisdiction_id", "service_code", "description"],
                    "properties": {
                        name: {"type": "string", "description": text}
                        for name, text in FILING_FIELDS.items()
                    },
                }
            }
        },
    }
}


# ---------------------------------------------------------------- resources


@blp.route(f"/services.{FORMAT}")
class Services(MethodView):
    @blp.response(200, f.Open311ServiceSchema(many=True))
    @_documented(400, 404, parameters=[JURISDICTION], responses=XML_TOO)
    def get(self, format):
        """Open311: the problem categories enabled in the community, with its deadlines"""
        rows = services.list_services(params=_params())
        return f.render(format, rows, root="services", item="service")


@blp.route(f"/services/<string:service_code>.{FORMAT}")
class ServiceDefinition(MethodView):
    @blp.response(200, f.Open311ServiceDefinitionSchema)
    @_documented(400, 404, parameters=[JURISDICTION], responses=XML_TOO)
    def get(self, service_code, format):
        """Open311: a service's definition (no extra attributes: an empty list)"""
        definition = services.service_definition(params=_params(), service_code=service_code)
        return f.render(format, definition, root="service_definition", item=None)


@blp.route(f"/requests.{FORMAT}")
class Requests(MethodView):
    @blp.response(200, f.Open311RequestSchema(many=True))
    @_documented(
        400,
        403,
        404,
        parameters=[
            JURISDICTION,
            API_KEY,
            _query("service_request_id", "以逗号分隔的工单编号；指定时忽略其他筛选条件"),
            _query("service_code", "以逗号分隔的问题类别代码"),
            _query("start_date", "提交时间起（ISO 8601，带时区）", format="date-time"),
            _query("end_date", "提交时间止；默认最近 90 天，跨度不超过 90 天", format="date-time"),
            _query("status", "open、closed，以逗号分隔"),
        ],
        responses=XML_TOO,
    )
    def get(self, format):
        """Open311: public tickets of the community, newest first (at most 1000, 90 days)"""
        rows = services.list_requests(params=_params())
        return f.render(format, rows, root="service_requests", item="request")

    @blp.response(201, f.Open311RequestCreatedSchema(many=True))
    @_documented(400, 403, 404, responses={201: XML_TOO[200]}, parameters=[], **FILING_BODY)
    def post(self, format):
        """Open311: file a ticket (api_key of the filing organisation; form-encoded body)"""
        created = services.file_request(params=_params())
        return f.render(format, [created], root="service_requests", item="request", status=201)


@blp.route(f"/requests/<int:request_id>.{FORMAT}")
class RequestById(MethodView):
    @blp.response(200, f.Open311RequestSchema(many=True))
    @_documented(400, 403, 404, parameters=[JURISDICTION, API_KEY], responses=XML_TOO)
    def get(self, request_id, format):
        """Open311: one public ticket (a list of one)"""
        rows = services.get_request(params=_params(), request_id=request_id)
        return f.render(format, rows, root="service_requests", item="request")
