"""HTTP for exports: the result and the ballot list of a closed vote as files."""

from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.consultations.services import exports
from backend.core.auth import current_actor
from backend.core.docs import errors

blp = Blueprint("consultation_exports", __name__, description="结果与表决清单导出")

ONE = "/communities/<int:community_id>/consultations/<int:consultation_id>"
FILE = {"type": "string", "format": "binary"}
DESCRIPTION = (
    "`result` 表决结果或 `ballots` 表决清单（每张计入的表决票一行：楼栋、单元、房号、专有面积、"
    "表决意见、投票方式、时间、回执哈希；不含姓名和电话）。CSV 为带 BOM 的 UTF-8。"
)
DISPOSITION = {
    "Content-Disposition": {
        "description": "attachment；filename 为 ASCII 文件名（consultation-12-ballots.csv），"
        "filename* 为中文文件名（RFC 5987）",
        "schema": {"type": "string"},
    }
}


@blp.route(f"{ONE}/exports/<any(result,ballots):part>.<any(csv,xlsx):file_format>")
class Export(MethodView):
    decorators = [jwt_required()]

    @blp.response(
        200, FILE, content_type="text/csv", description=DESCRIPTION,
        headers=DISPOSITION,
    )
    @blp.alt_response(
        200, schema=FILE, content_type=exports.FORMATS["xlsx"], description=DESCRIPTION,
        headers=DISPOSITION, success=True,
    )
    @errors(401, 403, 404, 409)
    def get(self, community_id, consultation_id, part, file_format):
        """Download the result or the ballot list of a closed vote as CSV or XLSX (committee, street)"""
        export = exports.export_consultation(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            part=part,
            file_format=file_format,
        )
        return Response(
            stream_with_context(export.chunks),
            content_type=export.content_type,
            headers={
                "Content-Disposition": export.content_disposition,
                # A vote's ballots are not for shared caches.
                "Cache-Control": "private, no-store",
            },
        )
