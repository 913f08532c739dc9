"""Problem reports (工单, 建设共管): reporting, routing, deadlines, escalation, Open311."""


def blueprints():
    from backend.tickets.routes import blueprints as ticket_blueprints

    return ticket_blueprints()


def root_blueprints():
    """Blueprints mounted at their own prefix, outside /api/v1: Open311 lives at /open311/v2."""
    from backend.tickets.open311.routes import blp as open311

    return [open311]
