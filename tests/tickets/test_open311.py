"""Open311 GeoReport v2 at /open311/v2: services, filing with an api key, reading the public
tickets, both formats, Open311's errors; and the keys the street issues in our own API."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa

from backend.communities.models import Organisation
from backend.core.audit.models import AuditEntry
from backend.core.db import db, utcnow
from backend.core.notifications.models import Notification
from backend.tickets.models import CategorySetting, Open311Key, Ticket, TicketCategory
from backend.tickets.open311 import services as open311
from backend.tickets.services.keys import hash_key
from tests import factories
from tests.helpers import assert_error, assert_ok, writes_nothing

V2 = "/open311/v2"
KEYS = "/api/v1/regions/{}/open311-keys"
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
]  # fmt: skip


# ---------------------------------------------------------------- factories (also for the walk)


def issue_key(world, region_id: int, *, secret: str | None = None, organisation_id=None):
    """A live key for the region, written straight to the database: (its secret, its id)."""
    secret = secret or f"secret-{region_id}-{organisation_id}"
    key = Open311Key(
        organisation_id=organisation_id or world.design_institute,
        region_id=region_id,
        key_hash=hash_key(secret),
        label="测试",
        created_by_id=world.street_admin,
    )
    db.session.add(key)
    db.session.commit()
    return secret, key.id


def ticket(world, **fields) -> Ticket:
    """A ticket of community a, public unless told, written straight to the database."""
    values = {
        "community_id": world.a,
        "category_id": _category_id("lighting"),
        "status": "submitted",
        "description": "3号路灯不亮",
        "deadline_class": "general",
        "public": True,
        "channel": "resident",
        "reporter_id": world.resident,
        **fields,
    }
    row = Ticket(**values)
    db.session.add(row)
    db.session.commit()
    return row


def _category_id(code: str) -> int:
    return db.session.scalar(sa.select(TicketCategory.id).where(TicketCategory.code == code))


def _ticket_id(world, **fields) -> int:
    return ticket(world, **fields).id


@pytest.fixture
def key(world, make) -> str:
    """The secret of a key of the design institute's city system for street a."""
    return make(lambda: issue_key(world, world.street_a)[0])


def filing(**fields) -> dict:
    return {
        "jurisdiction_id": "A",
        "service_code": "lighting",
        "description": "3号路灯不亮了",
        "address_string": "北门口",
        **fields,
    }


def open311_error(response, status: int, fmt: str = "json") -> str:
    """Open311's error list, in the format asked for; its description (Chinese)."""
    assert response.status_code == status, response.data
    if fmt == "xml":
        assert response.content_type == "text/xml; charset=utf-8"
        root = ET.fromstring(response.data)
        assert root.tag == "errors"
        [error] = root.findall("error")
        assert error.findtext("code") == str(status)
        description = error.findtext("description")
    else:
        assert response.content_type == "application/json; charset=utf-8"
        [error] = response.get_json()
        assert set(error) == {"code", "description"} and error["code"] == status
        description = error["description"]
    assert any("\u4e00" <= char <= "\u9fff" for char in description), description
    return description


def xml_rows(response, root: str, item: str) -> list[dict]:
    assert response.status_code in (200, 201), response.data
    assert response.content_type == "text/xml; charset=utf-8"
    document = ET.fromstring(response.data)
    assert document.tag == root
    return [{child.tag: child.text for child in element} for element in document.findall(item)]


# ---------------------------------------------------------------- services


def test_services_are_the_categories_enabled_in_the_community(client, world, make):
    def configure():
        db.session.add_all([
            CategorySetting(community_id=world.a, category_id=_category_id("gas"), enabled=False),
            CategorySetting(community_id=world.a, category_id=_category_id("lighting"),
                            resolution_amount=3, resolution_unit="working_days"),
        ])  # fmt: skip

    make(configure)
    services = assert_ok(client.get(f"{V2}/services.json?jurisdiction_id=A"))
    codes = [s["service_code"] for s in services]
    assert "gas" not in codes and "water_supply" in codes
    lighting = next(s for s in services if s["service_code"] == "lighting")
    assert list(lighting) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert lighting == {
        "service_code": "lighting",
        "service_name": "照明",
        "description": "照明：响应时限 1 个工作日，办理时限 3 个工作日",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "一般",
    }

    response = client.get(f"{V2}/services.xml?jurisdiction_id=A")
    rows = xml_rows(response, "services", "service")
    assert [r["service_code"] for r in rows] == codes
    xml_lighting = next(r for r in rows if r["service_code"] == "lighting")
    assert xml_lighting["metadata"] == "false" and xml_lighting["keywords"] is None
    assert xml_lighting["description"] == lighting["description"]


def test_a_service_definition_has_no_attributes(client, world, make):
    assert assert_ok(client.get(f"{V2}/services/lighting.json?jurisdiction_id=A")) == {
        "service_code": "lighting",
        "attributes": [],
    }
    response = client.get(f"{V2}/services/lighting.xml?jurisdiction_id=A")
    document = ET.fromstring(response.data)
    assert document.tag == "service_definition"
    assert document.findtext("service_code") == "lighting"
    assert list(document.find("attributes")) == []

    make(
        lambda: db.session.add(
            CategorySetting(community_id=world.a, category_id=_category_id("gas"), enabled=False)
        )
    )
    open311_error(client.get(f"{V2}/services/gas.json?jurisdiction_id=A"), 404)
    open311_error(client.get(f"{V2}/services/nothing.xml?jurisdiction_id=A"), 404, "xml")


def test_the_jurisdiction_is_required_and_must_exist(client, world):
    for fmt in ("json", "xml"):
        assert "jurisdiction_id" in open311_error(client.get(f"{V2}/services.{fmt}"), 400, fmt)
        open311_error(client.get(f"{V2}/services.{fmt}?jurisdiction_id=NOPE"), 404, fmt)
        open311_error(client.get(f"{V2}/requests.{fmt}"), 400, fmt)
        open311_error(client.get(f"{V2}/requests/1.{fmt}"), 400, fmt)


def test_an_unknown_format_is_not_found(client, world):
    assert client.get(f"{V2}/services.csv?jurisdiction_id=A").status_code == 404
    assert client.get(f"{V2}/requests.html?jurisdiction_id=A").status_code == 404


# ---------------------------------------------------------------- filing


def test_a_city_system_files_a_ticket_the_committee_then_dispatches(client, world, key, app):
    response = client.post(
        f"{V2}/requests.json",
        data=filing(
            api_key=key,
            address_id=str(world.building),
            lat="45.756",
            long="126.642",
            first_name="三",
            last_name="张",
            phone="138-0000-0000",
            email="zhang@example.cn",
            media_url="https://example.cn/p.jpg",
        ),
    )
    assert response.status_code == 201, response.data
    assert response.content_type == "application/json; charset=utf-8"
    [created] = response.get_json()
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    assert created["account_id"] is None and created["service_notice"]

    with app.app_context():
        row = db.session.get(Ticket, int(created["service_request_id"]))
        assert (row.channel, row.reporter_id, row.community_id, row.status) == (
            "open311",
            None,
            world.a,
            "submitted",
        )
        assert row.open311_organisation_id == world.design_institute
        assert (row.building_id, row.location_note) == (world.building, "北门口")
        assert (str(row.lat), str(row.lng)) == ("45.756000", "126.642000")
        assert (row.on_behalf_name, row.on_behalf_phone) == ("张三", "13800000000")
        # Nobody could ask WeChat about the text: a moderator looks first, so it is not public.
        assert row.public is False
        told = db.session.scalars(
            sa.select(Notification.user_id).where(Notification.kind == "ticket_submitted")
        )
        assert list(told) == [world.committee]
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "ticket.report"))
        assert entry.actor_role == "open311" and entry.details["channel"] == "open311"
        assert entry.target_id == created["service_request_id"]


def test_a_category_set_to_dispatch_automatically_goes_to_its_handler(
    client, world, key, make, app
):
    make(
        lambda: db.session.add(
            CategorySetting(
                community_id=world.a, category_id=_category_id("lighting"), auto_dispatch=True
            )
        )
    )
    [created] = assert_ok(client.post(f"{V2}/requests.json", data=filing(api_key=key)), 201)
    assert "安居物业" in created["service_notice"]
    with app.app_context():
        row = db.session.get(Ticket, int(created["service_request_id"]))
        assert row.status == "assigned" and row.handler_organisation_id == world.property_company
        assert row.response_due_at is not None


def test_filing_in_xml_answers_service_requests(client, world, key):
    response = client.post(f"{V2}/requests.xml", data=filing(api_key=key))
    [created] = xml_rows(response, "service_requests", "request")
    assert created["service_request_id"].isdigit() and created["account_id"] is None


def test_filing_needs_a_live_key(client, world, key, counts, make, auth):
    revoked = make(lambda: issue_key(world, world.street_a, secret="revoked"))
    with writes_nothing(counts):
        for fmt in ("json", "xml"):
            open311_error(client.post(f"{V2}/requests.{fmt}", data=filing()), 403, fmt)
            open311_error(
                client.post(f"{V2}/requests.{fmt}", data=filing(api_key="guess")), 403, fmt
            )
    street_admin = auth(world.street_admin)
    assert_ok(
        client.post(f"{KEYS.format(world.street_a)}/{revoked[1]}/revoke", headers=street_admin)
    )
    with writes_nothing(counts):
        open311_error(client.post(f"{V2}/requests.json", data=filing(api_key="revoked")), 403)
        open311_error(client.get(f"{V2}/requests.json?jurisdiction_id=A&api_key=revoked"), 403)


def test_a_community_outside_the_keys_region_is_forbidden(client, world, key, counts):
    with writes_nothing(counts):
        open311_error(
            client.post(f"{V2}/requests.json", data=filing(api_key=key, jurisdiction_id="B")), 403
        )


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "no_such_thing"}, "类别"),
        ({"description": ""}, "description"),
        ({"description": "长" * 2001}, "2000"),
        ({"address_string": ""}, "位置"),
        ({"address_string": "", "lat": "45.7"}, "long"),
        ({"lat": "north", "long": "126.6"}, "lat"),
        ({"lat": "91", "long": "126.6"}, "范围"),
        ({"address_id": "abc"}, "address_id"),
        ({"phone": "call me"}, "phone"),
        ({"address_string": "门" * 201}, "200"),
    ],
)
def test_bad_or_missing_arguments_are_400(client, world, key, counts, fields, says):
    with writes_nothing(counts):
        description = open311_error(
            client.post(f"{V2}/requests.json", data=filing(api_key=key, **fields)), 400
        )
    assert says in description


def test_a_building_of_another_community_or_a_disabled_service_is_400(
    client, world, key, counts, make
):
    make(
        lambda: db.session.add(
            CategorySetting(community_id=world.a, category_id=_category_id("gas"), enabled=False)
        )
    )
    with writes_nothing(counts):
        open311_error(
            client.post(
                f"{V2}/requests.xml", data=filing(api_key=key, address_id=str(world.b_building))
            ),
            400,
            "xml",
        )
        open311_error(
            client.post(f"{V2}/requests.json", data=filing(api_key=key, service_code="gas")), 400
        )


# ---------------------------------------------------------------- reading


def _ids(response) -> list[int]:
    return [int(row["service_request_id"]) for row in assert_ok(response)]


def test_anyone_reads_public_tickets_without_personal_data(client, world, make):
    now = utcnow()
    shown = make(
        lambda: _ticket_id(
            world,
            building_id=world.building,
            unit_id=world.unit,
            lat=Decimal("45.750000"),
            lng=Decimal("126.640000"),
            on_behalf_name="李四",
            on_behalf_phone="13912345678",
            location_note="东侧",
            anonymous=True,
            status="assigned",
            handler_organisation_id=world.property_company,
            resolution_due_at=now + timedelta(days=7),
        )
    )
    make(lambda: _ticket_id(world, public=False, description="私下的"))
    make(lambda: _ticket_id(world, community_id=world.b, description="别的社区"))

    response = client.get(f"{V2}/requests.json?jurisdiction_id=A")
    [row] = assert_ok(response)
    assert list(row) == REQUEST_FIELDS
    assert row["service_request_id"] == str(shown)
    assert (row["status"], row["status_notes"]) == ("open", "已派单")
    assert (row["service_code"], row["service_name"]) == ("lighting", "照明")
    assert row["agency_responsible"] == "安居物业"
    assert row["address"] == "1号楼 1单元，东侧" and row["address_id"] == str(world.building)
    assert row["lat"] is None and row["long"] is None and row["media_url"] is None
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"].endswith("+08:00")
    text = response.get_data(as_text=True)
    for personal in ("李四", "13912345678", "45.75", "126.64"):
        assert personal not in text

    assert _ids(client.get(f"{V2}/requests/{shown}.json?jurisdiction_id=A")) == [shown]
    [xml_row] = xml_rows(
        client.get(f"{V2}/requests/{shown}.xml?jurisdiction_id=A"), "service_requests", "request"
    )
    assert list(xml_row) == REQUEST_FIELDS and xml_row["lat"] is None


def test_a_private_ticket_or_another_communitys_is_not_found(client, world, make):
    private = make(lambda: _ticket_id(world, public=False))
    elsewhere = make(lambda: _ticket_id(world, community_id=world.b))
    open311_error(client.get(f"{V2}/requests/{private}.json?jurisdiction_id=A"), 404)
    open311_error(client.get(f"{V2}/requests/{elsewhere}.xml?jurisdiction_id=A"), 404, "xml")
    open311_error(client.get(f"{V2}/requests/999999.json?jurisdiction_id=A"), 404)


def test_a_key_also_shows_what_its_organisation_filed(client, world, key, make):
    [created] = assert_ok(client.post(f"{V2}/requests.json", data=filing(api_key=key)), 201)
    filed = int(created["service_request_id"])
    assert _ids(client.get(f"{V2}/requests.json?jurisdiction_id=A")) == []
    assert _ids(client.get(f"{V2}/requests.json?jurisdiction_id=A&api_key={key}")) == [filed]
    assert _ids(client.get(f"{V2}/requests/{filed}.json?jurisdiction_id=A&api_key={key}")) == [
        filed
    ]
    other = make(lambda: issue_key(world, world.street_a, organisation_id=world.property_company))
    assert _ids(client.get(f"{V2}/requests.json?jurisdiction_id=A&api_key={other[0]}")) == []
    open311_error(
        client.get(f"{V2}/requests/{filed}.json?jurisdiction_id=A&api_key={other[0]}"), 404
    )


def test_our_states_map_to_open_and_closed_with_notes(client, world, make):
    def tickets():
        return {
            status: _ticket_id(world, status=status, **extra)
            for status, extra in {
                "submitted": {},
                "resolved": {"reply": "已更换灯泡"},
                "closed": {"reply": "已更换灯泡", "closed_at": utcnow()},
                "rejected": {"reject_reason": "duplicate", "reject_note": "住户姓名"},
            }.items()
        }

    made = make(tickets)
    opened = _ids(client.get(f"{V2}/requests.json?jurisdiction_id=A&status=open"))
    closed = _ids(client.get(f"{V2}/requests.json?jurisdiction_id=A&status=closed"))
    both = _ids(client.get(f"{V2}/requests.json?jurisdiction_id=A&status=open,closed"))
    assert set(opened) == {made["submitted"], made["resolved"]}
    assert set(closed) == {made["closed"], made["rejected"]}
    assert set(both) == set(made.values())
    notes = {
        row["service_request_id"]: row["status_notes"]
        for row in assert_ok(client.get(f"{V2}/requests.json?jurisdiction_id=A"))
    }
    assert notes[str(made["resolved"])] == "已办结待评价：已更换灯泡"
    assert notes[str(made["closed"])] == "已关闭：已更换灯泡"
    assert notes[str(made["rejected"])] == "不予受理：重复报告"  # never the committee's note
    open311_error(client.get(f"{V2}/requests.json?jurisdiction_id=A&status=done"), 400)


def test_filters_by_service_code_list(client, world, make):
    lighting = make(lambda: _ticket_id(world))
    noise = make(lambda: _ticket_id(world, category_id=_category_id("noise")))
    make(lambda: _ticket_id(world, category_id=_category_id("parking")))
    assert set(
        _ids(client.get(f"{V2}/requests.json?jurisdiction_id=A&service_code=lighting,noise"))
    ) == {lighting, noise}


def test_dates_default_to_the_latest_90_days_and_span_at_most_90(client, world, make):
    now = utcnow()
    recent = make(lambda: _ticket_id(world, created_at=now - timedelta(days=10)))
    old = make(lambda: _ticket_id(world, created_at=now - timedelta(days=100)))

    def dated(**dates):
        return client.get(f"{V2}/requests.json", query_string={"jurisdiction_id": "A", **dates})

    assert _ids(dated()) == [recent]
    assert _ids(
        dated(
            start_date=(now - timedelta(days=120)).isoformat(),
            end_date=(now - timedelta(days=60)).isoformat(),
        )
    ) == [old]
    # Only one end given: 90 days from it.
    assert _ids(dated(end_date=(now - timedelta(days=60)).isoformat())) == [old]
    # "+08:00" sent unencoded arrives as " 08:00"; still understood.
    start = (now - timedelta(days=101)).strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"
    raw = client.get(f"{V2}/requests.json?jurisdiction_id=A&start_date={start}")
    assert _ids(raw) == [old]

    too_long = dated(start_date="2026-01-01T00:00:00+08:00", end_date="2026-04-02T00:00:00+08:00")
    assert "90" in open311_error(too_long, 400)
    open311_error(dated(start_date="2026-02-01T00:00:00Z", end_date="2026-01-01T00:00:00Z"), 400)
    open311_error(dated(start_date="2026-01-01T00:00:00"), 400)  # no offset
    open311_error(dated(end_date="yesterday"), 400)


def test_service_request_id_overrides_every_other_filter(client, world, make):
    now = utcnow()
    old = make(lambda: _ticket_id(world, created_at=now - timedelta(days=300), status="closed"))
    other = make(lambda: _ticket_id(world, category_id=_category_id("noise")))
    private = make(lambda: _ticket_id(world, public=False))
    got = _ids(
        client.get(
            f"{V2}/requests.json?jurisdiction_id=A&status=open&service_code=parking"
            f"&start_date=2020-01-01T00:00:00Z&end_date=2026-12-31T00:00:00Z"
            f"&service_request_id={old},{other},{private}"
        )
    )
    assert set(got) == {old, other}  # never the private one
    open311_error(client.get(f"{V2}/requests.json?jurisdiction_id=A&service_request_id=1,x"), 400)


def test_at_most_max_requests_newest_first(client, world, make, monkeypatch):
    now = utcnow()
    made = [
        make(lambda d=d: _ticket_id(world, created_at=now - timedelta(days=d)))
        for d in (5, 1, 3, 2)
    ]
    monkeypatch.setattr(open311, "MAX_REQUESTS", 3)
    assert _ids(client.get(f"{V2}/requests.json?jurisdiction_id=A")) == [made[1], made[3], made[2]]


def test_xml_escapes_what_residents_write(client, world, make):
    text = 'a<b>&c "d" </request><x>'
    shown = make(lambda: _ticket_id(world, description=text, reply="<ok>&", status="resolved"))
    response = client.get(f"{V2}/requests/{shown}.xml?jurisdiction_id=A")
    assert b"&lt;b&gt;&amp;c" in response.data
    [row] = xml_rows(response, "service_requests", "request")
    assert row["description"] == text and row["status_notes"] == "已办结待评价：<ok>&"
    [as_json] = assert_ok(client.get(f"{V2}/requests/{shown}.json?jurisdiction_id=A"))
    assert as_json["description"] == text


# ---------------------------------------------------------------- keys in our API


def test_the_street_issues_a_key_shown_once_and_stores_its_hash(client, world, auth, app):
    street_admin = auth(world.street_admin)
    issued = assert_ok(
        client.post(
            KEYS.format(world.street_a),
            headers=street_admin,
            json={"organisation_id": world.design_institute, "label": "区 12345 热线"},
        ),
        201,
    )
    secret = issued.pop("api_key")
    assert len(secret) >= 43
    assert issued["organisation_name"] == "城市设计院" and issued["revoked_at"] is None
    listed = assert_ok(client.get(KEYS.format(world.street_a), headers=street_admin))
    assert listed == [issued] and "api_key" not in json.dumps(listed)
    with app.app_context():
        stored = db.session.get(Open311Key, issued["id"])
        assert stored.key_hash == hash_key(secret) and secret not in stored.key_hash
        audited = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.target_type == "open311_key")
        )
        assert list(audited) == ["ticket.open311_key_issue"]

    # The key works at once; revoked, it is refused.
    assert_ok(client.post(f"{V2}/requests.json", data=filing(api_key=secret)), 201)
    revoked = assert_ok(
        client.post(f"{KEYS.format(world.street_a)}/{issued['id']}/revoke", headers=street_admin)
    )
    assert revoked["revoked_at"] is not None
    again = assert_ok(
        client.post(f"{KEYS.format(world.street_a)}/{issued['id']}/revoke", headers=street_admin)
    )
    assert again["revoked_at"] == revoked["revoked_at"]
    open311_error(client.post(f"{V2}/requests.json", data=filing(api_key=secret)), 403)


def test_another_streets_admin_and_other_roles_do_not_see_the_keys(
    client, world, make, auth, counts
):
    def other_admin():
        official = factories.user("street_admin_b")
        factories.grant(official, "street_admin", region_id=world.street_b)
        return official.id

    other = auth(make(other_admin))
    _secret, key_id = make(lambda: issue_key(world, world.street_a))
    with writes_nothing(counts):
        for headers in (other, auth(world.committee), auth(world.resident)):
            assert_error(
                client.get(KEYS.format(world.street_a), headers=headers), 404, "region_not_found"
            )
            assert_error(
                client.post(
                    KEYS.format(world.street_a),
                    headers=headers,
                    json={"organisation_id": world.design_institute, "label": "x"},
                ),
                404,
                "region_not_found",
            )
            assert_error(
                client.post(f"{KEYS.format(world.street_a)}/{key_id}/revoke", headers=headers),
                404,
                "region_not_found",
            )
    # Street b's admin reaches their own street, where street a's key is not found.
    assert_error(
        client.post(f"{KEYS.format(world.street_b)}/{key_id}/revoke", headers=other),
        404,
        "open311_key_not_found",
    )


def test_an_unknown_organisation_is_refused(client, world, make, auth, counts):
    street_admin = auth(world.street_admin)
    missing = make(lambda: db.session.scalar(sa.select(sa.func.max(Organisation.id)))) + 1
    with writes_nothing(counts):
        assert_error(
            client.post(
                KEYS.format(world.street_a),
                headers=street_admin,
                json={"organisation_id": missing, "label": "x"},
            ),
            422,
            "organisation_unknown",
        )
