"""Consultations (决策共谋): needs, deliberation, votes and owners' joint decisions."""


def blueprints():
    from backend.consultations.routes import blueprints as consultation_blueprints

    return consultation_blueprints()
