"""The household register: rooms, exclusive floor areas and owners, kept by the committee."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from backend.communities.models import Building, Household, Unit
from backend.communities.permissions import policy
from backend.communities.services.common import (
    apply_changes,
    delete_unreferenced,
    flush_unique,
)
from backend.core.auth import Actor
from backend.core.db import db, transaction
from backend.core.errors import InvalidInput
from backend.core.tenancy.scoping import scoped_or_404

# The columns of the register committees keep, in Chinese or English.
CSV_COLUMNS = {
    "building": ("building", "楼栋", "楼号"),
    "unit": ("unit", "单元"),
    "room": ("room", "房号", "室号"),
    "exclusive_area": ("exclusive_area", "面积", "专有部分面积", "建筑面积"),
    "owner_ref": ("owner_ref", "业主编号", "产权证号"),
}
MAX_IMPORT_ROWS = 20000
MAX_AREA = Decimal("99999.99")


def list_households(*, actor: Actor, community_id: int, filters: dict) -> sa.Select:
    community = policy.community(actor, "community.view_households", community_id)
    query = sa.select(Household).where(Household.community_id == community.id)
    for name in ("building_id", "unit_id", "room", "owner_ref"):
        if filters.get(name) is not None:
            query = query.where(getattr(Household, name) == filters[name])
    return query.order_by(Household.building_id, Household.unit_id, Household.room)


def get_household(*, actor: Actor, community_id: int, household_id: int) -> Household:
    community = policy.community(actor, "community.view_households", community_id)
    return scoped_or_404(Household, household_id, community)


def create_household(*, actor: Actor, community_id: int, data: dict) -> Household:
    """Register one household in a unit of this community. 404 for a foreign unit;
    409 household_exists when the room is already registered."""
    with transaction() as tx:
        community = policy.community(actor, "community.manage_households", community_id)
        unit = scoped_or_404(Unit, data.pop("unit_id"), community)
        household = Household(
            community_id=community.id, building_id=unit.building_id, unit_id=unit.id, **data
        )
        tx.add(household)
        flush_unique("该房屋已登记", "household_exists")
        return household


def update_household(*, actor: Actor, community_id: int, household_id: int, changes: dict):
    with transaction():
        community = policy.community(actor, "community.manage_households", community_id)
        household = scoped_or_404(Household, household_id, community)
        if "unit_id" in changes:
            unit = scoped_or_404(Unit, changes.pop("unit_id"), community)
            household.unit_id = unit.id
            household.building_id = unit.building_id
        apply_changes(household, changes)
        flush_unique("该房屋已登记", "household_exists")
        db.session.refresh(household)
        return household


def delete_household(*, actor: Actor, community_id: int, household_id: int) -> None:
    """Remove a household entered by mistake; 409 household_in_use naming what still points at
    it (residents' claims, ballots, a roll: "该户仍有 1 个居民身份、2 张选票，不能删除"). Its
    unused invitation letters go with it."""
    with transaction():
        community = policy.community(actor, "community.manage_households", community_id)
        household = scoped_or_404(Household, household_id, community)
        delete_unreferenced(household, what="该户", code="household_in_use")


def import_households(*, actor: Actor, community_id: int, content: bytes) -> dict:
    """Load the committee's register from CSV (楼栋,单元,房号,面积,业主编号; UTF-8 or GBK).

    Buildings and units are created as needed; a room already registered gets its area and owner
    updated. All or nothing: one bad row answers 422 with every bad row listed, nothing written.
    """
    with transaction() as tx:
        community = policy.community(actor, "community.manage_households", community_id)
        rows = _parse_register(content)
        summary = {"rows": len(rows), "created": 0, "updated": 0, "buildings_created": 0,
                   "units_created": 0}
        buildings = {b.name: b for b in tx.scalars(
            sa.select(Building).where(Building.community_id == community.id))}
        units = {(u.building_id, u.name): u for u in tx.scalars(
            sa.select(Unit).where(Unit.community_id == community.id))}
        existing = {(h.unit_id, h.room): h for h in tx.scalars(
            sa.select(Household).where(Household.community_id == community.id))}
        for row in rows:
            building = buildings.get(row["building"])
            if building is None:
                building = Building(community_id=community.id, name=row["building"])
                tx.add(building)
                tx.flush()
                buildings[building.name] = building
                summary["buildings_created"] += 1
            unit = units.get((building.id, row["unit"]))
            if unit is None:
                unit = Unit(community_id=community.id, building_id=building.id, name=row["unit"])
                tx.add(unit)
                tx.flush()
                units[(building.id, unit.name)] = unit
                summary["units_created"] += 1
            household = existing.get((unit.id, row["room"]))
            if household is None:
                household = Household(community_id=community.id, building_id=building.id,
                                      unit_id=unit.id, room=row["room"])
                tx.add(household)
                existing[(unit.id, row["room"])] = household
                summary["created"] += 1
            else:
                summary["updated"] += 1
            # A column the file does not have leaves the register's value alone.
            for name in ("exclusive_area", "owner_ref"):
                if name in row:
                    setattr(household, name, row[name])
        return summary


def _decode(content: bytes) -> str:
    # A NUL is no text a register holds (nor PostgreSQL's text): most likely a UTF-16 export.
    if b"\x00" not in content:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise InvalidInput("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV", code="csv_encoding")


def _parse_register(content: bytes) -> list[dict]:
    reader = csv.reader(io.StringIO(_decode(content)))
    header = next(reader, None)
    if not header:
        raise InvalidInput("文件为空", code="csv_empty")
    positions = {}
    for name, aliases in CSV_COLUMNS.items():
        for index, title in enumerate(header):
            if title.strip().lower() in aliases:
                positions[name] = index
    missing = [name for name in ("building", "unit", "room") if name not in positions]
    if missing:
        raise InvalidInput(
            "缺少必需的列：楼栋、单元、房号", code="csv_columns",
            errors={"columns": missing},
        )
    rows, errors, seen = [], {}, set()
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise InvalidInput(f"一次最多导入 {MAX_IMPORT_ROWS} 行", code="csv_too_many_rows")
        row, problems = _parse_row(cells, positions)
        key = (row.get("building"), row.get("unit"), row.get("room"))
        if not problems and key in seen:
            problems.append("duplicate room in this file")
        seen.add(key)
        if problems:
            errors[str(number)] = problems
        else:
            rows.append(row)
    if errors:
        raise InvalidInput("部分行有误，未导入任何数据", code="csv_rows_invalid", errors=errors)
    return rows


def _parse_row(cells: list[str], positions: dict[str, int]) -> tuple[dict, list[str]]:
    def cell(name: str) -> str:
        index = positions.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    row: dict = {}
    problems = []
    for name, limit in (("building", 50), ("unit", 50), ("room", 20)):
        value = cell(name)
        if not value:
            problems.append(f"{name} is required")
        elif len(value) > limit:
            problems.append(f"{name} is longer than {limit}")
        row[name] = value
    if "exclusive_area" in positions:
        row["exclusive_area"], problem = parse_area(cell("exclusive_area"))
        if problem:
            problems.append(problem)
    if "owner_ref" in positions:
        owner_ref = cell("owner_ref")
        if len(owner_ref) > 64:
            problems.append("owner_ref is longer than 64")
        row["owner_ref"] = owner_ref or None
    return row, problems


def parse_area(text: str) -> tuple[Decimal | None, str | None]:
    """A register's area cell: blank, or m² above 0 with at most two decimals (never rounded)."""
    if not text:
        return None, None
    try:
        area = Decimal(text)
        if not area.is_finite() or area.as_tuple().exponent < -2 or not 0 < area <= MAX_AREA:
            raise InvalidOperation
    except InvalidOperation:
        return None, "exclusive_area must be m² above 0 with at most two decimals"
    return area.quantize(Decimal("0.01")), None


