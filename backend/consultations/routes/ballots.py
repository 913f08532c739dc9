"""HTTP for ballots: casting, paper ballots, the bulletin. Views translate; services decide."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.consultations.schemas import ballots as s
from backend.consultations.services import casting, paper_ballots, turnout
from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.core.pagination import PresentedPage

blp = Blueprint("consultation_ballots", __name__, description="表决票、书面票与计票清单")

ONE = "/communities/<int:community_id>/consultations/<int:consultation_id>"


@blp.route(f"{ONE}/ballots")
class Ballots(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.BallotInputSchema)
    @blp.response(201, s.CastBallotSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id):
        """Vote, or change one's vote where allowed (residents); answers the receipt code once"""
        return casting.cast_ballot(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            data=data,
        )


@blp.route(f"{ONE}/ballots/mine")
class MyBallots(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, s.BallotSchema(many=True))
    @errors(401, 403, 404)
    def get(self, community_id, consultation_id):
        """The ballots that count for me and my households"""
        return casting.my_ballots(
            actor=current_actor(), community_id=community_id, consultation_id=consultation_id
        )


@blp.route(f"{ONE}/paper-ballots")
class PaperBallots(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.PaperBallotInputSchema)
    @blp.response(201, s.CastBallotSchema)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id):
        """Enter a paper or proxy ballot for a household (committee)"""
        return paper_ballots.record_paper_ballot(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            data=data,
        )


@blp.route(f"{ONE}/paper-ballots/<int:ballot_id>/void")
class VoidPaperBallot(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.VoidSchema)
    @blp.response(204)
    @errors(401, 403, 404, 409)
    def post(self, data, community_id, consultation_id, ballot_id):
        """Undo a paper ballot entered by mistake (committee)"""
        paper_ballots.void_paper_ballot(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            ballot_id=ballot_id,
            reason=data["reason"],
        )


@blp.route(f"{ONE}/bulletin")
class Bulletin(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(s.BulletinQuerySchema, location="query")
    @blp.response(200, s.BulletinEntrySchema(many=True))
    @blp.paginate(PresentedPage, page_size=100, max_page_size=1000)
    @errors(401, 403, 404, 409)
    def get(self, filters, community_id, consultation_id):
        """Every counted ballot by receipt hash with its choice, after the close"""
        return turnout.bulletin(
            actor=current_actor(),
            community_id=community_id,
            consultation_id=consultation_id,
            filters=filters,
        )
