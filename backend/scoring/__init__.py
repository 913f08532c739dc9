"""Scoring (成果共享): each community measured against the creation standards, item by item, with
the evidence behind every item."""


def blueprints():
    from backend.scoring.routes import blueprints as scoring_blueprints

    return scoring_blueprints()
