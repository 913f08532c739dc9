"""Evaluating a standard's items for one community from values already measured: pure, no
database, so one run measures every community first (one query per measurement) and then walks
the items here.

Each node gives one of four statuses. A measurement without a value (no households to divide by,
a floor area not registered) cannot decide anything: the node needs a person, never passes
silently. Combinations:

- all of: not met if any part is not met; else needs assessment if any part does; else partly
  met if any part is; else met;
- any of: met if any part is met; else needs assessment if any part does (it may still be met);
  else partly met if any part is; else not met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from backend.core.metrics import Evidence, Value
from backend.scoring.standard.nodes import (
    FACILITY_AREA,
    FACILITY_COUNT,
    AllOf,
    AnyOf,
    Assessed,
    Facility,
    Item,
    Measured,
    Node,
    Standard,
)

MET = "met"
PARTLY_MET = "partly_met"
NOT_MET = "not_met"
NEEDS_ASSESSMENT = "needs_assessment"
STATUSES = {
    MET: "达标",
    PARTLY_MET: "部分达标",
    NOT_MET: "未达标",
    NEEDS_ASSESSMENT: "待评定",
}
JUDGED = (MET, PARTLY_MET, NOT_MET)
CENT = Decimal("0.01")

_ALL_OF_ORDER = (NOT_MET, NEEDS_ASSESSMENT, PARTLY_MET, MET)
_ANY_OF_ORDER = (MET, NEEDS_ASSESSMENT, PARTLY_MET, NOT_MET)


@dataclass(frozen=True)
class Measurements:
    """What one run measured: values and evidence by (measurement, period key), per community."""

    values: Mapping[tuple[str, str], Mapping[int, Value]]
    evidence: Mapping[tuple[str, str], Mapping[int, list[Evidence]]]

    def value(self, metric: str, period: str, community_id: int) -> Value:
        return self.values[(metric, period)].get(community_id)

    def evidence_of(self, metric: str, period: str, community_id: int) -> list[dict]:
        listed = self.evidence.get((metric, period), {}).get(community_id, [])
        return [{"kind": e.kind, "id": e.id, "label": e.label} for e in listed]


def compare(value: Decimal | int, op: str, threshold: Decimal) -> bool:
    value = Decimal(value)
    return {
        ">=": value >= threshold,
        ">": value > threshold,
        "<=": value <= threshold,
        "<": value < threshold,
        "==": value == threshold,
    }[op]


def evaluate_item(
    item: Item,
    community_id: int,
    measured: Measurements,
    judgement: dict | None,
    partly_share: Decimal,
) -> dict:
    """One item's result: status, points and the tree of what decided it."""
    detail = _evaluate(item.evaluation, community_id, measured, judgement)
    status = detail["status"]
    if status == MET:
        points = item.points.quantize(CENT, ROUND_HALF_UP)
    elif status == PARTLY_MET:
        points = (item.points * partly_share).quantize(CENT, ROUND_HALF_UP)
    else:
        points = Decimal("0.00")
    return {
        "code": item.code,
        "area": item.area,
        "status": status,
        "points": str(points),
        "max_points": str(item.points.quantize(CENT, ROUND_HALF_UP)),
        "method": item.method,
        "detail": detail,
    }


def _evaluate(node: Node, community_id: int, measured: Measurements, judgement) -> dict:
    if isinstance(node, AllOf | AnyOf):
        parts = [_evaluate(part, community_id, measured, judgement) for part in node.parts]
        order = _ALL_OF_ORDER if isinstance(node, AllOf) else _ANY_OF_ORDER
        found = {part["status"] for part in parts}
        status = next(status for status in order if status in found)
        return {
            "type": "all_of" if isinstance(node, AllOf) else "any_of",
            "status": status,
            "parts": parts,
        }
    if isinstance(node, Measured):
        return _measured(node, community_id, measured)
    if isinstance(node, Facility):
        return _facility(node, community_id, measured)
    return _assessed(node, judgement)


def _measured(node: Measured, community_id: int, measured: Measurements) -> dict:
    value = measured.value(node.metric, node.period, community_id)
    if value is None:
        status = NEEDS_ASSESSMENT
    else:
        status = MET if compare(value, node.op, node.value) else NOT_MET
    return {
        "type": "measured",
        "status": status,
        "metric": node.metric,
        "period": node.period,
        "value": _number(value),
        "op": node.op,
        "threshold": _number(node.value),
        "label": node.label,
        "evidence": measured.evidence_of(node.metric, node.period, community_id),
    }


def _facility(node: Facility, community_id: int, measured: Measurements) -> dict:
    count_metric = FACILITY_COUNT.format(node.kind)
    area_metric = FACILITY_AREA.format(node.kind)
    count = measured.value(count_metric, "assessment", community_id) or 0
    area = None
    if node.min_area is not None or node.per is not None:
        area = measured.value(area_metric, "assessment", community_id) or Decimal(0)

    checks: list[bool | None] = []
    min_count = node.min_count
    if min_count is None and node.min_area is None and node.per is None:
        min_count = 1
    if min_count is not None:
        checks.append(count >= min_count)
    if node.min_area is not None:
        checks.append(Decimal(area) >= node.min_area)
    required_area = basis = None
    if node.per is not None:
        basis = measured.value(node.per.metric, "assessment", community_id)
        if basis is not None:
            required_area = (node.per.area * Decimal(basis) / node.per.every).quantize(
                CENT, ROUND_HALF_UP
            )
        if not count:
            checks.append(False)  # nothing registered fails whatever the basis
        elif required_area is None:
            checks.append(None)
        else:
            checks.append(Decimal(area) >= required_area)
    if False in checks:
        status = NOT_MET
    elif None in checks:
        status = NEEDS_ASSESSMENT
    else:
        status = MET
    detail = {
        "type": "facility",
        "status": status,
        "kind": node.kind,
        "count": count,
        "area": _number(area),
        "min_count": min_count,
        "min_area": _number(node.min_area),
        "evidence": measured.evidence_of(count_metric, "assessment", community_id),
    }
    if node.per is not None:
        detail["per"] = {
            "metric": node.per.metric,
            "every": _number(node.per.every),
            "area": _number(node.per.area),
            "basis": _number(basis),
            "required_area": _number(required_area),
        }
    return detail


def _assessed(node: Assessed, judgement: dict | None) -> dict:
    return {
        "type": "assessed",
        "status": judgement["status"] if judgement else NEEDS_ASSESSMENT,
        "roles": list(node.roles),
        "guidance": node.guidance,
        "judgement": judgement,
    }


def _number(value) -> str | int | None:
    if value is None or isinstance(value, int):
        return value
    return str(value)


# ---------------------------------------------------------------- totals


def totals(standard: Standard, items: list[dict]) -> dict:
    """Points and counts, for the standard and each area; whether the community meets it."""

    def summary(rows: list[dict]) -> dict:
        counted = {status: 0 for status in STATUSES}
        for row in rows:
            counted[row["status"]] += 1
        return {
            "points": _sum(row["points"] for row in rows),
            "max_points": _sum(row["max_points"] for row in rows),
            "items": len(rows),
            **counted,
        }

    whole = summary(items)
    return {
        **whole,
        "passing_points": str(standard.passing_points.quantize(CENT, ROUND_HALF_UP)),
        "meets_standard": Decimal(whole["points"]) >= standard.passing_points,
        "areas": [
            {
                "code": area.code,
                "title": area.title,
                **summary([row for row in items if row["area"] == area.code]),
            }
            for area in standard.areas
        ],
    }


def _sum(points) -> str:
    return str(sum((Decimal(value) for value in points), Decimal(0)).quantize(CENT, ROUND_HALF_UP))
