"""Platform service: the audit log, hash-chained per community (see services.py)."""


def blueprints():
    from backend.core.audit.routes import blp

    return [blp]
