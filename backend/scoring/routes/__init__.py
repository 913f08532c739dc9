"""HTTP for scoring: each module one blueprint."""


def blueprints():
    from backend.scoring.routes import assessments, reports, standards

    return [standards.blp, assessments.blp, reports.blp]
