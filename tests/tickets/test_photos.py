"""Ticket photos: the reporter's go through WeChat's media check with a signed absolute link
WeChat can open, and neighbours see a photo only once it passed; the parties see every photo;
the handler's photos are not checked."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from backend.core.db import db
from backend.core.storage.services import storage
from backend.core.wechat.models import MediaCheck
from tests.core.wechat.test_media import push, verdict
from tests.helpers import assert_ok, photo, url
from tests.statements import statements
from tests.tickets.helpers import move, report, turl

BASE = "https://gongzhi.example.cn"


@pytest.fixture
def public_base(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)


@pytest.fixture
def resident(world, auth, give_openid):
    """The world's resident, signed in through the mini-program (texts pass, photos are sent)."""
    give_openid(world.resident, "oid-reporter")
    return auth(world.resident)


@pytest.fixture
def neighbour(world, make, auth):
    """Another verified resident of community a: their headers."""
    from tests.consultations.helpers import owner

    user_id, _ = make(lambda: owner(world.spare_unit, "201", "70.00"))
    return auth(user_id)


def filed_with_photo(client, world, headers, **fields) -> tuple[int, str]:
    """A ticket filed with one photo: (ticket id, the photo's key)."""
    key = photo(client, headers, world.a)
    body = assert_ok(
        report(client, headers, world.a, building_id=world.building, photos=[key], **fields), 201
    )
    return body["id"], key


def seen_photos(client, world, headers, ticket_id: int) -> list[str]:
    """The photo links the caller is shown, each checked to open without a token."""
    links = assert_ok(client.get(turl(world.a, ticket_id), headers=headers))["photos"]
    for link in links:
        assert client.get(link.removeprefix(BASE)).status_code == 200
    return links


def checks_of(app, ticket_id: int) -> list[MediaCheck]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(MediaCheck).where(
                    MediaCheck.owner_kind == "ticket", MediaCheck.owner_id == ticket_id
                )
            )
        )


def test_wechat_is_asked_with_a_signed_absolute_link_that_opens_without_a_token(
    app, client, world, resident, public_base, fake_wechat
):
    ticket, key = filed_with_photo(client, world, resident)

    (asked,) = fake_wechat.media_checks
    link = urlsplit(asked["media_url"])
    assert (link.scheme, link.netloc, link.path) == ("https", "gongzhi.example.cn",
                                                      f"/api/v1/photos/{key}")
    assert "expires=" in link.query and "signature=" in link.query
    assert (asked["media_type"], asked["version"], asked["openid"]) == (2, 2, "oid-reporter")
    assert asked["scene"] == 3  # the forum scene, as needs' photos and ticket texts
    # WeChat holds no token: the link alone serves the stored photo.
    served = client.get(asked["media_url"].removeprefix(BASE))
    assert served.status_code == 200
    with app.app_context():
        assert served.data == storage().open(key)

    (check,) = checks_of(app, ticket)
    assert (check.status, check.trace_id) == ("pending", asked["trace_id"])
    assert (check.community_id, check.author_user_id) == (world.a, world.resident)
    # The check names the photo by its own path: the signed link expires, the record does not.
    assert check.url == f"/api/v1/photos/{key}"


def test_without_a_public_base_url_wechat_gets_the_requests_own_host(
    client, world, resident, fake_wechat
):
    filed_with_photo(client, world, resident)
    (asked,) = fake_wechat.media_checks
    assert asked["media_url"].startswith("http://localhost/api/v1/photos/")


def test_a_neighbour_sees_the_photo_only_once_wechat_passed_it(
    client, world, auth, resident, neighbour, public_base, fake_wechat
):
    ticket, _ = filed_with_photo(client, world, resident)
    assert seen_photos(client, world, neighbour, ticket) == []
    # Its author and the committee see it while it waits.
    assert len(seen_photos(client, world, resident, ticket)) == 1
    assert len(seen_photos(client, world, auth(world.committee), ticket)) == 1

    (asked,) = fake_wechat.media_checks
    assert push(client, verdict(asked["trace_id"], "pass")).status_code == 200
    assert len(seen_photos(client, world, neighbour, ticket)) == 1
    listed = assert_ok(client.get(turl(world.a), headers=neighbour))
    assert [len(t["photos"]) for t in listed] == [1]


def test_a_neighbours_list_reads_the_photos_checks_once_per_page(
    app, client, world, resident, neighbour, fake_wechat
):
    def listed_with_statements() -> tuple[list[dict], int]:
        with app.app_context(), statements() as seen:
            listed = assert_ok(client.get(turl(world.a), headers=neighbour))
        return listed, len(seen)

    filed_with_photo(client, world, resident)
    _, one = listed_with_statements()
    for _ in range(3):
        filed_with_photo(client, world, resident)
    for asked in fake_wechat.media_checks:
        assert push(client, verdict(asked["trace_id"], "pass")).status_code == 200
    listed, four = listed_with_statements()
    assert [len(t["photos"]) for t in listed] == [1, 1, 1, 1]
    assert four == one


@pytest.mark.parametrize("suggest", ["risky", "review"])
def test_a_photo_wechat_did_not_pass_stays_with_the_parties(
    client, world, resident, neighbour, fake_wechat, suggest
):
    ticket, _ = filed_with_photo(client, world, resident)
    (asked,) = fake_wechat.media_checks
    assert push(client, verdict(asked["trace_id"], suggest)).status_code == 200
    assert seen_photos(client, world, neighbour, ticket) == []
    assert len(seen_photos(client, world, resident, ticket)) == 1


def test_an_anonymous_tickets_photos_stay_with_its_parties_even_when_passed(
    client, world, resident, neighbour, fake_wechat
):
    ticket, _ = filed_with_photo(client, world, resident, anonymous=True)
    (asked,) = fake_wechat.media_checks
    assert push(client, verdict(asked["trace_id"], "pass")).status_code == 200
    assert seen_photos(client, world, neighbour, ticket) == []


def test_a_reporter_without_openid_waits_for_the_committee(
    app, client, world, auth, neighbour, fake_wechat
):
    # A grid worker has no WeChat sign-in: WeChat cannot be asked, a person decides.
    worker, committee = auth(world.grid_worker), auth(world.committee)
    ticket, _ = filed_with_photo(client, world, worker)
    assert fake_wechat.media_checks == []
    (check,) = checks_of(app, ticket)
    assert check.status == "manual_review"
    # Its text waited for review too: the committee publishes the ticket, not yet the photo.
    assert_ok(move(client, committee, world.a, ticket, "accept", publish=True))
    assert seen_photos(client, world, neighbour, ticket) == []
    queue = assert_ok(client.get(url(world.a, "media-checks"), headers=committee))
    assert [(c["owner_kind"], c["owner_id"]) for c in queue] == [("ticket", ticket)]
    opened = client.get(queue[0]["url"])  # the moderator opens it: a signed link, no token
    assert opened.status_code == 200 and opened.mimetype.startswith("image/")

    assert_ok(
        client.post(
            url(world.a, "media-checks", check.id, "decision"),
            json={"verdict": "pass"},
            headers=committee,
        )
    )
    assert len(seen_photos(client, world, neighbour, ticket)) == 1


def test_the_handlers_photos_are_not_checked_and_shown_with_the_ticket(
    app, client, world, auth, resident, neighbour, fake_wechat
):
    committee, staff = auth(world.committee), auth(world.property_staff)
    ticket = assert_ok(report(client, resident, world.a, building_id=world.building), 201)["id"]
    assert_ok(move(client, committee, world.a, ticket, "accept",
                   organisation_id=world.property_company))
    assert_ok(move(client, staff, world.a, ticket, "sign"))
    assert_ok(move(client, staff, world.a, ticket, "start", photos=[photo(client, staff, world.a)]))
    assert_ok(move(client, staff, world.a, ticket, "resolve", reply="已更换灯泡",
                   after_photos=[photo(client, staff, world.a)]))
    assert fake_wechat.media_checks == [] and checks_of(app, ticket) == []

    (after,) = assert_ok(client.get(turl(world.a, ticket), headers=neighbour))["after_photos"]
    assert client.get(after).status_code == 200
    # The timeline (the parties') shows its photos as signed links too.
    timeline = assert_ok(client.get(turl(world.a, ticket, "timeline"), headers=resident))
    links = [link for event in timeline for link in event["photos"]]
    assert len(links) == 2 and all(client.get(link).status_code == 200 for link in links)
