"""Exporting the report: one assessment, presented, audited, rendered in the format asked for,
named for download."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction
from backend.core.metrics import DEFAULT_TIMEZONE
from backend.core.spreadsheets import safe_file_name
from backend.core.tenancy.models import Community
from backend.scoring.services.assessments import get_assessment
from backend.scoring.services.reports.common import as_date
from backend.scoring.services.reports.page import HTML_TYPE, report_html
from backend.scoring.services.reports.workbook import XLSX_TYPE, report_xlsx


@dataclass(frozen=True)
class Format:
    content_type: str
    attachment: bool  # the workbook downloads; the page opens in the browser to print
    render: Callable[..., bytes | str]  # (presented, *, timezone)


FORMATS = {
    "xlsx": Format(XLSX_TYPE, attachment=True, render=report_xlsx),
    "html": Format(HTML_TYPE, attachment=False, render=report_html),
}


@dataclass(frozen=True)
class Report:
    """A rendered report: its content, its names and its type."""

    content: bytes | str
    filename: str  # the Chinese name, for filename*
    fallback_filename: str  # ASCII, for clients that ignore filename*
    content_type: str
    attachment: bool

    @property
    def content_disposition(self) -> str:
        kind = "attachment" if self.attachment else "inline"
        return (
            f'{kind}; filename="{self.fallback_filename}"; '
            f"filename*=UTF-8''{quote(self.filename, safe='')}"
        )


def export_report(
    *, actor: Actor, community_id: int, assessment_id: int, file_format: str
) -> Report:
    """The self-assessment report of one assessment as `xlsx` or `html`. Anyone of the community
    reads a final one, staff also drafts; every export is audited (the report leaves the system).

    Outcomes: the report; 404 `community_not_found` / `assessment_not_found` (another
    community's, or a draft for a resident); 403 as for any community route.
    """
    if file_format not in FORMATS:
        raise ValueError(f"unknown report format {file_format}")  # the URL rules allow neither
    with transaction():
        presented = get_assessment(
            actor=actor, community_id=community_id, assessment_id=assessment_id
        )
        community = db.session.get(Community, presented["community_id"])
        audit.record(
            action="scoring.report_exported",
            target_type="assessment",
            target_id=presented["id"],
            community=community,
            actor=actor,
            details={
                "format": file_format,
                "standard": presented["standard"]["code"],
                "state": presented["state"],
            },
        )
    shape = FORMATS[file_format]
    draft = presented["state"] != "final"
    name = "-".join(
        [presented["community_name"], presented["standard"]["name"], _period_words(presented)]
    )
    name = safe_file_name(name, "社区")
    return Report(
        content=shape.render(presented, timezone=community.timezone or DEFAULT_TIMEZONE),
        filename=f"{name}-自评报告{'（草稿）' if draft else ''}.{file_format}",
        fallback_filename=(
            f"assessment-{presented['id']}-report{'-draft' if draft else ''}.{file_format}"
        ),
        content_type=shape.content_type,
        attachment=shape.attachment,
    )


def _period_words(presented: dict) -> str:
    start, end = as_date(presented["period"]["start"]), as_date(presented["period"]["end"])
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year}年度"
    return f"{start:%Y%m%d}-{end:%Y%m%d}"
