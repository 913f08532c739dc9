"""Exports of a closed vote: its result and its ballot list, as CSV and XLSX.

The street and the official owners' voting systems (业主决策平台) take spreadsheets: one row per
counted ballot, the household named by building, unit and room (the form those systems match
on), never by a person's name or phone. CSV is UTF-8 with a byte order mark, so that Excel on a
Chinese Windows opens it without garbling; areas are exact two-place decimals everywhere.

The ballot list streams: rows come from the database in batches on a server-side cursor and
leave as CSV lines, so a district-wide vote of 400,000 ballots never sits in memory. XLSX is
written by openpyxl in write-only mode (rows go to a temporary file) and then sent from disk.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from backend.communities.models import Building, Household, Unit
from backend.consultations.models import (
    CHANNELS,
    DECISIONS,
    METHODS,
    Ballot,
    BallotMark,
    Consultation,
)
from backend.consultations.services import results
from backend.consultations.services.common import load
from backend.core.audit import services as audit
from backend.core.auth import Actor
from backend.core.db import db, transaction
from backend.core.errors import Conflict
from backend.core.metrics import DEFAULT_TIMEZONE
from backend.core.spreadsheets import FORMULA_START, safe_file_name
from backend.core.tenancy.models import Community

PARTS = {"result": "表决结果", "ballots": "表决清单"}
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
COUNTED = ("closed", "published")
# Rows fetched per round trip: enough to keep the cursor busy, few enough to stay small.
BATCH = 2000
CHUNK = 64 * 1024

AREA_FORMAT = "0.00"
_CENT = Decimal("0.01")
# Option labels come from residents' needs: a label like "=HYPERLINK(...)" must stay text
# (FORMULA_START).

Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Export:
    """A file ready to send: its names, its type and its bytes (a stream, read once)."""

    filename: str  # the Chinese name, for filename*
    fallback_filename: str  # ASCII, for clients that ignore filename*
    content_type: str
    chunks: Iterable[bytes]

    @property
    def content_disposition(self) -> str:
        return (
            f'attachment; filename="{self.fallback_filename}"; '
            f"filename*=UTF-8''{quote(self.filename, safe='')}"
        )


def export_consultation(
    *, actor: Actor, community_id: int, consultation_id: int, part: str, file_format: str
) -> Export:
    """Export the result (`part="result"`) or the ballot list (`"ballots"`) of a closed vote as
    `csv` or `xlsx` (committee, street, system admin); every export is audited.

    Outcomes: the file; 409 `voting_not_closed` before the close; 409 `consultation_cancelled`
    for a cancelled vote (its ballots were never counted).
    """
    if part not in PARTS or file_format not in FORMATS:
        raise ValueError(f"unknown export {part}.{file_format}")  # the URL rule allows neither
    with transaction():
        context = load(
            actor=actor,
            community_id=community_id,
            consultation_id=consultation_id,
            action="consultation.export",
        )
        consultation = context.consultation
        if consultation.status == "cancelled":
            raise Conflict("该议事协商已取消，没有可导出的结果", code="consultation_cancelled")
        if consultation.status not in COUNTED:
            raise Conflict("表决截止后才能导出结果和表决清单", code="voting_not_closed")
        # Recorded before the first byte leaves: a download cut short was still an export.
        audit.record(
            action="consultation.exported",
            target_type="consultation",
            target_id=consultation.id,
            community=context.community,
            actor=actor,
            details={"part": part, "format": file_format},
        )
    community = context.community
    if part == "result":
        rows: Iterable[list[Cell]] = result_rows(community, consultation)
    else:
        rows = ballot_rows(community, consultation)
    chunks = _csv_chunks(rows) if file_format == "csv" else _xlsx_chunks(PARTS[part], rows)
    return Export(
        filename=f"{_safe_name(consultation.title)}-{PARTS[part]}.{file_format}",
        fallback_filename=f"consultation-{consultation.id}-{part}.{file_format}",
        content_type=FORMATS[file_format],
        chunks=chunks,
    )


# ---------------------------------------------------------------- the ballot list


def ballot_columns(consultation: Consultation) -> list[str]:
    columns = ["楼栋", "单元", "房号", "专有面积(m²)"]
    if consultation.is_owners_decision:
        columns.append("业主编号")
    return columns + ["表决意见", "投票方式", "代理人", "书面票编号", "投票时间", "回执哈希"]


def ballot_rows(community: Community, consultation: Consultation) -> Iterator[list[Cell]]:
    """The header, then one row per counted ballot in building, unit and room order (natural:
    2号楼 before 10号楼), fetched in batches."""
    owners = consultation.is_owners_decision
    zone = _zone(community)
    options = {option.id: option.label for option in consultation.options}
    order = {option.id: index for index, option in enumerate(consultation.options)}
    # Owners' decisions count the area on the roll (copied to the ballot); other votes show the
    # household's registered area for reference.
    area = Ballot.area if owners else Household.exclusive_area
    query = (
        sa.select(
            Ballot.id,
            Building.name,
            Unit.name,
            Household.room,
            area,
            Ballot.owner_no,
            Ballot.decision,
            Ballot.channel,
            Ballot.proxy_name,
            Ballot.paper_ref,
            Ballot.cast_at,
            Ballot.receipt_hash,
        )
        .select_from(Ballot)
        .outerjoin(Household, Household.id == Ballot.household_id)
        .outerjoin(Unit, Unit.id == Household.unit_id)
        .outerjoin(Building, Building.id == Household.building_id)
        .where(Ballot.consultation_id == consultation.id)
        .order_by(
            sa.func.length(Building.name),
            Building.name,
            sa.func.length(Unit.name),
            Unit.name,
            sa.func.length(Household.room),
            Household.room,
            Ballot.id,
        )
        .execution_options(yield_per=BATCH)
    )
    yield ballot_columns(consultation)
    for batch in db.session.execute(query).partitions():
        marks = {} if owners else _marks_of([row[0] for row in batch])
        for (ballot_id, building, unit, room, row_area, owner_no, decision, channel, proxy_name,
             paper_ref, cast_at, receipt) in batch:
            if owners:
                choice = DECISIONS.get(decision, decision or "")
            else:
                choice = _choice_text(consultation.method, marks.get(ballot_id, []), options,
                                      order)
            row: list[Cell] = [building, unit, room, _two_places(row_area)]
            if owners:
                row.append(owner_no)
            row += [
                choice,
                CHANNELS.get(channel, channel),
                proxy_name,
                paper_ref,
                _local(cast_at, zone),
                receipt,
            ]
            yield row


def _marks_of(ballot_ids: list[int]) -> dict[int, list[tuple[int, int | None, int | None]]]:
    marks: dict[int, list] = defaultdict(list)
    rows = db.session.execute(
        sa.select(BallotMark.ballot_id, BallotMark.option_id, BallotMark.rank, BallotMark.points)
        .where(BallotMark.ballot_id.in_(ballot_ids))
    )
    for ballot_id, option_id, rank, points in rows:
        marks[ballot_id].append((option_id, rank, points))
    return marks


def _choice_text(method: str, marks, labels: dict[int, str], order: dict[int, int]) -> str:
    """What a ballot chose, as a person reads it off the paper form."""
    if method == "ranking":
        ranked = sorted(marks, key=lambda mark: mark[1])
        return " ".join(f"{rank}.{labels[option_id]}" for option_id, rank, _ in ranked)
    in_order = sorted(marks, key=lambda mark: order.get(mark[0], 0))
    if method == "points":
        return "；".join(f"{labels[option_id]} {points}分" for option_id, _, points in in_order)
    return "、".join(labels[option_id] for option_id, _, _ in in_order)


# ---------------------------------------------------------------- the result


def result_rows(community: Community, consultation: Consultation) -> Iterator[list[Cell]]:
    """The stored result as a table: who and when, then the ratios of an owners' decision or the
    standings of the options."""
    result = consultation.result
    if result is None:
        # Only a vote closed outside the lifecycle (an import, a fixture) lacks its stored
        # tally; its ballots no longer change, so counting them now gives the same result.
        result = results.compute(consultation, final=True)
    zone = _zone(community)
    per_resident = consultation.ballot_per == "resident"
    yield ["社区", community.name]
    yield ["议事协商", consultation.title]
    yield ["表决方式", METHODS.get(consultation.method, consultation.method)]
    yield ["表决开始", _local(consultation.voting_opened_at or consultation.voting_opens_at, zone)]
    yield ["表决截止", _local(consultation.closed_at, zone)]
    yield ["计票时间", _local(_parse(result.get("computed_at")), zone)]
    if consultation.published_at is not None:
        yield ["公示时间", _local(consultation.published_at, zone)]
    yield ["有效票数", result["ballots"]]
    yield ["应参与人数" if per_resident else "应参与户数", result["eligible"]]
    yield []
    if result.get("decision"):
        yield from _decision_rows(result["decision"])
    else:
        yield from _standing_rows(result)


def _decision_rows(decision: dict) -> Iterator[list[Cell]]:
    totals = decision["totals"]
    yield ["表决事项", f"第{decision['matter']}项：{decision['matter_title']}"]
    yield ["表决规则", decision["rule_label"]]
    yield ["表决结果", "通过" if decision["passed"] else "未通过"]
    yield []
    yield ["比例", "分子", "分母", "单位", "百分比(%)", "法定比例", "是否达到", "说明"]
    for ratio in decision["ratios"]:
        yield [
            ratio["label"],
            _amount(ratio["numerator"]),
            _amount(ratio["denominator"]),
            ratio["unit"],
            _two_places(Decimal(ratio["percent"])),
            f"{ratio['comparator']} {ratio['threshold']}",
            "达到" if ratio["met"] else "未达到",
            ratio["text"],
        ]
    yield []
    yield ["表决意见", "专有面积(m²)", "业主人数"]
    for key, label in DECISIONS.items():
        yield [label, _two_places(Decimal(totals["area"][key])), totals["heads"][key]]
    yield ["参与表决合计", _two_places(Decimal(totals["participating_area"])),
           totals["participating_heads"]]
    yield ["全体业主", _two_places(Decimal(totals["total_area"])), totals["total_heads"]]
    if decision.get("split_heads"):
        yield ["各户意见不一致的业主", None, decision["split_heads"]]
    yield []
    for reason in decision["reasons"]:
        yield ["说明", reason]


def _standing_rows(result: dict) -> Iterator[list[Cell]]:
    ranking = result.get("method") == "ranking"
    yield ["名次", "选项", "票数", "得分", *(["第一选择数"] if ranking else []), "得分占比(%)"]
    for standing in result.get("standings") or []:
        yield [
            standing["place"],
            standing["label"],
            standing["votes"],
            standing["score"],
            *([standing["first_preferences"]] if ranking else []),
            _two_places(Decimal(standing["share"])),
        ]
    ties = result.get("ties") or []
    if ties:
        yield []
        for tie in ties:
            yield ["并列说明", tie]


# ---------------------------------------------------------------- writing the files


def _csv_chunks(rows: Iterable[list[Cell]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)


def _xlsx_chunks(title: str, rows: Iterable[list[Cell]]) -> Iterator[bytes]:
    """Write the workbook now (errors surface before the answer starts), send it afterwards."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    # Not a `with`: the file outlives this call and is closed by _read once sent.
    file = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        workbook.save(file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return _read(file)


def _xlsx_cell(sheet, value: Cell):
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = AREA_FORMAT
        return cell
    if isinstance(value, str) and value.startswith("="):
        # openpyxl stores a string starting with "=" as a formula; keep it text.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _read(file) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK):
            yield chunk


# ---------------------------------------------------------------- small things


def _zone(community: Community) -> ZoneInfo:
    return ZoneInfo(community.timezone or DEFAULT_TIMEZONE)


def _local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _two_places(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(_CENT)


def _amount(value: int | str) -> int | Decimal:
    """A ratio's numerator or denominator: heads are ints, areas exact decimal strings."""
    return value if isinstance(value, int) else _two_places(Decimal(value))


def _safe_name(title: str) -> str:
    return safe_file_name(title, "议事协商")
