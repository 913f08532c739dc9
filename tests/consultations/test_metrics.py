"""What consultations measure for scoring, computed straight on data the factories write: period
bounds in each community's own time zone, many communities in one query, the evidence listed
(for many communities at once too, at most fifty records each)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from backend.communities.models import Unit
from backend.consultations import metrics
from backend.consultations.models import Ballot, JointMeeting, Need
from backend.core.db import db
from backend.core.metrics import EVIDENCE_LIMIT, Period, registry
from backend.core.tenancy.models import Region
from backend.scoring.services.assessments import communities_with_zones as zoned
from tests import factories
from tests.consultations.factories import consultation
from tests.statements import statements

YEAR_2024 = Period.calendar_year(2024)
YEAR_2025 = Period.calendar_year(2025)
NAMES = {
    "consultations_held",
    "needs_collected",
    "consultation_participation",
    "joint_meetings_held",
}


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def ctx(app, world):
    with app.app_context():
        yield world
        db.session.rollback()


@pytest.fixture
def urumqi(ctx) -> int:
    """A third community, on a street of its own, six hours ahead of UTC (two behind Beijing)."""
    street = db.session.get(Region, ctx.street_b)
    row = factories.community("U", street)
    row.timezone = "Asia/Urumqi"
    db.session.commit()
    return row.id


@pytest.fixture
def empty(ctx) -> int:
    """A community where nothing happened."""
    row = factories.community("E", db.session.get(Region, ctx.street_a))
    db.session.commit()
    return row.id


def published(world, community_id: int, at: datetime, **fields):
    return consultation(
        community_id, world.committee, status="published", published_at=at, **fields
    )


def need(world, consultation_row, status: str, created_at: datetime, title="加装电梯") -> Need:
    row = Need(
        consultation_id=consultation_row.id,
        community_id=consultation_row.community_id,
        author_id=world.resident,
        title=title,
        need_class="improve",
        status=status,
        created_at=created_at,
    )
    db.session.add(row)
    return row


def ballot(world, consultation_row, household_id: int, channel: str = "online") -> Ballot:
    from backend.communities.models import Household

    home = db.session.get(Household, household_id)
    receipt = hashlib.sha256(f"{consultation_row.id}-{household_id}".encode()).hexdigest()
    row = Ballot(
        consultation_id=consultation_row.id,
        voter_key=f"h{household_id}",
        household_id=household_id,
        building_id=home.building_id,
        cast_by_id=world.resident,
        receipt_hash=receipt,
        channel=channel,
    )
    db.session.add(row)
    return row


def meeting(world, community_id: int, held_on: date, topic="加装电梯协调会") -> JointMeeting:
    row = JointMeeting(
        community_id=community_id,
        held_on=held_on,
        topic=topic,
        attendees_count=12,
        recorded_by_id=world.committee,
    )
    db.session.add(row)
    return row


# ---------------------------------------------------------------- the registry


def test_the_registry_lists_the_four_measurements_with_chinese_words(ctx):
    found = registry()
    assert set(found) >= NAMES
    for name in NAMES:
        metric = found[name]
        assert metric.evidence is not None
        for words in (metric.title, metric.definition):
            assert any("\u4e00" <= char <= "\u9fff" for char in words), name
    assert found["consultation_participation"].unit == "%"


# ---------------------------------------------------------------- consultations held


def test_consultations_held_count_results_published_in_the_local_year(ctx, empty):
    w = ctx
    inside = published(w, w.a, utc(2024, 3, 1, 8))
    # 16:00 UTC on 31 Dec is midnight of 1 Jan in Beijing: the new year's.
    new_year = published(w, w.a, utc(2023, 12, 31, 16), title="新年第一次协商")
    published(w, w.a, utc(2023, 12, 31, 15, 59, 59))  # still 2023 in Beijing
    consultation(w.a, w.committee, status="closed")  # closed, result not published
    consultation(w.a, w.committee, status="cancelled", published_at=utc(2024, 5, 1))
    published(w, w.b, utc(2024, 7, 1))
    db.session.commit()

    asked = zoned([w.a, w.b, empty])
    with statements() as seen:
        values = metrics.consultations_held(asked, YEAR_2024)
    assert values == {w.a: 2, w.b: 1, empty: 0}
    assert len(seen) == 1, "one query for all the communities (their zones came with them)"

    found = metrics.consultations_held_evidence(zoned([w.a, empty]), YEAR_2024)
    assert set(found) == {w.a, empty}
    evidence = found[w.a]
    assert [(e.kind, e.id) for e in evidence] == [
        ("consultation", new_year.id),
        ("consultation", inside.id),
    ]
    assert evidence[0].label == "新年第一次协商（2024-01-01 公布结果）"
    assert found[empty] == []


def test_each_community_is_bounded_by_its_own_local_year(ctx, urumqi):
    w = ctx
    # 17:00 UTC on 31 Dec: 1 Jan 01:00 in Beijing, still 31 Dec 23:00 in Urumqi.
    moment = utc(2024, 12, 31, 17)
    published(w, w.a, moment)
    published(w, urumqi, moment)
    for community_id in (w.a, urumqi):
        need(w, consultation(community_id, w.committee), "published", moment)
    db.session.commit()

    for measure in (metrics.consultations_held, metrics.needs_collected):
        assert measure(zoned([w.a, urumqi]), YEAR_2024) == {w.a: 0, urumqi: 1}, measure.__name__
        assert measure(zoned([w.a, urumqi]), YEAR_2025) == {w.a: 1, urumqi: 0}, measure.__name__
    found = metrics.consultations_held_evidence(zoned([w.a, urumqi]), YEAR_2024)
    assert found[w.a] == []
    [listed] = found[urumqi]
    assert "2024-12-31" in listed.label


# ---------------------------------------------------------------- needs collected


def test_needs_collected_count_accepted_needs_proposed_in_the_period(ctx, empty):
    w = ctx
    in_a, in_b = consultation(w.a, w.committee), consultation(w.b, w.committee)
    first = need(w, in_a, "published", utc(2024, 2, 1), title="增设充电桩")
    merged = need(w, in_a, "merged", utc(2024, 2, 2), title="增加充电桩")
    need(w, in_a, "review", utc(2024, 2, 3))  # not decided yet
    need(w, in_a, "rejected", utc(2024, 2, 4))
    need(w, in_a, "published", utc(2023, 12, 31, 15))  # 23:00 on 31 Dec in Beijing
    need(w, in_b, "published", utc(2024, 6, 1))
    db.session.commit()

    assert metrics.needs_collected(zoned([w.a, w.b, empty]), YEAR_2024) == {w.a: 2, w.b: 1, empty: 0}
    evidence = metrics.needs_collected_evidence(zoned([w.a]), YEAR_2024)[w.a]
    assert [(e.kind, e.id) for e in evidence] == [("need", first.id), ("need", merged.id)]
    assert evidence[1].label == "增加充电桩（2024-02-02 提交，已合并）"


# ---------------------------------------------------------------- participation


@pytest.fixture
def third_household(ctx) -> int:
    """A third household of community a, in the unit of the world's two."""
    row = factories.household(db.session.get(Unit, ctx.unit), "103")
    db.session.commit()
    return row.id


def closed_on(world, community_id: int, closed_at: datetime, **fields):
    row = published(world, community_id, closed_at, **fields)
    row.closed_at = closed_at
    return row


def test_participation_is_the_share_of_households_on_the_rolls_that_voted(
    ctx, empty, third_household
):
    w = ctx
    # Community a: three households on each roll.
    spring = closed_on(w, w.a, utc(2024, 4, 1), title="春季改造项目")
    ballot(w, spring, w.household)
    autumn = closed_on(w, w.a, utc(2024, 10, 1), title="秋季改造项目")
    ballot(w, autumn, w.household, channel="paper")  # the same household again: counted once
    ballot(w, autumn, third_household)
    earlier = closed_on(w, w.a, utc(2023, 12, 31, 15))  # 23:00 on 31 Dec 2023 in Beijing
    ballot(w, earlier, w.free_household)
    # Still voting: not part of the year's share.
    ballot(w, consultation(w.a, w.committee, status="voting"), w.free_household)
    # Community b: one household on the roll, nobody voted.
    closed_on(w, w.b, utc(2024, 6, 1))
    db.session.commit()

    asked = zoned([w.a, w.b, empty])
    with statements() as seen:
        values = metrics.consultation_participation(asked, YEAR_2024)
    # a: 2 of 3 households took part; b: 0 of 1; the empty community has no share at all.
    assert values == {w.a: Decimal("66.67"), w.b: Decimal("0.00"), empty: None}
    assert len(seen) == 1
    assert metrics.consultation_participation(zoned([w.a]), YEAR_2025) == {w.a: None}

    evidence = metrics.consultation_participation_evidence(zoned([w.a]), YEAR_2024)[w.a]
    assert [(e.kind, e.id, e.label) for e in evidence] == [
        ("consultation", spring.id, "春季改造项目（2024-04-01 截止，1/3 户参与）"),
        ("consultation", autumn.id, "秋季改造项目（2024-10-01 截止，2/3 户参与）"),
    ]


def test_participation_is_bounded_by_the_local_year_too(ctx, urumqi):
    w = ctx
    moment = utc(2024, 12, 31, 17)  # 2025 in Beijing, 2024 in Urumqi
    home = factories.household(db.session.get(Unit, w.unit), "104")
    db.session.flush()
    ballot(w, closed_on(w, w.a, moment), home.id)
    db.session.commit()
    assert metrics.consultation_participation(zoned([w.a, urumqi]), YEAR_2024) == {w.a: None, urumqi: None}
    assert metrics.consultation_participation(zoned([w.a]), YEAR_2025) == {w.a: Decimal("33.33")}


# ---------------------------------------------------------------- joint meetings


def test_joint_meetings_count_by_their_local_date(ctx, empty, urumqi):
    w = ctx
    last = meeting(w, w.a, date(2024, 12, 31), topic="年末议事会")
    meeting(w, w.a, date(2025, 1, 1))
    first = meeting(w, w.a, date(2024, 1, 1), topic="新年议事会")
    meeting(w, w.b, date(2024, 6, 1))
    meeting(w, urumqi, date(2023, 12, 31))
    db.session.commit()

    asked = zoned([w.a, w.b, urumqi, empty])
    with statements() as seen:
        values = metrics.joint_meetings_held(asked, YEAR_2024)
    assert values == {w.a: 2, w.b: 1, urumqi: 0, empty: 0}
    assert len(seen) == 1, "held_on is a local date: one query, no zones"
    assert metrics.joint_meetings_held(zoned([w.a]), YEAR_2025) == {w.a: 1}
    evidence = metrics.joint_meetings_evidence(zoned([w.a]), YEAR_2024)[w.a]
    assert [(e.kind, e.id, e.label) for e in evidence] == [
        ("joint_meeting", first.id, "2024-01-01 新年议事会（12 人参加）"),
        ("joint_meeting", last.id, "2024-12-31 年末议事会（12 人参加）"),
    ]


def test_evidence_lists_at_most_fifty_records(ctx):
    w = ctx
    for day in range(60):
        meeting(w, w.a, date(2024, 1, 1).replace(day=1 + day % 28, month=1 + day // 28))
    db.session.commit()
    assert metrics.joint_meetings_held(zoned([w.a]), YEAR_2024) == {w.a: 60}
    assert len(metrics.joint_meetings_evidence(zoned([w.a]), YEAR_2024)[w.a]) == 50


# ---------------------------------------------------------------- evidence for many communities

EVIDENCE = {
    "consultations_held": metrics.consultations_held_evidence,
    "needs_collected": metrics.needs_collected_evidence,
    "consultation_participation": metrics.consultation_participation_evidence,
    "joint_meetings_held": metrics.joint_meetings_evidence,
}


def test_the_registry_lists_the_set_based_evidence(ctx):
    found = registry()
    assert {name: found[name].evidence for name in EVIDENCE} == EVIDENCE


def records_of(world, community_id: int, count: int, name: str) -> dict[str, list[int]]:
    """`count` records of every kind behind the four values, in `community_id`, a day apart
    from 1 Jan 2024 (Beijing noon), in the order the evidence lists them: ids by measurement."""
    closed, needs, meetings = [], [], []
    first = consultation(community_id, world.committee, status="voting")
    for index in range(count):
        moment = utc(2024, 1, 1, 4) + index * timedelta(days=1)
        closed.append(closed_on(world, community_id, moment, title=f"{name}协商{index}"))
        needs.append(need(world, first, "published", moment, title=f"{name}需求{index}"))
        meetings.append(meeting(world, community_id, moment.date(), topic=f"{name}会议{index}"))
    db.session.flush()
    return {
        "consultations_held": [row.id for row in closed],
        "needs_collected": [row.id for row in needs],
        "consultation_participation": [row.id for row in closed],
        "joint_meetings_held": [row.id for row in meetings],
    }


@pytest.mark.parametrize("name", sorted(EVIDENCE))
def test_evidence_for_many_communities_lists_each_ones_own_records(ctx, empty, name):
    w = ctx
    in_a = records_of(w, w.a, 2, "甲")
    in_b = records_of(w, w.b, 1, "乙")
    db.session.commit()

    found = EVIDENCE[name](zoned([w.a, w.b, empty]), YEAR_2024)

    assert set(found) == {w.a, w.b, empty}, "every community asked for is listed"
    assert [e.id for e in found[w.a]] == in_a[name]
    assert [e.id for e in found[w.b]] == in_b[name]
    assert found[empty] == []
    assert all("甲" in e.label for e in found[w.a])
    assert all("乙" in e.label for e in found[w.b])
    # One community alone gets the same list as in company.
    assert EVIDENCE[name](zoned([w.b]), YEAR_2024) == {w.b: found[w.b]}


@pytest.mark.parametrize("name", sorted(EVIDENCE))
def test_evidence_lists_at_most_fifty_records_of_each_community(ctx, name):
    w = ctx
    in_a = records_of(w, w.a, 55, "甲")
    in_b = records_of(w, w.b, 3, "乙")
    db.session.commit()

    found = EVIDENCE[name](zoned([w.a, w.b]), YEAR_2024)

    assert EVIDENCE_LIMIT == 50
    assert [e.id for e in found[w.a]] == in_a[name][:50], "the first fifty, in order"
    assert [e.id for e in found[w.b]] == in_b[name]


@pytest.fixture
def communities(ctx, empty) -> list[int]:
    """Community a, b, the empty one and five more, all in Beijing, each with a record of every
    kind but the empty one."""
    street = db.session.get(Region, ctx.street_a)
    ids = [ctx.a, ctx.b, empty]
    for index in range(5):
        ids.append(factories.community(f"M{index}", street).id)
    for community_id in ids:
        if community_id != empty:
            records_of(ctx, community_id, 1, "某")
    db.session.commit()
    return ids


# Statements for any number of communities in one zone: one (the zones come with the
# communities). A second zone costs one more, except for joint meetings: their dates are local.
STATEMENTS = {
    "consultations_held": 1,
    "needs_collected": 1,
    "consultation_participation": 1,
    "joint_meetings_held": 1,
}
PER_ZONE = {"consultations_held", "needs_collected", "consultation_participation"}


@pytest.mark.parametrize("name", sorted(EVIDENCE))
def test_evidence_runs_as_many_statements_for_eight_communities_as_for_one(
    ctx, communities, urumqi, name
):
    def count(ids: list[int]) -> int:
        asked = zoned(ids)
        with statements() as seen:
            found = EVIDENCE[name](asked, YEAR_2024)
        assert set(found) == set(ids)
        return len(seen)

    assert count(communities[:1]) == STATEMENTS[name]
    assert count(communities) == STATEMENTS[name]
    # A second time zone: one statement more, wherever dates are converted.
    assert count([*communities, urumqi]) == STATEMENTS[name] + (name in PER_ZONE)


def test_evidence_labels_show_each_communitys_own_local_dates(ctx, urumqi):
    w = ctx
    # 17:00 UTC on 31 Dec 2024: 1 Jan 2025 in Beijing, still 31 Dec 2024 in Urumqi.
    moment = utc(2024, 12, 31, 17)
    for community_id in (w.a, urumqi):
        need(w, closed_on(w, community_id, moment), "published", moment)
    db.session.commit()
    winter = Period(date(2024, 12, 1), date(2025, 2, 1))

    for name in ("consultations_held", "needs_collected", "consultation_participation"):
        found = EVIDENCE[name](zoned([w.a, urumqi]), winter)
        [in_a], [in_urumqi] = found[w.a], found[urumqi]
        assert "2025-01-01" in in_a.label, name
        assert "2024-12-31" in in_urumqi.label, name
    # The roll of community a counts its households; Urumqi has none.
    assert metrics.consultation_participation_evidence(zoned([urumqi]), winter)[urumqi][0].label == (
        "老旧小区改造需求征集（2024-12-31 截止，0/0 户参与）"
    )
