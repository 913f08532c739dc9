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


def test_an_author_without_openid_is_held_for_review_without_asking_wechat(ctx, fake_wechat):
    assert moderate_text(text="通知", author_openid=None, scene=3) == Verdict.REVIEW
    assert fake_wechat.calls == []


def test_blank_text_has_nothing_to_check(ctx, fake_wechat):
    assert moderate_text(text="  ", author_openid="oid-alice", scene=2) == Verdict.PUBLISH
    assert fake_wechat.calls == []
