"""A creation standard as data: its areas, its items, and how each item is evaluated.

The shipped standards are YAML files in `backend/scoring/standards/`; a street uploads its own as
JSON of the same shape. Both go through `parse_standard` (`parsing.py`), which refuses what
cannot be evaluated (an unknown measurement, a facility kind nobody registers, an item in no
area) with errors that point at the field, so a standard that loads is one the engine can run.

An item's `evaluation` is one node (`nodes.py`, frozen dataclasses):

- `measured`: a measurement of the registry compared with a threshold over a period
  (`{metric, op, value, period?, label?}`; period "assessment", the default, or "previous", the
  period of the same length just before);
- `facility`: the community's facility register (`{kind, min_count?, min_area?, per?}`): at least
  `min_count` facilities of the kind, at least `min_area` m² in total, or at least `per.area` m²
  for every `per.every` of the measurement `per.metric` (m² per 100 households, ‰ of floor area);
- `assessed`: a person with one of `roles` decides met / partly met / not met, with evidence;
- `all_of` / `any_of`: a list of nodes.
"""

from backend.scoring.standard.nodes import (
    AllOf,
    AnyOf,
    Area,
    Assessed,
    Facility,
    Item,
    Measured,
    Node,
    PerBasis,
    Standard,
    walk,
)
from backend.scoring.standard.parsing import StandardInvalid, builtin_documents, parse_standard

__all__ = [
    "AllOf",
    "AnyOf",
    "Area",
    "Assessed",
    "Facility",
    "Item",
    "Measured",
    "Node",
    "PerBasis",
    "Standard",
    "StandardInvalid",
    "builtin_documents",
    "parse_standard",
    "walk",
]
