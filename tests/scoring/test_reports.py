"""The self-assessment report (自评报告) a committee hands to the street: an XLSX workbook (an
overview, then one sheet per area, every item with its basis and evidence) and a printable page
(a chart of the areas, the items, room for the seal). Read like the assessment itself: residents
the final ones, staff also drafts, another community nothing; every export audited; people's text
never becomes a formula or markup."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from backend.core.audit.models import AuditEntry
from backend.core.db import db
from backend.core.tenancy.models import Community
from backend.scoring.services.reports.workbook import sheet_title
from backend.scoring.standard.parsing import builtin_documents
from tests.helpers import assert_error, assert_ok

API = "/api/v1"
GREEN = "hlj_green_community"
COMPLETE = "complete_community_tasks"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML_TYPE = "text/html; charset=utf-8"
NOTE = "每年研究两次创建工作，有年度目标"
DOCUMENT = {"title": "纪要", "url": "https://x.example.cn/a.pdf"}


def assessments_url(community_id: int, *parts) -> str:
    return "/".join([f"{API}/communities/{community_id}/assessments", *map(str, parts)])


def judge(client, headers, community_id, note=NOTE, item="1"):
    return assert_ok(
        client.put(
            f"{API}/communities/{community_id}/standards/{GREEN}/items/{item}/judgement",
            json={"status": "met", "note": note, "documents": [DOCUMENT]},
            headers=headers,
        )
    )


def run(client, headers, community_id, standard=GREEN) -> dict:
    return assert_ok(
        client.post(assessments_url(community_id), json={"standard": standard}, headers=headers),
        201,
    )


def report(client, headers, community_id, assessment_id, file_format):
    return client.get(
        assessments_url(community_id, assessment_id, f"report.{file_format}"), headers=headers
    )


def workbook(response):
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Type"] == XLSX_TYPE
    return load_workbook(io.BytesIO(response.data))


def page(response) -> str:
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Type"] == HTML_TYPE
    return response.get_data(as_text=True)


def rows_of(sheet) -> list[dict]:
    """The item rows of an area sheet, by header."""
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def exports(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [
            (entry.target_id, entry.details)
            for entry in db.session.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.action == "scoring.report_exported")
                .order_by(AuditEntry.id)
            )
        ]


@pytest.fixture
def committee(auth, world):
    return auth(world.committee)


@pytest.fixture
def judged_draft(client, world, committee) -> dict:
    """Community a's draft on the Heilongjiang standard, item 1 decided by the committee."""
    judge(client, committee, world.a)
    return run(client, committee, world.a)


# ---------------------------------------------------------------- the workbook


@pytest.mark.parametrize("code", [GREEN, COMPLETE])
def test_workbook_has_an_overview_then_one_sheet_per_area_with_every_item(
    client, world, committee, code
):
    document = builtin_documents()[code]
    draft = run(client, committee, world.a, code)

    book = workbook(report(client, committee, world.a, draft["id"], "xlsx"))

    assert book.sheetnames == ["总览", *(area["title"] for area in document["areas"])]
    for area in document["areas"]:
        rows = rows_of(book[area["title"]])
        wanted = [item["code"] for item in document["items"] if item["area"] == area["code"]]
        assert [row["序号"] for row in rows] == wanted
        for row in rows:
            item = next(i for i in document["items"] if i["code"] == row["序号"])
            assert row["建设内容"] == item["title"]
            assert row["创建标准"] == item["criterion"]
            assert row["结果"] in {"达标", "部分达标", "未达标", "待评定"}
            assert row["依据"]
        assert book[area["title"]].freeze_panes == "A2"


def test_workbook_overview_names_the_community_the_standard_and_the_totals(
    client, world, committee, judged_draft
):
    book = workbook(report(client, committee, world.a, judged_draft["id"], "xlsx"))

    facts = {
        row[0]: row[1]
        for row in book["总览"].iter_rows(min_row=2, max_row=13, max_col=2, values_only=True)
    }
    assert facts["社区"] == "A社区"
    assert facts["创建标准"] == "黑龙江省绿色社区创建标准及评估内容（试行）"
    assert "黑建房〔2020〕5号" in facts["标准来源"]
    assert facts["状态"] == "草稿"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d \+08:00", facts["计算时间"])
    assert float(facts["得分"]) == float(judged_draft["totals"]["points"])
    assert facts["是否达到标准"] == "未达到"
    areas = {
        row[0]: row
        for row in book["总览"].iter_rows(min_row=15, values_only=True)
        if row[0] is not None
    }
    for area in judged_draft["areas"]:
        title, items, points, max_points, _share, met, partly, not_met, needs = areas[area["title"]]
        assert (items, met, partly, not_met, needs) == (
            area["items"],
            area["met"],
            area["partly_met"],
            area["not_met"],
            area["needs_assessment"],
        )
        assert (float(points), float(max_points)) == (
            float(area["points"]),
            float(area["max_points"]),
        )
    assert areas["合计"][1] == judged_draft["totals"]["items"]


def test_workbook_lists_the_judgement_and_the_records_behind_each_item(
    client, world, committee, judged_draft
):
    book = workbook(report(client, committee, world.a, judged_draft["id"], "xlsx"))
    rows = {row["序号"]: row for title in book.sheetnames[1:] for row in rows_of(book[title])}

    first = rows["1"]
    assert first["结果"] == "达标"
    assert first["评价方式"] == "人工评定"
    assert NOTE in first["依据"]
    assert f"说明：{NOTE}" in first["证据"]
    assert f"文件：纪要 {DOCUMENT['url']}" in first["证据"]
    # The world registers an elderly service station in community a: the facility item lists it.
    evidence = "\n".join(row["证据"] for row in rows.values())
    assert "老年服务站（" in evidence
    combined = rows["5"]  # all of: a measurement, a facility, a person's decision
    assert combined["依据"].splitlines()[0] == "【未达标】以下各项均须达标"
    assert all(line.startswith("    【") for line in combined["依据"].splitlines()[1:])


def test_workbook_keeps_text_that_starts_like_a_formula_as_text(client, world, committee, make):
    def rename():
        db.session.get(Community, world.a).name = '=HYPERLINK("http://evil.example","点我")'

    make(rename)
    judge(client, committee, world.a, note="=1+1")
    draft = run(client, committee, world.a)

    book = workbook(report(client, committee, world.a, draft["id"], "xlsx"))

    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    name = book["总览"]["B2"]
    assert name.value.startswith("=HYPERLINK(")
    assert (name.data_type, name.quotePrefix) == ("s", True)
    evidence = "\n".join(str(cell.value) for cell in cells if cell.value is not None)
    assert "说明：=1+1" in evidence


def test_workbook_downloads_with_a_chinese_name_and_an_ascii_fallback(
    client, world, committee, judged_draft
):
    response = report(client, committee, world.a, judged_draft["id"], "xlsx")

    year = judged_draft["period"]["start"][:4]
    chinese = f"A社区-黑龙江省绿色社区创建标准及评估内容（试行）-{year}年度-自评报告（草稿）.xlsx"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="assessment-{judged_draft["id"]}-report-draft.xlsx"; '
        f"filename*=UTF-8''{quote(chinese, safe='')}"
    )
    assert response.headers["Cache-Control"] == "private, no-store"


def test_sheet_titles_drop_what_excel_forbids_and_stay_short_and_unique():
    taken = {"总览"}
    first = sheet_title("公共/活动:空间[一]*？?\\", taken, "领域1")
    assert first == "公共活动空间一？"
    long = "很" * 40
    assert sheet_title(long, taken, "领域2") == "很" * 31
    taken.add("很" * 31)
    assert sheet_title(long, taken, "领域3") == "很" * 28 + "(2)"
    assert sheet_title("总览", {"总览"}, "领域4") == "总览(2)"
    assert sheet_title("[]:*", set(), "领域5") == "领域5"


# ---------------------------------------------------------------- the page


def test_page_charts_every_area_and_shows_every_items_criterion(
    client, world, committee, judged_draft
):
    document = builtin_documents()[GREEN]

    text = page(report(client, committee, world.a, judged_draft["id"], "html"))

    chart = re.search(r"<svg.*?</svg>", text, re.S).group(0)
    assert chart.count('class="bar"') == len(document["areas"])
    for area in judged_draft["areas"]:
        assert html.escape(area["title"]) in chart
        assert f"{area['points']} / {area['max_points']}" in chart
    for item in document["items"]:
        assert html.escape(item["criterion"]) in text
    assert html.escape(NOTE) in text
    assert f'href="{DOCUMENT["url"]}"' in text
    assert "社区居委会（盖章）" in text and "街道审核意见" in text
    assert re.search(r"计算时间：\d{4}-\d\d-\d\d \d\d:\d\d \+08:00", text)
    assert "<script" not in text


def test_page_marks_a_draft_and_not_a_final_one(client, world, committee, judged_draft):
    draft = page(report(client, committee, world.a, judged_draft["id"], "html"))
    assert 'class="watermark"' in draft and "草稿：本评估尚未定稿" in draft

    assert_ok(
        client.post(assessments_url(world.a, judged_draft["id"], "finalise"), headers=committee)
    )
    final = page(report(client, committee, world.a, judged_draft["id"], "html"))
    assert "watermark" not in final.split("</style>")[1]
    assert "已定稿" in final


def test_page_escapes_peoples_text(client, world, committee):
    judge(client, committee, world.a, note='<script>alert("x")</script><img src=x onerror=1>')
    draft = run(client, committee, world.a)

    response = report(client, committee, world.a, draft["id"], "html")
    text = page(response)

    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("inline; ")


# ---------------------------------------------------------------- who reads it


@pytest.mark.parametrize("file_format", ["xlsx", "html"])
def test_a_resident_reads_the_report_once_final_not_the_draft(
    client, world, committee, auth, judged_draft, file_format
):
    resident = auth(world.resident)
    assert_error(
        report(client, resident, world.a, judged_draft["id"], file_format),
        404,
        "assessment_not_found",
    )

    assert_ok(
        client.post(assessments_url(world.a, judged_draft["id"], "finalise"), headers=committee)
    )

    response = report(client, resident, world.a, judged_draft["id"], file_format)
    assert response.status_code == 200
    assert "draft" not in response.headers["Content-Disposition"]


@pytest.mark.parametrize("file_format", ["xlsx", "html"])
def test_another_communitys_committee_gets_404(client, world, auth, judged_draft, file_format):
    outsider = auth(world.outsider)

    response = report(client, outsider, world.a, judged_draft["id"], file_format)
    assert response.status_code == 404
    # Nor through its own community's URL.
    response = report(client, outsider, world.b, judged_draft["id"], file_format)
    assert_error(response, 404, "assessment_not_found")


def test_signing_in_is_required(client, world, judged_draft):
    assert report(client, {}, world.a, judged_draft["id"], "xlsx").status_code == 401


def test_every_export_is_audited(app, client, world, committee, auth, judged_draft):
    report(client, committee, world.a, judged_draft["id"], "xlsx")
    report(client, committee, world.a, judged_draft["id"], "html")
    report(client, auth(world.resident), world.a, judged_draft["id"], "html")  # refused

    assert exports(app) == [
        (str(judged_draft["id"]), {"format": "xlsx", "standard": GREEN, "state": "draft"}),
        (str(judged_draft["id"]), {"format": "html", "standard": GREEN, "state": "draft"}),
    ]
