"""A local stand-in for api.weixin.qq.com, spoken to over real HTTP."""

from tests.fake_wechat.server import FakeWechat

__all__ = ["FakeWechat"]
