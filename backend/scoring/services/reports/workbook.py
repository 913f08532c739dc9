"""The self-assessment report as an XLSX workbook: an overview sheet, then one sheet per area, one
row per item with its basis and evidence. Every text stays text, never a formula."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from backend.core.metrics import DEFAULT_TIMEZONE
from backend.core.spreadsheets import FORMULA_START
from backend.scoring.services.reports.common import (
    COLOURS,
    as_decimal,
    basis_lines,
    counts_text,
    evidence_lines,
    items_of,
    local_time,
    period_text,
    source_text,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

OVERVIEW = "总览"
ITEM_COLUMNS = (  # header, width in characters
    ("序号", 6),
    ("建设内容", 16),
    ("创建标准", 36),
    ("评估内容", 36),
    ("建筑面积要求", 12),
    ("责任单位", 12),
    ("评价方式", 10),
    ("结果", 10),
    ("得分", 8),
    ("满分", 8),
    ("依据", 48),
    ("证据", 44),
)
AREA_COLUMNS = ("领域", "条目数", "得分", "满分", "得分率", "达标", "部分达标", "未达标", "待评定")
COUNTS = ("met", "partly_met", "not_met", "needs_assessment")

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_RESERVED_SHEETS = {OVERVIEW.casefold(), "history"}
_CELL_LIMIT = 32767  # characters Excel keeps in one cell


def report_xlsx(presented: dict, *, timezone: str | None = None) -> bytes:
    """The report as an XLSX workbook: 总览, then one sheet per area, one row per item."""
    zone = ZoneInfo(timezone or DEFAULT_TIMEZONE)
    workbook = Workbook()
    _overview_sheet(workbook.active, presented, zone)
    taken = {OVERVIEW.casefold()}
    for index, area in enumerate(presented["areas"], start=1):
        title = sheet_title(area["title"], taken, f"领域{index}")
        taken.add(title.casefold())
        _area_sheet(workbook.create_sheet(title), presented, area, zone)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(wanted: str, taken: set[str], fallback: str) -> str:
    """A sheet name Excel takes: no []:*?/\\, at most 31 characters, unique (case-insensitive)."""
    base = _SHEET_FORBIDDEN.sub("", wanted or "").strip().strip("'").strip() or fallback
    title, number = _cut(base, 31), 1
    while title.casefold() in taken or title.casefold() in _RESERVED_SHEETS:
        number += 1
        suffix = f"({number})"
        title = _cut(base, 31 - len(suffix)) + suffix
    return title


def _cut(text: str, limit: int) -> str:
    """At most `limit` UTF-16 units, as Excel counts them."""
    kept, used = [], 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            break
        kept.append(char)
    return "".join(kept)


_WRAP = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(bold=True)


def _put(sheet, row: int, column: int, value, *, bold: bool = False, fill: str | None = None):
    """Write one cell: text stays text (never a formula), decimals with two places."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(text) > _CELL_LIMIT:
            text = text[: _CELL_LIMIT - 10] + "……（已截断）"
        cell.value = text
        if text.startswith(FORMULA_START):
            # Text with Excel's quote prefix stays text even when someone edits the cell.
            cell.data_type = "s"
            cell.quotePrefix = True
    elif isinstance(value, Decimal):
        cell.value = value
        cell.number_format = "0.00"
    else:
        cell.value = value
    cell.alignment = _WRAP
    if bold:
        cell.font = _BOLD
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    return cell


def _print_setup(sheet, landscape: bool) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _ratio(points, max_points) -> Decimal:
    top = as_decimal(max_points)
    return (as_decimal(points) / top).quantize(Decimal("0.0001")) if top else Decimal(0)


def _overview_sheet(sheet, presented: dict, zone: ZoneInfo) -> None:
    sheet.title = OVERVIEW
    totals = presented["totals"]
    last = len(AREA_COLUMNS)
    _put(sheet, 1, 1, f"{presented['community_name']} 自评报告").font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    facts = [
        ("社区", presented["community_name"]),
        ("创建标准", presented["standard"]["name"]),
        ("标准来源", source_text(presented["standard"])),
        ("评估期", period_text(presented)),
        ("状态", presented["state_label"]),
        ("计算时间", local_time(presented.get("computed_at"), zone)),
        ("定稿时间", local_time(presented.get("finalised_at"), zone) or "未定稿"),
        ("得分", as_decimal(totals["points"])),
        ("满分", as_decimal(totals["max_points"])),
        ("达标分数线", as_decimal(totals["passing_points"])),
        ("是否达到标准", "达到" if totals["meets_standard"] else "未达到"),
        ("条目", counts_text(totals)),
    ]
    row = 2
    for label, value in facts:
        _put(sheet, row, 1, label, bold=True)
        _put(sheet, row, 2, value).alignment = Alignment(horizontal="left", vertical="top")
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=last)
        row += 1
    row += 1
    for column, header in enumerate(AREA_COLUMNS, start=1):
        _put(sheet, row, column, header, bold=True, fill="D9D9D9")
    rows = [(area, False) for area in presented["areas"]] + [({**totals, "title": "合计"}, True)]
    for area, total in rows:
        row += 1
        values = [
            area["title"],
            area["items"],
            as_decimal(area["points"]),
            as_decimal(area["max_points"]),
            _ratio(area["points"], area["max_points"]),
            *(area[key] for key in COUNTS),
        ]
        for column, value in enumerate(values, start=1):
            _put(sheet, row, column, value, bold=total)
        sheet.cell(row=row, column=5).number_format = "0%"
    sheet.column_dimensions["A"].width = 36
    for column in range(2, last + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 10
    _print_setup(sheet, landscape=False)


def _area_sheet(sheet, presented: dict, area: dict, zone: ZoneInfo) -> None:
    for column, (header, width) in enumerate(ITEM_COLUMNS, start=1):
        _put(sheet, 1, column, header, bold=True, fill="D9D9D9")
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row, item in enumerate(items_of(presented, area["code"]), start=2):
        basis = "\n".join(
            f"{'    ' * depth}【{node['status_label']}】{node.get('line', '')}"
            for depth, node in basis_lines(item["detail"])
        )
        evidence = "\n".join(
            text if kind == "heading" else f"  {text}" + (f" {link}" if link else "")
            for kind, text, link in evidence_lines(item["detail"], zone)
        )
        values = [
            item["code"],
            item.get("title") or "",
            item.get("criterion") or "",
            item.get("checked") or "",
            item.get("requirement") or "",
            "、".join(item.get("responsible") or []),
            item["method_label"],
            item["status_label"],
            as_decimal(item["points"]),
            as_decimal(item["max_points"]),
            basis,
            evidence or "无",
        ]
        for column, value in enumerate(values, start=1):
            _put(sheet, row, column, value)
        sheet.cell(row=row, column=8).fill = PatternFill(
            "solid", fgColor=COLOURS[item["status"]][0]
        )
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    header = f"{presented['community_name']} · {area['title']}".replace("&", "&&")
    sheet.oddHeader.center.text = header[:200]
    _print_setup(sheet, landscape=True)
