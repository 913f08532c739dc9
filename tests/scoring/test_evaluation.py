"""The evaluation of items from measured values, without a database: each kind of part, the
combinations, missing values, points."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.core.metrics import Evidence
from backend.scoring.evaluation import (
    MET,
    NEEDS_ASSESSMENT,
    NOT_MET,
    PARTLY_MET,
    Measurements,
    evaluate_item,
    totals,
)
from backend.scoring.standard.nodes import (
    AllOf,
    AnyOf,
    Area,
    Assessed,
    Facility,
    Item,
    Measured,
    PerBasis,
    Standard,
)

C = 7  # the community evaluated


def measurements(values: dict, evidence: dict | None = None) -> Measurements:
    """`values`: {(metric, period): value} for community C."""
    return Measurements(
        {key: {C: value} for key, value in values.items()},
        {key: {C: listed} for key, listed in (evidence or {}).items()},
    )


def item(evaluation, points="1") -> Item:
    return Item(
        code="1",
        area="a",
        title="条目",
        criterion="标准",
        points=Decimal(points),
        evaluation=evaluation,
    )


def status(evaluation, values=None, judgement=None) -> str:
    result = evaluate_item(
        item(evaluation), C, measurements(values or {}), judgement, Decimal("0.5")
    )
    return result["status"]


MEETINGS = Measured(metric="joint_meetings_held", op=">=", value=Decimal(2))


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (">=", 2, MET),
        (">=", 1, NOT_MET),
        (">", 2, NOT_MET),
        (">", 3, MET),
        ("<=", 2, MET),
        ("<", 2, NOT_MET),
        ("==", 2, MET),
        ("==", 3, NOT_MET),
    ],
)
def test_a_measurement_is_compared_with_its_threshold_exactly(op, value, expected):
    node = Measured(metric="m", op=op, value=Decimal(2))
    assert status(node, {("m", "assessment"): value}) == expected


def test_a_percentage_at_the_threshold_meets_it():
    node = Measured(metric="property_service_coverage", op=">=", value=Decimal(30))
    assert status(node, {("property_service_coverage", "assessment"): Decimal("30.00")}) == MET
    assert status(node, {("property_service_coverage", "assessment"): Decimal("29.99")}) == NOT_MET


def test_a_measurement_without_a_value_needs_a_person_never_passes():
    node = Measured(metric="property_service_coverage", op="<=", value=Decimal(100))
    assert status(node, {("property_service_coverage", "assessment"): None}) == NEEDS_ASSESSMENT


def test_the_previous_period_is_read_when_the_standard_asks_for_it():
    node = Measured(metric="m", op=">=", value=Decimal(1), period="previous")
    values = {("m", "assessment"): 5, ("m", "previous"): 0}
    assert status(node, values) == NOT_MET


def test_a_measured_part_lists_value_threshold_and_evidence():
    evidence = [Evidence("joint_meeting", 3, "2026-03-01 议事会")]
    result = evaluate_item(
        item(MEETINGS),
        C,
        measurements(
            {("joint_meetings_held", "assessment"): 3},
            {("joint_meetings_held", "assessment"): evidence},
        ),
        None,
        Decimal("0.5"),
    )
    assert result["detail"] == {
        "type": "measured",
        "status": MET,
        "metric": "joint_meetings_held",
        "period": "assessment",
        "value": 3,
        "op": ">=",
        "threshold": "2",
        "label": None,
        "evidence": [{"kind": "joint_meeting", "id": 3, "label": "2026-03-01 议事会"}],
    }
    assert (result["points"], result["max_points"], result["method"]) == (
        "1.00",
        "1.00",
        "measured",
    )


# ---------------------------------------------------------------- facilities


def facility_values(count, area, households=None):
    values = {
        ("facility_count_elderly_service_station", "assessment"): count,
        ("facility_area_elderly_service_station", "assessment"): area,
    }
    values[("households", "assessment")] = households
    return values


@pytest.mark.parametrize(
    ("count", "area", "expected"),
    [
        (1, Decimal("350.00"), MET),
        (1, Decimal("349.99"), NOT_MET),
        (0, Decimal(0), NOT_MET),
        (2, Decimal("200.00") + Decimal("150.00"), MET),
    ],
)
def test_a_facility_meets_a_minimum_floor_area_in_total(count, area, expected):
    node = Facility(kind="elderly_service_station", min_area=Decimal(350))
    assert status(node, facility_values(count, area)) == expected


def test_a_facility_count_is_enough_when_no_area_is_asked():
    node = Facility(kind="elderly_service_station", min_count=2)
    assert status(node, facility_values(2, None)) == MET
    assert status(node, facility_values(1, None)) == NOT_MET


def test_a_facility_area_per_hundred_households():
    node = Facility(
        kind="elderly_service_station",
        per=PerBasis(metric="households", every=Decimal(100), area=Decimal(15)),
    )
    # 1,000 households: at least 150 m².
    assert status(node, facility_values(1, Decimal("150.00"), 1000)) == MET
    assert status(node, facility_values(1, Decimal("149.99"), 1000)) == NOT_MET
    result = evaluate_item(
        item(node),
        C,
        measurements(facility_values(1, Decimal("150.00"), 1000)),
        None,
        Decimal("0.5"),
    )
    assert result["detail"]["per"]["required_area"] == "150.00"


def test_a_ratio_to_an_unknown_basis_needs_a_person():
    node = Facility(
        kind="elderly_service_station",
        per=PerBasis(metric="households", every=Decimal(100), area=Decimal(15)),
    )
    assert status(node, facility_values(1, Decimal("500"), None)) == NEEDS_ASSESSMENT
    # Nothing registered at all is not met whatever the basis.
    assert status(node, facility_values(0, Decimal(0), None)) == NOT_MET


# ---------------------------------------------------------------- people and combinations


JUDGED_MET = {
    "status": MET,
    "note": "现场查看",
    "photos": [],
    "documents": [],
    "decided_by": "张三",
    "decided_as": "street",
    "decided_at": "2026-05-01T00:00:00+00:00",
}


def test_an_assessed_part_waits_for_a_person_then_takes_their_decision():
    node = Assessed()
    assert status(node) == NEEDS_ASSESSMENT
    assert status(node, judgement=JUDGED_MET) == MET
    assert status(node, judgement={**JUDGED_MET, "status": PARTLY_MET}) == PARTLY_MET


def _parts(*statuses):
    """Measured parts with the given statuses (needs assessment: no value)."""
    nodes, values = [], {}
    for index, wanted in enumerate(statuses):
        name = f"m{index}"
        nodes.append(Measured(metric=name, op=">=", value=Decimal(1)))
        values[(name, "assessment")] = {MET: 1, NOT_MET: 0, NEEDS_ASSESSMENT: None}[wanted]
    return nodes, values


@pytest.mark.parametrize(
    ("parts", "all_of", "any_of"),
    [
        ((MET, MET), MET, MET),
        ((MET, NOT_MET), NOT_MET, MET),
        ((NOT_MET, NOT_MET), NOT_MET, NOT_MET),
        ((MET, NEEDS_ASSESSMENT), NEEDS_ASSESSMENT, MET),
        ((NOT_MET, NEEDS_ASSESSMENT), NOT_MET, NEEDS_ASSESSMENT),
    ],
)
def test_combinations(parts, all_of, any_of):
    nodes, values = _parts(*parts)
    assert status(AllOf(tuple(nodes)), values) == all_of
    assert status(AnyOf(tuple(nodes)), values) == any_of


def test_a_partly_met_part_makes_all_of_partly_met_unless_another_fails():
    nodes, values = _parts(MET)
    partly = {**JUDGED_MET, "status": PARTLY_MET}
    assert status(AllOf((nodes[0], Assessed())), values, partly) == PARTLY_MET
    nodes, values = _parts(NOT_MET)
    assert status(AllOf((nodes[0], Assessed())), values, partly) == NOT_MET
    assert status(AnyOf((nodes[0], Assessed())), values, partly) == PARTLY_MET


def test_points_full_half_or_none():
    partly = {**JUDGED_MET, "status": PARTLY_MET}
    for judgement, points in ((JUDGED_MET, "5.00"), (partly, "2.50"), (None, "0.00")):
        result = evaluate_item(
            item(Assessed(), points="5"), C, measurements({}), judgement, Decimal("0.5")
        )
        assert result["points"] == points


def test_totals_per_area_and_the_pass_mark():
    standard = Standard(
        code="s",
        name="标准",
        version=1,
        source={},
        areas=(Area("a", "甲"), Area("b", "乙")),
        items=(),
        passing_points=Decimal(2),
        partly_share=Decimal("0.5"),
        document={},
    )
    rows = [
        {"area": "a", "status": MET, "points": "1.00", "max_points": "1.00"},
        {"area": "a", "status": PARTLY_MET, "points": "0.50", "max_points": "1.00"},
        {"area": "b", "status": NEEDS_ASSESSMENT, "points": "0.00", "max_points": "1.00"},
    ]
    found = totals(standard, rows)
    assert (found["points"], found["max_points"], found["meets_standard"]) == (
        "1.50",
        "3.00",
        False,
    )
    assert [
        (area["code"], area["points"], area["met"], area["partly_met"], area["needs_assessment"])
        for area in found["areas"]
    ] == [("a", "1.50", 1, 1, 0), ("b", "0.00", 0, 0, 1)]
    rows[2] = {"area": "b", "status": MET, "points": "1.00", "max_points": "1.00"}
    assert totals(standard, rows)["meets_standard"] is True
