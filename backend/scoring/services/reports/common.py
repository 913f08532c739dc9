"""What both forms of the report say, read off the presented assessment: each item's basis and
evidence, the period, the standard's source, the counts, moments in the community's time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from backend.core.storage.links import photo_url
from backend.scoring.evaluation import STATUSES
from backend.scoring.standard.nodes import ASSESSOR_ROLES

COLOURS = {  # fill in the workbook, text and background on the page
    "met": ("C6EFCE", "#1e6b34", "#dff3e4"),
    "partly_met": ("FFEB9C", "#7a5a00", "#fff4cc"),
    "not_met": ("FFC7CE", "#9c1c28", "#fbe0e3"),
    "needs_assessment": ("DDEBF7", "#2d4f7c", "#e4edf8"),
}


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
                    f"{local_time(judgement.get('decided_at'), zone)} 评定为"
                    f"{STATUSES.get(judgement.get('status'), '')}",
                    None,
                )
            )
            if judgement.get("note"):
                lines.append(("note", f"说明：{judgement['note']}", None))
            for document in judgement.get("documents") or []:
                lines.append(("document", f"文件：{document['title']}", document["url"]))
            for index, key in enumerate(judgement.get("photos") or [], start=1):
                # Absolute: the workbook is opened away from the API (signed for PHOTO_URL_TTL).
                lines.append(("photo", f"照片 {index}", photo_url(key, absolute=True)))
    return lines


def period_text(presented: dict) -> str:
    return f"{as_date(presented['period']['start'])} 至 {as_date(presented['period']['end'])}"


def source_text(standard: dict) -> str:
    source = standard.get("source") or {}
    text = source.get("document") or ""
    if source.get("reference"):
        text += f"（{source['reference']}）" if text else source["reference"]
    issued = "，".join(str(source[key]) for key in ("issuer", "issued_on") if source.get(key))
    return f"{text}；{issued}" if text and issued else text or issued


def counts_text(counts: dict) -> str:
    return (
        f"共 {counts['items']} 项：达标 {counts['met']}，部分达标 {counts['partly_met']}，"
        f"未达标 {counts['not_met']}，待评定 {counts['needs_assessment']}"
    )


def as_decimal(value) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def local_time(moment, zone: ZoneInfo) -> str:
    """A moment in the community's time, with its offset: 2026-11-21 21:41 +08:00."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = moment.astimezone(zone)
    offset = local.isoformat()[-6:]
    return f"{local:%Y-%m-%d %H:%M} {offset}"


def items_of(presented: dict, area_code: str) -> list[dict]:
    return [item for item in presented["items"] if item["area"] == area_code]
