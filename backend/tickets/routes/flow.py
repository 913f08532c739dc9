"""HTTP for the moves of a ticket (services/flow/moves.py holds the table). Views translate."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from backend.core.auth import current_actor
from backend.core.docs import errors
from backend.tickets.schemas import tickets as s
from backend.tickets.services import flow
from backend.tickets.services.common import shown

blp = Blueprint("ticket_flow", __name__, description="工单流转：受理、派单、签收、办结、评价")

ONE = "/communities/<int:community_id>/tickets/<int:ticket_id>"

# path, service, input schema, summary (the OpenAPI summary of each move)
MOVES = (
    (
        "accept",
        flow.accept,
        s.AcceptSchema,
        "Accept a submitted ticket; the clocks start (committee)",
    ),
    ("assign", flow.assign, s.AssignSchema, "Assign or re-route to a handler (committee)"),
    (
        "reject",
        flow.reject,
        s.RejectSchema,
        "Refuse as invalid or a duplicate, with a reason (committee)",
    ),
    (
        "return",
        flow.return_ticket,
        s.TicketReasonSchema,
        "Hand back to the dispatcher with a reason (handler)",
    ),
    (
        "sign",
        flow.sign,
        s.TicketNoteSchema,
        "Sign for it: contact made, response clock stops (handler)",
    ),
    ("start", flow.start, s.StartSchema, "Start the work (handler)"),
    (
        "resolve",
        flow.resolve,
        s.ResolveSchema,
        "Report it fixed, with a reply and photos after (handler)",
    ),
    (
        "extension",
        flow.request_extension,
        s.ExtensionRequestSchema,
        "Ask for more time before the deadline (handler)",
    ),
    (
        "extension/decision",
        flow.decide_extension,
        s.ExtensionDecisionSchema,
        "Approve or reject a request for more time (committee)",
    ),
    (
        "confirm",
        flow.confirm,
        s.ConfirmSchema,
        "Rate the work and say whether it is fixed; closes it (reporter)",
    ),
    (
        "reopen",
        flow.reopen,
        s.TicketReasonSchema,
        "Reopen within 7 days of resolution: not really fixed (reporter)",
    ),
)


def _move_view(service, schema, summary):
    class Move(MethodView):
        decorators = [jwt_required()]

        @blp.arguments(schema)
        @blp.response(200, s.TicketSchema)
        @errors(401, 403, 404, 409, 422)
        def post(self, data, community_id, ticket_id):
            context = service(
                actor=current_actor(), community_id=community_id, ticket_id=ticket_id, data=data
            )
            return shown(context, detail=True)

    Move.post.__doc__ = summary
    return Move


for path, service, schema, summary in MOVES:
    view = _move_view(service, schema, summary)
    view.__name__ = "Move" + "".join(part.title() for part in path.replace("/", "_").split("_"))
    blp.route(f"{ONE}/{path}")(view)
