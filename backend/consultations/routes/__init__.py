"""HTTP for consultations, one blueprint per part so each reads on one screen."""


def blueprints():
    from backend.consultations.routes import ballots, consultations, exports, meetings, needs

    return [consultations.blp, ballots.blp, needs.blp, meetings.blp, exports.blp]
