"""What a ballot may contain, by method (backend/consultations/choices.py, no database)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.consultations.choices import InvalidChoice, check_choice, choice_record

OPTIONS = frozenset({1, 2, 3})


def rules(method: str, **limits) -> SimpleNamespace:
    return SimpleNamespace(method=method, min_choices=limits.get("min_choices"),
                           max_choices=limits.get("max_choices"),
                           points_budget=limits.get("points_budget"))


def marks(*triples) -> list[dict]:
    return [{"option_id": o, "rank": r, "points": p} for o, r, p in triples]


@pytest.mark.parametrize(
    ("method_rules", "choice", "expected"),
    [
        (rules("owners_decision"), {"decision": "agree"}, ("agree", [])),
        (rules("single"), {"option_ids": [2]}, (None, marks((2, None, None)))),
        (rules("multiple", max_choices=2), {"option_ids": [3, 1]},
         (None, marks((3, None, None), (1, None, None)))),
        (rules("multiple"), {"option_ids": [1, 2, 3]},  # every option by default
         (None, marks((1, None, None), (2, None, None), (3, None, None)))),
        (rules("ranking", min_choices=2), {"option_ids": [3, 1]},  # best first
         (None, marks((3, 1, None), (1, 2, None)))),
        (rules("points", points_budget=10),
         {"points": [{"option_id": 1, "points": 6}, {"option_id": 3, "points": 4}]},
         (None, marks((1, None, 6), (3, None, 4)))),
    ],
)
def test_a_choice_the_method_allows_becomes_its_decision_or_marks(method_rules, choice, expected):
    assert check_choice(method_rules, OPTIONS, **choice) == expected


@pytest.mark.parametrize(
    ("method_rules", "choice", "field"),
    [
        (rules("owners_decision"), {}, "decision"),
        (rules("owners_decision"), {"decision": "agree", "option_ids": [1]}, "decision"),
        (rules("single"), {"decision": "agree"}, "decision"),
        (rules("single"), {}, "option_ids"),
        (rules("single"), {"option_ids": [1, 2]}, "option_ids"),
        (rules("single"), {"option_ids": [9]}, "option_ids"),  # not one of the consultation's
        (rules("multiple", min_choices=2), {"option_ids": [1]}, "option_ids"),
        (rules("multiple", max_choices=2), {"option_ids": [1, 2, 3]}, "option_ids"),
        (rules("ranking"), {"option_ids": [1, 1]}, "option_ids"),
        (rules("ranking", min_choices=3), {"option_ids": [1, 2]}, "option_ids"),
        (rules("points", points_budget=10), {"option_ids": [1]}, "points"),
        (rules("points", points_budget=10),
         {"points": [{"option_id": 1, "points": 8}, {"option_id": 2, "points": 3}]}, "points"),
        (rules("points", points_budget=10),
         {"points": [{"option_id": 1, "points": 2}, {"option_id": 1, "points": 3}]}, "points"),
    ],
)
def test_a_choice_the_method_does_not_allow_names_the_field_at_fault(method_rules, choice, field):
    with pytest.raises(InvalidChoice) as refused:
        check_choice(method_rules, OPTIONS, **choice)
    assert refused.value.field == field and refused.value.message


def test_the_history_keeps_a_decision_or_each_mark_as_a_triple():
    assert choice_record("abstain", []) == {"decision": "abstain"}
    rows = [SimpleNamespace(option_id=1, rank=2, points=None)]
    assert choice_record(None, rows) == {"marks": [[1, 2, None]]}
