"""HTTP for consultations, one blueprint per part so each reads on one screen."""

from importlib import import_module

PARTS = ("consultations", "ballots", "needs", "meetings", "exports")


def blueprints():
    found = []
    for part in PARTS:
        try:
            module = import_module(f"backend.consultations.routes.{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"backend.consultations.routes.{part}":
                raise
            continue
        found.append(module.blp)
    return found
