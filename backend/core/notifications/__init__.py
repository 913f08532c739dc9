"""Platform service: notifications. Domains tell users things through `services.notify`; the
inbox and the WeChat outbox live here (see the README's architecture map)."""


def blueprints():
    from backend.core.notifications.routes import blp

    return [blp]
