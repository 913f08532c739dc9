"""Exports of a closed vote: the result and the ballot list, as CSV (UTF-8 with BOM) and XLSX,
in the form the street and the official owners' voting systems take. Households by building,
unit and room, never by name; exact areas; audited; nothing before the close."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from backend.consultations.models import Consultation
from backend.consultations.services import exports
from backend.core.audit.models import AuditEntry
from backend.core.db import db
from backend.core.tenancy.models import Community
from tests import factories
from tests.consultations import factories as cf
from tests.consultations.helpers import curl, owner
from tests.helpers import assert_error, assert_ok, writes_nothing

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BALLOT_HEADERS = ["楼栋", "单元", "房号", "专有面积(m²)", "业主编号", "表决意见", "投票方式",
                  "代理人", "书面票编号", "投票时间", "回执哈希"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def export(client, headers, community_id, consultation_id, name):
    return client.get(curl(community_id, consultation_id, "exports", name), headers=headers)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Type"] == CSV_TYPE
    assert response.data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def read_xlsx(response):
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Type"] == XLSX_TYPE
    return load_workbook(io.BytesIO(response.data)).active


def as_text(cell) -> str:
    """An XLSX cell as the CSV writes it: areas with two places, empty cells empty."""
    if cell.value is None:
        return ""
    if cell.number_format == "0.00":
        return f"{cell.value:.2f}"
    return str(cell.value)


def vote(client, headers, community_id, consultation_id, **choice):
    return assert_ok(client.post(curl(community_id, consultation_id, "ballots"), headers=headers,
                                 json=choice), 201)


def paper(client, headers, community_id, consultation_id, household_id, **fields):
    body = {"household_id": household_id, "channel": "paper", "paper_ref": "扫描件-001"}
    body.update(fields)
    return assert_ok(client.post(curl(community_id, consultation_id, "paper-ballots"),
                                 headers=headers, json=body), 201)


def close(client, committee, community_id, consultation_id):
    return assert_ok(client.post(curl(community_id, consultation_id, "close"), headers=committee,
                                 json={"reason": "表决期满"}))


def local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def exported(app) -> list[tuple[int, dict]]:
    with app.app_context():
        return [
            (entry.target_id, entry.details)
            for entry in db.session.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.action == "consultation.exported")
                .order_by(AuditEntry.id)
            )
        ]


def options_of(app, consultation_id: int) -> dict[str, int]:
    with app.app_context():
        return {o.label: o.id for o in db.session.get(Consultation, consultation_id).options}


@pytest.fixture
def owners_vote(client, app, world, committee, resident, make):
    """A closed owners' decision (matter 7) of four households in three buildings: the resident
    agreed online, the others voted on paper and by proxy. Returns the consultation id and the
    ballots as cast, in the order the list must show them."""

    def setup():
        community = db.session.get(Community, world.a)
        tenth = factories.building(community, "10号楼")
        second = factories.building(community, "2号楼")
        far = factories.household(tenth.units[0], "101", "120.00")
        near = factories.household(second.units[0], "301", "66.60", "O-3")
        made = cf.consultation(world.a, world.committee, status="voting",
                               method="owners_decision")
        return made.id, far.id, near.id

    voting, far, near = make(setup)
    online = vote(client, resident, world.a, voting, decision="agree")
    on_paper = paper(client, committee, world.a, voting, world.free_household,
                     decision="disagree")
    by_proxy = paper(client, committee, world.a, voting, far, decision="agree",
                     channel="proxy", proxy_name="王某", paper_ref="委托书-007")
    abstained = paper(client, committee, world.a, voting, near, decision="abstain",
                      paper_ref="扫描件-002")
    close(client, committee, world.a, voting)
    return voting, [online, on_paper, abstained, by_proxy]


# ---------------------------------------------------------------- the ballot list


def test_the_ballot_list_of_an_owners_decision_as_csv(client, app, world, committee,
                                                      owners_vote):
    voting, ballots = owners_vote
    response = export(client, committee, world.a, voting, "ballots.csv")
    rows = read_csv(response)
    assert rows[0] == BALLOT_HEADERS
    # Natural building order (2号楼 before 10号楼), then unit and room; areas as on the roll;
    # owner numbers as the roll gave them (the household without an owner ref sorts first).
    assert [row[:9] for row in rows[1:]] == [
        ["1号楼", "1单元", "101", "80.00", "2", "同意", "线上", "", ""],
        ["1号楼", "1单元", "102", "90.50", "3", "反对", "书面", "", "扫描件-001"],
        ["2号楼", "1单元", "301", "66.60", "4", "弃权", "书面", "", "扫描件-002"],
        ["10号楼", "1单元", "101", "120.00", "1", "同意", "委托代理", "王某", "委托书-007"],
    ]
    assert [row[9] for row in rows[1:]] == [local(b["cast_at"]) for b in ballots]
    assert [row[10] for row in rows[1:]] == [b["receipt_hash"] for b in ballots]
    # Households are named by their address only: no resident's name or account.
    assert b"resident" not in response.data and b"committee" not in response.data


def test_the_ballot_list_as_xlsx_holds_the_same_rows(client, app, world, committee,
                                                     owners_vote):
    voting, _ = owners_vote
    from_csv = read_csv(export(client, committee, world.a, voting, "ballots.csv"))
    sheet = read_xlsx(export(client, committee, world.a, voting, "ballots.xlsx"))
    rows = list(sheet.iter_rows())
    assert sheet.title == "表决清单"
    assert [[as_text(cell) for cell in row] for row in rows] == from_csv
    areas = [row[3] for row in rows[1:]]
    assert all(cell.data_type == "n" and cell.number_format == "0.00" for cell in areas)
    assert [cell.value for cell in areas] == [80, 90.5, 66.6, 120]


def test_each_export_is_audited_without_its_contents(client, app, world, committee,
                                                     owners_vote):
    voting, _ = owners_vote
    export(client, committee, world.a, voting, "ballots.csv")
    export(client, committee, world.a, voting, "result.xlsx")
    assert exported(app) == [
        (str(voting), {"part": "ballots", "format": "csv"}),
        (str(voting), {"part": "result", "format": "xlsx"}),
    ]


def test_the_file_is_an_attachment_named_in_chinese_and_ascii(client, app, world, committee,
                                                              owners_vote):
    voting, _ = owners_vote
    response = export(client, committee, world.a, voting, "ballots.csv")
    chinese = quote("老旧小区改造需求征集-表决清单.csv", safe="")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="consultation-{voting}-ballots.csv"; '
        f"filename*=UTF-8''{chinese}"
    )
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_title_unfit_for_a_file_name_is_made_fit(client, app, world, committee, resident,
                                                   make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          title="3/4号楼:加装电梯?").id)
    vote(client, resident, world.a, voting, option_ids=[options_of(app, voting)["加装电梯"]])
    close(client, committee, world.a, voting)
    response = export(client, committee, world.a, voting, "result.xlsx")
    assert quote("3_4号楼_加装电梯_-表决结果.xlsx", safe="") in (
        response.headers["Content-Disposition"]
    )
    assert f'filename="consultation-{voting}-result.xlsx"' in (
        response.headers["Content-Disposition"]
    )


def test_other_methods_list_the_options_chosen(client, app, world, auth, committee, resident,
                                               make, monkeypatch):
    # One ballot per batch: the marks of each batch are fetched with it.
    monkeypatch.setattr(exports, "BATCH", 1)

    def setup():
        neighbour, _ = owner(world.spare_unit, "201", "70.00")
        made = {
            method: cf.consultation(world.a, world.committee, status="voting", method=method).id
            for method in ("single", "multiple", "ranking", "points")
        }
        return made, neighbour

    made, neighbour = make(setup)
    neighbour = auth(neighbour)
    ids = {method: options_of(app, made[method]) for method in made}

    def pick(method, *names):
        return [ids[method][name] for name in names]

    vote(client, resident, world.a, made["single"], option_ids=pick("single", "改造停车位"))
    vote(client, neighbour, world.a, made["single"], option_ids=pick("single", "加装电梯"))
    # Options in the order the consultation lists them, whatever order they were sent in.
    vote(client, resident, world.a, made["multiple"],
         option_ids=pick("multiple", "增设充电桩", "加装电梯"))
    vote(client, resident, world.a, made["ranking"],
         option_ids=pick("ranking", "增设充电桩", "加装电梯"))
    vote(client, neighbour, world.a, made["ranking"],
         option_ids=pick("ranking", "改造停车位", "增设充电桩", "加装电梯"))
    vote(client, resident, world.a, made["points"], points=[
        {"option_id": ids["points"]["改造停车位"], "points": 3},
        {"option_id": ids["points"]["加装电梯"], "points": 5},
    ])
    for consultation_id in made.values():
        close(client, committee, world.a, consultation_id)

    def listed(method):
        rows = read_csv(export(client, committee, world.a, made[method], "ballots.csv"))
        assert "业主编号" not in rows[0], "owner numbers belong to owners' decisions"
        return [(row[2], row[3], row[4], row[5]) for row in rows[1:]]

    assert listed("single") == [("101", "80.00", "改造停车位", "线上"),
                                ("201", "70.00", "加装电梯", "线上")]
    assert listed("multiple") == [("101", "80.00", "加装电梯、增设充电桩", "线上")]
    assert listed("ranking") == [
        ("101", "80.00", "1.增设充电桩 2.加装电梯", "线上"),
        ("201", "70.00", "1.改造停车位 2.增设充电桩 3.加装电梯", "线上"),
    ]
    assert listed("points") == [("101", "80.00", "加装电梯 5分；改造停车位 3分", "线上")]


def test_a_label_that_looks_like_a_formula_stays_text(client, app, world, committee, resident,
                                                     make):
    formula = '=HYPERLINK("http://example.com","点这里")'
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          options=(formula, "加装电梯")).id)
    vote(client, resident, world.a, voting, option_ids=[options_of(app, voting)[formula]])
    close(client, committee, world.a, voting)
    rows = read_csv(export(client, committee, world.a, voting, "ballots.csv"))
    assert rows[1][4] == "'" + formula
    sheet = read_xlsx(export(client, committee, world.a, voting, "ballots.xlsx"))
    cell = list(sheet.iter_rows())[1][4]
    assert (cell.value, cell.data_type) == (formula, "s")


# ---------------------------------------------------------------- the result


def test_the_result_of_an_owners_decision_shows_the_four_ratios(client, app, world, committee,
                                                                owners_vote):
    voting, _ = owners_vote
    result = assert_ok(client.get(curl(world.a, voting, "result"), headers=committee))
    rows = read_csv(export(client, committee, world.a, voting, "result.csv"))
    fields = {row[0]: row[1:] for row in rows if row}
    assert fields["社区"] == ["A社区"]
    assert fields["议事协商"] == ["老旧小区改造需求征集"]
    assert fields["有效票数"] == ["4"] and fields["应参与户数"] == ["4"]
    assert fields["表决事项"] == ["第7项：改建、重建建筑物及其附属设施"]
    assert fields["表决规则"] == ["双四分之三以上同意"]
    # 200.00 of 357.10 m² agreed: 56.01 %, short of 3/4.
    assert fields["表决结果"] == ["未通过"]
    with app.app_context():
        closed_at = db.session.get(Consultation, voting).closed_at
    assert fields["表决截止"] == [closed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")]
    header = rows.index(["比例", "分子", "分母", "单位", "百分比(%)", "法定比例", "是否达到",
                         "说明"])
    ratios = rows[header + 1 : header + 5]
    assert ratios == [
        [r["label"], f"{r['numerator']}", f"{r['denominator']}", r["unit"], r["percent"],
         f"{r['comparator']} {r['threshold']}", "达到" if r["met"] else "未达到", r["text"]]
        for r in result["decision"]["ratios"]
    ]
    assert ratios[0][:7] == ["参与表决的专有面积", "357.10", "357.10", "m²", "100.00", "≥ 2/3",
                             "达到"]
    assert ratios[2][:7] == ["同意的专有面积", "200.00", "357.10", "m²", "56.01", "≥ 3/4",
                             "未达到"]
    assert fields["同意"] == ["200.00", "2"]
    assert fields["反对"] == ["90.50", "1"]
    assert fields["弃权"] == ["66.60", "1"]
    assert fields["参与表决合计"] == ["357.10", "4"]
    assert fields["全体业主"] == ["357.10", "4"]


def test_the_result_as_xlsx_keeps_areas_as_numbers(client, app, world, committee, owners_vote):
    voting, _ = owners_vote
    from_csv = read_csv(export(client, committee, world.a, voting, "result.csv"))
    sheet = read_xlsx(export(client, committee, world.a, voting, "result.xlsx"))
    assert sheet.title == "表决结果"
    rows = list(sheet.iter_rows())
    # Rows of unequal length come back padded with empty cells.
    assert [[as_text(cell) for cell in row][: len(expected)] for row, expected
            in zip(rows, from_csv, strict=True)] == from_csv
    agreed = next(row for row in sheet.iter_rows() if row[0].value == "同意的专有面积")
    assert [(c.value, c.number_format) for c in agreed[1:3]] == [(200, "0.00"), (357.1, "0.00")]


def test_the_result_of_a_choice_shows_the_standings_and_ties(client, app, world, auth,
                                                             committee, resident, make):
    def setup():
        neighbour, _ = owner(world.spare_unit, "201", "70.00")
        return cf.consultation(world.a, world.committee, status="voting").id, neighbour

    voting, neighbour = make(setup)
    labels = options_of(app, voting)
    vote(client, resident, world.a, voting, option_ids=[labels["加装电梯"]])
    vote(client, auth(neighbour), world.a, voting,
         option_ids=[labels["改造停车位"]])
    close(client, committee, world.a, voting)
    rows = read_csv(export(client, committee, world.a, voting, "result.csv"))
    fields = {row[0]: row[1:] for row in rows if row}
    assert fields["表决方式"] == ["单选"]
    assert fields["有效票数"] == ["2"] and fields["应参与户数"] == ["3"]
    header = rows.index(["名次", "选项", "票数", "得分", "得分占比(%)"])
    assert rows[header + 1 : header + 4] == [
        ["1", "加装电梯", "1", "1", "50.00"],
        ["1", "改造停车位", "1", "1", "50.00"],
        ["3", "增设充电桩", "0", "0", "0.00"],
    ]
    assert fields["并列说明"] == ["「加装电梯」与「改造停车位」同为 1 票，并列第 1 名"]


def test_a_published_result_is_exported_with_its_date(client, app, world, committee, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision").id)
    close(client, committee, world.a, voting)
    assert_ok(client.post(curl(world.a, voting, "publish"), headers=committee))
    rows = read_csv(export(client, committee, world.a, voting, "result.csv"))
    fields = {row[0]: row[1:] for row in rows if row}
    assert fields["有效票数"] == ["0"]
    assert fields["公示时间"][0][:4].isdigit()
    assert read_csv(export(client, committee, world.a, voting, "ballots.csv")) == [
        BALLOT_HEADERS
    ]


# ---------------------------------------------------------------- who and when


@pytest.mark.parametrize("name", ["ballots.csv", "ballots.xlsx", "result.csv", "result.xlsx"])
def test_nothing_is_exported_before_the_close(client, world, committee, make, counts, name):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    draft = make(lambda: cf.consultation(world.a, world.committee, status="draft").id)
    cancelled = make(lambda: cf.consultation(world.a, world.committee, status="cancelled").id)
    with writes_nothing(counts):
        assert_error(export(client, committee, world.a, voting, name), 409, "voting_not_closed")
        assert_error(export(client, committee, world.a, draft, name), 409, "voting_not_closed")
        assert_error(export(client, committee, world.a, cancelled, name), 409,
                     "consultation_cancelled")


def test_the_committee_the_street_and_the_system_admin_export_nobody_else(
    client, app, world, auth, owners_vote, counts
):
    voting, _ = owners_vote
    for role in ("committee", "street_admin", "system_admin"):
        read_csv(export(client, auth(world.user_id(role)), world.a, voting, "ballots.csv"))
    with writes_nothing(counts):
        for role in ("resident", "grid_worker", "property_staff", "professional", "auditor"):
            assert_error(export(client, auth(world.user_id(role)), world.a, voting,
                                "ballots.csv"), 403, "forbidden")
        assert_error(export(client, auth(world.outsider), world.a, voting, "ballots.csv"),
                     404, "not_found")
        # Another community's staff cannot reach this vote through their own community either.
        assert_error(export(client, auth(world.outsider), world.b, voting, "ballots.csv"),
                     404, "consultation_not_found")
    assert len(exported(app)) == 3


def test_unknown_parts_and_formats_are_not_found(client, world, committee, owners_vote, counts):
    voting, _ = owners_vote
    with writes_nothing(counts):
        for name in ("votes.csv", "ballots.pdf", "ballots", "result.CSV"):
            response = export(client, committee, world.a, voting, name)
            assert response.status_code == 404, name
