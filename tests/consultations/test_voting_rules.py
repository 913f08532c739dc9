"""Rules of a ballot not pinned elsewhere: how many options a multiple choice takes, who votes
when the scope is a set of buildings, and a developer's unsold units as one owner by head."""

from __future__ import annotations

from decimal import Decimal

from backend.communities.models import Building, Unit
from backend.consultations.models import Consultation
from backend.core.db import db
from backend.core.tenancy.models import Community
from backend.demo import DEVELOPER_REF
from tests import factories
from tests.consultations import factories as cf
from tests.consultations.helpers import close, counted, curl, options_of, owner, paper, vote
from tests.helpers import assert_error, assert_ok, writes_nothing

D = Decimal

# ---------------------------------------------------------------- multiple choice


def test_multiple_choice_takes_between_min_and_max_choices(
    client, app, world, resident, auth, make, counts, new_resident
):
    neighbour = new_resident("neighbour")
    voting = make(lambda: cf.consultation(
        world.a, world.committee, status="voting", method="multiple", min_choices=2,
        max_choices=3, options=("加装电梯", "改造停车位", "增设充电桩", "绿化提升")).id)
    options = options_of(app, voting)

    with writes_nothing(counts):
        for chosen in (options[:1], options):
            body = assert_error(vote(client, resident, world.a, voting, option_ids=chosen), 422,
                                "invalid_choice")
            assert body["errors"]["json"]["option_ids"] == ["应选择 2 至 3 项"]

    assert_ok(vote(client, resident, world.a, voting, option_ids=options[:2]), 201)
    assert_ok(vote(client, auth(neighbour), world.a, voting, option_ids=options[1:]), 201)
    marked = sorted(len(ballot.marks) for ballot in counted(app, voting))
    assert marked == [2, 3]


# ---------------------------------------------------------------- scope: buildings


def test_a_vote_of_some_buildings_is_cast_only_by_their_residents(
    client, app, world, resident, committee, auth, make, counts
):
    def setup():
        community = db.session.get(Community, world.a)
        other = factories.building(community, "2号楼")
        elsewhere, home = owner(other.units[0].id, "101", "75.00")
        factories.grant(db.session.get(factories.User, world.grid_worker), "resident",
                        community_id=world.a, household_id=home, relation="tenant")
        row = cf.consultation(world.a, world.committee, status="draft", with_needs_phase=False,
                              scope="buildings")
        row.buildings = [db.session.get(Building, world.building)]
        return row.id, elsewhere

    consultation_id, elsewhere = make(setup)
    assert_ok(client.post(curl(world.a, consultation_id, "open"), headers=committee))
    option = options_of(app, consultation_id)[0]

    assert_ok(vote(client, resident, world.a, consultation_id, option_ids=[option]), 201)
    with writes_nothing(counts):
        # Another building's resident is not told of it: the vote is none of theirs.
        assert_error(vote(client, auth(elsewhere), world.a, consultation_id, option_ids=[option]),
                     404, "consultation_not_found")
        # Staff follow every consultation, so a grid worker living there learns why not.
        assert_error(vote(client, auth(world.grid_worker), world.a, consultation_id,
                          option_ids=[option]), 403, "not_eligible")
    assert assert_ok(client.get(curl(world.a), headers=auth(elsewhere))) == []
    with app.app_context():
        # 101 and 102 of 1号楼 are on the roll; 2号楼's flat is not.
        assert db.session.get(Consultation, consultation_id).roll_households == 2


# ---------------------------------------------------------------- owners by head


DEVELOPER_UNITS = ("100.00", "100.00", "99.50")


def test_a_developers_unsold_units_are_one_owner_with_their_areas_summed(
    client, app, world, resident, committee, auth, make
):
    # Roll: 101 (80.00, O-1, the world's resident), 102 (90.50, O-2, does not vote), two owners
    # of 70.00 and 60.00, and the developer's three unsold units: 7 households, 5 owners.
    def setup():
        spare = db.session.get(Unit, world.spare_unit)
        units = [factories.household(spare, f"60{i}", area, DEVELOPER_REF).id
                 for i, area in enumerate(DEVELOPER_UNITS)]
        against, _ = owner(world.spare_unit, "501", "70.00")
        abstaining, _ = owner(world.spare_unit, "502", "60.00")
        row = cf.consultation(world.a, world.committee, status="voting",
                              method="owners_decision", matter=4)
        return row.id, against, abstaining, units

    voting, against, abstaining, developer_units = make(setup)
    with app.app_context():
        roll = db.session.get(Consultation, voting)
        assert (roll.roll_households, roll.roll_heads, str(roll.roll_area)) == (7, 5, "600.00")

    for household_id in developer_units:  # the developer signs a paper form for each unit
        assert_ok(paper(client, committee, world.a, voting, household_id, decision="agree"), 201)
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    assert_ok(vote(client, auth(against), world.a, voting, decision="disagree"), 201)
    assert_ok(vote(client, auth(abstaining), world.a, voting, decision="abstain"), 201)
    close(client, committee, world.a, voting)
    decision = assert_ok(client.get(curl(world.a, voting, "result"), headers=resident))["decision"]

    developer = sum(map(D, DEVELOPER_UNITS))  # 299.50 m², one head
    agree_area = developer + D("80.00")  # 379.50
    voting_area = agree_area + D("70.00") + D("60.00")  # 509.50
    total_area = voting_area + D("90.50")  # 600.00
    # (numerator, denominator, met): 4 of 5 owners take part and 2 of them agree, exactly half,
    # which is not "过半数"; were each unit an owner, 4 of 6 would agree and the matter pass.
    expected = {
        "participation_area": (str(voting_area), str(total_area), True),  # 84.92 % ≥ 2/3
        "participation_heads": (4, 5, True),
        "approval_area": (str(agree_area), str(voting_area), True),  # 74.49 % > 1/2
        "approval_heads": (2, 4, False),
    }
    assert {r["key"]: (r["numerator"], r["denominator"], r["met"])
            for r in decision["ratios"]} == expected
    assert decision["totals"]["heads"] == {"agree": 2, "disagree": 1, "abstain": 1}
    assert decision["passed"] is False
    assert decision["reasons"] == [
        "表决未通过", "同意的业主人数 2 / 4 人 = 50.00 % = 1/2（未达到，须 > 1/2）"
    ]
