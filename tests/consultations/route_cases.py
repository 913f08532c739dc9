"""The consultations' part of the route permission table, one file per part of the API."""

from importlib import import_module

CASES: dict = {}
for _part in ("consultations", "ballots", "needs", "meetings", "exports"):
    try:
        CASES.update(import_module(f"tests.consultations.cases_{_part}").CASES)
    except ModuleNotFoundError as exc:  # a part not written yet
        if exc.name != f"tests.consultations.cases_{_part}":
            raise
