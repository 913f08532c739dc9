"""A ticket's life after it is filed: dispatch (`dispatch.py`), handling (`handling.py`) and
evaluation (`evaluation.py`), each move checked against the one table of moves (`moves.py`:
which status may go to which, by whom).
"""

from backend.tickets.services.flow.dispatch import (
    accept,
    assign,
    dispatch_now,
    handler_for,
    reject,
    return_ticket,
)
from backend.tickets.services.flow.evaluation import confirm, reopen
from backend.tickets.services.flow.handling import (
    decide_extension,
    request_extension,
    resolve,
    sign,
    start,
)

__all__ = [
    "accept",
    "assign",
    "confirm",
    "decide_extension",
    "dispatch_now",
    "handler_for",
    "reject",
    "reopen",
    "request_extension",
    "resolve",
    "return_ticket",
    "sign",
    "start",
]
