"""What residents are told when a vote opens: an inbox notice for everyone in scope, and a WeChat
subscribe message for those who sign in through WeChat, sent only on a subscription credit."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from backend.communities.models import Unit
from backend.core.db import db
from backend.core.notifications.models import OutboxMessage
from backend.core.notifications.services import send_due_messages
from tests.consultations import factories as cf
from tests.consultations.helpers import curl
from tests.helpers import API, assert_ok, url

TEMPLATE = "tpl-consultation"
# 24 characters: longer than the 20 a WeChat "thing" field holds.
TITLE = "1号楼1单元加装电梯及楼道照明改造方案第二轮表决"


@pytest.fixture
def template(app, monkeypatch) -> str:
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATE_CONSULTATION", TEMPLATE)
    return TEMPLATE


def inbox(client, headers) -> list[dict]:
    return assert_ok(client.get(f"{API}/me/notifications", headers=headers))


def outbox(client, world, committee) -> dict[int, dict]:
    """The committee's view of the outbox, by recipient."""
    rows = assert_ok(client.get(url(world.a, "outbox"), headers=committee))
    return {row["user_id"]: row for row in rows}


def queued_data(app) -> dict[int, dict]:
    """What each queued message will carry (the committee's view leaves the content out)."""
    with app.app_context():
        rows = db.session.execute(sa.select(OutboxMessage.user_id, OutboxMessage.data))
        return dict(rows.all())


def test_opening_a_vote_tells_residents_in_scope_and_wechat_sends_on_a_credit(
    app, client, world, auth, committee, make, give_openid, new_resident, fake_wechat, template
):
    neighbour = new_resident("neighbour")  # signs in through WeChat, accepted no message
    offline = new_resident("offline", room="202")  # never signed in through WeChat
    elsewhere = new_resident("elsewhere", room="301", unit_id=world.spare_unit)  # out of scope
    for user_id in (world.resident, neighbour, elsewhere, world.committee):
        give_openid(user_id)
    for user_id in (world.resident, elsewhere, world.committee):
        report = {"template_ids": [template]}
        assert_ok(client.post(f"{API}/me/subscriptions", json=report, headers=auth(user_id)))

    def collecting_in_one_unit():
        row = cf.consultation(world.a, world.committee, title=TITLE, scope="units")
        row.units = [db.session.get(Unit, world.unit)]
        return row.id

    consultation_id = make(collecting_in_one_unit)
    opened = assert_ok(client.post(curl(world.a, consultation_id, "open"), headers=committee))
    assert opened["status"] == "voting"

    link = f"/pages/consultations/detail?id={consultation_id}"
    for user_id in (world.resident, neighbour, offline):
        [notice] = inbox(client, auth(user_id))
        assert (notice["kind"], notice["title"]) == ("consultation_opened", f"表决开始：{TITLE}")
        assert notice["link"] == link
    for user_id in (elsewhere, world.committee):
        assert inbox(client, auth(user_id)) == []

    # Queued for whoever signs in through WeChat; the credit is looked at when sending.
    queued = outbox(client, world, committee)
    assert set(queued) == {world.resident, neighbour}
    assert {(row["template_id"], row["page"], row["status"]) for row in queued.values()} == {
        (template, link, "pending")
    }
    closes_at = datetime.fromisoformat(opened["voting_closes_at"])
    data = {
        "thing1": TITLE[:19] + "…",
        "time2": closes_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M"),
        "thing3": "表决已开始，请及时投票",
    }
    assert queued_data(app) == {world.resident: data, neighbour: data}
    assert all(len(value) <= 20 for value in data.values())

    with app.app_context():
        counts = send_due_messages()
    assert (counts["sent"], counts["no_credit"]) == (1, 1)
    [sent] = fake_wechat.sent  # the fake checks every field against WeChat's rules
    assert (sent["touser"], sent["template_id"], sent["page"]) == (
        f"oid-{world.resident}", template, link
    )
    assert sent["data"] == {key: {"value": value} for key, value in data.items()}
    statuses = {user_id: row["status"] for user_id, row in outbox(client, world, committee).items()}
    assert statuses == {world.resident: "sent", neighbour: "no_credit"}


def test_without_the_template_configured_residents_get_the_inbox_only(
    client, world, auth, committee, make, give_openid
):
    give_openid(world.resident)
    consultation_id = make(lambda: cf.consultation(world.a, world.committee).id)
    assert_ok(client.post(curl(world.a, consultation_id, "open"), headers=committee))

    assert [n["kind"] for n in inbox(client, auth(world.resident))] == ["consultation_opened"]
    assert outbox(client, world, committee) == {}
