"""The evaluation tree of a standard as frozen data: a standard's areas and items, and the
nodes that say how an item is evaluated (`measured`, `facility`, `assessed`, `all_of`, `any_of`;
the package's docstring describes each). Built by `parsing.parse_standard`, read by the engine
(`evaluation.py`) and by what presents a result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

OPERATORS = {
    ">=": "≥",
    ">": ">",
    "<=": "≤",
    "<": "<",
    "==": "=",
}
PERIODS = {"assessment": "评估期", "previous": "上一评估期"}
ASSESSOR_ROLES = {"committee": "社区居委会", "street": "街道"}
# A facility kind is known when the register measures it (communities/metrics.py).
FACILITY_COUNT = "facility_count_{}"
FACILITY_AREA = "facility_area_{}"


# ---------------------------------------------------------------- the shapes


@dataclass(frozen=True)
class Measured:
    metric: str
    op: str
    value: Decimal
    period: str = "assessment"
    label: str | None = None


@dataclass(frozen=True)
class PerBasis:
    metric: str
    every: Decimal
    area: Decimal


@dataclass(frozen=True)
class Facility:
    kind: str
    min_count: int | None = None
    min_area: Decimal | None = None
    per: PerBasis | None = None


@dataclass(frozen=True)
class Assessed:
    roles: tuple[str, ...] = tuple(ASSESSOR_ROLES)
    guidance: str | None = None


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Node, ...]


Node = Measured | Facility | Assessed | AllOf | AnyOf


@dataclass(frozen=True)
class Area:
    code: str
    title: str


@dataclass(frozen=True)
class Item:
    code: str
    area: str
    title: str
    criterion: str
    points: Decimal
    evaluation: Node
    checked: str | None = None
    requirement: str | None = None
    responsible: tuple[str, ...] = ()

    @property
    def method(self) -> str:
        """measured, facility, assessed, or combined (all_of / any_of)."""
        if isinstance(self.evaluation, AllOf | AnyOf):
            return "combined"
        return node_type(self.evaluation)

    @property
    def assessed(self) -> Assessed | None:
        """The item's one part a person decides, if any."""
        found = [node for node in walk(self.evaluation) if isinstance(node, Assessed)]
        return found[0] if found else None


@dataclass(frozen=True)
class Standard:
    code: str
    name: str
    version: int
    source: dict
    areas: tuple[Area, ...]
    items: tuple[Item, ...]
    passing_points: Decimal
    partly_share: Decimal
    document: dict = field(compare=False, repr=False)

    @property
    def max_points(self) -> Decimal:
        return sum((item.points for item in self.items), Decimal(0))

    def evidence_needed(self) -> set[tuple[str, str]]:
        """The (measurement, period) pairs whose records the items list."""
        return {
            shown
            for item in self.items
            for node in walk(item.evaluation)
            if (shown := evidence_shown(node)) is not None
        }

    def item(self, code: str) -> Item | None:
        return next((item for item in self.items if item.code == code), None)

    def metrics_needed(self) -> set[tuple[str, str]]:
        """Every (measurement, period) the items read: what one run computes, once each."""
        needed: set[tuple[str, str]] = set()
        for item in self.items:
            for node in walk(item.evaluation):
                if isinstance(node, Measured):
                    needed.add((node.metric, node.period))
                elif isinstance(node, Facility):
                    needed.add((FACILITY_COUNT.format(node.kind), "assessment"))
                    if node.min_area is not None or node.per is not None:
                        needed.add((FACILITY_AREA.format(node.kind), "assessment"))
                    if node.per is not None:
                        needed.add((node.per.metric, "assessment"))
        return needed


def evidence_shown(node: Node) -> tuple[str, str] | None:
    """The (measurement, period) whose records a part lists: a measured part its own, a
    facility part the facilities counted (never the area sum or a ratio's basis)."""
    if isinstance(node, Measured):
        return (node.metric, node.period)
    if isinstance(node, Facility):
        return (FACILITY_COUNT.format(node.kind), "assessment")
    return None


def node_type(node: Node) -> str:
    return {
        Measured: "measured",
        Facility: "facility",
        Assessed: "assessed",
        AllOf: "all_of",
        AnyOf: "any_of",
    }[type(node)]


def walk(node: Node):
    yield node
    if isinstance(node, AllOf | AnyOf):
        for part in node.parts:
            yield from walk(part)
