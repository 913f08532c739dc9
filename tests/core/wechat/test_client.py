"""The WeChat calls other domains make: text verdicts, subscribe messages, phone numbers."""

from __future__ import annotations

import pytest

from backend.core.errors import InvalidInput, ServiceUnavailable
from backend.core.wechat import Scene, SubscriptionRefused, TemplateDataInvalid
from backend.core.wechat.client import OpenidInactive, OpenidInvalid


@pytest.mark.parametrize(
    ("content", "verdict"), [("楼道灯坏了", "pass"), ("REVIEW 一下", "review"), ("RISKY", "risky")]
)
def test_the_text_verdict_is_read_from_result_suggest(wechat, fake_wechat, content, verdict):
    assert wechat.check_text(content, openid="oid-alice", scene=Scene.COMMENT) == verdict
    _, query = fake_wechat.calls[-1]
    assert "access_token" in query


def test_the_text_check_sends_v2_with_openid_scene_and_title(wechat, fake_wechat):
    wechat.check_text("正文", openid="oid-alice", scene=Scene.FORUM, title="标题")
    path, body = fake_wechat.posted[-1]
    assert path == "/wxa/msg_sec_check"
    assert body == {"content": "正文", "version": 2, "scene": 3, "openid": "oid-alice", "title": "标题"}


def test_an_unknown_scene_is_a_programming_error_never_sent(wechat, fake_wechat):
    with pytest.raises(ValueError):
        wechat.check_text("正文", openid="oid-alice", scene=9)
    assert fake_wechat.calls_to("/wxa/msg_sec_check") == 0


def test_text_past_wechats_limit_is_checked_in_pieces_and_the_worst_counts(wechat, fake_wechat):
    text = "好" * 2500 + "RISKY"
    assert wechat.check_text(text, openid="oid-alice", scene=Scene.FORUM) == "risky"
    assert fake_wechat.calls_to("/wxa/msg_sec_check") == 2


def test_a_subscribe_message_wraps_values_and_names_the_build(wechat, fake_wechat):
    wechat.send_subscribe_message(
        openid="oid-alice",
        template_id="tmpl-1",
        data={"thing1": "报修已受理", "time2": "15:01"},
        page="pages/tickets/detail?id=7",
    )
    (sent,) = fake_wechat.sent
    assert sent["data"] == {"thing1": {"value": "报修已受理"}, "time2": {"value": "15:01"}}
    assert sent["miniprogram_state"] == "formal"
    assert sent["lang"] == "zh_CN"
    assert sent["page"] == "pages/tickets/detail?id=7"


@pytest.mark.parametrize(
    ("openid", "template_id", "data", "error", "code"),
    [
        ("oid-refuse-bob", "tmpl-1", {"thing1": "好"}, SubscriptionRefused,
         "wechat_subscription_refused"),
        ("stranger", "tmpl-1", {"thing1": "好"}, SubscriptionRefused, "wechat_openid_invalid"),
        ("oid-alice", "bad-template", {"thing1": "好"}, TemplateDataInvalid,
         "wechat_template_invalid"),
        ("oid-alice", "tmpl-1", {"thing1": "长" * 21}, TemplateDataInvalid,
         "wechat_template_data_invalid"),
        ("oid-busy-carol", "tmpl-1", {"thing1": "好"}, ServiceUnavailable, "wechat_unavailable"),
    ],
)
def test_subscribe_message_errors_map_to_ours(
    wechat, fake_wechat, openid, template_id, data, error, code
):
    with pytest.raises(error) as caught:
        wechat.send_subscribe_message(openid=openid, template_id=template_id, data=data, page=None)
    assert caught.value.code == code
    assert fake_wechat.sent == []


def test_a_refused_subscription_is_not_retried_but_busy_is_once(wechat, fake_wechat):
    path = "/cgi-bin/message/subscribe/send"
    with pytest.raises(SubscriptionRefused):
        wechat.send_subscribe_message(
            openid="oid-refuse-bob", template_id="t", data={"thing1": "好"}, page=None
        )
    assert fake_wechat.calls_to(path) == 1
    with pytest.raises(ServiceUnavailable):
        wechat.send_subscribe_message(
            openid="oid-busy-carol", template_id="t", data={"thing1": "好"}, page=None
        )
    assert fake_wechat.calls_to(path) == 3


def test_the_phone_number_comes_without_country_code(wechat, fake_wechat):
    assert wechat.phone_number("phone-13800000000", openid="oid-alice") == "13800000000"
    path, body = fake_wechat.posted[-1]
    assert path == "/wxa/business/getuserphonenumber"
    assert body == {"code": "phone-13800000000", "openid": "oid-alice"}


def test_a_bad_phone_code_is_422_not_401(wechat):
    with pytest.raises(InvalidInput) as caught:
        wechat.phone_number("bad-code", openid="oid-alice")
    assert caught.value.code == "wechat_phone_code_invalid"
    assert caught.value.status == 422


def test_a_phone_code_issued_to_another_user_is_refused(wechat):
    assert wechat.phone_number("phone-13800000000-for-oid-alice", openid="oid-alice") == (
        "13800000000"
    )
    with pytest.raises(InvalidInput) as caught:
        wechat.phone_number("phone-13800000000-for-oid-alice", openid="oid-mallory")
    assert caught.value.code == "wechat_phone_code_invalid"


def test_a_phone_number_watermarked_for_another_app_is_refused(wechat, fake_wechat):
    with pytest.raises(InvalidInput) as caught:
        wechat.phone_number("phone-13800000000+otherapp", openid="oid-alice")
    assert (caught.value.code, caught.value.status) == ("wechat_phone_wrong_app", 422)
    assert "本小程序" in caught.value.message
    assert fake_wechat.calls_to("/wxa/business/getuserphonenumber") == 1


@pytest.mark.parametrize(
    ("openid", "error", "code"),
    [
        ("stranger", OpenidInvalid, "wechat_openid_invalid"),
        ("oid-away-bob", OpenidInactive, "wechat_user_inactive"),
    ],
)
def test_content_checks_name_why_wechat_will_not_check_for_an_openid(
    wechat, fake_wechat, openid, error, code
):
    with pytest.raises(error) as caught:
        wechat.check_text("楼道灯坏了", openid=openid, scene=Scene.COMMENT)
    assert caught.value.code == code
    assert "内容安全检测" in caught.value.message
    with pytest.raises(error):
        wechat.submit_media_check("https://cdn.example.com/a.jpg", openid=openid, scene=3)
    assert fake_wechat.media_checks == []
    # Not worth retrying: each call was asked once.
    assert fake_wechat.calls_to("/wxa/msg_sec_check") == 1
