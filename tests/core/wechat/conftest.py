"""The WeChat client inside an app context, talking to the local fake server."""

from __future__ import annotations

import pytest

from backend.core.wechat import wechat_client


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def wechat(ctx):
    return wechat_client()


@pytest.fixture
def dead_wechat(app):
    """The app's client pointed at a port where nothing answers."""
    original = app.config["WECHAT_API_BASE"]
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9"
    app.extensions.pop("gongzhi_wechat", None)
    yield
    app.config["WECHAT_API_BASE"] = original
    app.extensions.pop("gongzhi_wechat", None)
