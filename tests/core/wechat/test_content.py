"""moderate_text: nothing is lost, nothing unchecked is published."""

from __future__ import annotations

import pytest

from backend.core.errors import InvalidInput
from backend.core.wechat.content import Scene, Verdict, moderate_text


@pytest.mark.parametrize(
    ("text", "verdict"), [("电梯又坏了", Verdict.PUBLISH), ("请 REVIEW", Verdict.REVIEW)]
)
def test_wechats_verdict_decides_publish_or_review(ctx, text, verdict):
    assert moderate_text(text=text, author_openid="oid-alice", scene=Scene.COMMENT) == verdict


def test_risky_text_is_refused_with_a_chinese_message(ctx):
    with pytest.raises(InvalidInput) as caught:
        moderate_text(text="RISKY 内容", author_openid="oid-alice", scene=Scene.FORUM)
    assert caught.value.code == "content_risky"
    assert caught.value.status == 422
    assert "违规" in caught.value.message


def test_text_is_held_for_review_when_wechat_is_down(ctx, dead_wechat):
    assert moderate_text(text="你好", author_openid="oid-alice", scene=2) == Verdict.REVIEW


def test_text_is_held_for_review_when_wechat_keeps_failing(ctx, fake_wechat):
    fake_wechat.fail_next(-1, times=2)
    assert moderate_text(text="你好", author_openid="oid-alice", scene=2) == Verdict.REVIEW


@pytest.mark.parametrize(
    ("openid", "reason"),
    [("oid-away-bob", "wechat_user_inactive"), ("stranger", "wechat_openid_invalid")],
    ids=["61010 not visited lately", "40003 invalid openid"],
)
def test_text_wechat_will_not_check_for_its_author_is_held_for_review_with_the_reason(
    ctx, fake_wechat, caplog, openid, reason
):
    assert moderate_text(text="电梯又坏了", author_openid=openid, scene=2) == Verdict.REVIEW
    assert fake_wechat.calls_to("/wxa/msg_sec_check") == 1
    assert reason in caplog.text


def test_an_author_without_openid_is_held_for_review_without_asking_wechat(ctx, fake_wechat):
    assert moderate_text(text="通知", author_openid=None, scene=3) == Verdict.REVIEW
    assert fake_wechat.calls == []


def test_blank_text_has_nothing_to_check(ctx, fake_wechat):
    assert moderate_text(text="  ", author_openid="oid-alice", scene=2) == Verdict.PUBLISH
    assert fake_wechat.calls == []


@pytest.mark.parametrize(
    ("openid", "public"),
    [("oid-resident", True), ("oid-away-resident", False), ("not-our-users-openid", False)],
    ids=["checked", "61010 not visited lately", "40003 invalid openid"],
)
def test_a_report_wechat_will_not_check_is_kept_but_not_made_public(
    client, world, auth, give_openid, fake_wechat, openid, public
):
    from tests.helpers import assert_ok
    from tests.tickets.helpers import report

    give_openid(world.resident, openid)
    filed = assert_ok(report(client, auth(world.resident), world.a, building_id=world.building),
                      201)
    assert filed["public"] is public
    assert filed["description"] == "3号路灯不亮了", "nothing is lost"
    assert fake_wechat.calls_to("/wxa/msg_sec_check") == 1
