"""Problem reports (工单, 建设共管): reporting, routing, deadlines, escalation, Open311."""


def blueprints():
    from backend.tickets.routes import blueprints as ticket_blueprints

    return ticket_blueprints()


def root_blueprints():
    """Blueprints mounted at their own prefix, outside /api/v1: Open311 lives at /open311/v2."""
    from backend.tickets.open311.routes import blp as open311

    return [open311]


def init_app(app):
    """Open311 answers every error under its prefix in its own list (404s of unknown paths,
    413s and crashes included), not in ours."""
    from backend.core.errors import answer_errors_under
    from backend.tickets.open311.routes import PREFIX, answer_error

    answer_errors_under(app, PREFIX, answer_error)
