"""Rate limits on sign-in, content creation and WeChat-backed endpoints."""


def init_app(app) -> None:
    pass
