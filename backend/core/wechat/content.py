"""The one helper every domain calls on user text before it is shown to anyone."""

from __future__ import annotations

import logging
from enum import StrEnum

from backend.core.errors import InvalidInput, ServiceUnavailable
from backend.core.wechat.client import OpenidRefused, Scene, wechat_client

log = logging.getLogger(__name__)

__all__ = ["Scene", "Verdict", "content_risky", "moderate_text"]


class Verdict(StrEnum):
    PUBLISH = "publish"  # WeChat passed it: show it
    REVIEW = "review"  # keep it, show it to its author and moderators only until one decides


def content_risky() -> InvalidInput:
    return InvalidInput("内容含有违规信息，请修改后再提交", code="content_risky")


def moderate_text(*, text: str, author_openid: str | None, scene: int) -> Verdict:
    """Decide whether a user's text may be published now.

    The rule: nothing is lost and nothing unchecked is published.
    - WeChat says pass -> PUBLISH.
    - WeChat says review -> REVIEW.
    - WeChat says risky -> InvalidInput `content_risky`: the author edits and submits again.
    - WeChat unreachable or refusing the call -> REVIEW: the text is kept, a moderator decides.
    - WeChat will not check for this author -> REVIEW, logged with the reason's code:
      `wechat_user_inactive` (61010: the author has not visited the mini-program in the last
      two hours, e.g. staff writing from the console) or `wechat_openid_invalid` (40003: the
      openid we hold is not one of our mini-program's, a data or AppID problem to look into).
      Refusing instead would lose the text for something the author cannot fix.
    - The author has no openid (staff signed in with a password) -> REVIEW: the v2 check needs
      the openid of a user who opened the mini-program recently, so it cannot be asked.
    Blank text has nothing to check and is published.

    Call it before writing in your transaction: the check is a network round trip.
    """
    if not text.strip():
        return Verdict.PUBLISH
    if not author_openid:
        return Verdict.REVIEW
    try:
        suggest = wechat_client().check_text(text, openid=author_openid, scene=scene)
    except ServiceUnavailable as exc:
        log.warning("text check unavailable (%s); holding the text for review", exc.code)
        return Verdict.REVIEW
    except OpenidRefused as exc:
        log.warning("WeChat will not check text for this author (%s); holding it for review",
                    exc.code)
        return Verdict.REVIEW
    if suggest == "risky":
        raise content_risky()
    return Verdict.PUBLISH if suggest == "pass" else Verdict.REVIEW
