"""The self-assessment report as one printable page (A4, inline styles, no script): the totals, a
bar chart of the areas, a table per area, room for the seal and the street's opinion. Every text
on it is escaped, and a link goes only to the web or to our own paths."""

from __future__ import annotations

import html
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from backend.core.metrics import DEFAULT_TIMEZONE
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

HTML_TYPE = "text/html; charset=utf-8"

_HUNDRED = Decimal(100)


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
        ("标准来源", source_text(presented["standard"])),
        ("评估期", period_text(presented)),
        ("状态", presented["state_label"]),
        ("计算时间", local_time(presented.get("computed_at"), zone)),
    ]
    if presented.get("finalised_at"):
        facts.append(("定稿时间", local_time(presented["finalised_at"], zone)))
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
        f"<div>{_e(counts_text(totals))}</div></div></header>"
    )
    parts.append(
        f"<section class='chart'><h2>各领域得分</h2>{_chart(presented['areas'])}</section>"
    )
    for number, area in enumerate(presented["areas"], start=1):
        parts.append(_area_section(number, area, items_of(presented, area["code"]), zone))
    parts.append(_definitions(presented.get("definitions") or {}))
    moments = f"计算时间：{local_time(presented.get('computed_at'), zone)}"
    if presented.get("finalised_at"):
        moments += f"；定稿时间：{local_time(presented['finalised_at'], zone)}"
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


def _share(points, max_points) -> Decimal:
    top = as_decimal(max_points)
    if not top:
        return Decimal(0)
    return (as_decimal(points) * _HUNDRED / top).quantize(Decimal(1), ROUND_HALF_UP)


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
        f"{_e(counts_text(area))}</p><table class='items'><thead><tr><th>序号</th>"
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
