"""The layer order of backend/packages.py holds for every import, function-level ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from backend.packages import LAYERS

BACKEND = Path(__file__).resolve().parent.parent / "backend"


def unit_ranks() -> dict[str, tuple[int, str]]:
    """Each unit's name → (its rank bottom up, its layer)."""
    ranks: dict[str, tuple[int, str]] = {}
    rank = 0
    for layer, units in LAYERS:
        for unit in units:
            for name in unit:
                ranks[name] = (rank, layer)
            rank += 1
    return ranks


RANKS = unit_ranks()


def unit_of(module: str) -> str:
    """The longest unit name that is `module` or a package above it."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in RANKS:
            return name
    raise LookupError(f"{module} is in no layer: add it to backend/packages.py")


def module_name(path: Path) -> str:
    parts = path.relative_to(BACKEND.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(module: str, is_package: bool, source: str) -> list[tuple[int, str]]:
    """(line, module) of every `backend` module `source` imports, wherever the statement is."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from backend.core import db` imports the module backend.core.db
            found += [
                (node.lineno, f"{target}.{alias.name}")
                if f"{target}.{alias.name}" in RANKS or (BACKEND.parent / f"{target}.{alias.name}".replace(".", "/")).exists()
                or (BACKEND.parent / (f"{target}.{alias.name}".replace(".", "/") + ".py")).exists()
                else (node.lineno, target)
                for alias in node.names
            ]
    return [(line, name) for line, name in found if name == "backend" or name.startswith("backend.")]


def violations(module: str, is_package: bool, source: str) -> list[str]:
    own = unit_of(module)
    rank, layer = RANKS[own]
    wrong = []
    for line, target in imported(module, is_package, source):
        other = unit_of(target)
        other_rank, other_layer = RANKS[other]
        if other_rank > rank:
            wrong.append(
                f"{module}:{line} imports {target} ({other_layer}: {other}) "
                f"from below it ({layer}: {own})"
            )
    return wrong


def all_modules():
    for path in sorted(BACKEND.rglob("*.py")):
        yield module_name(path), path.name == "__init__.py", path.read_text(encoding="utf-8")


def test_every_module_stands_in_a_layer():
    for module, _, _ in all_modules():
        unit_of(module)


def test_no_import_runs_against_the_layer_order():
    wrong = [line for module in all_modules() for line in violations(*module)]
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        # platform services reaching up into accounts, at the top and inside a function
        ("backend.core.audit.services", "from backend.accounts.models import User\n"),
        ("backend.core.storage.services", "def f():\n    from backend.accounts import models\n"),
        # tenancy reaching into the register built on it
        ("backend.core.tenancy.scoping", "import backend.communities.models\n"),
        # the register reaching up to the people (the circle this test closed)
        ("backend.communities.services.households", "from backend.accounts.models import Membership\n"),
        # a domain reaching into scoring, and the infrastructure into the app package
        ("backend.tickets.metrics", "from backend.scoring.models import Assessment\n"),
        ("backend.core.db", "from backend import create_app\n"),
        # relative imports count the same
        ("backend.core.metrics", "from .. import PACKAGES\n"),
        ("backend.communities.metrics", "from ..accounts.models import Membership\n"),
    ],
)
def test_a_wrong_import_is_caught(module, source):
    assert violations(module, False, source)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("backend.accounts.services.signin", "from backend.communities.models import ServiceArea\n"),
        ("backend.core.audit.services", "from backend.core.tenancy.scoping import community_or_404\n"),
        ("backend.scoring.services.common", "from backend.core import metrics\n"),
        ("backend.core.metrics", "from backend.packages import PACKAGES\n"),
    ],
)
def test_a_downward_import_is_allowed(module, source):
    assert violations(module, False, source) == []
