"""The legal arithmetic of votes (backend/consultations/tally.py): every boundary, exactly."""

from __future__ import annotations

import ast
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from backend.consultations import models, tally
from backend.consultations.tally import (
    HALF,
    MATTERS_SPECIAL,
    THREE_QUARTERS,
    TWO_THIRDS,
    OptionTotal,
    OwnersTotals,
    Ratio,
    borda_points,
    decide_owners_matter,
    rank_options,
)

ORDINARY = (1, 2, 3, 4, 5, 9)
SPECIAL = (6, 7, 8)
D = Decimal


def owners(
    total_area="1800.00",
    total_heads=12,
    *,
    agree=("0", 0),
    disagree=("0", 0),
    abstain=("0", 0),
    split=0,
) -> OwnersTotals:
    """Totals from (area, heads) per decision; `split` owners took part in no single decision."""
    decisions = {"agree": agree, "disagree": disagree, "abstain": abstain}
    return OwnersTotals(
        total_area=D(total_area),
        total_heads=total_heads,
        area={decision: D(area) for decision, (area, _) in decisions.items()},
        heads={decision: heads for decision, (_, heads) in decisions.items()},
        participating_heads=sum(heads for _, heads in decisions.values()) + split,
    )


def met(decision) -> dict[str, bool]:
    return {ratio.key: ratio.met for ratio in decision.ratios}


def heads_ratio(numerator, denominator, threshold=TWO_THIRDS, inclusive=True) -> Ratio:
    return Ratio("x", "人数", numerator, denominator, "人", threshold, inclusive)


# --- the module stays pure ----------------------------------------------------------------------


def test_tally_imports_only_the_standard_library():
    tree = ast.parse(Path(tally.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {
        "__future__",
        "collections",
        "dataclasses",
        "decimal",
        "fractions",
        "itertools",
    }


# --- the law as constants -------------------------------------------------------------------


def test_constants_are_the_laws_fractions():
    assert frozenset({6, 7, 8}) == MATTERS_SPECIAL
    assert (Fraction(2, 3), Fraction(3, 4), Fraction(1, 2)) == (TWO_THIRDS, THREE_QUARTERS, HALF)


@pytest.mark.parametrize("matter", range(1, 10))
def test_matter_titles_match_the_model(matter):
    decision = decide_owners_matter(matter, owners(agree=("1800.00", 12)))
    assert decision.matter_title == models.MATTERS[matter]


# --- participation: >= 2/3 of the area AND of the heads ----------------------------------------


def test_participation_exactly_two_thirds_of_area_and_heads_is_enough():
    # 1,200.00 of 1,800.00 m² and 8 of 12 owners: both exactly 2/3 ("以上" includes the bound).
    decision = decide_owners_matter(1, owners(agree=("1200.00", 8)))
    assert met(decision) == dict.fromkeys(met(decision), True)
    assert decision.passed


def test_participation_one_cent_short_of_two_thirds_of_area_fails():
    decision = decide_owners_matter(1, owners(agree=("1199.99", 8)))
    assert met(decision)["participation_area"] is False
    assert met(decision)["participation_heads"] is True
    assert not decision.passed


def test_participation_one_owner_short_of_two_thirds_of_heads_fails():
    # DOMAIN.md: 2/3 of 12 owners is 8, and 7 is not enough — even with all the area.
    decision = decide_owners_matter(1, owners(agree=("1800.00", 7)))
    assert met(decision)["participation_area"] is True
    assert met(decision)["participation_heads"] is False
    assert not decision.passed
    assert decision.reasons == (
        "表决未通过",
        "参与表决的业主人数 7 / 12 人 = 58.33 % < 2/3（未达到，须 ≥ 2/3）",
    )


def test_eight_of_twelve_owners_is_two_thirds():
    decision = decide_owners_matter(1, owners(agree=("1800.00", 8)))
    assert decision.ratio("participation_heads").text == (
        "参与表决的业主人数 8 / 12 人 = 66.67 % ≥ 2/3（达到）"
    )
    assert decision.passed


def test_participation_exact_where_float_division_falls_short():
    # 2.82 / 4.23 is exactly 2/3, but in floats 2.82 / 4.23 < 2 / 3: exact fractions are needed.
    assert 2.82 / 4.23 < 2 / 3
    decision = decide_owners_matter(1, owners("4.23", 3, agree=("2.82", 2)))
    assert met(decision)["participation_area"] is True
    assert decision.passed


def test_participation_on_an_area_that_is_not_a_multiple_of_three_cents():
    # 2/3 of 1,000.01 is 666.673…: 666.68 is enough, 666.67 is not.
    assert decide_owners_matter(1, owners("1000.01", 3, agree=("666.68", 2))).passed
    failed = decide_owners_matter(1, owners("1000.01", 3, agree=("666.67", 2)))
    assert met(failed)["participation_area"] is False


# --- approval: 3/4 (inclusive) for matters 6–8 --------------------------------------------------


@pytest.mark.parametrize("matter", SPECIAL)
def test_special_matter_passes_with_exactly_three_quarters(matter):
    # 8 owners of 12 with 100.00 of 150.00 m² take part; 6 owners and 75.00 m² agree: exactly 3/4.
    totals = owners("150.00", 12, agree=("75.00", 6), disagree=("25.00", 2))
    decision = decide_owners_matter(matter, totals)
    assert decision.rule == "special"
    assert decision.passed
    assert (
        decision.ratio("approval_area").text
        == "同意的专有面积 75.00 / 100.00 m² = 75.00 % ≥ 3/4（达到）"
    )
    assert (
        decision.ratio("approval_heads").text == "同意的业主人数 6 / 8 人 = 75.00 % ≥ 3/4（达到）"
    )


@pytest.mark.parametrize("matter", SPECIAL)
def test_special_matter_fails_one_cent_below_three_quarters_of_area(matter):
    totals = owners("150.00", 12, agree=("74.99", 6), disagree=("25.01", 2))
    decision = decide_owners_matter(matter, totals)
    assert met(decision) == {
        "participation_area": True,
        "participation_heads": True,
        "approval_area": False,
        "approval_heads": True,
    }
    assert not decision.passed
    assert decision.reasons == (
        "表决未通过",
        "同意的专有面积 74.99 / 100.00 m² = 74.99 % < 3/4（未达到，须 ≥ 3/4）",
    )


@pytest.mark.parametrize("matter", SPECIAL)
def test_special_matter_fails_one_owner_below_three_quarters_of_heads(matter):
    totals = owners("150.00", 12, agree=("90.00", 5), disagree=("10.00", 3))
    decision = decide_owners_matter(matter, totals)
    assert met(decision)["approval_area"] is True
    assert met(decision)["approval_heads"] is False
    assert not decision.passed


def test_special_approval_exact_where_float_division_falls_short():
    # 0.15 / 0.20 is exactly 3/4, but 0.15 / 0.20 < 0.75 in floats.
    assert 0.15 / 0.20 < 0.75
    totals = owners("0.30", 6, agree=("0.15", 3), disagree=("0.05", 1))
    assert decide_owners_matter(7, totals).passed


# --- approval: more than half (strict) for every other matter ------------------------------------


@pytest.mark.parametrize("matter", ORDINARY)
def test_ordinary_matter_fails_with_exactly_half(matter):
    # "过半数" is strictly more: 50.00 of 100.00 m² and 4 of 8 owners is not enough.
    totals = owners("150.00", 12, agree=("50.00", 4), disagree=("50.00", 4))
    decision = decide_owners_matter(matter, totals)
    assert decision.rule == "ordinary"
    assert not decision.passed
    assert decision.reasons == (
        "表决未通过",
        "同意的专有面积 50.00 / 100.00 m² = 50.00 % = 1/2（未达到，须 > 1/2）",
        "同意的业主人数 4 / 8 人 = 50.00 % = 1/2（未达到，须 > 1/2）",
    )


@pytest.mark.parametrize("matter", ORDINARY)
def test_ordinary_matter_passes_just_above_half(matter):
    totals = owners("150.00", 12, agree=("50.01", 5), disagree=("49.99", 3))
    decision = decide_owners_matter(matter, totals)
    assert decision.passed
    assert (
        decision.ratio("approval_area").text
        == "同意的专有面积 50.01 / 100.00 m² = 50.01 % > 1/2（达到）"
    )


def test_ordinary_matter_needs_both_majorities():
    half_area = owners("150.00", 12, agree=("50.00", 5), disagree=("50.00", 3))
    half_heads = owners("150.00", 12, agree=("50.01", 4), disagree=("49.99", 4))
    assert met(decide_owners_matter(4, half_area))["approval_heads"] is True
    assert not decide_owners_matter(4, half_area).passed
    assert met(decide_owners_matter(4, half_heads))["approval_area"] is True
    assert not decide_owners_matter(4, half_heads).passed


@pytest.mark.parametrize("matter", range(1, 10))
def test_every_matter_follows_its_rule(matter):
    # 70 % of the participating area and heads agree (7 of 10 owners): a majority, less than 3/4.
    totals = owners("1000.00", 10, agree=("700.00", 7), disagree=("300.00", 3))
    decision = decide_owners_matter(matter, totals)
    special = matter in SPECIAL
    assert decision.matter == matter
    assert decision.rule == ("special" if special else "ordinary")
    assert decision.passed is not special
    assert decision.ratio("approval_heads").threshold == (THREE_QUARTERS if special else HALF)
    assert decision.ratio("approval_heads").inclusive is special
    assert decision.ratio("participation_heads").threshold == TWO_THIRDS
    assert decision.ratio("participation_heads").inclusive is True


def test_using_the_fund_is_ordinary_and_raising_it_is_special():
    totals = owners("1000.00", 10, agree=("700.00", 7), disagree=("300.00", 3))
    assert decide_owners_matter(5, totals).passed  # 使用维修资金: more than half
    assert not decide_owners_matter(6, totals).passed  # 筹集维修资金: 3/4 needed


# --- abstentions, split owners, nothing to count ---------------------------------------------------


def test_abstentions_take_part_but_do_not_agree():
    # Without the 3 abstainers only 5 of 12 owners take part; with them 8 do (2/3).
    with_abstainers = owners("1200.00", 12, agree=("500.00", 5), abstain=("300.00", 3))
    without = owners("1200.00", 12, agree=("500.00", 5))
    assert not decide_owners_matter(1, without).passed
    decision = decide_owners_matter(1, with_abstainers)
    assert met(decision)["participation_heads"] is True
    # … and they weigh in the denominators: 5 of 8 owners, 500 of 800 m² agree.
    assert decision.ratio("approval_heads").fraction == Fraction(5, 8)
    assert decision.ratio("approval_area").fraction == Fraction(5, 8)
    assert decision.passed
    # For a special matter the same abstentions block approval (5/8 < 3/4).
    assert not decide_owners_matter(7, with_abstainers).passed


def test_abstentions_turn_a_majority_into_exactly_half():
    totals = owners("1200.00", 12, agree=("400.00", 4), abstain=("400.00", 4))
    decision = decide_owners_matter(2, totals)
    assert decision.ratio("approval_heads").fraction == HALF
    assert not decision.passed


def test_split_owner_takes_part_but_counts_in_no_decisions_heads():
    # 8 owners take part: 5 agree, 2 disagree, 1 owns two households that voted differently.
    totals = owners("1200.00", 12, agree=("500.00", 5), disagree=("300.00", 2), split=1)
    decision = decide_owners_matter(3, totals)
    assert decision.split_heads == 1
    assert decision.ratio("participation_heads").numerator == 8
    assert decision.ratio("approval_heads").fraction == Fraction(5, 8)
    assert decision.passed
    assert decision.reasons[-1] == (
        "1 名业主名下各户表决意见不一致，计入参与表决的业主人数，不计入任何表决意见的人数"
    )


def test_split_owner_can_cost_the_majority_by_head():
    totals = owners("1200.00", 12, agree=("500.00", 4), disagree=("300.00", 3), split=1)
    decision = decide_owners_matter(3, totals)
    assert decision.ratio("approval_heads").fraction == HALF
    assert not decision.passed


def test_no_split_owner_no_split_reason():
    decision = decide_owners_matter(1, owners(agree=("1800.00", 12)))
    assert decision.split_heads == 0
    assert not any("不一致" in reason for reason in decision.reasons)


def test_nobody_voting_fails_cleanly():
    decision = decide_owners_matter(7, owners())
    assert not decision.passed
    assert not any(met(decision).values())
    assert decision.ratio("approval_area").percent == D("0.00")
    assert decision.reasons[0] == "表决未通过"
    assert (
        decision.ratio("approval_heads").text
        == "同意的业主人数 0 / 0 人 = 0.00 % < 3/4（未达到，须 ≥ 3/4）"
    )


def test_empty_roll_fails_cleanly():
    decision = decide_owners_matter(1, owners("0", 0))
    assert not decision.passed
    assert decision.ratio("participation_area").text == (
        "参与表决的专有面积 0.00 / 0.00 m² = 0.00 % < 2/3（未达到，须 ≥ 2/3）"
    )
    json.dumps(decision.as_dict())


def test_unanimity_on_the_whole_roll_passes_every_matter():
    for matter in range(1, 10):
        assert decide_owners_matter(matter, owners(agree=("1800.00", 12))).passed


def test_reasons_when_passed_list_every_ratio_in_order():
    totals = owners("1800.00", 12, agree=("1234.50", 8))
    decision = decide_owners_matter(1, totals)
    assert [ratio.key for ratio in decision.ratios] == [
        "participation_area",
        "participation_heads",
        "approval_area",
        "approval_heads",
    ]
    assert decision.reasons == (
        "表决通过",
        "参与表决的专有面积 1,234.50 / 1,800.00 m² = 68.58 % ≥ 2/3（达到）",
        "参与表决的业主人数 8 / 12 人 = 66.67 % ≥ 2/3（达到）",
        "同意的专有面积 1,234.50 / 1,234.50 m² = 100.00 % > 1/2（达到）",
        "同意的业主人数 8 / 8 人 = 100.00 % > 1/2（达到）",
    )


def test_integer_areas_are_accepted_as_exact():
    totals = OwnersTotals(1800, 12, {"agree": 1200}, {"agree": 8}, 8)
    decision = decide_owners_matter(1, totals)
    assert decision.passed
    assert decision.as_dict()["ratios"][0]["numerator"] == "1200.00"


# --- exhaustive proof of the comparisons ---------------------------------------------------------


def test_head_ratios_match_integer_arithmetic_for_every_count_up_to_twelve():
    for d in range(13):
        for n in range(d + 1):
            assert heads_ratio(n, d, TWO_THIRDS).met is (d > 0 and 3 * n >= 2 * d), (n, d)
            assert heads_ratio(n, d, THREE_QUARTERS).met is (d > 0 and 4 * n >= 3 * d), (n, d)
            assert heads_ratio(n, d, HALF, inclusive=False).met is (d > 0 and 2 * n > d), (n, d)


def test_area_ratios_match_integer_arithmetic_for_every_cent_up_to_1_20():
    for d in range(121):
        for n in range(d + 1):
            ratio = Ratio("x", "面积", D(n) / 100, D(d) / 100, "m²", TWO_THIRDS, True)
            assert ratio.met is (d > 0 and 3 * n >= 2 * d), (n, d)
            half = Ratio("x", "面积", D(n) / 100, D(d) / 100, "m²", HALF, False)
            assert half.met is (d > 0 and 2 * n > d), (n, d)


@pytest.mark.parametrize("matter", (5, 6))
def test_every_vote_of_twelve_owners_is_decided_by_the_law(matter):
    # Every owner holds 100.00 m²; p owners take part, a of them agree, the rest disagree.
    for p in range(13):
        for a in range(p + 1):
            totals = owners(
                "1200.00", 12, agree=(f"{100 * a}.00", a), disagree=(f"{100 * (p - a)}.00", p - a)
            )
            approved = 4 * a >= 3 * p if matter == 6 else 2 * a > p
            expected = 3 * p >= 2 * 12 and approved
            assert decide_owners_matter(matter, totals).passed is expected, (p, a)


# --- formatting -----------------------------------------------------------------------------


def test_area_text_has_thousands_separators_and_two_decimals():
    ratio = Ratio(
        "participation_area", "参与表决的专有面积", D("1234.5"), D("1800"), "m²", TWO_THIRDS, True
    )
    assert ratio.text == "参与表决的专有面积 1,234.50 / 1,800.00 m² = 68.58 % ≥ 2/3（达到）"
    assert ratio.percent == D("68.58")
    assert str(ratio.percent) == "68.58"


def test_large_areas_and_heads_are_grouped():
    area = Ratio("a", "面积", D("1234567.891"), D("2000000"), "m²", TWO_THIRDS, True)
    assert area.text == "面积 1,234,567.89 / 2,000,000.00 m² = 61.73 % < 2/3（未达到，须 ≥ 2/3）"
    heads = Ratio("h", "人数", 266667, 400000, "人", TWO_THIRDS, True)
    assert heads.text == "人数 266,667 / 400,000 人 = 66.67 % ≥ 2/3（精确比值 266667/400000；达到）"


def test_percent_rounds_half_up_and_only_once():
    assert heads_ratio(1, 160).percent == D("0.63")  # 0.625 %: half up, not half even
    assert heads_ratio(1, 3).percent == D("33.33")
    assert heads_ratio(2, 3).percent == D("66.67")
    assert heads_ratio(1, 1).percent == D("100.00")
    assert heads_ratio(0, 5).percent == D("0.00")
    # 66.665 % exactly rounds up; just below it rounds down.
    assert heads_ratio(13333, 20000).percent == D("66.67")
    assert heads_ratio(133329999, 200000000).percent == D("66.66")


def test_percent_is_display_only_the_bound_is_exact():
    # 66,666 of 100,000 shows 66.67 % but is below 2/3.
    ratio = heads_ratio(66666, 100000)
    assert ratio.percent == D("66.67")
    assert ratio.met is False
    assert ratio.text.endswith("= 66.67 % < 2/3（精确比值 33333/50000；未达到，须 ≥ 2/3）")


# --- the ratio in words: a failed ratio states its true relation and what was required ----------


def law_ratio(numerator, denominator, threshold) -> Ratio:
    """An area ratio bounded as the law bounds it: a half strictly, 2/3 and 3/4 inclusively."""
    return Ratio("x", "面积", D(numerator), D(denominator), "m²", threshold, threshold != HALF)


# (numerator, denominator, threshold, what the text says after "m² = ")
RATIO_CLAIMS = [
    ("1200.00", "1800.00", TWO_THIRDS, "66.67 % ≥ 2/3（达到）"),
    ("1199.99", "1800.00", TWO_THIRDS, "66.67 % < 2/3（精确比值 119999/180000；未达到，须 ≥ 2/3）"),
    ("1200.01", "1800.00", TWO_THIRDS, "66.67 % ≥ 2/3（精确比值 120001/180000；达到）"),
    ("80.00", "170.50", TWO_THIRDS, "46.92 % < 2/3（未达到，须 ≥ 2/3）"),
    ("6", "12", HALF, "50.00 % = 1/2（未达到，须 > 1/2）"),
    ("5", "12", HALF, "41.67 % < 1/2（未达到，须 > 1/2）"),
    ("7", "12", HALF, "58.33 % > 1/2（达到）"),
    ("600.01", "1200.00", HALF, "50.00 % > 1/2（精确比值 60001/120000；达到）"),
    ("9", "12", THREE_QUARTERS, "75.00 % ≥ 3/4（达到）"),
    ("899.99", "1200", THREE_QUARTERS, "75.00 % < 3/4（精确比值 89999/120000；未达到，须 ≥ 3/4）"),
    ("8", "12", THREE_QUARTERS, "66.67 % < 3/4（未达到，须 ≥ 3/4）"),
]


@pytest.mark.parametrize(("numerator", "denominator", "threshold", "claim"), RATIO_CLAIMS)
def test_ratio_text_states_the_true_relation(numerator, denominator, threshold, claim):
    assert law_ratio(numerator, denominator, threshold).text.endswith(f" m² = {claim}")


def test_ratio_relation_is_the_exact_comparison_with_the_threshold():
    relations = [heads_ratio(n, 12, HALF, inclusive=False).relation for n in (5, 6, 7)]
    assert relations == ["<", "=", ">"]
    assert law_ratio("1199.99", "1800.00", TWO_THIRDS).relation == "<"
    # Exactly the bound: "=" whether the law includes it (met) or not (failed).
    assert heads_ratio(8, 12).relation == "="
    assert heads_ratio(8, 12).met is True


def test_failed_decision_reasons_read_the_true_relations():
    # Matter 7 (3/4): 1,199.99 of 1,800.00 m² take part, shown as 66.67 % but short of 2/3;
    # 8 of 12 owners is 2/3; 4 of them with 600.00 m² agree, far from 3/4.
    totals = owners(agree=("600.00", 4), disagree=("599.99", 4))
    assert decide_owners_matter(7, totals).reasons == (
        "表决未通过",
        "参与表决的专有面积 1,199.99 / 1,800.00 m² = 66.67 % < 2/3"
        "（精确比值 119999/180000；未达到，须 ≥ 2/3）",
        "同意的专有面积 600.00 / 1,199.99 m² = 50.00 % < 3/4（未达到，须 ≥ 3/4）",
        "同意的业主人数 4 / 8 人 = 50.00 % < 3/4（未达到，须 ≥ 3/4）",
    )


def test_ratio_fraction_is_exact():
    ratio = Ratio("a", "面积", D("0.10"), D("0.30"), "m²", HALF, False)
    assert ratio.fraction == Fraction(1, 3)
    assert heads_ratio(3, 0).fraction == 0


def test_ratio_as_dict():
    area = Ratio(
        "participation_area",
        "参与表决的专有面积",
        D("1234.50"),
        D("1800.00"),
        "m²",
        TWO_THIRDS,
        True,
    ).as_dict()
    assert area == {
        "key": "participation_area",
        "label": "参与表决的专有面积",
        "numerator": "1234.50",
        "denominator": "1800.00",
        "unit": "m²",
        "threshold": "2/3",
        "comparator": "≥",
        "relation": ">",
        "met": True,
        "percent": "68.58",
        "text": "参与表决的专有面积 1,234.50 / 1,800.00 m² = 68.58 % ≥ 2/3（达到）",
    }
    heads = heads_ratio(4, 8, HALF, inclusive=False).as_dict()
    assert (heads["numerator"], heads["denominator"]) == (4, 8)
    assert (heads["threshold"], heads["comparator"], heads["met"]) == ("1/2", ">", False)
    # "comparator" is what the law requires, "relation" what the count achieved.
    assert heads["relation"] == "="


def test_areas_in_as_dict_keep_every_digit():
    ratio = Ratio("a", "面积", D("1.005"), D("3"), "m²", HALF, False)
    assert ratio.as_dict()["numerator"] == "1.005"
    assert ratio.as_dict()["denominator"] == "3.00"


def test_decision_as_dict_is_json_with_totals():
    totals = owners(
        "1800.00", 12, agree=("900.00", 5), disagree=("200.00", 2), abstain=("100.5", 1)
    )
    data = decide_owners_matter(7, totals).as_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["matter"] == 7
    assert data["matter_title"] == "改建、重建建筑物及其附属设施"
    assert data["rule"] == "special"
    assert data["rule_label"] == "双四分之三以上同意"
    assert data["passed"] is False
    assert [ratio["key"] for ratio in data["ratios"]][0] == "participation_area"
    assert data["reasons"][0] == "表决未通过"
    assert data["split_heads"] == 0
    assert data["totals"] == {
        "total_area": "1800.00",
        "total_heads": 12,
        "participating_area": "1200.50",
        "participating_heads": 8,
        "area": {"agree": "900.00", "disagree": "200.00", "abstain": "100.50"},
        "heads": {"agree": 5, "disagree": 2, "abstain": 1},
    }


def test_missing_decisions_count_as_zero():
    totals = OwnersTotals(D("10.00"), 3, {"agree": D("10.00")}, {"agree": 3}, 3)
    data = decide_owners_matter(1, totals).as_dict()
    assert data["totals"]["area"] == {"agree": "10.00", "disagree": "0.00", "abstain": "0.00"}
    assert data["totals"]["heads"] == {"agree": 3, "disagree": 0, "abstain": 0}


# --- invalid inputs -----------------------------------------------------------------------------


@pytest.mark.parametrize("matter", (0, 10, -1, "6", None, True, 6.0))
def test_unknown_matter_is_refused(matter):
    with pytest.raises(ValueError):
        decide_owners_matter(matter, owners(agree=("1800.00", 12)))


@pytest.mark.parametrize(
    "totals",
    [
        pytest.param(owners("-1.00", 12), id="negative total area"),
        pytest.param(owners("1800.00", -1), id="negative total heads"),
        pytest.param(owners(agree=("-1.00", 1)), id="negative area"),
        pytest.param(owners(agree=("1.00", -1), disagree=("1.00", 2)), id="negative heads"),
        pytest.param(owners("100.00", 12, agree=("100.01", 8)), id="area above the total"),
        pytest.param(owners("1800.00", 7, agree=("1200.00", 8)), id="heads above the total"),
        pytest.param(
            OwnersTotals(D("10"), 5, {"agree": D("5")}, {"agree": 3}, 2),
            id="decision heads above participating heads",
        ),
        pytest.param(
            OwnersTotals(D("10"), 5, {"yes": D("5")}, {}, 2), id="unknown decision in area"
        ),
        pytest.param(OwnersTotals(D("10"), 5, {}, {"maybe": 1}, 2), id="unknown decision in heads"),
        pytest.param(OwnersTotals(D("10"), 0, {}, {}, 0), id="area without owners"),
        pytest.param(
            OwnersTotals(D("10"), 5, {"agree": D("5")}, {}, 0), id="voting area without owners"
        ),
        pytest.param(OwnersTotals(D("NaN"), 5, {}, {}, 0), id="not a number"),
    ],
)
def test_inconsistent_totals_are_refused(totals):
    with pytest.raises(ValueError):
        decide_owners_matter(1, totals)


@pytest.mark.parametrize(
    "totals",
    [
        pytest.param(OwnersTotals(1800.0, 12, {}, {}, 0), id="float total area"),
        pytest.param(OwnersTotals(D("10"), 5, {"agree": 2.5}, {"agree": 1}, 1), id="float area"),
        pytest.param(OwnersTotals(D("10"), 5.0, {}, {}, 0), id="float heads"),
        pytest.param(OwnersTotals(D("10"), 5, {}, {"agree": 1.0}, 1), id="float decision heads"),
    ],
)
def test_floats_are_refused(totals):
    with pytest.raises(TypeError):
        decide_owners_matter(1, totals)


def test_ratio_refuses_floats_and_negatives():
    with pytest.raises(TypeError):
        Ratio("a", "面积", 0.5, D("1"), "m²", HALF, False)
    with pytest.raises(ValueError):
        heads_ratio(-1, 3)


# --- options: single, multiple, ranking (Borda), points ------------------------------------------


def opt(option_id, votes, score=None, first=0, label=None) -> OptionTotal:
    return OptionTotal(
        option_id, label or f"选项{option_id}", votes, votes if score is None else score, first
    )


def places(result) -> list[tuple[int, int]]:
    return [(s.option_id, s.place) for s in result.standings]


def test_borda_points():
    assert [borda_points(4, rank) for rank in (1, 2, 3, 4)] == [3, 2, 1, 0]
    assert borda_points(1, 1) == 0
    for count, rank in ((4, 0), (4, 5), (0, 1), (3, -1)):
        with pytest.raises(ValueError):
            borda_points(count, rank)


def test_single_choice_plurality():
    result = rank_options("single", [opt(1, 3), opt(2, 5), opt(3, 0)], ballots=9)
    assert places(result) == [(2, 1), (1, 2), (3, 3)]
    assert result.winners == (2,)
    assert result.ties == ()
    assert [s.share for s in result.standings] == [D("62.50"), D("37.50"), D("0.00")]
    assert result.ballots == 9


def test_single_choice_tie_shares_the_place():
    result = rank_options(
        "single", [opt(1, 2, label="A"), opt(2, 4, label="B"), opt(3, 4, label="C")], ballots=10
    )
    # Equal options keep the order given: B before C.
    assert places(result) == [(2, 1), (3, 1), (1, 3)]
    assert result.winners == (2, 3)
    assert result.ties == ("「B」与「C」同为 4 票，并列第 1 名",)


def test_multiple_choice_counts_every_marked_option():
    # 7 ballots, each may mark several options: votes add up to more than the ballots.
    result = rank_options("multiple", [opt(1, 6), opt(2, 5), opt(3, 6), opt(4, 1)], ballots=7)
    assert places(result) == [(1, 1), (3, 1), (2, 3), (4, 4)]
    assert result.winners == (1, 3)
    assert result.ties == ("「选项1」与「选项3」同为 6 票，并列第 1 名",)
    assert [s.share for s in result.standings] == [D("33.33"), D("33.33"), D("27.78"), D("5.56")]


def test_tie_in_the_middle_places_one_two_two_four():
    result = rank_options("multiple", [opt(1, 5), opt(2, 3), opt(3, 3), opt(4, 1)], ballots=5)
    assert [s.place for s in result.standings] == [1, 2, 2, 4]
    assert result.winners == (1,)
    assert result.ties == ("「选项2」与「选项3」同为 3 票，并列第 2 名",)


def test_three_way_tie_names_everyone():
    result = rank_options(
        "single", [opt(1, 2, label="甲"), opt(2, 2, label="乙"), opt(3, 2, label="丙")], ballots=6
    )
    assert result.ties == ("「甲」、「乙」与「丙」同为 2 票，并列第 1 名",)
    assert result.winners == (1, 2, 3)


def test_hand_worked_borda_count():
    # 3 options, so rank 1 earns 2 points, rank 2 earns 1, rank 3 and unranked earn 0.
    # Ballots (E = 加装电梯, C = 增设充电桩, G = 绿化提升):
    #   b1 E > C > G   E 2, C 1, G 0
    #   b2 E > G > C   E 2, G 1, C 0
    #   b3 C > E > G   C 2, E 1, G 0
    #   b4 G > C > E   G 2, C 1, E 0
    #   b5 E > C       E 2, C 1, G unranked (partial ranking): 0
    # Totals: E 2+2+1+0+2 = 7, C 1+0+2+1+1 = 5, G 0+1+0+2+0 = 3 (sum 15);
    # first preferences E 3 (b1, b2, b5), C 1 (b3), G 1 (b4); votes E 5, C 5, G 4.
    ballots = [("E", "C", "G"), ("E", "G", "C"), ("C", "E", "G"), ("G", "C", "E"), ("E", "C")]
    score = dict.fromkeys("ECG", 0)
    for ranking in ballots:
        for rank, option in enumerate(ranking, start=1):
            score[option] += borda_points(3, rank)
    assert score == {"E": 7, "C": 5, "G": 3}

    totals = [
        OptionTotal(1, "绿化提升", votes=4, score=3, first_preferences=1),
        OptionTotal(2, "增设充电桩", votes=5, score=5, first_preferences=1),
        OptionTotal(3, "加装电梯", votes=5, score=7, first_preferences=3),
    ]
    result = rank_options("ranking", totals, ballots=5)
    assert places(result) == [(3, 1), (2, 2), (1, 3)]
    assert result.winners == (3,)
    assert result.ties == ()
    # Shares of the 15 Borda points: 7/15, 5/15, 3/15.
    assert [s.share for s in result.standings] == [D("46.67"), D("33.33"), D("20.00")]


def test_borda_tie_is_broken_by_first_preferences():
    totals = [
        OptionTotal(1, "增设充电桩", votes=6, score=12, first_preferences=3),
        OptionTotal(2, "加装电梯", votes=6, score=12, first_preferences=5),
        OptionTotal(3, "绿化提升", votes=6, score=6, first_preferences=0),
    ]
    result = rank_options("ranking", totals, ballots=8)
    assert places(result) == [(2, 1), (1, 2), (3, 3)]
    assert result.winners == (2,)
    assert result.ties == (
        "「加装电梯」与「增设充电桩」博尔达得分同为 12 分；「加装电梯」获得的第一选择更多（5 比 3），排名在前",
    )


def test_borda_tie_with_equal_first_preferences_shares_the_place():
    totals = [opt(1, 6, 12, 3, "A"), opt(2, 6, 12, 3, "B"), opt(3, 6, 6, 1, "C")]
    result = rank_options("ranking", totals, ballots=8)
    assert places(result) == [(1, 1), (2, 1), (3, 3)]
    assert result.winners == (1, 2)
    assert result.ties == (
        "「A」与「B」博尔达得分和第一选择数均相同，并列第 1 名（各 12 分，第一选择各 3 个）",
    )


def test_three_way_borda_tie_partly_broken():
    totals = [opt(1, 6, 10, 2, "A"), opt(2, 6, 10, 4, "B"), opt(3, 6, 10, 2, "C")]
    result = rank_options("ranking", totals, ballots=8)
    assert places(result) == [(2, 1), (1, 2), (3, 2)]
    assert result.winners == (2,)
    assert result.ties == (
        "「B」、「A」与「C」博尔达得分同为 10 分；按获得的第一选择多少排名：「B」4 个、「A」2 个、「C」2 个",
        "「A」与「C」博尔达得分和第一选择数均相同，并列第 2 名（各 10 分，第一选择各 2 个）",
    )


def test_first_preferences_do_not_break_ties_of_other_methods():
    result = rank_options("points", [opt(1, 3, 30, 0, "A"), opt(2, 4, 30, 0, "B")], ballots=5)
    assert places(result) == [(1, 1), (2, 1)]


def test_points_allocation():
    # 5 voters spread 10 points each (50 in all).
    totals = [
        opt(1, 4, 15, label="充电桩"),
        opt(2, 5, 30, label="电梯"),
        opt(3, 2, 5, label="绿化"),
    ]
    result = rank_options("points", totals, ballots=5)
    assert places(result) == [(2, 1), (1, 2), (3, 3)]
    assert [s.share for s in result.standings] == [D("60.00"), D("30.00"), D("10.00")]
    assert result.winners == (2,)


def test_points_tie_is_explained_in_points():
    totals = [opt(1, 4, 30, label="A"), opt(2, 5, 30, label="B"), opt(3, 2, 15, label="C")]
    result = rank_options("points", totals, ballots=6)
    assert [s.place for s in result.standings] == [1, 1, 3]
    assert result.ties == ("「A」与「B」同为 30 分，并列第 1 名",)


@pytest.mark.parametrize("method", ("single", "multiple", "ranking", "points"))
def test_no_ballots_no_winner(method):
    result = rank_options(method, [opt(1, 0), opt(2, 0)], ballots=0)
    assert result.winners == ()
    assert [s.place for s in result.standings] == [1, 1]
    assert [s.share for s in result.standings] == [D("0.00"), D("0.00")]
    assert result.ties == ("没有选项获得票数或分数，不产生排名",)
    json.dumps(result.as_dict())


def test_no_options_no_result():
    result = rank_options("single", [], ballots=0)
    assert (result.standings, result.winners, result.ties) == ((), (), ())


def test_zero_scores_tied_at_the_bottom_are_explained():
    result = rank_options("single", [opt(1, 3), opt(2, 0), opt(3, 0)], ballots=3)
    assert places(result) == [(1, 1), (2, 2), (3, 2)]
    assert result.ties == ("「选项2」与「选项3」同为 0 票，并列第 2 名",)


def test_choice_result_as_dict_is_json():
    result = rank_options("ranking", [opt(1, 2, 2, 1, "A"), opt(2, 2, 2, 1, "B")], ballots=2)
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert data == {
        "method": "ranking",
        "ballots": 2,
        "standings": [
            {
                "option_id": 1,
                "label": "A",
                "votes": 2,
                "score": 2,
                "first_preferences": 1,
                "place": 1,
                "share": "50.00",
            },
            {
                "option_id": 2,
                "label": "B",
                "votes": 2,
                "score": 2,
                "first_preferences": 1,
                "place": 1,
                "share": "50.00",
            },
        ],
        "winners": [1, 2],
        "ties": [
            "「A」与「B」博尔达得分和第一选择数均相同，并列第 1 名（各 2 分，第一选择各 1 个）"
        ],
    }


@pytest.mark.parametrize("method", ("owners_decision", "borda", "", "SINGLE"))
def test_unknown_method_is_refused(method):
    with pytest.raises(ValueError):
        rank_options(method, [opt(1, 1)], ballots=1)


@pytest.mark.parametrize(
    ("method", "totals", "ballots"),
    [
        pytest.param("single", [opt(1, 1), opt(1, 2)], 3, id="option twice"),
        pytest.param("single", [opt(1, -1)], 3, id="negative votes"),
        pytest.param("single", [opt(1, 1)], -1, id="negative ballots"),
        pytest.param("multiple", [opt(1, 4)], 3, id="more votes than ballots"),
        pytest.param("single", [opt(1, 2), opt(2, 2)], 3, id="single votes above ballots"),
        pytest.param("single", [opt(1, 2, 3)], 3, id="choice score is not its votes"),
        pytest.param("points", [opt(1, 3, 2)], 3, id="points below votes"),
        pytest.param("ranking", [opt(1, 2, 1, 3), opt(2, 2, 1)], 3, id="first prefs above votes"),
        pytest.param(
            "ranking", [opt(1, 2, 2, 2), opt(2, 2, 2, 2)], 3, id="first prefs above ballots"
        ),
        pytest.param(
            "ranking", [opt(1, 2, 3, 1), opt(2, 2, 1, 1)], 3, id="borda above the maximum"
        ),
    ],
)
def test_impossible_option_totals_are_refused(method, totals, ballots):
    with pytest.raises(ValueError):
        rank_options(method, totals, ballots)


@pytest.mark.parametrize(
    ("totals", "ballots"),
    [
        pytest.param([OptionTotal(1, "A", 1.0, 1.0)], 3, id="float votes"),
        pytest.param([OptionTotal(1, "A", 1, 1)], 3.0, id="float ballots"),
        pytest.param([OptionTotal(1, "A", 1, 1)], True, id="bool ballots"),
    ],
)
def test_counts_that_are_not_integers_are_refused(totals, ballots):
    with pytest.raises(TypeError):
        rank_options("single", totals, ballots)
