"""Who may do what with problem reports. Which tickets each role sees (reporters their own and
the public ones, property staff their company's, grid workers their grid) is decided in one
place: `services/common.py`, `visible_tickets`."""

from backend.core.auth import Role
from backend.core.permissions import Policy

DISPATCHERS = {Role.COMMITTEE, Role.SYSTEM_ADMIN}
OVERSEERS = {Role.COMMITTEE, Role.STREET_ADMIN, Role.SYSTEM_ADMIN}
REPORTERS = {Role.RESIDENT, Role.GRID_WORKER}
READERS = {
    Role.RESIDENT,
    Role.COMMITTEE,
    Role.GRID_WORKER,
    Role.PROPERTY_STAFF,
    Role.STREET_ADMIN,
    Role.SYSTEM_ADMIN,
}

policy = Policy(
    "ticket",
    {
        "ticket.view": READERS,
        "ticket.report": REPORTERS,
        # Join a ticket about the same problem instead of filing another.
        "ticket.support": {Role.RESIDENT},
        # Accept, assign, re-route a returned ticket, reject, decide extensions.
        "ticket.dispatch": DISPATCHERS,
        # Sign, work, resolve, return, ask for more time: staff of the assigned organisation.
        "ticket.handle": {Role.PROPERTY_STAFF},
        # Confirm (rate) or reopen: the reporter only (checked on the ticket).
        "ticket.evaluate": REPORTERS,
        # Who filed an anonymous ticket: the committee always knows.
        "ticket.see_reporter": DISPATCHERS,
        "ticket.configure": OVERSEERS,
        "ticket.view_stats": OVERSEERS | {Role.PROPERTY_STAFF},
    },
)
