"""Platform service: notifications (see the README's architecture map)."""


def blueprints():
    return []
