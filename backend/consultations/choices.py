"""What a ballot may contain, by method; and how the history keeps a choice.

Pure: no database, no Flask, only the standard library, like tally.py beside it. Casting online
and entering a paper form ask the same question here, of a consultation read as an entity or as
a row of its columns (anything with the fields of `BallotRules`).

- owners_decision: a decision (agree, disagree, abstain), no options.
- single: exactly one option.
- multiple: between min_choices (1 by default) and max_choices (every option by default).
- ranking: the options in order of preference, best first, at least min_choices (1) of them.
- points: points given to options, adding up to at most the points budget.
An option is never marked twice and always belongs to the consultation.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import Protocol


class BallotRules(Protocol):
    method: str
    min_choices: int | None
    max_choices: int | None
    points_budget: int | None


class InvalidChoice(ValueError):
    """A choice the method does not allow: the field at fault, and why (for the voter)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_choice(
    rules: BallotRules,
    options: Set[int],
    *,
    decision: str | None = None,
    option_ids: Sequence[int] | None = None,
    points: Sequence[dict] | None = None,
) -> tuple[str | None, list[dict]]:
    """The decision, or the marks ({option_id, rank, points}, in the voter's order) to store;
    `options` are the consultation's option ids. Raises InvalidChoice."""
    if rules.method == "owners_decision":
        if decision is None or option_ids is not None or points is not None:
            raise InvalidChoice("decision", "请选择同意、反对或弃权")
        return decision, []
    if decision is not None:
        raise InvalidChoice("decision", "本次表决不是业主共同决定")
    if rules.method == "points":
        if not points or option_ids is not None:
            raise InvalidChoice("points", "请为选项分配积分")
        _check_options([entry["option_id"] for entry in points], options, "points")
        total = sum(entry["points"] for entry in points)
        if total > rules.points_budget:
            raise InvalidChoice("points", f"积分合计 {total}，超过可分配的 {rules.points_budget} 分")
        return None, [_mark(entry["option_id"], points=entry["points"]) for entry in points]
    if not option_ids or points is not None:
        raise InvalidChoice("option_ids", "请选择选项")
    _check_options(option_ids, options, "option_ids")
    if rules.method == "single":
        low = high = 1
    elif rules.method == "multiple":
        low, high = rules.min_choices or 1, rules.max_choices or len(options)
    else:  # ranking
        low, high = rules.min_choices or 1, len(options)
    if not low <= len(option_ids) <= high:
        raise InvalidChoice(
            "option_ids", f"应选择 {low} 至 {high} 项" if low != high else f"应选择 {low} 项"
        )
    if rules.method == "ranking":
        return None, [
            _mark(option_id, rank=rank) for rank, option_id in enumerate(option_ids, start=1)
        ]
    return None, [_mark(option_id) for option_id in option_ids]


def choice_record(decision: str | None, marks) -> dict:
    """How the history keeps a choice: the decision, or each mark (anything with `option_id`,
    `rank` and `points`) as a triple."""
    if decision is not None:
        return {"decision": decision}
    return {"marks": [[m.option_id, m.rank, m.points] for m in marks]}


def _mark(option_id: int, *, rank: int | None = None, points: int | None = None) -> dict:
    return {"option_id": option_id, "rank": rank, "points": points}


def _check_options(chosen: Sequence[int], options: Set[int], field: str) -> None:
    if len(set(chosen)) != len(chosen):
        raise InvalidChoice(field, "同一选项不能重复")
    if not set(chosen) <= options:
        raise InvalidChoice(field, "选项不属于本次表决")
