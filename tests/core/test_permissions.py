"""The policy tables: every action a service checks is written in one, and the checks answer as
the tables say for each place an action applies (a community, a region, the whole system)."""

from __future__ import annotations

import ast
from importlib import import_module
from pathlib import Path

import pytest

from backend.core.auth import Actor, Role
from backend.core.errors import Forbidden, NotFound
from backend.core.permissions import Policy, Scope, in_region, system_wide
from backend.packages import PACKAGES

BACKEND = Path(__file__).parents[2] / "backend"
# Policy methods and the position of the action among their arguments.
ACTION_AT = {
    "can": 1, "require": 1, "community": 1, "region": 1, "can_in_region": 1,
    "region_roles": 1, "require_system": 1, "allowed_roles": 0, "rule": 0,
}


def _policies() -> list[Policy]:
    return [import_module(f"backend.{package}.permissions").policy for package in PACKAGES]


def _constants(tree: ast.Module) -> dict[str, set[str]]:
    """Module-level strings, and dicts of strings (`ACTIONS = {DISPATCHER: "ticket.dispatch"}`
    read as every value they may give)."""
    found: dict[str, set[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            values = {node.value.value}
        elif isinstance(node.value, ast.Dict):
            values = {
                value.value
                for value in node.value.values
                if isinstance(value, ast.Constant) and isinstance(value.value, str)
            }
        else:
            continue
        for target in node.targets:
            if isinstance(target, ast.Name):
                found[target.id] = values
    return found


def _strings(node: ast.expr, constants: dict[str, set[str]]) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return constants.get(node.value.id, set())
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) | _strings(node.orelse, constants)
    return set()


def _action_argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        if isinstance(call.func.value, ast.Name) and call.func.value.id == "policy":
            return f"policy.{call.func.attr}"
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


def _checked_actions() -> set[str]:
    """The action strings handed to a policy, directly or through a function that passes its
    parameter on (`community_for(actor, id, "scoring.view")`)."""
    modules = [
        ast.parse(path.read_text(encoding="utf-8"))
        for path in BACKEND.rglob("*.py")
        if path.name != "permissions.py"
    ]
    takes_action = {f"policy.{method}": {(at, "action")} for method, at in ACTION_AT.items()}
    grown = True
    while grown:  # a function forwarding its parameter to one that takes an action takes one
        grown = False
        for tree in modules:
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef):
                    continue
                params = [a.arg for a in (*function.args.args, *function.args.kwonlyargs)]
                for call in ast.walk(function):
                    if not isinstance(call, ast.Call):
                        continue
                    for at, name in takes_action.get(_callee(call), ()):
                        argument = _action_argument(call, at, name)
                        if isinstance(argument, ast.Name) and argument.id in params:
                            slot = (params.index(argument.id), argument.id)
                            if slot not in takes_action.setdefault(function.name, set()):
                                takes_action[function.name].add(slot)
                                grown = True
    found = set()
    for tree in modules:
        constants = _constants(tree)
        for call in ast.walk(tree):
            if isinstance(call, ast.Call):
                for at, name in takes_action.get(_callee(call), ()):
                    argument = _action_argument(call, at, name)
                    if argument is not None:
                        found |= _strings(argument, constants)
    return found


def test_every_action_a_service_checks_is_in_a_table():
    written = {action for policy in _policies() for action in policy.rules}
    checked = _checked_actions()
    assert len(checked) > 50, "the walk no longer finds the services' checks"
    assert checked - written == set(), "actions checked but written in no policy table"
    assert written - checked == set(), "actions written in a table but checked nowhere"


def test_role_sets_name_roles_only():
    known = set(Role) | {"signed_in"}
    for policy in _policies():
        for action, rule in policy.rules.items():
            assert rule.roles <= known, action
            assert rule.roles, action


# ---------------------------------------------------------------- the checks, without a database

TABLE = Policy(
    ("place", "street", "platform"),
    {
        "place.edit": {Role.COMMITTEE},
        "street.hidden": in_region({Role.STREET_ADMIN, Role.SYSTEM_ADMIN}),
        "street.public": in_region({Role.STREET_ADMIN, Role.SYSTEM_ADMIN}, denied=403),
        "street.read": in_region({Role.STREET_ADMIN}, from_below=True),
        "platform.audit": system_wide({Role.AUDITOR}),
    },
)


def actor(**kwargs) -> Actor:
    return Actor(user_id=1, display_name="walk", **kwargs)


def test_an_action_belongs_to_its_table():
    with pytest.raises(ValueError):
        Policy("place", {"street.edit": {Role.COMMITTEE}})
    with pytest.raises(LookupError):
        TABLE.allowed_roles("place.delete")


def test_an_action_is_checked_where_it_applies():
    with pytest.raises(LookupError):
        TABLE.allowed_roles("street.hidden")
    with pytest.raises(LookupError):
        TABLE.require_system(actor(), "street.hidden")
    with pytest.raises(LookupError):
        TABLE.can_in_region(actor(), "platform.audit", "/1/")
    assert TABLE.rules["place.edit"].scope is Scope.COMMUNITY


def test_a_region_is_its_street_admins_and_those_above():
    street, district = "/1/2/3/", "/1/2/"
    assert TABLE.can_in_region(actor(admin_region_paths=frozenset({district})), "street.hidden", street)
    assert TABLE.can_in_region(actor(admin_region_paths=frozenset({street})), "street.hidden", street)
    assert not TABLE.can_in_region(actor(admin_region_paths=frozenset({street})), "street.hidden", district)
    assert TABLE.can_in_region(actor(is_system_admin=True), "street.hidden", street)
    assert not TABLE.can_in_region(actor(is_auditor=True), "street.hidden", street)
    # Admins of the regions below count where the rule says so.
    assert TABLE.can_in_region(actor(admin_region_paths=frozenset({street})), "street.read", district)
    assert TABLE.region_roles(actor(is_system_admin=True), "street.read", district) == frozenset()


def test_the_system_is_its_platform_roles():
    TABLE.require_system(actor(is_auditor=True), "platform.audit")
    for someone in (actor(is_system_admin=True), actor(community_roles={1: frozenset(Role)})):
        with pytest.raises(Forbidden):
            TABLE.require_system(someone, "platform.audit")


def test_those_not_allowed_in_a_region_get_what_the_rule_says(app, world):
    from backend.core.tenancy.models import Region

    with app.app_context():
        outsider = actor(community_roles={world.b: frozenset({Role.COMMITTEE})})
        with pytest.raises(NotFound) as hidden:
            TABLE.region(outsider, "street.hidden", world.street_a)
        assert hidden.value.code == "region_not_found"
        with pytest.raises(Forbidden):
            TABLE.region(outsider, "street.public", world.street_a)
        with pytest.raises(NotFound):
            TABLE.region(actor(is_system_admin=True), "street.public", 10**6)
        region = TABLE.region(actor(is_system_admin=True), "street.public", world.street_a)
        assert isinstance(region, Region)
