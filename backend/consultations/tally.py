"""The arithmetic of votes: owners' joint decisions (Civil Code art. 278) and option rankings.

Pure: no database, no Flask, only the standard library. SQL elsewhere computes the aggregates
(area and heads per decision, votes and scores per option); this module decides what they mean,
so every counting rule lives in one place and is tested at every boundary.

Owners' joint decisions (民法典 第二百七十八条, see DOMAIN.md)
- Participation: owners whose exclusive area is at least 2/3 of the total exclusive area AND who
  are at least 2/3 of all owners by head take part in the vote.
- Matters 6–8 (raising the maintenance fund; rebuilding or renovating buildings and facilities;
  changing the use of common parts or running a business on them): approved by at least 3/4 of
  the participating area AND at least 3/4 of the participating owners.
- Every other matter, 5 (using the maintenance fund) included: approved by more than half of the
  participating area AND more than half of the participating owners.
- "以上" includes the bound (art. 1259): >=. "过半数" is strictly more than half: >.
- Abstentions take part: they count in participation and in the approval denominators, never as
  agreeing. An owner whose households voted differently takes part by head but is counted in no
  decision's heads (each household's area still counts under its own decision).
- A matter passes only when all four ratios are met. Ratios are compared as exact fractions built
  from Decimal or int, never floats: 2/3 of 12 owners is 8, and 7 is not enough.

Options (single, multiple, ranking, points)
- Ordered by score: votes for single and multiple choice, Borda points for a ranking (rank r of n
  options earns n - r, unranked options 0), points given for a points allocation.
- Ranking only: equal Borda scores are broken by more first preferences. Anything still equal
  shares a place ("1, 1, 3"); every tie and how it was settled is explained in Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import groupby

MATTERS_SPECIAL = frozenset({6, 7, 8})
TWO_THIRDS, THREE_QUARTERS, HALF = Fraction(2, 3), Fraction(3, 4), Fraction(1, 2)

# Art. 278 paragraph 1, as worded by the law; the models take it from here.
MATTER_TITLES = {
    1: "制定和修改业主大会议事规则",
    2: "制定和修改管理规约",
    3: "选举业主委员会或者更换业主委员会成员",
    4: "选聘和解聘物业服务企业或者其他管理人",
    5: "使用建筑物及其附属设施的维修资金",
    6: "筹集建筑物及其附属设施的维修资金",
    7: "改建、重建建筑物及其附属设施",
    8: "改变共有部分的用途或者利用共有部分从事经营活动",
    9: "有关共有和共同管理权利的其他重大事项",
}
RATIO_LABELS = {
    "participation_area": "参与表决的专有面积",
    "participation_heads": "参与表决的业主人数",
    "approval_area": "同意的专有面积",
    "approval_heads": "同意的业主人数",
}
RULES = {"special": "双四分之三以上同意", "ordinary": "双过半数同意"}
DECISIONS = ("agree", "disagree", "abstain")
METHODS = ("single", "multiple", "ranking", "points")
AREA_UNIT, HEAD_UNIT = "m²", "人"

_CENT = Decimal("0.01")


def _check_count(value: object, what: str, exact: tuple[type, ...] = (int,)) -> None:
    # A float has already lost the exact value of a decimal area; refuse it rather than compare it.
    if isinstance(value, bool) or not isinstance(value, exact):
        names = " or ".join(kind.__name__ for kind in exact)
        raise TypeError(f"{what} must be an exact {names}, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{what} must be finite: {value}")
    if value < 0:
        raise ValueError(f"{what} must not be negative: {value}")


def _check_amount(value: object, what: str) -> None:
    _check_count(value, what, (int, Decimal))


def _percent(value: Fraction) -> Decimal:
    """value × 100, two places, half up; on integers so that nothing is rounded twice."""
    hundredths, rest = divmod(value.numerator * 10000, value.denominator)
    if 2 * rest >= value.denominator:
        hundredths += 1
    return Decimal(hundredths).scaleb(-2)


def _area_str(value: Decimal | int) -> str:
    """An exact decimal string for JSON: two places when that loses nothing, else every digit."""
    value = Decimal(value)
    cents = value.quantize(_CENT)
    return str(cents) if cents == value else format(value, "f")


def _shown(value: Decimal | int, unit: str) -> str:
    if unit == HEAD_UNIT:
        return f"{value:,}"
    return f"{Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}"


@dataclass(frozen=True)
class Ratio:
    """One of the four ratios of an owners' decision, and whether it meets its legal bound."""

    key: str
    label: str
    numerator: Decimal | int
    denominator: Decimal | int
    unit: str
    threshold: Fraction
    inclusive: bool

    def __post_init__(self) -> None:
        _check_amount(self.numerator, self.key)
        _check_amount(self.denominator, self.key)

    @property
    def fraction(self) -> Fraction:
        if not self.denominator:
            return Fraction(0)
        return Fraction(self.numerator) / Fraction(self.denominator)

    @property
    def met(self) -> bool:
        # Nothing to count (an empty roll, nobody voting) meets no bound, not even "> 0".
        if not self.denominator:
            return False
        return self.fraction >= self.threshold if self.inclusive else self.fraction > self.threshold

    @property
    def percent(self) -> Decimal:
        return _percent(self.fraction)

    @property
    def comparator(self) -> str:
        """What the law requires of the ratio: "≥" for "以上", ">" for "过半数"."""
        return "≥" if self.inclusive else ">"

    @property
    def relation(self) -> str:
        """How the exact ratio compares with the threshold: "<", "=" or ">"."""
        if self.fraction == self.threshold:
            return "="
        return "<" if self.fraction < self.threshold else ">"

    @property
    def text(self) -> str:
        """The ratio in words, e.g. "… = 46.92 % < 2/3（未达到，须 ≥ 2/3）".

        A met ratio reads with the law's comparator, which is then true; a failed one with the
        true relation and what was required. When two decimals round the ratio onto the
        threshold's percentage, the exact reduced fraction shows which side it lies on.
        """
        notes = []
        if self.percent == _percent(self.threshold) and self.fraction != self.threshold:
            notes.append(f"精确比值 {self.fraction}")
        if self.met:
            shown, outcome = self.comparator, "达到"
        else:
            shown, outcome = self.relation, f"未达到，须 {self.comparator} {self.threshold}"
        notes.append(outcome)
        return (
            f"{self.label} {_shown(self.numerator, self.unit)} / "
            f"{_shown(self.denominator, self.unit)} {self.unit} = {self.percent} % "
            f"{shown} {self.threshold}（{'；'.join(notes)}）"
        )

    def as_dict(self) -> dict:
        def number(value: Decimal | int) -> str | int:
            return value if self.unit == HEAD_UNIT else _area_str(value)

        return {
            "key": self.key,
            "label": self.label,
            "numerator": number(self.numerator),
            "denominator": number(self.denominator),
            "unit": self.unit,
            "threshold": str(self.threshold),
            "comparator": self.comparator,
            "relation": self.relation,
            "met": self.met,
            "percent": str(self.percent),
            "text": self.text,
        }


@dataclass(frozen=True)
class OwnersTotals:
    """The aggregates of an owners' decision, as counted on the electorate snapshot."""

    total_area: Decimal
    total_heads: int
    area: Mapping[str, Decimal]
    heads: Mapping[str, int]
    participating_heads: int

    def area_of(self, decision: str) -> Decimal:
        return Decimal(self.area.get(decision, 0))

    def heads_of(self, decision: str) -> int:
        return self.heads.get(decision, 0)

    @property
    def participating_area(self) -> Decimal:
        return sum((self.area_of(decision) for decision in DECISIONS), Decimal(0))

    @property
    def split_heads(self) -> int:
        return self.participating_heads - sum(self.heads_of(d) for d in DECISIONS)

    def as_dict(self) -> dict:
        return {
            "total_area": _area_str(self.total_area),
            "total_heads": self.total_heads,
            "participating_area": _area_str(self.participating_area),
            "participating_heads": self.participating_heads,
            "area": {decision: _area_str(self.area_of(decision)) for decision in DECISIONS},
            "heads": {decision: self.heads_of(decision) for decision in DECISIONS},
        }


def _check_totals(totals: OwnersTotals) -> None:
    unknown = (set(totals.area) | set(totals.heads)) - set(DECISIONS)
    if unknown:
        raise ValueError(f"unknown decisions: {sorted(unknown)}")
    _check_amount(totals.total_area, "total_area")
    _check_count(totals.total_heads, "total_heads")
    _check_count(totals.participating_heads, "participating_heads")
    for decision in DECISIONS:
        _check_amount(totals.area.get(decision, 0), f"area[{decision}]")
        _check_count(totals.heads.get(decision, 0), f"heads[{decision}]")
    if totals.participating_area > totals.total_area:
        raise ValueError("participating area exceeds the total area")
    if totals.participating_heads > totals.total_heads:
        raise ValueError("participating owners exceed all owners")
    if totals.split_heads < 0:
        raise ValueError("owners per decision exceed the participating owners")
    # Area always belongs to some owner: area without heads means the aggregates disagree.
    if totals.total_area and not totals.total_heads:
        raise ValueError("total area without owners")
    if totals.participating_area and not totals.participating_heads:
        raise ValueError("participating area without participating owners")


@dataclass(frozen=True)
class OwnersDecision:
    """The outcome of an art. 278 matter: passed or not, the four ratios, and why."""

    matter: int
    matter_title: str
    rule: str
    passed: bool
    ratios: tuple[Ratio, ...]
    reasons: tuple[str, ...]
    split_heads: int
    totals: OwnersTotals

    def ratio(self, key: str) -> Ratio:
        return next(ratio for ratio in self.ratios if ratio.key == key)

    def as_dict(self) -> dict:
        return {
            "matter": self.matter,
            "matter_title": self.matter_title,
            "rule": self.rule,
            "rule_label": RULES[self.rule],
            "passed": self.passed,
            "ratios": [ratio.as_dict() for ratio in self.ratios],
            "reasons": list(self.reasons),
            "split_heads": self.split_heads,
            "totals": self.totals.as_dict(),
        }


def decide_owners_matter(matter: int, totals: OwnersTotals) -> OwnersDecision:
    """Decide an art. 278 matter from its totals.

    Raises ValueError for a matter outside 1..9 or negative or inconsistent totals, TypeError
    for a float (or other non-exact number) among them.
    """
    if isinstance(matter, bool) or not isinstance(matter, int) or matter not in MATTER_TITLES:
        raise ValueError(f"unknown art. 278 matter: {matter!r}")
    _check_totals(totals)
    special = matter in MATTERS_SPECIAL
    approval = THREE_QUARTERS if special else HALF
    area = totals.participating_area
    heads = totals.participating_heads
    # 3/4 is "以上" (inclusive); a half is "过半数" (strict): inclusive exactly when special.
    ratios = tuple(
        Ratio(key, RATIO_LABELS[key], numerator, denominator, unit, threshold, inclusive)
        for key, numerator, denominator, unit, threshold, inclusive in (
            ("participation_area", area, Decimal(totals.total_area), AREA_UNIT, TWO_THIRDS, True),
            ("participation_heads", heads, totals.total_heads, HEAD_UNIT, TWO_THIRDS, True),
            ("approval_area", totals.area_of("agree"), area, AREA_UNIT, approval, special),
            ("approval_heads", totals.heads_of("agree"), heads, HEAD_UNIT, approval, special),
        )
    )
    passed = all(ratio.met for ratio in ratios)
    reasons = ["表决通过" if passed else "表决未通过"]
    reasons += [ratio.text for ratio in ratios if passed or not ratio.met]
    if totals.split_heads:
        reasons.append(
            f"{totals.split_heads} 名业主名下各户表决意见不一致，计入参与表决的业主人数，"
            "不计入任何表决意见的人数"
        )
    return OwnersDecision(
        matter=matter,
        matter_title=MATTER_TITLES[matter],
        rule="special" if special else "ordinary",
        passed=passed,
        ratios=ratios,
        reasons=tuple(reasons),
        split_heads=totals.split_heads,
        totals=totals,
    )


@dataclass(frozen=True)
class OptionTotal:
    """What the ballots gave one option (aggregated in SQL)."""

    option_id: int
    label: str
    votes: int
    score: int
    first_preferences: int = 0


def borda_points(option_count: int, rank: int) -> int:
    """Borda points of a 1-based rank among option_count options: first n-1, last 0."""
    if not 1 <= rank <= option_count:
        raise ValueError(f"rank {rank} outside 1..{option_count}")
    return option_count - rank


@dataclass(frozen=True)
class Standing:
    option_id: int
    label: str
    votes: int
    score: int
    first_preferences: int
    place: int
    share: Decimal

    def as_dict(self) -> dict:
        return {**asdict(self), "share": str(self.share)}


@dataclass(frozen=True)
class ChoiceResult:
    method: str
    ballots: int
    standings: tuple[Standing, ...]
    winners: tuple[int, ...]
    ties: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "method": self.method,
            "ballots": self.ballots,
            "standings": [standing.as_dict() for standing in self.standings],
            "winners": list(self.winners),
            "ties": list(self.ties),
        }


def _check_options(method: str, totals: Sequence[OptionTotal], ballots: int) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown vote method: {method!r}")
    _check_count(ballots, "ballots")
    for t in totals:
        for name in ("votes", "score", "first_preferences"):
            _check_count(getattr(t, name), f"{name} of option {t.option_id}")
    if len({t.option_id for t in totals}) != len(totals):
        raise ValueError("an option appears twice")
    if any(t.votes > ballots for t in totals):
        raise ValueError("an option has more votes than there are ballots")
    if method in ("single", "multiple") and any(t.score != t.votes for t in totals):
        raise ValueError("a choice's score is its votes")
    if method == "single" and sum(t.votes for t in totals) > ballots:
        raise ValueError("single choice: more votes than ballots")
    if method == "points" and any(t.score < t.votes for t in totals):
        raise ValueError("points: every vote gives at least one point")
    if method == "ranking" and (
        any(t.first_preferences > t.votes for t in totals)
        or sum(t.first_preferences for t in totals) > ballots
        or any(t.score > t.votes * (len(totals) - 1) for t in totals)
    ):
        raise ValueError("ranking: first preferences or Borda points exceed the ballots")


def _names(group: Sequence[Standing]) -> str:
    quoted = [f"「{standing.label}」" for standing in group]
    return "、".join(quoted[:-1]) + "与" + quoted[-1]


def _shared_borda_place(group: Sequence[Standing]) -> str:
    first = group[0]
    return (
        f"{_names(group)}博尔达得分和第一选择数均相同，并列第 {first.place} 名"
        f"（各 {first.score} 分，第一选择各 {first.first_preferences} 个）"
    )


def _explain_ties(method: str, standings: Sequence[Standing]) -> list[str]:
    sentences = []
    for score, same_score in groupby(standings, key=lambda standing: standing.score):
        group = list(same_score)
        if len(group) < 2:
            continue
        if method != "ranking":
            unit = "分" if method == "points" else "票"
            sentences.append(f"{_names(group)}同为 {score} {unit}，并列第 {group[0].place} 名")
            continue
        shared = [list(g) for _, g in groupby(group, key=lambda s: s.first_preferences)]
        if len(shared) == 1:
            sentences.append(_shared_borda_place(group))
            continue
        if len(group) == 2:
            ahead, behind = group
            sentences.append(
                f"{_names(group)}博尔达得分同为 {score} 分；「{ahead.label}」获得的第一选择更多"
                f"（{ahead.first_preferences} 比 {behind.first_preferences}），排名在前"
            )
        else:
            counts = "、".join(f"「{s.label}」{s.first_preferences} 个" for s in group)
            sentences.append(
                f"{_names(group)}博尔达得分同为 {score} 分；按获得的第一选择多少排名：{counts}"
            )
        sentences += [_shared_borda_place(g) for g in shared if len(g) > 1]
    return sentences


def rank_options(method: str, totals: Sequence[OptionTotal], ballots: int) -> ChoiceResult:
    """Order the options of a single, multiple, ranking or points vote; explain every tie.

    Raises ValueError for an unknown method or counts that cannot come from real ballots.
    """
    totals = tuple(totals)
    _check_options(method, totals, ballots)

    def key(option: OptionTotal) -> tuple[int, ...]:
        # Only a ranking has a second criterion; elsewhere equal scores share the place.
        if method == "ranking":
            return (option.score, option.first_preferences)
        return (option.score,)

    # sorted() is stable, also with reverse=True: equal options keep the order given.
    ordered = sorted(totals, key=key, reverse=True)
    total_score = sum(option.score for option in totals)
    standings: list[Standing] = []
    for index, option in enumerate(ordered):
        tied = index and key(option) == key(ordered[index - 1])
        place = standings[-1].place if tied else index + 1
        share = _percent(Fraction(option.score, total_score)) if total_score else Decimal("0.00")
        standings.append(Standing(**asdict(option), place=place, share=share))
    winners = tuple(s.option_id for s in standings if s.place == 1 and total_score)
    ties = tuple(_explain_ties(method, standings))
    if standings and not total_score:
        # Nobody voted (or no option earned anything): no winner, and no tie worth explaining.
        ties = ("没有选项获得票数或分数，不产生排名",)
    return ChoiceResult(method, ballots, tuple(standings), winners, ties)
