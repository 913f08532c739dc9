"""The self-assessment report (自评报告): the form a committee hands to the street, as an XLSX
workbook (an overview sheet, then one sheet per area, evidence listed) and as a printable page
(A4, inline styles, a bar chart of the areas, room for the seal and the street's opinion).

Both read the presented assessment (`presenting.present`), so they say what the scorecard says,
line for line. Every text in them may come from a person (notes, document titles, names of
facilities, an uploaded standard's wording): the page escapes all of it, the workbook keeps all of
it text, never a formula.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction
from backend.core.metrics import DEFAULT_TIMEZONE
from backend.core.spreadsheets import FORMULA_START, safe_file_name
from backend.core.storage.services import photo_url
from backend.core.tenancy.models import Community
from backend.scoring.evaluation import STATUSES
from backend.scoring.services.assessments import get_assessment
from backend.scoring.standard import ASSESSOR_ROLES

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML_TYPE = "text/html; charset=utf-8"
FORMATS = {"xlsx": XLSX_TYPE, "html": HTML_TYPE}

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
COLOURS = {  # fill in the workbook, text and background on the page
    "met": ("C6EFCE", "#1e6b34", "#dff3e4"),
    "partly_met": ("FFEB9C", "#7a5a00", "#fff4cc"),
    "not_met": ("FFC7CE", "#9c1c28", "#fbe0e3"),
    "needs_assessment": ("DDEBF7", "#2d4f7c", "#e4edf8"),
}

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_RESERVED_SHEETS = {OVERVIEW.casefold(), "history"}
_CELL_LIMIT = 32767  # characters Excel keeps in one cell
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Report:
    """A rendered report: its content, its names and its type."""

    content: bytes | str
    filename: str  # the Chinese name, for filename*
    fallback_filename: str  # ASCII, for clients that ignore filename*
    content_type: str
    attachment: bool  # the workbook downloads; the page opens in the browser to print

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
    zone = community.timezone or DEFAULT_TIMEZONE
    if file_format == "xlsx":
        content: bytes | str = report_xlsx(presented, timezone=zone)
    else:
        content = report_html(presented, timezone=zone)
    draft = presented["state"] != "final"
    name = "-".join(
        [presented["community_name"], presented["standard"]["name"], _period_words(presented)]
    )
    name = safe_file_name(name, "社区")
    return Report(
        content=content,
        filename=f"{name}-自评报告{'（草稿）' if draft else ''}.{file_format}",
        fallback_filename=(
            f"assessment-{presented['id']}-report{'-draft' if draft else ''}.{file_format}"
        ),
        content_type=FORMATS[file_format],
        attachment=file_format == "xlsx",
    )


# ---------------------------------------------------------------- what both formats say


def basis_lines(detail: dict, depth: int = 0) -> Iterator[tuple[int, dict]]:
    """Each node of the item's tree with its depth, in reading order."""
    yield depth, detail
    for part in detail.get("parts", []):
        yield from basis_lines(part, depth + 1)


def evidence_lines(detail: dict, zone: ZoneInfo) -> list[tuple[str, str, str | None]]:
    """What backs the item, as (kind, text, link): the records behind each measurement, then
    each judgement with its note, documents and photos."""
    lines: list[tuple[str, str, str | None]] = []
    for _depth, node in basis_lines(detail):
        if node.get("evidence"):
            lines.append(("heading", f"{node.get('title') or node.get('metric', '')}：", None))
            lines.extend(("record", entry["label"], None) for entry in node["evidence"])
        judgement = node.get("judgement")
        if judgement:
            role = ASSESSOR_ROLES.get(judgement.get("decided_as"), "")
            lines.append(
                (
                    "heading",
                    f"{judgement.get('decided_by') or ''}（{role}）"
                    f"{_local(judgement.get('decided_at'), zone)} 评定为"
                    f"{STATUSES.get(judgement.get('status'), '')}",
                    None,
                )
            )
            if judgement.get("note"):
                lines.append(("note", f"说明：{judgement['note']}", None))
            for document in judgement.get("documents") or []:
                lines.append(("document", f"文件：{document['title']}", document["url"]))
            for index, key in enumerate(judgement.get("photos") or [], start=1):
                lines.append(("photo", f"照片 {index}", photo_url(key)))
    return lines


def _period_words(presented: dict) -> str:
    start, end = _day(presented["period"]["start"]), _day(presented["period"]["end"])
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year}年度"
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def _period_text(presented: dict) -> str:
    return f"{_day(presented['period']['start'])} 至 {_day(presented['period']['end'])}"


def _source_text(standard: dict) -> str:
    source = standard.get("source") or {}
    text = source.get("document") or ""
    if source.get("reference"):
        text += f"（{source['reference']}）" if text else source["reference"]
    issued = "，".join(str(source[key]) for key in ("issuer", "issued_on") if source.get(key))
    return f"{text}；{issued}" if text and issued else text or issued


def _counts_text(counts: dict) -> str:
    return (
        f"共 {counts['items']} 项：达标 {counts['met']}，部分达标 {counts['partly_met']}，"
        f"未达标 {counts['not_met']}，待评定 {counts['needs_assessment']}"
    )


def _share(points, max_points) -> Decimal:
    top = _number(max_points)
    if not top:
        return Decimal(0)
    return (_number(points) * _HUNDRED / top).quantize(Decimal(1), ROUND_HALF_UP)


def _ratio(points, max_points) -> Decimal:
    top = _number(max_points)
    return (_number(points) / top).quantize(Decimal("0.0001")) if top else Decimal(0)


def _number(value) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _local(moment, zone: ZoneInfo) -> str:
    """A moment in the community's time, with its offset: 2026-11-21 21:41 +08:00."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = moment.astimezone(zone)
    offset = local.isoformat()[-6:]
    return f"{local:%Y-%m-%d %H:%M} {offset}"


def _items_of(presented: dict, area_code: str) -> list[dict]:
    return [item for item in presented["items"] if item["area"] == area_code]


# ---------------------------------------------------------------- the workbook


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


def _overview_sheet(sheet, presented: dict, zone: ZoneInfo) -> None:
    sheet.title = OVERVIEW
    totals = presented["totals"]
    last = len(AREA_COLUMNS)
    _put(sheet, 1, 1, f"{presented['community_name']} 自评报告").font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    facts = [
        ("社区", presented["community_name"]),
        ("创建标准", presented["standard"]["name"]),
        ("标准来源", _source_text(presented["standard"])),
        ("评估期", _period_text(presented)),
        ("状态", presented["state_label"]),
        ("计算时间", _local(presented.get("computed_at"), zone)),
        ("定稿时间", _local(presented.get("finalised_at"), zone) or "未定稿"),
        ("得分", _number(totals["points"])),
        ("满分", _number(totals["max_points"])),
        ("达标分数线", _number(totals["passing_points"])),
        ("是否达到标准", "达到" if totals["meets_standard"] else "未达到"),
        ("条目", _counts_text(totals)),
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
            _number(area["points"]),
            _number(area["max_points"]),
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
    for row, item in enumerate(_items_of(presented, area["code"]), start=2):
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
            _number(item["points"]),
            _number(item["max_points"]),
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


# ---------------------------------------------------------------- the printable page


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(text: str, url: str | None) -> str:
    """A link only to the web or to our own paths: a `javascript:` URL stays text."""
    if url and (urlsplit(url).scheme in ("http", "https") or url.startswith("/")):
        return f'<a href="{_e(url)}">{_e(text)}</a> <span class="url">{_e(url)}</span>'
    return _e(text) + (f" {_e(url)}" if url else "")


def report_html(presented: dict, *, timezone: str | None = None) -> str:
    """The report as one self-contained page to print (A4) or save as PDF from the browser."""
    zone = ZoneInfo(timezone or DEFAULT_TIMEZONE)
    draft = presented["state"] != "final"
    totals = presented["totals"]
    title = f"{presented['community_name']} 自评报告"
    facts = [
        ("社区", presented["community_name"]),
        ("创建标准", presented["standard"]["name"]),
        ("标准来源", _source_text(presented["standard"])),
        ("评估期", _period_text(presented)),
        ("状态", presented["state_label"]),
        ("计算时间", _local(presented.get("computed_at"), zone)),
    ]
    if presented.get("finalised_at"):
        facts.append(("定稿时间", _local(presented["finalised_at"], zone)))
    verdict = "达到标准" if totals["meets_standard"] else "未达到标准"
    parts = [
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>",
        f'<body class="{"draft" if draft else "final"}"><main class="sheet">',
    ]
    if draft:
        parts.append(
            '<div class="watermark" aria-hidden="true">草稿</div>'
            '<p class="draft-banner">草稿：本评估尚未定稿，结果可能变化，不作为正式自评报告报送。</p>'
        )
    parts.append(f"<header><h1>{_e(title)}</h1><table class='facts'>")
    parts.extend(f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>" for label, value in facts)
    parts.append(
        "</table><div class='totals'>"
        f"<div class='score'><b>{_e(totals['points'])}</b> / {_e(totals['max_points'])} 分"
        f"（{_share(totals['points'], totals['max_points'])}%）</div>"
        f"<div class='verdict {'yes' if totals['meets_standard'] else 'no'}'>{verdict}</div>"
        f"<div>达标分数线 {_e(totals['passing_points'])} 分</div>"
        f"<div>{_e(_counts_text(totals))}</div></div></header>"
    )
    parts.append(
        f"<section class='chart'><h2>各领域得分</h2>{_chart(presented['areas'])}</section>"
    )
    for number, area in enumerate(presented["areas"], start=1):
        parts.append(_area_section(number, area, _items_of(presented, area["code"]), zone))
    parts.append(_definitions(presented.get("definitions") or {}))
    moments = f"计算时间：{_local(presented.get('computed_at'), zone)}"
    if presented.get("finalised_at"):
        moments += f"；定稿时间：{_local(presented['finalised_at'], zone)}"
    parts.append(
        f"<footer><p class='computed'>{_e(moments)}；评估编号：{_e(presented.get('id'))}</p>"
        "<div class='signatures'>"
        "<div class='box'><h3>社区居委会（盖章）</h3><p class='blank'></p>"
        "<p>负责人签字：<span class='line'></span></p><p>日期：　　　年　　月　　日</p></div>"
        "<div class='box'><h3>街道审核意见</h3><p class='blank'></p>"
        "<p>审核人签字：<span class='line'></span>（盖章）</p>"
        "<p>日期：　　　年　　月　　日</p></div></div></footer></main></body></html>"
    )
    return "".join(parts)


def _chart(areas: list[dict]) -> str:
    """Horizontal bars, one per area: points against the area's maximum, with the share."""
    row, label_width, bar_width, width = 30, 250, 300, 680
    height = row * len(areas) + 10
    bars = []
    for index, area in enumerate(areas):
        y = 5 + index * row
        share = _share(area["points"], area["max_points"])
        filled = Decimal(bar_width) * min(share, _HUNDRED) / _HUNDRED
        name = area["title"] if len(area["title"]) <= 19 else area["title"][:18] + "…"
        bars.append(
            f'<g class="area"><title>{_e(area["title"])}</title>'
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end">{_e(name)}</text>'
            f'<rect class="track" x="{label_width}" y="{y + 4}" width="{bar_width}" height="18"/>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{filled:.1f}" height="18"/>'
            f'<text x="{label_width + bar_width + 8}" y="{y + 18}">'
            f"{_e(area['points'])} / {_e(area['max_points'])}（{share}%）</text></g>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="各领域得分">{"".join(bars)}</svg>'
    )


def _area_section(number: int, area: dict, items: list[dict], zone: ZoneInfo) -> str:
    rows = []
    for item in items:
        text, background = COLOURS[item["status"]][1:]
        standard = f"<div class='pre'>{_e(item.get('criterion'))}</div>"
        if item.get("checked"):
            standard += f"<div class='pre sub'><b>评估内容：</b>{_e(item['checked'])}</div>"
        if item.get("requirement"):
            standard += f"<div class='sub'><b>建筑面积要求：</b>{_e(item['requirement'])}</div>"
        if item.get("responsible"):
            standard += (
                f"<div class='sub'><b>责任单位：</b>{_e('、'.join(item['responsible']))}</div>"
            )
        basis = "".join(
            f"<li style='margin-left:{depth}em'><span class='chip {_e(node['status'])}'>"
            f"{_e(node['status_label'])}</span> {_e(node.get('line'))}</li>"
            for depth, node in basis_lines(item["detail"])
        )
        evidence = "".join(
            f"<li class='{kind}'>{_link(text, link)}</li>"
            for kind, text, link in evidence_lines(item["detail"], zone)
        )
        rows.append(
            f"<tr><td>{_e(item['code'])}</td><td>{_e(item.get('title'))}</td><td>{standard}</td>"
            f"<td>{_e(item['method_label'])}</td>"
            f"<td class='status' style='color:{text};background:{background}'>"
            f"<b>{_e(item['status_label'])}</b><br>{_e(item['points'])} / {_e(item['max_points'])}</td>"
            f"<td><ul class='basis'>{basis}</ul></td>"
            f"<td><ul class='evidence'>{evidence or '<li>无</li>'}</ul></td></tr>"
        )
    return (
        f"<section class='area'><h2>{number}. {_e(area['title'])}</h2>"
        f"<p class='area-totals'>得分 {_e(area['points'])} / {_e(area['max_points'])}；"
        f"{_e(_counts_text(area))}</p><table class='items'><thead><tr><th>序号</th>"
        "<th>建设内容</th><th>创建标准与评估内容</th><th>评价方式</th><th>结果 / 得分</th>"
        f"<th>依据</th><th>证据</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _definitions(definitions: dict) -> str:
    if not definitions:
        return ""
    rows = "".join(
        f"<tr><td>{_e(known.get('title'))}</td><td>{_e(known.get('unit'))}</td>"
        f"<td>{_e(known.get('definition'))}</td></tr>"
        for known in definitions.values()
    )
    return (
        "<section class='definitions'><h2>附：平台测量口径</h2><table class='defs'><thead><tr>"
        f"<th>测量项</th><th>单位</th><th>口径</th></tr></thead><tbody>{rows}</tbody></table>"
        "</section>"
    )


_CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { margin: 0; background: #eee; color: #222; font: 10.5pt/1.5 "PingFang SC",
  "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "SimSun", sans-serif;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.sheet { position: relative; max-width: 210mm; margin: 8mm auto; padding: 12mm; background: #fff;
  box-shadow: 0 0 4mm rgba(0,0,0,.15); }
h1 { font-size: 18pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-left: 4px solid #2d6a4f; padding-left: 2mm; }
h3 { font-size: 11pt; margin: 0 0 2mm; }
.draft-banner { border: 2px solid #c0392b; color: #c0392b; font-weight: bold; text-align: center;
  padding: 2mm; margin: 0 0 4mm; }
.watermark { position: fixed; top: 40%; left: 0; right: 0; text-align: center; font-size: 110pt;
  color: rgba(192,57,43,.10); transform: rotate(-30deg); pointer-events: none; z-index: 0; }
table { border-collapse: collapse; width: 100%; }
.facts th { width: 22%; text-align: left; color: #555; font-weight: normal; }
.facts th, .facts td { padding: 1mm 2mm; border-bottom: 1px solid #ddd; }
.totals { display: flex; flex-wrap: wrap; gap: 2mm 6mm; align-items: baseline; margin: 3mm 0; }
.score b { font-size: 16pt; }
.verdict { font-weight: bold; padding: 0 2mm; }
.verdict.yes { color: #1e6b34; } .verdict.no { color: #9c1c28; }
svg text { font-size: 12px; fill: #222; }
svg .track { fill: #e6e6e6; } svg .bar { fill: #2d6a4f; }
.items, .defs { table-layout: fixed; }
.items th, .items td, .defs th, .defs td { border: 1px solid #999; padding: 1mm 1.5mm;
  vertical-align: top; font-size: 9pt; overflow-wrap: anywhere; }
thead th { background: #e8e8e8; }
.items th:nth-child(1) { width: 5%; } .items th:nth-child(2) { width: 11%; }
.items th:nth-child(3) { width: 24%; } .items th:nth-child(4) { width: 8%; }
.items th:nth-child(5) { width: 9%; } .items th:nth-child(6) { width: 23%; }
.items td:nth-child(1), .items td:nth-child(5) { text-align: center; }
.defs th:nth-child(1) { width: 22%; } .defs th:nth-child(2) { width: 8%; }
.pre { white-space: pre-line; } .sub { margin-top: 1mm; color: #444; }
ul { list-style: none; margin: 0; padding: 0; } li { margin: 0 0 .8mm; }
.evidence .record, .evidence .note, .evidence .document, .evidence .photo { padding-left: 1em; }
.evidence .heading { font-weight: bold; }
.url { color: #666; font-size: 8pt; word-break: break-all; }
.chip { display: inline-block; padding: 0 1mm; border-radius: 1mm; font-size: 8pt; }
.chip.met { color: #1e6b34; background: #dff3e4; } .chip.partly_met { color: #7a5a00;
  background: #fff4cc; } .chip.not_met { color: #9c1c28; background: #fbe0e3; }
.chip.needs_assessment { color: #2d4f7c; background: #e4edf8; }
footer { margin-top: 8mm; break-inside: avoid; page-break-inside: avoid; }
.computed { color: #555; font-size: 9pt; }
.signatures { display: flex; gap: 6mm; }
.box { flex: 1; border: 1px solid #999; padding: 3mm; min-height: 50mm; }
.box .blank { height: 22mm; margin: 0; }
.line { display: inline-block; width: 30mm; border-bottom: 1px solid #222; }
@media print {
  body { background: #fff; }
  .sheet { margin: 0; padding: 0; max-width: none; box-shadow: none; }
  a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; }
  tr, .chart, h2 { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
"""
