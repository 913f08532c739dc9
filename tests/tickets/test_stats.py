"""The figures tickets are judged by, read through HTTP from tickets written straight to the
database in the states each figure cares about: the three rates and their boundaries, overdue
and open tickets, the median time to resolve, who sees which figures; and the same figures as
the registry's measurements for scoring."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from backend.communities.models import Organisation, ServiceArea
from backend.core.db import db, utcnow
from backend.core.metrics import DEFAULT_TIMEZONE, EVIDENCE_LIMIT, Evidence, Period, registry
from backend.core.tenancy.models import Region
from backend.scoring.services.assessments import communities_with_zones as zoned
from backend.tickets import metrics
from backend.tickets.models import Ticket, TicketCategory
from tests import factories
from tests.helpers import API, assert_error, assert_ok
from tests.statements import statements

YEAR_2024 = {"from": "2024-01-01", "to": "2024-12-31"}
# 08:00 in Beijing on 1 March 2024; every clock below runs from here unless said otherwise.
BASE = datetime(2024, 3, 1, 0, tzinfo=UTC)
RESPONSE = timedelta(hours=24)
RESOLUTION = timedelta(days=7)
TICKET_METRICS = {
    "tickets_dispatched",
    "ticket_response_rate",
    "ticket_resolution_rate",
    "ticket_satisfaction_rate",
    "ticket_reopen_rate",
    "tickets_overdue",
    "ticket_median_resolve_hours",
    "tickets_open_waterlogging",
    "tickets_open_fire_lane",
    "tickets_open_noise",
    "tickets_open_illegal_building",
}


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def ticket(
    community_id: int,
    *,
    category: str = "lighting",
    status: str = "closed",
    dispatched: datetime | None = BASE,
    handler: int | None = None,
    **fields,
) -> Ticket:
    """A ticket in any state, its clocks started at `dispatched` (None: not dispatched yet)."""
    category_id = db.session.scalar(
        sa.select(TicketCategory.id).where(TicketCategory.code == category)
    )
    clocks = {}
    if dispatched is not None:
        clocks = {
            "dispatched_at": dispatched,
            "response_due_at": dispatched + RESPONSE,
            "resolution_due_at": dispatched + RESOLUTION,
        }
    row = Ticket(
        community_id=community_id,
        category_id=category_id,
        status=status,
        description="楼道灯不亮",
        deadline_class="general",
        handler_organisation_id=handler,
        created_at=dispatched or BASE,
        **{**clocks, **fields},
    )
    db.session.add(row)
    db.session.flush()
    return row


def confirmed(rating: int, fixed: bool) -> dict:
    return {"evaluation": "confirmed", "rating": rating, "fixed": fixed}


@pytest.fixture
def ctx(app, world):
    with app.app_context():
        yield world
        db.session.rollback()


@pytest.fixture
def year(ctx) -> dict:
    """Community a's 2024, one ticket per case the figures must get right (ids by case)."""
    w, company = ctx, ctx.property_company
    due = BASE + RESPONSE
    rows = {
        # Signed exactly at the deadline: in time. Fixed, 5 stars; resolved after 10 h.
        "on_the_dot": ticket(
            w.a,
            handler=company,
            responded_at=due,
            resolved_at=BASE + timedelta(hours=10),
            **confirmed(5, True),
        ),
        # One second late. Not fixed, 2 stars; resolved after 30 h.
        "late": ticket(
            w.a,
            handler=company,
            responded_at=due + timedelta(seconds=1),
            resolved_at=BASE + timedelta(hours=30),
            **confirmed(2, False),
        ),
        # Nobody signed it, and the response deadline is long gone: overdue.
        "unanswered": ticket(w.a, status="assigned", handler=company),
        # Closed after 7 days without the reporter's answer: neither satisfied nor fixed.
        "unevaluated": ticket(
            w.a,
            handler=company,
            responded_at=BASE + timedelta(hours=1),
            resolved_at=BASE + timedelta(hours=50),
            evaluation="not_evaluated",
        ),
        # Reopened, back in progress past its resolution deadline: overdue, reopened.
        "reopened": ticket(
            w.a,
            status="in_progress",
            handler=company,
            reopen_count=1,
            responded_at=BASE + timedelta(hours=2),
        ),
        # Accepted, then found a duplicate: no work owed, counted nowhere.
        "rejected": ticket(w.a, status="rejected", reject_reason="duplicate"),
        # 23:59:59 on 31 Dec 2023 in Beijing: last year's.
        "last_year": ticket(
            w.a,
            dispatched=utc(2023, 12, 31, 15, 59, 59),
            handler=company,
            responded_at=utc(2024, 1, 1),
            resolved_at=utc(2024, 1, 1, 1),
            **confirmed(5, True),
        ),
        # Midnight of 1 Jan 2024 in Beijing: this year's. Resolved after 4 h, awaiting the
        # reporter's answer.
        "new_year": ticket(
            w.a,
            category="waterlogging",
            status="resolved",
            handler=company,
            dispatched=utc(2023, 12, 31, 16),
            responded_at=utc(2023, 12, 31, 16, 30),
            resolved_at=utc(2023, 12, 31, 20),
        ),
        # Filed, not yet accepted: open, on no clock.
        "submitted": ticket(w.a, category="noise", status="submitted", dispatched=None),
        # Another community's.
        "elsewhere": ticket(
            w.b, responded_at=BASE, resolved_at=BASE + timedelta(hours=1), **confirmed(5, True)
        ),
    }
    db.session.commit()
    return {name: row.id for name, row in rows.items()}


def community_stats(client, auth, user_id, community_id, **query):
    return client.get(
        f"{API}/communities/{community_id}/ticket-stats",
        query_string=query,
        headers=auth(user_id),
    )


def region_stats(client, auth, user_id, region_id, **query):
    return client.get(
        f"{API}/regions/{region_id}/ticket-stats", query_string=query, headers=auth(user_id)
    )


def rate(numerator: int, denominator: int, percent: str | None) -> dict:
    return {"numerator": numerator, "denominator": denominator, "percent": percent}


# ---------------------------------------------------------------- a community's figures


def test_the_committee_reads_each_figure_of_the_year(client, auth, ctx, year):
    body = assert_ok(community_stats(client, auth, ctx.committee, ctx.a, **YEAR_2024))

    assert body["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert body["scope"] == "community"
    assert body["settings"] == {
        "response_rate_base": "dispatched",
        "resolution_counts_unevaluated": False,
    }
    # The period ends at midnight of 1 Jan 2025 in Beijing: the state is counted then.
    assert body["as_of"].startswith("2024-12-31T16:00:00")
    assert body["totals"] == {
        # on_the_dot, late, unanswered, unevaluated, reopened, new_year
        "dispatched": 6,
        # on_the_dot (exactly at the deadline), unevaluated, reopened, new_year
        "response_rate": rate(4, 6, "66.67"),
        # fixed: on_the_dot; evaluated: on_the_dot, late (not the unevaluated one)
        "resolution_rate": rate(1, 2, "50.00"),
        "satisfaction_rate": rate(1, 2, "50.00"),
        # reopened, of on_the_dot, late, unevaluated, reopened, new_year
        "reopen_rate": rate(1, 5, "20.00"),
        # unanswered (response), reopened (resolution)
        "overdue": 2,
        # unanswered, reopened, submitted
        "open": 3,
        # 4, 10, 30, 50 hours
        "median_resolve_hours": "20.00",
    }


def test_each_category_has_its_own_figures(client, auth, ctx, year):
    body = assert_ok(community_stats(client, auth, ctx.committee, ctx.a, **YEAR_2024))
    rows = {row["category_code"]: row for row in body["by_category"]}

    # In the categories' own order; a category without tickets is not listed.
    assert [row["category_code"] for row in body["by_category"]] == [
        "waterlogging",
        "noise",
        "lighting",
    ]
    assert rows["lighting"]["category_name"] == "照明"
    assert rows["lighting"]["dispatched"] == 5
    assert rows["lighting"]["response_rate"] == rate(3, 5, "60.00")
    assert rows["lighting"]["median_resolve_hours"] == "30.00"
    assert (rows["lighting"]["overdue"], rows["lighting"]["open"]) == (2, 2)
    assert rows["waterlogging"]["resolution_rate"] == rate(0, 0, None)
    assert rows["waterlogging"]["median_resolve_hours"] == "4.00"
    assert rows["noise"]["dispatched"] == 0
    assert rows["noise"]["open"] == 1
    assert rows["noise"]["median_resolve_hours"] is None


def test_a_category_filter_narrows_every_figure(client, auth, ctx, year):
    body = assert_ok(
        community_stats(client, auth, ctx.committee, ctx.a, category="lighting", **YEAR_2024)
    )

    assert body["category"] == "lighting"
    assert body["totals"]["dispatched"] == 5
    assert body["totals"]["response_rate"] == rate(3, 5, "60.00")
    assert [row["category_code"] for row in body["by_category"]] == ["lighting"]
    assert [row["dispatched"] for row in body["by_handler"]] == [5]

    unknown = community_stats(client, auth, ctx.committee, ctx.a, category="no_such_thing")
    assert_error(unknown, 422, "category_unknown")


def test_figures_by_handler_keep_the_unassigned_last(client, auth, ctx, year):
    body = assert_ok(community_stats(client, auth, ctx.committee, ctx.a, **YEAR_2024))

    company, unassigned = body["by_handler"]
    assert (company["organisation_id"], company["organisation_name"]) == (
        ctx.property_company,
        "安居物业",
    )
    assert company["dispatched"] == 6
    assert company["overdue"] == 2
    assert unassigned["organisation_id"] is None
    assert (unassigned["dispatched"], unassigned["open"]) == (0, 1)


def test_the_bases_where_authorities_differ_are_settings(app, client, auth, ctx, year, monkeypatch):
    monkeypatch.setitem(app.config, "TICKET_RESPONSE_RATE_BASE", "responded")
    monkeypatch.setitem(app.config, "TICKET_RESOLUTION_COUNTS_UNEVALUATED", True)

    body = assert_ok(community_stats(client, auth, ctx.committee, ctx.a, **YEAR_2024))

    assert body["settings"] == {
        "response_rate_base": "responded",
        "resolution_counts_unevaluated": True,
    }
    # in time of those answered at all: the unanswered one no longer counts against it
    assert body["totals"]["response_rate"] == rate(4, 5, "80.00")
    # the unevaluated one joins the denominator, never the numerator
    assert body["totals"]["resolution_rate"] == rate(1, 3, "33.33")
    assert body["totals"]["satisfaction_rate"] == rate(1, 2, "50.00")


def test_nothing_to_count_gives_no_percentages(client, auth, ctx):
    body = assert_ok(community_stats(client, auth, ctx.committee, ctx.a, **YEAR_2024))

    assert body["totals"]["dispatched"] == 0
    assert body["totals"]["response_rate"] == rate(0, 0, None)
    assert body["totals"]["median_resolve_hours"] is None
    assert body["by_category"] == body["by_handler"] == []


def test_the_period_defaults_to_the_local_year_to_date(client, auth, ctx):
    today = utcnow().astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()

    body = assert_ok(community_stats(client, auth, ctx.committee, ctx.a))
    assert body["period"] == {"from": f"{today.year}-01-01", "to": today.isoformat()}

    only_to = assert_ok(community_stats(client, auth, ctx.committee, ctx.a, to="2024-06-30"))
    assert only_to["period"] == {"from": "2024-01-01", "to": "2024-06-30"}


def test_a_reversed_period_is_refused(client, auth, ctx):
    response = community_stats(
        client, auth, ctx.committee, ctx.a, **{"from": "2024-02-01", "to": "2024-01-31"}
    )
    assert_error(response, 422, "period_reversed")


# ---------------------------------------------------------------- who sees which figures


@pytest.fixture
def two_companies(ctx, year) -> int:
    """A second property company serving community a, with one ticket of its own."""
    other = Organisation(code="PROP2", name="宜居物业", kind="property_company")
    db.session.add(other)
    db.session.flush()
    db.session.add(ServiceArea(community_id=ctx.a, organisation_id=other.id))
    ticket(
        ctx.a,
        handler=other.id,
        responded_at=BASE,
        resolved_at=BASE + timedelta(hours=1),
        **confirmed(5, True),
    )
    db.session.commit()
    return other.id


def test_property_staff_see_only_their_own_organisation(client, auth, ctx, two_companies):
    committee = assert_ok(community_stats(client, auth, ctx.committee, ctx.a, **YEAR_2024))
    staff = assert_ok(community_stats(client, auth, ctx.property_staff, ctx.a, **YEAR_2024))

    assert committee["totals"]["dispatched"] == 7
    assert staff["scope"] == "own_organisations"
    assert staff["totals"]["dispatched"] == 6
    assert staff["totals"]["open"] == 2  # not the submitted ticket nobody handles yet
    assert [row["organisation_id"] for row in staff["by_handler"]] == [ctx.property_company]


def test_another_communitys_committee_is_answered_404(client, auth, ctx, year):
    assert_error(community_stats(client, auth, ctx.outsider, ctx.a, **YEAR_2024), 404, "not_found")


def test_residents_are_refused(client, auth, ctx):
    assert community_stats(client, auth, ctx.resident, ctx.a).status_code == 403


# ---------------------------------------------------------------- the street's dashboard


@pytest.fixture
def street(ctx, year) -> dict:
    """Community a, and on the same street a community six hours ahead of UTC (Urumqi)."""
    row = factories.community("A2", db.session.get(Region, ctx.street_a))
    row.timezone = "Asia/Urumqi"
    db.session.flush()
    # 00:30 on 1 Jan 2024 in Urumqi (02:30 in Beijing): the year's in Urumqi.
    ticket(row.id, dispatched=utc(2023, 12, 31, 18, 30), status="assigned")
    # 23:00 on 31 Dec 2024 in Urumqi (already 2025 in Beijing): still the year's there.
    ticket(row.id, category="fire_lane", dispatched=utc(2024, 12, 31, 17), status="accepted")
    # 00:00 on 1 Jan 2025 in Urumqi: next year's.
    ticket(row.id, dispatched=utc(2024, 12, 31, 18), status="accepted")
    db.session.commit()
    return {"urumqi": row.id}


def test_the_street_admin_reads_the_street_dashboard(client, auth, ctx, street):
    body = assert_ok(region_stats(client, auth, ctx.street_admin, ctx.street_a, **YEAR_2024))

    assert (body["region_id"], body["region_name"]) == (ctx.street_a, "和兴路街道")
    communities = {row["community_id"]: row for row in body["by_community"]}
    assert [row["community_name"] for row in body["by_community"]] == ["A社区", "A2社区"]
    assert communities[ctx.a]["dispatched"] == 6
    assert communities[ctx.a]["response_rate"] == rate(4, 6, "66.67")
    assert (communities[ctx.a]["overdue"], communities[ctx.a]["open"]) == (2, 3)
    urumqi = communities[street["urumqi"]]
    assert urumqi["dispatched"] == 2
    assert urumqi["response_rate"] == rate(0, 2, "0.00")
    # Community b is another street's.
    assert body["totals"]["dispatched"] == 8
    # The median is each community's (a sort of the whole street's tickets is too slow).
    assert "median_resolve_hours" not in body["totals"]
    assert "median_resolve_hours" not in body["by_community"][0]
    categories = {row["category_code"]: row["dispatched"] for row in body["by_category"]}
    assert categories == {"fire_lane": 1, "waterlogging": 1, "noise": 0, "lighting": 6}


def test_the_dashboard_runs_the_same_few_statements_for_any_number_of_communities(
    app, client, auth, ctx, street
):
    def count_statements() -> int:
        headers = auth(ctx.street_admin)
        with app.app_context(), statements() as seen:
            assert_ok(
                client.get(
                    f"{API}/regions/{ctx.street_a}/ticket-stats",
                    query_string=YEAR_2024,
                    headers=headers,
                )
            )
        return len(seen)

    before = count_statements()
    for index in range(5):
        row = factories.community(f"N{index}", db.session.get(Region, ctx.street_a))
        ticket(row.id, status="assigned")
    db.session.commit()
    assert count_statements() == before
    assert before <= 10, "the actor's roles, the region, its communities, then ~5 figures"


def test_the_street_admin_of_another_street_is_answered_404(client, auth, ctx, street):
    other = factories.user("street_b_admin")
    factories.grant(other, "street_admin", region_id=ctx.street_b)
    db.session.commit()

    assert_error(region_stats(client, auth, other.id, ctx.street_a), 404, "region_not_found")
    assert_ok(region_stats(client, auth, other.id, ctx.street_b))


def test_only_those_administering_the_region_read_it(client, auth, ctx, street):
    district = db.session.get(Region, ctx.street_a).parent_id
    for user_id in (ctx.committee, ctx.property_staff, ctx.outsider):
        assert_error(region_stats(client, auth, user_id, ctx.street_a), 404, "region_not_found")
    # A street admin does not administer the district above the street.
    assert_error(region_stats(client, auth, ctx.street_admin, district), 404, "region_not_found")
    whole = assert_ok(region_stats(client, auth, ctx.system_admin, district, **YEAR_2024))
    assert {row["community_id"] for row in whole["by_community"]} == {
        ctx.a,
        ctx.b,
        street["urumqi"],
    }
    assert whole["totals"]["dispatched"] == 9


def test_a_region_without_communities_has_empty_figures(client, auth, ctx):
    empty = factories.region("S9", "空街道", "street", db.session.get(Region, ctx.street_a).parent)
    db.session.commit()

    body = assert_ok(region_stats(client, auth, ctx.system_admin, empty.id))
    assert body["by_community"] == body["by_category"] == []
    assert body["totals"]["dispatched"] == 0


# ---------------------------------------------------------------- the median, both ways


def test_both_ways_of_taking_the_median_agree_with_python(ctx):
    durations = {
        "lighting": [
            timedelta(hours=1),
            timedelta(hours=2, minutes=30),
            timedelta(hours=7, seconds=1),
        ],
        "noise": [
            timedelta(minutes=10),
            timedelta(hours=3),
            timedelta(hours=5, seconds=3),
            timedelta(days=2, microseconds=600_000),
        ],
    }
    start = utc(2024, 5, 1, 3, 4, 5, 700_000)  # a fraction of a second: truncated on both ends
    for category, spans in durations.items():
        for span in spans:
            ticket(ctx.a, category=category, dispatched=start, resolved_at=start + span)
    db.session.commit()

    def whole_seconds(span: timedelta) -> int:
        end = start + span
        return int(
            end.replace(microsecond=0).timestamp() - start.replace(microsecond=0).timestamp()
        )

    expected = {
        category: metrics.as_hours(statistics.median(whole_seconds(s) for s in spans))
        for category, spans in durations.items()
    }
    expected_total = metrics.as_hours(
        statistics.median(whole_seconds(s) for spans in durations.values() for s in spans)
    )
    methods = ["middle"]
    if db.engine.dialect.name == "postgresql":
        methods.append("percentile")
    codes = dict(db.session.execute(sa.select(TicketCategory.id, TicketCategory.code)).all())
    for method in methods:
        by_category = metrics.medians_by_key(
            metrics.median_resolve_seconds([Ticket.category_id], method=method), 1
        )
        assert {codes[key]: value for key, value in by_category.items()} == expected, method
        total = metrics.medians_by_key(metrics.median_resolve_seconds([], method=method), 0)
        assert total == {None: expected_total}, method
    # lighting: 1 h, 2.5 h, 7 h 1 s; noise: the mean of 3 h and 5 h 3 s (plus 0.5 s)
    assert expected == {"lighting": Decimal("2.50"), "noise": Decimal("4.00")}


# ---------------------------------------------------------------- the registry's measurements


def test_the_registry_lists_the_ticket_measurements_in_chinese(ctx):
    found = registry()
    assert set(found) >= TICKET_METRICS
    for name in TICKET_METRICS:
        for words in (found[name].title, found[name].definition):
            assert any("\u4e00" <= char <= "\u9fff" for char in words), name
    assert found["ticket_response_rate"].unit == "%"
    assert found["ticket_median_resolve_hours"].unit == "小时"


def test_each_measurement_for_many_communities_at_once(ctx, year):
    empty = factories.community("E", db.session.get(Region, ctx.street_a))
    db.session.commit()
    ids = [ctx.a, ctx.b, empty.id]
    period = Period.calendar_year(2024)
    found = registry()

    asked = zoned(ids)
    with statements() as seen:
        values = {name: found[name].compute(asked, period) for name in sorted(TICKET_METRICS)}
    # one query for all the communities per measurement (their zones came with them)
    assert len(seen) == len(TICKET_METRICS)

    assert values["tickets_dispatched"] == {ctx.a: 6, ctx.b: 1, empty.id: 0}
    assert values["ticket_response_rate"] == {
        ctx.a: Decimal("66.67"),
        ctx.b: Decimal("100.00"),
        empty.id: None,
    }
    assert values["ticket_resolution_rate"][ctx.a] == Decimal("50.00")
    assert values["ticket_satisfaction_rate"][ctx.a] == Decimal("50.00")
    assert values["ticket_reopen_rate"][ctx.a] == Decimal("20.00")
    assert values["tickets_overdue"] == {ctx.a: 2, ctx.b: 0, empty.id: 0}
    assert values["ticket_median_resolve_hours"] == {
        ctx.a: Decimal("20.00"),
        ctx.b: Decimal("1.00"),
        empty.id: None,
    }
    assert values["tickets_open_noise"] == {ctx.a: 1, ctx.b: 0, empty.id: 0}
    assert values["tickets_open_waterlogging"][ctx.a] == 0


def test_the_evidence_names_the_tickets_behind_a_value(ctx, year):
    found = registry()
    period = Period.calendar_year(2024)

    overdue = found["tickets_overdue"].evidence(zoned([ctx.a]), period)[ctx.a]
    assert [e.id for e in overdue] == sorted([year["unanswered"], year["reopened"]])
    assert overdue[0].label == f"工单 #{overdue[0].id} 照明（已派单）"
    late = found["ticket_response_rate"].evidence(zoned([ctx.a]), period)[ctx.a]
    assert {e.id for e in late} == {year["late"], year["unanswered"]}
    noise = found["tickets_open_noise"].evidence(zoned([ctx.a]), period)[ctx.a]
    assert [e.id for e in noise] == [year["submitted"]]


def test_a_state_in_a_past_year_is_counted_at_its_end(ctx, year):
    # At the end of 2023 the tickets dispatched in 2024 were not yet there.
    values = registry()["tickets_overdue"].compute(zoned([ctx.a]), Period.calendar_year(2023))
    assert values == {ctx.a: 0}
    just_after = Period(date(2024, 3, 2), date(2024, 3, 3))  # response due 08:00 on 2 March
    assert registry()["tickets_overdue"].compute(zoned([ctx.a]), just_after) == {ctx.a: 1}


# ---------------------------------------------------------------- evidence for many communities

# The measurements with evidence, and the case of `year` each lists for community a.
EVIDENCED = {
    "tickets_overdue": ["unanswered", "reopened"],
    "ticket_response_rate": ["late", "unanswered"],
    "tickets_open_noise": ["submitted"],
    "tickets_open_waterlogging": [],
    "tickets_open_fire_lane": [],
    "tickets_open_illegal_building": [],
}


def test_every_measurement_with_evidence_is_listed_here(ctx):
    assert {name for name in TICKET_METRICS if registry()[name].evidence is not None} == set(
        EVIDENCED
    )


def test_evidence_for_many_communities_lists_each_ones_own_tickets(ctx, year):
    empty = factories.community("E", db.session.get(Region, ctx.street_a))
    in_b = {
        "unanswered": ticket(ctx.b, status="assigned").id,
        "late": ticket(ctx.b, responded_at=BASE + RESPONSE + timedelta(hours=1)).id,
        "submitted": ticket(ctx.b, category="noise", status="submitted", dispatched=None).id,
    }
    db.session.commit()
    ids = [ctx.a, ctx.b, empty.id]
    found = registry()

    for name, cases in EVIDENCED.items():
        evidence = found[name].evidence(zoned(ids), Period.calendar_year(2024))
        assert set(evidence) == set(ids), name
        assert sorted(e.id for e in evidence[ctx.a]) == sorted(year[c] for c in cases), name
        expected_b = sorted(in_b[case] for case in cases if case in in_b)
        assert sorted(e.id for e in evidence[ctx.b]) == expected_b, name
        assert evidence[empty.id] == [], name
        # One community alone gets the same list as in company.
        assert found[name].evidence(zoned([ctx.b]), Period.calendar_year(2024)) == {ctx.b: evidence[ctx.b]}


def test_evidence_lists_at_most_fifty_tickets_of_each_community(ctx):
    in_a = [
        ticket(ctx.a, status="assigned", dispatched=BASE + timedelta(minutes=index)).id
        for index in range(55)
    ]
    in_b = [
        ticket(ctx.b, status="assigned", dispatched=BASE + timedelta(minutes=index)).id
        for index in range(3)
    ]
    db.session.commit()
    period = Period.calendar_year(2024)

    assert EVIDENCE_LIMIT == 50
    for evidence in (metrics.tickets_overdue_evidence, metrics.late_responses_evidence):
        found = evidence(zoned([ctx.a, ctx.b]), period)
        assert [e.id for e in found[ctx.a]] == in_a[:50], "the first fifty dispatched"
        assert [e.id for e in found[ctx.b]] == in_b
    assert metrics.tickets_overdue(zoned([ctx.a, ctx.b]), period) == {ctx.a: 55, ctx.b: 3}


def test_evidence_runs_one_statement_for_any_number_of_communities_and_zones(ctx, street):
    street_a = db.session.get(Region, ctx.street_a)
    many = [ctx.a, ctx.b]
    for index in range(6):
        row = factories.community(f"N{index}", street_a)
        ticket(row.id, status="assigned")
        many.append(row.id)
    db.session.commit()
    found = registry()

    for name in EVIDENCED:
        for ids in ([ctx.a], many, [*many, street["urumqi"]]):
            asked = zoned(ids)
            with statements() as seen:
                evidence = found[name].evidence(asked, Period.calendar_year(2024))
            assert set(evidence) == set(ids)
            # One query for all of them (each zone's bounds in its `or`).
            assert len(seen) == 1, (name, len(ids))


def test_evidence_bounds_each_community_by_its_own_local_year(ctx):
    urumqi = factories.community("U", db.session.get(Region, ctx.street_b))
    urumqi.timezone = "Asia/Urumqi"
    db.session.flush()
    # 17:00 UTC on 31 Dec 2024: 1 Jan 2025 in Beijing, still 31 Dec 2024 in Urumqi.
    moment = utc(2024, 12, 31, 17)
    in_a = ticket(ctx.a, status="assigned", dispatched=moment).id
    in_urumqi = ticket(urumqi.id, status="assigned", dispatched=moment).id
    db.session.commit()
    ids = zoned([ctx.a, urumqi.id])

    late = metrics.late_responses_evidence
    assert late(ids, Period.calendar_year(2024)) == {
        ctx.a: [],
        urumqi.id: [Evidence("ticket", in_urumqi, f"工单 #{in_urumqi} 照明（已派单）")],
    }
    found = late(ids, Period.calendar_year(2025))
    assert ([e.id for e in found[ctx.a]], found[urumqi.id]) == ([in_a], [])
    # Overdue as things stood at each community's own end of 2024: 16:00 UTC in Beijing,
    # 18:00 UTC in Urumqi; these two were due an answer at 16:30 UTC on 31 Dec.
    dispatched = utc(2024, 12, 30, 16, 30)
    overdue_a = ticket(ctx.a, status="assigned", dispatched=dispatched).id
    overdue_urumqi = ticket(urumqi.id, status="assigned", dispatched=dispatched).id
    db.session.commit()
    overdue = metrics.tickets_overdue_evidence(ids, Period.calendar_year(2024))
    assert overdue == {
        ctx.a: [],
        urumqi.id: [Evidence("ticket", overdue_urumqi, f"工单 #{overdue_urumqi} 照明（已派单）")],
    }
    # By now both of a's are overdue, in the order dispatched.
    now = metrics.tickets_overdue_evidence(ids, Period.calendar_year(2025))
    assert [e.id for e in now[ctx.a]] == [overdue_a, in_a]
