"""Who may do what in consultations. Which consultation a resident may see and vote in is a
question of scope and relation, decided in services/common.py (`is_eligible`)."""

from backend.core.auth import Role
from backend.core.permissions import EVERY_MEMBER, MANAGERS, OVERSEERS, Policy

policy = Policy(
    "consultation",
    {
        # Residents see only what they are eligible for.
        "consultation.view": EVERY_MEMBER,
        # Drafts, cancelled ones and the moderation queue.
        "consultation.view_all": OVERSEERS,
        "consultation.manage": MANAGERS,
        "consultation.moderate": MANAGERS,
        "consultation.record_paper_ballot": MANAGERS,
        # Turnout only: nobody sees how anyone voted before the close.
        "consultation.watch_turnout": OVERSEERS,
        "consultation.export": OVERSEERS,
        # Propose, support, comment, report, vote: eligibility is checked per consultation.
        "consultation.participate": {Role.RESIDENT},
        # The bulletin of receipts is open to the whole community once the vote is closed:
        # anyone may recount it, in the consultation's scope or not.
        "consultation.read_bulletin": EVERY_MEMBER,
        "consultation.view_meetings": EVERY_MEMBER,
        "consultation.record_meeting": MANAGERS,
    },
)
