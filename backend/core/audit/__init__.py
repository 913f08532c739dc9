"""Platform service: audit (see the README's architecture map)."""


def blueprints():
    return []
