"""Who may do what with problem reports and the Open311 keys. Which tickets each role sees
(reporters their own and the public ones, property staff their company's, grid workers their
grid) is decided in one place: `services/common.py`, `visible_tickets`."""

from backend.core.auth import Role
from backend.core.permissions import (
    EVERY_MEMBER,
    MANAGERS,
    OVERSEERS,
    REGION_ADMINS,
    Policy,
    in_region,
)

REPORTERS = {Role.RESIDENT, Role.GRID_WORKER}

policy = Policy(
    ("ticket", "open311_key"),
    {
        "ticket.view": EVERY_MEMBER - {Role.PROFESSIONAL},
        "ticket.report": REPORTERS,
        # Join a ticket about the same problem instead of filing another.
        "ticket.support": {Role.RESIDENT},
        # Accept, assign, re-route a returned ticket, reject, decide extensions.
        "ticket.dispatch": MANAGERS,
        # Sign, work, resolve, return, ask for more time: staff of the assigned organisation.
        "ticket.handle": {Role.PROPERTY_STAFF},
        # Confirm (rate) or reopen: the reporter only (checked on the ticket).
        "ticket.evaluate": REPORTERS,
        # Who filed an anonymous ticket: the committee always knows.
        "ticket.see_reporter": MANAGERS,
        "ticket.configure": OVERSEERS,
        "ticket.view_stats": OVERSEERS | {Role.PROPERTY_STAFF},
        # The street's dashboard over its communities.
        "ticket.view_region_stats": in_region(REGION_ADMINS),
        # Issue, list and revoke the keys city systems file tickets with; to everyone else the
        # region's keys do not exist.
        "open311_key.manage": in_region(REGION_ADMINS),
    },
)
