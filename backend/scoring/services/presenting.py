"""How an assessment reads: the snapshot's items joined with the standard's text and the
measurements' definitions its run kept, each decisive part said in one Chinese line (the
scorecard, the XLSX and the printable report all show the same lines)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from backend.core.db import db
from backend.core.metrics import Period
from backend.core.tenancy.models import Community
from backend.scoring.evaluation import STATUSES
from backend.scoring.models import ASSESSMENT_STATES, Assessment, AssessmentRun
from backend.scoring.standard.nodes import (
    ASSESSOR_ROLES,
    FACILITY_AREA,
    FACILITY_COUNT,
    OPERATORS,
    Standard,
)
from backend.scoring.standard.nodes import PERIODS as MEASURED_PERIODS

METHODS = {
    "measured": "平台测量",
    "facility": "设施登记",
    "assessed": "人工评定",
    "combined": "综合评定",
}
STATES = {**ASSESSMENT_STATES, "preview": "预览（未保存）"}


def present(assessment: Assessment, community: Community) -> dict:
    run = db.session.get(AssessmentRun, assessment.run_id)
    return _presented(
        document=run.standard,
        definitions=run.definitions,
        community=community,
        header={
            "id": assessment.id,
            "state": assessment.state,
            "computed_at": assessment.computed_at,
            "finalised_at": assessment.finalised_at,
            "period": {
                "start": assessment.period_start,
                "end": assessment.period_end - timedelta(days=1),
            },
        },
        totals={
            "points": assessment.points,
            "max_points": assessment.max_points,
            "passing_points": assessment.passing_points,
            "meets_standard": assessment.meets_standard,
            "items": assessment.items_total,
            "met": assessment.items_met,
            "partly_met": assessment.items_partly_met,
            "not_met": assessment.items_not_met,
            "needs_assessment": assessment.items_needing_assessment,
        },
        areas=assessment.areas,
        items=assessment.items,
    )


def present_preview(
    standard: Standard,
    definitions: dict,
    period: Period,
    community: Community,
    items: list[dict],
    totals: dict,
) -> dict:
    return _presented(
        document=standard.document,
        definitions=definitions,
        community=community,
        header={
            "id": None,
            "state": "preview",
            "computed_at": None,
            "finalised_at": None,
            "period": {"start": period.start, "end": period.end - timedelta(days=1)},
        },
        totals={
            "points": Decimal(totals["points"]),
            "max_points": Decimal(totals["max_points"]),
            "passing_points": Decimal(totals["passing_points"]),
            "meets_standard": totals["meets_standard"],
            "items": totals["items"],
            "met": totals["met"],
            "partly_met": totals["partly_met"],
            "not_met": totals["not_met"],
            "needs_assessment": totals["needs_assessment"],
        },
        areas=totals["areas"],
        items=items,
    )


def present_summary(row: Assessment) -> dict:
    return {
        "id": row.id,
        "standard_code": row.standard_code,
        "period": {"start": row.period_start, "end": row.period_end - timedelta(days=1)},
        "state": row.state,
        "state_label": ASSESSMENT_STATES[row.state],
        "computed_at": row.computed_at,
        "finalised_at": row.finalised_at,
        "points": row.points,
        "max_points": row.max_points,
        "meets_standard": row.meets_standard,
        "met": row.items_met,
        "partly_met": row.items_partly_met,
        "not_met": row.items_not_met,
        "needs_assessment": row.items_needing_assessment,
        "items": row.items_total,
    }


def _presented(*, document, definitions, community, header, totals, areas, items) -> dict:
    texts = {item["code"]: item for item in document["items"]}
    area_titles = {area["code"]: area["title"] for area in document["areas"]}
    return {
        **header,
        "state_label": STATES[header["state"]],
        "community_id": community.id,
        "community_name": community.name,
        "standard": {
            "code": document["code"],
            "name": document["name"],
            "version": document.get("version", 1),
            "source": document.get("source", {}),
        },
        "totals": totals,
        "areas": areas,
        "items": [
            _item(row, texts.get(row["code"], {}), area_titles, definitions) for row in items
        ],
        "definitions": definitions,
    }


def _item(row: dict, text: dict, area_titles: dict, definitions: dict) -> dict:
    return {
        "code": row["code"],
        "area": row["area"],
        "area_title": area_titles.get(row["area"], row["area"]),
        "title": text.get("title"),
        "criterion": text.get("criterion"),
        "checked": text.get("checked"),
        "requirement": text.get("requirement"),
        "responsible": text.get("responsible", []),
        "status": row["status"],
        "status_label": STATUSES[row["status"]],
        "points": row["points"],
        "max_points": row["max_points"],
        "method": row["method"],
        "method_label": METHODS[row["method"]],
        "detail": _node(row["detail"], definitions),
    }


def _node(node: dict, definitions: dict) -> dict:
    shown = {**node, "status_label": STATUSES[node["status"]]}
    kind = node["type"]
    if kind in ("all_of", "any_of"):
        shown["parts"] = [_node(part, definitions) for part in node["parts"]]
        shown["line"] = "以下各项均须达标" if kind == "all_of" else "以下任一项达标即可"
    elif kind == "measured":
        shown.update(_measured(node, definitions))
    elif kind == "facility":
        shown.update(_facility(node, definitions))
    else:
        shown["line"] = _assessed_line(node)
    return shown


def _measured(node: dict, definitions: dict) -> dict:
    known = definitions.get(node["metric"], {})
    unit = _unit(known.get("unit", ""))
    title = known.get("title", node["metric"])
    value = "无法测量" if node["value"] is None else f"{node['value']}{unit}"
    period = "" if node["period"] == "assessment" else f"（{MEASURED_PERIODS[node['period']]}）"
    line = f"{title}{period}：{value}，要求 {OPERATORS[node['op']]} {node['threshold']}{unit}"
    if node.get("label"):
        line = f"{node['label']}。{line}"
    return {
        "title": title,
        "unit": known.get("unit"),
        "definition": known.get("definition"),
        "line": line,
    }


def _facility(node: dict, definitions: dict) -> dict:
    count_metric = FACILITY_COUNT.format(node["kind"])
    known = definitions.get(count_metric, {})
    title = known.get("title", node["kind"])
    found = f"登记 {node['count']} 处"
    if node.get("area") is not None:
        found += f"，共 {node['area']} 平方米"
    wanted = []
    if node.get("min_count"):
        wanted.append(f"至少 {node['min_count']} 处")
    if node.get("min_area") is not None:
        wanted.append(f"面积合计 ≥ {node['min_area']} 平方米")
    per = node.get("per")
    if per is not None:
        basis = definitions.get(per["metric"], {})
        if per["required_area"] is None:
            wanted.append(
                f"每 {per['every']}{_unit(basis.get('unit', ''))}{basis.get('title', '')}"
                f" {per['area']} 平方米（{basis.get('title', per['metric'])}无法测量）"
            )
        else:
            wanted.append(
                f"按{basis.get('title', per['metric'])} {per['basis']}"
                f"{_unit(basis.get('unit', ''))}、每 {per['every']}{_unit(basis.get('unit', ''))}"
                f"计 {per['area']} 平方米，"
                f"面积合计 ≥ {per['required_area']} 平方米"
            )
    return {
        "title": title,
        "definition": known.get("definition"),
        "area_definition": definitions.get(FACILITY_AREA.format(node["kind"]), {}).get(
            "definition"
        ),
        "line": f"{title}：{found}，要求{'、'.join(wanted)}",
    }


def _assessed_line(node: dict) -> str:
    judgement = node.get("judgement")
    if judgement is None:
        who = "或".join(ASSESSOR_ROLES[role] for role in node["roles"])
        return f"待{who}评定" + (f"：{node['guidance']}" if node.get("guidance") else "")
    line = (
        f"{judgement['decided_by']}（{ASSESSOR_ROLES.get(judgement['decided_as'], '')}）评定为"
        f"{STATUSES[judgement['status']]}"
    )
    if judgement.get("note"):
        line += f"：{judgement['note']}"
    return line


def _unit(unit: str) -> str:
    if unit == "%":
        return "%"
    return f" {unit}" if unit else ""
