"""The standards. The two shipped ones say what their documents say, item by item, word for word;
a street's own standard is checked field by field before anything is stored, is its region's
alone, and can be replaced, assigned to the street's communities, run, and deleted once no
community is assessed on it."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

import pytest

from backend.scoring.standard.parsing import builtin_documents
from tests.factories import grant, user
from tests.helpers import assert_error, assert_ok, writes_nothing

API = "/api/v1"
HLJ = "hlj_green_community"
COMPLETE = "complete_community_tasks"
OWN = "street_a_green"

# ---------------------------------------------------------------- the documents
# The tables of the seed documents, as the documents word them. The Heilongjiang table is copied
# line for line (seed 001, 附件). The task list (seed 002, 附件2) comes one cell per line; its
# cells are joined here with spaces, one row of the table per line (an item's row begins with
# its area's heading when it is the area's first); COMPLETE_AREAS_SEED, a sentence of the same
# document's body, names its six areas. Whitespace means nothing in the comparison: the documents
# break lines inside cells. The seeds are not part of the repository, hence the copy.

HLJ_SEED = """\
附件
黑龙江省绿色社区创建标准及评估内容
(试行)
内 容 | 创 建 标 准 | 评 估 内 容 | |
建立健全社区人居环境建设和整治机制 | 1 | 坚持美好环境与幸福生活共同缔造理念,各主体共同参与社区人居环境建设和整治工作 | 各参建单位有创建工作机制,把创建行动纳入部门重要议事日程,每年至少研究2次创建工作,有年度创建目标和创建重点内容。 |
2 | 搭建沟通议事平台,利用“互联网+共建共治共享”等线上线下手段,开展多种形式基层协商 | 社区居民委员会搭建沟通议事平台,每年至少召开2次联合议事会议,研究解决创建工作中存在的问题。 | |
3 | 设计师、工程师进社区,辅导居民有效谋划人居环境建设和整治方案 | 每年组织开展至少2次设计师、工程师进社区活动。制定人居环境建设和整治方案。每年开展不少于2次主题宣传。 | |
推进社区 基础设施 绿色化 | 4 | 社区各类基础设施比较完善 | 供水、排水、供电、弱电、道路、供气、消防、生活垃圾分类等基础设施比较完善。 |
5 | 开展了社区道路综合治理、海绵化改造和建设,生活垃圾分类居民小区全覆盖 | 社区道路平整、畅通,对社区内花园、道路、休闲场地进行海绵化改造和建设,能够通过渗、滞、蓄、净、用等方式,实现对雨水的收集和排放,没有内涝积水问题。有固定垃圾收集点,放置分类垃圾桶。有垃圾分类宣传标语等。 | |
6 | 在基础设施改造建设中落实经济适用、绿色环保的理念 | 小区采用节能照明、使用节水器具等绿色产品、材料。开展绿色生活宣传,引导居民绿色家装,使用绿色环保材料和节能家电。 | |
营造社区 宜居环境 | 7 | 社区绿地布局合理,有公共活动空间和设施 | 社区范围内有集中绿地,有公共活动场地,有健身设施。 |
8 | 社区停车秩序规范,无占压消防、救护等生命通道的情况 | 有划定停车位,停车秩序规范。划定消防通道,标识明显。停车位不占压消防、救护生命通道。 | |
9 | 公共空间开展了适老化改造和无障碍设施建设。新建住宅小区按每百户20至30平方米配套建设社区居家养老服务用房,对具备条件的已建成小区按每百户15至20平方米的标准,通过政府回购、租赁、改造等方式因地制宜补足养老设施。 | 有改造计划和改造方案,小区地面、通道、出入口实施无障碍改造;小区地面、楼梯做防滑处理等;社区居家养老服务设施达到规定标准。 | |
10 | 对噪声扰民等问题进行了有效治理 | 针对家庭娱乐噪声、硬件设施噪声、公共场所噪声、街面服务业(餐饮、娱乐等)、宠物、机动车等进行了噪声管理。 | |
提高社区智能化信息水平 | 11 | 建设了智能化安防系统 | 小区进出口使用人员车辆识别门禁管理系统、楼栋单元门使用智能门禁管理系统,公共活动区域有视频监控。 |
12 | 物业管理覆盖面不低于30% | 积极引进物业服务管理。物业服务管理覆盖居民人数不低于30%,力争每年提高10个百分点。 | |
培育社区 绿色文化 | 13 | 社区有固定宣传场所和设施,能定期发布创建信息 | 有宣传专栏,有宣传标语。采取多种形式和途径宣传绿色社区创建行动。 |
14 | 对社区工作者、物业服务从业者等相关人员定期开展培训 | 每年至少组织开展2次专题培训。 | |
15 | 发布了社区居民绿色生活行为公约 | 印制并发布居民绿色生活行为公约。 | |
16 | 社区相关文物古迹、历史建筑、古树名木等历史文化资源得到有效保护 | 对社区内历史建筑进行测绘建档、悬挂标识牌,对文物古迹、古树名木设立防护栏杆、悬挂标识牌。 |
"""
COMPLETE_SEED = """\
完整社区建设任务清单 目标 序号 建设内容 配建要求 建筑面积 要求 责任单位
一、基本 公共 服务 设施 完善 1 一个社区综合服务站 社区服务大厅 ≥800平方米 各街道 社区党群活动中心 警务室 社区综治(网格)中心 文体活动室 就业创新服务中心
2 一个幼儿园 不小于6班,用地面积不小于3500平方米,为3-6岁幼儿提供普惠性学前教育服务。 ≥2200平方米 区教育局
3 一个托儿所 为0-3岁婴幼儿提供安全可靠的托育服务;可以结合社区综合服务站、社区卫生服务站、住宅楼、企事业单位办公楼等统筹建设。 ≥200平方米 区卫健局
4 一个老年服务站 与社区综合服务站统筹建设,为老年人、残疾人提供居家日间生活辅助照料、助餐、保健、文化娱乐等服务。 ≥350平方米 区民政局
5 一个社区卫生服务站 提供预防、医疗、计生、保健、康复、防疫、健康教育等服务。 ≥120平方米 区卫健局
二、 便民 商业 服务 设施 健全 6 一个综合超市 提供蔬菜、水果、生鲜、日常生活用品等销售服务;受场地条件约束的既有社区,可以建设2-3个50-100平方米的便利店,提供相应服务。 ≥300平方米 区民营企业促进发展中心
7 快递末端综合服务点 建设智能信报箱、智能快递箱,提供邮政快递收寄、投递服务。 ≥15平方米 区民营企业促进发展中心
8 便民商业网点 建设理发店、洗衣店、药店、维修点、家政服务、餐饮店、宠物服务等便民商业网点 区民营企业促进发展中心
三、 市政 配套 基础 设施 完备 9 基础设施 水、电、路、气、热、信等改造提升 - 区建设局 区城管局 公共厕所 区城管局 垃圾分类收集点(站) 区城管局 微型消防站 ≥350平方米 区消防大队
10 停车及充电设施 机动车停车位 区建设局 区城管局 电动摩托车停车及充电设施 - 各街道
11 慢行系统 建设连贯各类配套设施、公共活动空间与住宅的慢行系统,与城市慢行系统相衔接;社区居民步行10分钟可以到达公交站点。 区建设局
12 无障碍设施 住宅和公共建筑出入口设置轮椅坡道和扶手,公共活动场地、道路等户外环境建设符合无障碍设计要求。具备条件的社区实施加装电梯等适老化改造。 - 区建设局
13 绿色建筑 星级绿色建筑占新建建筑面积比例达到30%以上,形成绿色宜居的建成环境和与场地地形相契合的建筑风貌。 区住保局
四、 公共 活动 空间 充足 14 公共活动场地 至少有一片公共活动场地(含室外综合健身场地),配置健身器材、健身步道、休息座椅等设施以及沙坑等儿童娱乐设施,在紧急情况下可以转换为应急避难场所。既有社区要因地制宜改造宅间绿地、空地等,增加公共活动场地。 ≥150平方米 区建设局
15 公共绿地 至少有一片开放的公共绿地,配备休憩设施,体现文化内涵,在紧急情况下可转换为应急避难场所。既有社区应结合边角地、废弃地、闲置地等改造建设“口袋公园”“袖珍公园”。 ≥1000平方米 区建设局 区城管局
五、 物业 管理 全覆 16 物业服务 鼓励引入专业化物业服务,暂不具备条件的,通过社区托管、社会组织代管或居民自管等方式,提高专业化物业服务覆盖率。 不低于物业总 建筑面积2‰ 区住保局 各街道
17 物业管理服务平台 建立物业管理服务平台,推动物业服务企业发展线上线下社区服务业。 - 区住保局 各街道
六、 社区 管理 机制 健全 18 管理机制 建立“党委领导、政府组织、业主参与、企业服务”的社区管理机制。推动城市管理进社区,将城市综合管理服务平台与物业管理服务平台相衔接,提高城市管理覆盖面。 - 区城管局 各街道
19 综合管理服务 依法依规查处私搭乱建等违法违规行为;组织引导居民参与社区环境整治、生活垃圾分类等活动。 区城管局 各街道
20 社区文化 举办文化活动,制定发布社区居民公约,营造富有特色的社区文化。 - 区文旅局 各街道
"""
COMPLETE_AREAS_SEED = "对照《完整居住社区建设标准》相关要求,从社区基本公共服务设施完善、便民商业服务设施健全、市政配套基础设施完备、公共活动空间充足、物业管理全覆盖、社区管理机制健全等6大方面20条出发,"


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def rows(table: str) -> dict[str, str]:
    """Each item's row of a table, by item number (the row's first cell that is a number)."""
    found = {}
    for line in table.splitlines():
        number = next((cell for cell in re.split(r"[\s|]+", line) if cell.isdigit()), None)
        if number is not None:
            found[number] = line
    return found


def item_codes(count: int) -> list[str]:
    return [str(number) for number in range(1, count + 1)]


def items_by_area(document: dict) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for item in document["items"]:
        grouped.setdefault(item["area"], []).append(item["code"])
    return grouped


def test_the_heilongjiang_standard_has_its_16_items_in_its_5_areas():
    document = builtin_documents()[HLJ]

    assert [item["code"] for item in document["items"]] == item_codes(16)
    assert items_by_area(document) == {
        "mechanism": ["1", "2", "3"],
        "infrastructure": ["4", "5", "6"],
        "environment": ["7", "8", "9", "10"],
        "smart": ["11", "12"],
        "culture": ["13", "14", "15", "16"],
    }
    assert [area["code"] for area in document["areas"]] == list(items_by_area(document))


def test_the_complete_community_list_has_its_20_items_in_its_6_areas():
    document = builtin_documents()[COMPLETE]

    assert [item["code"] for item in document["items"]] == item_codes(20)
    assert items_by_area(document) == {
        "basic_services": ["1", "2", "3", "4", "5"],
        "commerce": ["6", "7", "8"],
        "municipal": ["9", "10", "11", "12", "13"],
        "public_space": ["14", "15"],
        "property": ["16", "17"],
        "management": ["18", "19", "20"],
    }
    assert [area["code"] for area in document["areas"]] == list(items_by_area(document))


def test_every_row_of_the_seed_tables_is_an_item():
    assert list(rows(HLJ_SEED)) == item_codes(16)
    assert list(rows(COMPLETE_SEED)) == item_codes(20)


def _items(code: str):
    return [(code, item["code"]) for item in builtin_documents()[code]["items"]]


@pytest.mark.parametrize(("code", "item_code"), _items(HLJ), ids="-".join)
def test_a_heilongjiang_item_says_word_for_word_what_the_document_says(code, item_code):
    """Its row reads: [area,] number, 创建标准 (our criterion), 评估内容 (what is checked)."""
    document = builtin_documents()[code]
    item = next(item for item in document["items"] if item["code"] == item_code)
    cells = [squeezed(cell) for cell in rows(HLJ_SEED)[item_code].split("|")]
    number_at = cells.index(item_code)

    assert cells[number_at + 1] == squeezed(item["criterion"])
    assert cells[number_at + 2] == squeezed(item["checked"])
    if number_at:  # the first item of an area: the row opens with the area's title
        area = next(area for area in document["areas"] if area["code"] == item["area"])
        assert cells[number_at - 1] == squeezed(area["title"])
    # The table has no other columns: no requirement or responsible to transcribe.
    assert set(item) <= {"code", "area", "title", "criterion", "checked", "points", "evaluation"}


@pytest.mark.parametrize(("code", "item_code"), _items(COMPLETE), ids="-".join)
def test_a_complete_community_item_says_word_for_word_what_the_document_says(code, item_code):
    """Its row reads: [area heading,] number, 建设内容 (the title), 配建要求 (the criterion, one
    line per line of the table), 建筑面积要求 (the requirement), 责任单位 (responsible); every
    cell of the row is in the item, and every part of the item in the row."""
    document = builtin_documents()[code]
    item = next(item for item in document["items"] if item["code"] == item_code)
    row = rows(COMPLETE_SEED)[item_code]
    cells = row.split()
    cells = cells[cells.index(item_code) + 1 :]  # the area heading is tested with the areas
    texts = [
        item["title"],
        *item["criterion"].splitlines(),
        *([item["requirement"]] if "requirement" in item else []),
        *item["responsible"],
    ]

    assert cells[0] == item["title"]
    for text in texts:
        assert squeezed(text) in squeezed(row), text
    whole_item = squeezed("".join(texts))
    for cell in cells:
        # "-": the table's empty 建筑面积要求 cell.
        assert cell == "-" or cell in whole_item, cell


def test_the_areas_are_titled_as_the_documents_title_them():
    hlj = builtin_documents()[HLJ]
    assert [squeezed(area["title"]) for area in hlj["areas"]] == [
        squeezed(re.split(r"\s*\|\s*", line)[0])
        for line in HLJ_SEED.splitlines()
        if re.match(r"^\D+ \| \d+ \|", line)
    ]

    complete = builtin_documents()[COMPLETE]
    # "一、基本 公共 服务 设施 完善 1 一个社区综合服务站 ..." -> "基本公共服务设施完善"
    headings = [
        squeezed(re.match(r"^[一二三四五六]、(\D+)\s\d+\s", line).group(1))
        for line in COMPLETE_SEED.splitlines()
        if re.match(r"^[一二三四五六]、", line)
    ]
    titles = [area["title"] for area in complete["areas"]]
    # The table's cell "物业管理全覆" lost its last character on the page; the document names
    # the six areas in full in its own text ("从社区A、B、…、F等6大方面").
    assert all(title.startswith(heading) for title, heading in zip(titles, headings, strict=True))
    named = re.search(r"从社区(.+)等6大方面", COMPLETE_AREAS_SEED).group(1).split("、")
    assert titles == named


def test_the_shipped_standards_parse(app):
    from backend.scoring.services.common import parse

    with app.app_context():
        hlj = parse(builtin_documents()[HLJ])
        complete = parse(builtin_documents()[COMPLETE])

    assert (len(hlj.areas), len(hlj.items), hlj.max_points, hlj.passing_points) == (5, 16, 16, 16)
    assert (len(complete.areas), len(complete.items), complete.max_points) == (6, 20, 20)
    assert {item.method for item in hlj.items + complete.items} <= {
        "measured",
        "facility",
        "assessed",
        "combined",
    }


# ---------------------------------------------------------------- a street's own standard


def small_standard(code: str = OWN, **changes) -> dict:
    """A street's own standard: two areas, three items (a measurement; a facility; a person's
    decision beside a measurement), 4 points of which 3 pass."""
    document = {
        "code": code,
        "name": "和兴路街道绿色社区自评标准",
        "source": {"document": "和兴路街道绿色社区创建工作方案"},
        "areas": [
            {"code": "mechanism", "title": "共建共治机制"},
            {"code": "facilities", "title": "服务设施"},
        ],
        "items": [
            {
                "code": "1",
                "area": "mechanism",
                "title": "联合议事",
                "criterion": "每年至少召开2次联合议事会议",
                "points": 2,
                "evaluation": {
                    "measured": {"metric": "joint_meetings_held", "op": ">=", "value": 2}
                },
            },
            {
                "code": "2",
                "area": "facilities",
                "title": "老年服务站",
                "criterion": "老年服务站建筑面积不小于350平方米",
                "points": 1,
                "evaluation": {"facility": {"kind": "elderly_service_station", "min_area": 350}},
            },
            {
                "code": "3",
                "area": "mechanism",
                "title": "绿色生活行为公约",
                "criterion": "印制并发布居民绿色生活行为公约",
                "points": 1,
                "evaluation": {
                    "all_of": [
                        {"assessed": {"roles": ["committee"]}},
                        {"measured": {"metric": "households", "op": ">", "value": 0}},
                    ]
                },
            },
        ],
        "passing_points": 3,
    }
    document.update(copy.deepcopy(changes))
    return document


def upload(client, world, auth, document, *, region=None):
    """The street admin of street a uploads `document` (to street a unless told otherwise)."""
    return client.post(
        f"{API}/regions/{region or world.street_a}/standards",
        json={"document": document},
        headers=auth(world.street_admin),
    )


def choose(client, world, auth, community_id, codes, *, user_id=None):
    return client.put(
        f"{API}/communities/{community_id}/standards",
        json={"standards": codes},
        headers=auth(user_id or world.street_admin),
    )


def other_street_admin(make, world) -> int:
    def build():
        admin = user("street_b_admin")
        grant(admin, "street_admin", region_id=world.street_b)
        return admin.id

    return make(build)


def test_a_street_uploads_a_standard_of_its_own(client, world, auth):
    body = assert_ok(upload(client, world, auth, small_standard()), 201)

    assert {key: body[key] for key in ("code", "version", "builtin", "region_id")} == {
        "code": OWN,
        "version": 1,
        "builtin": False,
        "region_id": world.street_a,
    }
    assert (body["areas"], body["items"]) == (2, 3)
    assert (Decimal(body["max_points"]), Decimal(body["passing_points"])) == (4, 3)
    assert body["document"]["items"][0]["criterion"] == "每年至少召开2次联合议事会议"
    read = assert_ok(client.get(f"{API}/standards/{OWN}", headers=auth(world.street_admin)))
    assert read["document"]["name"] == "和兴路街道绿色社区自评标准"
    listed = assert_ok(client.get(f"{API}/standards", headers=auth(world.street_admin)))
    assert [standard["code"] for standard in listed] == [*builtin_documents(), OWN]


def _set(path: tuple, value):
    def change(document):
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _drop(path: tuple):
    def change(document):
        node = document
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


MEASURED = ("items", 0, "evaluation", "measured")
MISTAKES = {
    "unknown metric": (
        _set((*MEASURED, "metric"), "meetings_per_week"),
        ("items", "0", "evaluation", "measured", "metric"),
    ),
    "unknown facility kind": (
        _set(("items", 1, "evaluation", "facility", "kind"), "swimming_pool"),
        ("items", "1", "evaluation", "facility", "kind"),
    ),
    "item in an unknown area": (_set(("items", 0, "area"), "nowhere"), ("items", "0", "area")),
    "duplicate item code": (_set(("items", 1, "code"), "1"), ("items", "1", "code")),
    "bad op": (_set((*MEASURED, "op"), "=>"), ("items", "0", "evaluation", "measured", "op")),
    "missing criterion": (_drop(("items", 2, "criterion")), ("items", "2", "criterion")),
    "all_of with one part": (
        _set(("items", 2, "evaluation"), {"all_of": [{"assessed": {}}]}),
        ("items", "2", "evaluation", "all_of"),
    ),
    "two assessed parts in one item": (
        _set(("items", 2, "evaluation"), {"all_of": [{"assessed": {}}, {"assessed": {}}]}),
        ("items", "2", "evaluation"),
    ),
    "passing points above the total": (_set(("passing_points",), 5), ("passing_points",)),
    "unknown field": (_set(("weighting",), "equal"), ("weighting",)),
    "unknown field of an item": (_set(("items", 0, "score"), 3), ("items", "0", "score")),
    "code with capital letters": (_set(("code",), "Street_A_Green"), ("code",)),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_an_invalid_standard_is_refused_with_the_field_named(client, world, auth, counts, mistake):
    change, path = MISTAKES[mistake]
    document = small_standard()
    change(document)

    with writes_nothing(counts):
        body = assert_error(upload(client, world, auth, document), 422, "standard_invalid")

    messages = body["errors"]
    for key in path:
        assert key in messages, (path, body["errors"])
        messages = messages[key]
    assert isinstance(messages, list) and messages, body["errors"]
    assert all(re.search(r"[\u4e00-\u9fff]", message) for message in messages)


def test_every_problem_is_listed_at_once(client, world, auth, counts):
    document = small_standard(code="Bad Code", passing_points=9)
    document["items"][0]["evaluation"]["measured"]["metric"] = "nothing"
    document["items"][1]["area"] = "nowhere"

    with writes_nothing(counts):
        body = assert_error(upload(client, world, auth, document), 422, "standard_invalid")

    assert {"code", "passing_points", "items"} <= set(body["errors"])
    assert set(body["errors"]["items"]) == {"0", "1"}


@pytest.mark.parametrize("code", [HLJ, OWN])
def test_a_code_already_used_is_refused(client, world, auth, counts, code):
    assert_ok(upload(client, world, auth, small_standard()), 201)

    with writes_nothing(counts):
        assert_error(upload(client, world, auth, small_standard(code)), 409, "standard_code_taken")


def test_a_street_uploads_only_for_the_regions_it_administers(client, world, auth, counts):
    with writes_nothing(counts):
        response = upload(client, world, auth, small_standard(), region=world.street_b)
    assert_error(response, 404, "region_not_found")


def test_another_street_does_not_see_the_standard(client, world, auth, make, counts):
    assert_ok(upload(client, world, auth, small_standard()), 201)
    other = auth(other_street_admin(make, world))

    assert_error(client.get(f"{API}/standards/{OWN}", headers=other), 404, "standard_not_found")
    listed = assert_ok(client.get(f"{API}/standards", headers=other))
    assert OWN not in [standard["code"] for standard in listed]
    with writes_nothing(counts):
        changed = client.put(
            f"{API}/standards/{OWN}", json={"document": small_standard()}, headers=other
        )
        assert_error(changed, 404, "standard_not_found")
        deleted = client.delete(f"{API}/standards/{OWN}", headers=other)
        assert_error(deleted, 404, "standard_not_found")
    # the system admin sees every region's
    listed = assert_ok(client.get(f"{API}/standards", headers=auth(world.system_admin)))
    assert OWN in [standard["code"] for standard in listed]


def test_a_new_version_replaces_the_standard(client, world, auth):
    assert_ok(upload(client, world, auth, small_standard()), 201)
    document = small_standard(name="和兴路街道绿色社区自评标准（2026年修订）")
    document["items"].append(
        {
            "code": "4",
            "area": "facilities",
            "title": "公共绿地",
            "criterion": "有一片开放的公共绿地",
            "evaluation": {"facility": {"kind": "public_green_space", "min_count": 1}},
        }
    )

    body = assert_ok(
        client.put(
            f"{API}/standards/{OWN}",
            json={"document": document},
            headers=auth(world.street_admin),
        )
    )

    assert (body["version"], body["items"], Decimal(body["max_points"])) == (2, 4, 5)
    read = assert_ok(client.get(f"{API}/standards/{OWN}", headers=auth(world.street_admin)))
    assert (read["version"], read["name"]) == (2, "和兴路街道绿色社区自评标准（2026年修订）")


def test_a_new_version_keeps_its_code(client, world, auth, counts):
    assert_ok(upload(client, world, auth, small_standard()), 201)

    with writes_nothing(counts):
        response = client.put(
            f"{API}/standards/{OWN}",
            json={"document": small_standard("street_a_renamed")},
            headers=auth(world.street_admin),
        )
    body = assert_error(response, 422, "standard_code_changed")
    assert "code" in body["errors"]


def test_a_new_version_is_checked_like_the_first(client, world, auth, counts):
    assert_ok(upload(client, world, auth, small_standard()), 201)
    document = small_standard(passing_points=50)

    with writes_nothing(counts):
        response = client.put(
            f"{API}/standards/{OWN}", json={"document": document}, headers=auth(world.street_admin)
        )
    assert "passing_points" in assert_error(response, 422, "standard_invalid")["errors"]


def test_a_shipped_standard_cannot_be_replaced_or_deleted(client, world, auth, counts):
    admin = auth(world.system_admin)
    with writes_nothing(counts):
        replaced = client.put(
            f"{API}/standards/{HLJ}", json={"document": small_standard(HLJ)}, headers=admin
        )
        assert_error(replaced, 404, "standard_not_found")
        assert_error(
            client.delete(f"{API}/standards/{HLJ}", headers=admin), 404, "standard_not_found"
        )


def test_the_standard_is_assigned_to_the_streets_communities_only(client, world, auth, counts):
    assert_ok(upload(client, world, auth, small_standard()), 201)

    body = assert_ok(choose(client, world, auth, world.a, [OWN]))
    assert body["chosen"] is True
    assert [standard["code"] for standard in body["standards"]] == [OWN]
    read = assert_ok(
        client.get(f"{API}/communities/{world.a}/standards", headers=auth(world.resident))
    )
    assert [standard["code"] for standard in read["standards"]] == [OWN]

    with writes_nothing(counts):
        refused = choose(client, world, auth, world.b, [OWN], user_id=world.system_admin)
    assert assert_error(refused, 422, "standard_not_assignable")["errors"] == {"standards": [OWN]}


def test_a_standard_in_use_is_not_deleted(client, world, auth, counts):
    assert_ok(upload(client, world, auth, small_standard()), 201)
    assert_ok(choose(client, world, auth, world.a, [OWN]))
    admin = auth(world.street_admin)

    with writes_nothing(counts):
        assert_error(client.delete(f"{API}/standards/{OWN}", headers=admin), 409, "standard_in_use")

    assert_ok(choose(client, world, auth, world.a, [HLJ, COMPLETE]))
    assert client.delete(f"{API}/standards/{OWN}", headers=admin).status_code == 204
    assert_error(client.get(f"{API}/standards/{OWN}", headers=admin), 404, "standard_not_found")


def test_the_measurements_are_listed_with_their_definitions(client, world, auth):
    body = assert_ok(client.get(f"{API}/metrics", headers=auth(world.committee)))

    metrics = {metric["name"]: metric for metric in body}
    assert {
        "households",
        "property_service_coverage",
        "joint_meetings_held",
        "ticket_response_rate",
        "facility_area_elderly_service_station",
    } <= set(metrics)
    for metric in body:
        assert metric["title"] and metric["unit"] and metric["definition"], metric
    assert metrics["property_service_coverage"]["unit"] == "%"
    assert [metric["name"] for metric in body] == sorted(metrics)


def test_an_assessment_on_the_uploaded_standard_evaluates_its_items(client, world, auth):
    assert_ok(upload(client, world, auth, small_standard()), 201)
    committee = auth(world.committee)
    run = f"{API}/communities/{world.a}/assessments"
    # not yet a standard community a is assessed on
    refused = client.post(run, json={"standard": OWN}, headers=committee)
    assert_error(refused, 404, "standard_not_found")
    assert_ok(choose(client, world, auth, world.a, [OWN]))

    body = assert_ok(client.post(run, json={"standard": OWN}, headers=committee), 201)

    assert (body["standard"]["code"], body["state"]) == (OWN, "draft")
    statuses = {item["code"]: (item["method"], item["status"]) for item in body["items"]}
    assert statuses == {
        "1": ("measured", "not_met"),  # no joint meeting held yet
        "2": ("facility", "met"),  # the world's station: 360 m² ≥ 350 m²
        "3": ("combined", "needs_assessment"),  # nobody decided yet
    }
    assert (Decimal(body["totals"]["points"]), Decimal(body["totals"]["max_points"])) == (1, 4)
    assert body["totals"]["meets_standard"] is False
    assert set(body["definitions"]) >= {"joint_meetings_held", "households"}
