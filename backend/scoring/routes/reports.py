"""HTTP for the self-assessment report (自评报告): an XLSX workbook and a printable page, one view
serving each format at its own path."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.scoring.services import reports

blp = Blueprint("assessment_reports", __name__, description="自评报告：XLSX 与可打印网页")

ONE = "/communities/<int:community_id>/assessments/<int:assessment_id>"
READERS = "社区的居民和工作人员可读取已定稿的评估，社区工作人员和街道也可读取草稿（标明“草稿”）。"

# The page shows people's text (escaped); it also needs no script, so none may run.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

# format, view name, response schema, what the 200 holds, summary, headers beyond the common ones
VIEWS = (
    (
        "xlsx",
        "ReportWorkbook",
        {"type": "string", "format": "binary"},
        "工作表“总览”（社区、标准及来源、评估期、状态、计算时间、总分、各领域得分与"
        "条目统计、是否达标），然后每个领域一张工作表，每个条目一行：序号、建设内容、创建标准、"
        "评估内容、建筑面积要求、责任单位、评价方式、结果、得分、满分、依据、证据。",
        "Download the self-assessment report as XLSX (one sheet per area, evidence listed)",
        {},
    ),
    (
        "html",
        "ReportPage",
        {"type": "string"},
        "可打印的 A4 网页（可在浏览器中“打印/另存为 PDF”）：抬头与总分、各领域得分"
        "柱状图、各领域条目表（结果、依据、证据），页脚为计算时间和社区居委会盖章、街道审核意见"
        "栏。不含脚本和外部资源。",
        "The self-assessment report as a printable page (HTML, A4, to print or save as PDF)",
        {"Content-Security-Policy": PAGE_POLICY},
    ),
)


def _disposition(file_format: str) -> dict:
    kind = "attachment" if reports.FORMATS[file_format].attachment else "inline"
    return {
        "Content-Disposition": {
            "description": f"{kind}；filename 为 ASCII 文件名（assessment-12-report.{file_format}），"
            "filename* 为中文文件名（RFC 5987）：社区-标准-评估期-自评报告",
            "schema": {"type": "string"},
        }
    }


def _send(report: reports.Report, extra: dict) -> Response:
    return Response(
        report.content,
        content_type=report.content_type,
        headers={
            "Content-Disposition": report.content_disposition,
            # Drafts and evidence are not for shared caches.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            **extra,
        },
    )


def _report_view(file_format: str, schema: dict, holds: str, summary: str, extra: dict):
    class ReportView(MethodView):
        decorators = [jwt_required()]

        @blp.response(
            200,
            schema,
            content_type=reports.FORMATS[file_format].content_type,
            description=holds + READERS,
            headers=_disposition(file_format),
        )
        @errors(401, 403, 404)
        def get(self, community_id, assessment_id):
            report = reports.export_report(
                actor=current_actor(),
                community_id=community_id,
                assessment_id=assessment_id,
                file_format=file_format,
            )
            return _send(report, extra)

    ReportView.get.__doc__ = summary
    return ReportView


for file_format, name, schema, holds, summary, extra in VIEWS:
    view = _report_view(file_format, schema, holds, summary, extra)
    view.__name__ = name
    blp.route(f"{ONE}/report.{file_format}")(view)
