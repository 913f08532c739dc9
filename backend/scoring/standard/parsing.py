"""Reading a standard document: `parse_standard` checks it against the shape and the metrics
registry and builds the nodes, or raises `StandardInvalid` with every problem at its field; the
shipped documents are read from `standards/*.yaml`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import yaml

from backend.core.metrics import Metric
from backend.scoring.standard.nodes import (
    ASSESSOR_ROLES,
    FACILITY_COUNT,
    OPERATORS,
    PERIODS,
    AllOf,
    AnyOf,
    Area,
    Assessed,
    Facility,
    Item,
    Measured,
    Node,
    PerBasis,
    Standard,
    walk,
)

STANDARDS_DIR = Path(__file__).parent.parent / "standards"

MAX_ITEMS = 200
MAX_DEPTH = 4
MAX_PARTS = 10
CODE_PATTERN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-.")


class StandardInvalid(Exception):
    """The document cannot be evaluated; `errors` is keyed like the document."""

    def __init__(self, errors: dict):
        super().__init__("invalid standard")
        self.errors = errors


class _Errors:
    """Collects messages at document paths: {"items": {"3": {"evaluation": {...}}}}."""

    def __init__(self):
        self.tree: dict = {}

    def add(self, path: tuple, message: str) -> None:
        node = self.tree
        for key in path[:-1]:
            child = node.get(str(key))
            if not isinstance(child, dict):
                # Messages about the whole of this part stay beside those about its fields.
                child = {"_schema": child} if child else {}
                node[str(key)] = child
            node = child
        leaf = str(path[-1]) if path else "_schema"
        if isinstance(node.get(leaf), dict):
            node[leaf].setdefault("_schema", []).append(message)
        else:
            node.setdefault(leaf, []).append(message)


def parse_standard(document: object, metrics: dict[str, Metric]) -> Standard:
    """Check a standard document against the schema and the registry; raise StandardInvalid
    with every problem found, or return the Standard."""
    errors = _Errors()
    if not isinstance(document, dict):
        raise StandardInvalid({"_schema": ["标准应为一个对象"]})
    known = {
        "code",
        "name",
        "source",
        "version",
        "areas",
        "items",
        "passing_points",
        "partly_share",
    }
    for key in document:
        if key not in known:
            errors.add((key,), "未知字段")
    code = _code(document, "code", (), errors, max_length=64)
    name = _text(document, "name", (), errors, max_length=200, required=True)
    source = document.get("source", {})
    if not isinstance(source, dict) or not all(
        isinstance(key, str) and isinstance(value, str) and len(value) <= 500
        for key, value in source.items()
    ):
        errors.add(("source",), "出处应为文字字段（每项不超过 500 字）")
        source = {}
    version = document.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.add(("version",), "版本号应为正整数")
        version = 1

    areas: list[Area] = []
    raw_areas = document.get("areas")
    if not isinstance(raw_areas, list) or not raw_areas:
        errors.add(("areas",), "至少要有一个方面")
        raw_areas = []
    for index, raw in enumerate(raw_areas):
        path = ("areas", index)
        if not isinstance(raw, dict) or set(raw) - {"code", "title"}:
            errors.add(path, "方面应为 {code, title}")
            continue
        area_code = _code(raw, "code", path, errors, max_length=40)
        title = _text(raw, "title", path, errors, max_length=200, required=True)
        if area_code in {area.code for area in areas}:
            errors.add((*path, "code"), "方面编号重复")
        areas.append(Area(area_code or "", title or ""))

    items: list[Item] = []
    raw_items = document.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        errors.add(("items",), "至少要有一个条目")
        raw_items = []
    if len(raw_items) > MAX_ITEMS:
        errors.add(("items",), f"条目不能超过 {MAX_ITEMS} 个")
        raw_items = []
    area_codes = {area.code for area in areas}
    for index, raw in enumerate(raw_items):
        item = _item(raw, ("items", index), errors, area_codes, metrics)
        if item is None:
            continue
        if item.code in {known_item.code for known_item in items}:
            errors.add(("items", index, "code"), "条目编号重复")
        items.append(item)

    total = sum((item.points for item in items), Decimal(0))
    passing = _decimal(document, "passing_points", (), errors, default=total, minimum=Decimal(0))
    if passing is not None and passing > total and items:
        errors.add(("passing_points",), f"达标分不能超过总分 {total}")
    partly = _decimal(
        document, "partly_share", (), errors, default=Decimal("0.5"), minimum=Decimal(0)
    )
    if partly is not None and partly > 1:
        errors.add(("partly_share",), "部分达标的得分比例应在 0 到 1 之间")
    if errors.tree:
        raise StandardInvalid(errors.tree)
    return Standard(
        code=code,
        name=name,
        version=version,
        source=dict(source),
        areas=tuple(areas),
        items=tuple(items),
        passing_points=passing,
        partly_share=partly,
        document=document,
    )


def _item(raw, path, errors: _Errors, area_codes, metrics) -> Item | None:
    if not isinstance(raw, dict):
        errors.add(path, "条目应为一个对象")
        return None
    known = {
        "code",
        "area",
        "title",
        "criterion",
        "checked",
        "requirement",
        "responsible",
        "points",
        "evaluation",
    }
    for key in raw:
        if key not in known:
            errors.add((*path, key), "未知字段")
    code = _code(raw, "code", path, errors, max_length=20)
    area = raw.get("area")
    if area not in area_codes:
        errors.add((*path, "area"), "条目所属的方面不存在")
    title = _text(raw, "title", path, errors, max_length=200, required=True)
    criterion = _text(raw, "criterion", path, errors, max_length=2000, required=True)
    checked = _text(raw, "checked", path, errors, max_length=2000)
    requirement = _text(raw, "requirement", path, errors, max_length=500)
    responsible = raw.get("responsible", [])
    if not isinstance(responsible, list) or not all(
        isinstance(name, str) and 0 < len(name) <= 100 for name in responsible
    ):
        errors.add((*path, "responsible"), "责任单位应为名称列表")
        responsible = []
    points = _decimal(raw, "points", path, errors, default=Decimal(1), minimum=Decimal(0))
    evaluation = _node(raw.get("evaluation"), (*path, "evaluation"), errors, metrics, depth=1)
    if evaluation is not None:
        assessed = [node for node in walk(evaluation) if isinstance(node, Assessed)]
        if len(assessed) > 1:
            errors.add((*path, "evaluation"), "一个条目至多有一处由人评定")
    if None in (code, title, criterion, points, evaluation):
        return None
    return Item(
        code=code,
        area=area,
        title=title,
        criterion=criterion,
        checked=checked,
        requirement=requirement,
        responsible=tuple(responsible),
        points=points,
        evaluation=evaluation,
    )


def _node(raw, path, errors: _Errors, metrics, depth: int) -> Node | None:
    if not isinstance(raw, dict) or len(raw) != 1:
        errors.add(path, "评价方式应恰好是 measured、facility、assessed、all_of、any_of 之一")
        return None
    [(kind, body)] = raw.items()
    path = (*path, kind)
    if kind in ("all_of", "any_of"):
        if depth >= MAX_DEPTH:
            errors.add(path, f"组合不能超过 {MAX_DEPTH} 层")
            return None
        if not isinstance(body, list) or not 2 <= len(body) <= MAX_PARTS:
            errors.add(path, f"组合应列出 2 至 {MAX_PARTS} 项")
            return None
        parts = [
            _node(part, (*path, index), errors, metrics, depth + 1)
            for index, part in enumerate(body)
        ]
        if None in parts:
            return None
        return (AllOf if kind == "all_of" else AnyOf)(tuple(parts))
    if not isinstance(body, dict):
        errors.add(path, "应为一个对象")
        return None
    if kind == "measured":
        return _measured(body, path, errors, metrics)
    if kind == "facility":
        return _facility(body, path, errors, metrics)
    if kind == "assessed":
        return _assessed(body, path, errors)
    errors.add(path[:-1], "评价方式应恰好是 measured、facility、assessed、all_of、any_of 之一")
    return None


def _measured(body, path, errors, metrics) -> Measured | None:
    _only(body, {"metric", "op", "value", "period", "label"}, path, errors)
    metric = body.get("metric")
    if metric not in metrics:
        errors.add((*path, "metric"), "未知的测量指标（可用指标见 GET /api/v1/metrics）")
    op = body.get("op")
    if op not in OPERATORS:
        errors.add((*path, "op"), "比较方式应为 " + "、".join(OPERATORS))
    value = _decimal(body, "value", path, errors, required=True)
    period = body.get("period", "assessment")
    if period not in PERIODS:
        errors.add((*path, "period"), "统计期应为 " + "、".join(PERIODS))
    label = _text(body, "label", path, errors, max_length=200)
    if metric not in metrics or op not in OPERATORS or value is None or period not in PERIODS:
        return None
    return Measured(metric=metric, op=op, value=value, period=period, label=label)


def _facility(body, path, errors, metrics) -> Facility | None:
    _only(body, {"kind", "min_count", "min_area", "per"}, path, errors)
    kind = body.get("kind")
    if not isinstance(kind, str) or FACILITY_COUNT.format(kind) not in metrics:
        errors.add((*path, "kind"), "设施登记册中没有这种设施类型")
        kind = None
    min_count = body.get("min_count")
    if min_count is not None and (
        not isinstance(min_count, int) or isinstance(min_count, bool) or not 1 <= min_count <= 100
    ):
        errors.add((*path, "min_count"), "数量应为 1 至 100 的整数")
        min_count = None
    min_area = _decimal(body, "min_area", path, errors, minimum=Decimal(0))
    per = None
    raw_per = body.get("per")
    if raw_per is not None:
        if not isinstance(raw_per, dict):
            errors.add((*path, "per"), "应为 {metric, every, area}")
        else:
            per_path = (*path, "per")
            _only(raw_per, {"metric", "every", "area"}, per_path, errors)
            basis = raw_per.get("metric")
            if basis not in metrics:
                errors.add((*per_path, "metric"), "未知的测量指标")
            every = _decimal(
                raw_per, "every", per_path, errors, required=True, minimum=Decimal("0.01")
            )
            area = _decimal(raw_per, "area", per_path, errors, required=True, minimum=Decimal(0))
            if basis in metrics and every is not None and area is not None:
                per = PerBasis(basis, every, area)
    if min_count is None and min_area is None and per is None and "per" not in body:
        if "min_count" not in body and "min_area" not in body:
            errors.add(path, "至少给出 min_count、min_area、per 之一")
        return None
    if kind is None or (raw_per is not None and per is None):
        return None
    return Facility(kind=kind, min_count=min_count, min_area=min_area, per=per)


def _assessed(body, path, errors) -> Assessed | None:
    _only(body, {"roles", "guidance"}, path, errors)
    roles = body.get("roles", list(ASSESSOR_ROLES))
    if (
        not isinstance(roles, list)
        or not roles
        or not all(role in ASSESSOR_ROLES for role in roles)
    ):
        errors.add((*path, "roles"), "评定人应为 " + "、".join(ASSESSOR_ROLES) + " 中的一个或多个")
        return None
    guidance = _text(body, "guidance", path, errors, max_length=1000)
    return Assessed(roles=tuple(dict.fromkeys(roles)), guidance=guidance)


def _only(body: dict, allowed: set[str], path, errors) -> None:
    for key in body:
        if key not in allowed:
            errors.add((*path, key), "未知字段")


def _text(body, key, path, errors, *, max_length, required=False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            errors.add((*path, key), "必填")
        return None
    if not isinstance(value, str) or not value.strip():
        errors.add((*path, key), "应为非空文字")
        return None
    if len(value) > max_length:
        errors.add((*path, key), f"不能超过 {max_length} 字")
        return None
    return value.strip()


def _code(body, key, path, errors, *, max_length) -> str | None:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        errors.add((*path, key), "必填，应为文字")
        return None
    if len(value) > max_length or not set(value) <= CODE_PATTERN_CHARS:
        errors.add(
            (*path, key), f"编号只能由小写字母、数字、_ - . 组成，不超过 {max_length} 个字符"
        )
        return None
    return value


def _decimal(body, key, path, errors, *, default=None, required=False, minimum=None):
    value = body.get(key)
    if value is None:
        if required:
            errors.add((*path, key), "必填")
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.add((*path, key), "应为数字")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.add((*path, key), "应为数字")
        return None
    if not number.is_finite() or abs(number) > Decimal("1e9"):
        errors.add((*path, key), "数字超出范围")
        return None
    if minimum is not None and number < minimum:
        errors.add((*path, key), f"不能小于 {minimum}")
        return None
    return number


# ---------------------------------------------------------------- the shipped standards


@cache
def builtin_documents() -> dict[str, dict]:
    """The standards shipped in `standards/*.yaml`, by code (read once per process)."""
    documents = {}
    for path in sorted(STANDARDS_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        documents[document["code"]] = document
    return documents
