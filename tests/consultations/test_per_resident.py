"""One ballot per resident (`ballot_per="resident"`): every verified resident in scope votes for
themselves, household members included; paper ballots, which are cast for a household, are not
taken; turnout counts residents, and by building the households that took part."""

from __future__ import annotations

from datetime import timedelta

from backend.consultations.models import Consultation
from backend.consultations.services.lifecycle import advance_due
from backend.core.db import db
from tests import factories
from tests.consultations import factories as cf
from tests.consultations.helpers import close, curl, notices_of, options_of, owner, paper, vote
from tests.helpers import assert_error, assert_ok, writes_nothing


def per_resident_vote(make, world) -> tuple[int, int, int]:
    """A vote of community a, one ballot per resident, opened with three verified residents on
    the roll: `world.resident` and a member of their household (101), and a neighbour (103).
    Returns (consultation id, household member id, neighbour id)."""

    def setup():
        member = factories.user("household-member")
        factories.grant(member, "resident", community_id=world.a, household_id=world.household,
                        relation="family")
        neighbour, _ = owner(world.unit, "103", "70.00")
        consultation = cf.consultation(world.a, world.committee, status="voting",
                                       ballot_per="resident")
        return consultation.id, member.id, neighbour

    return make(setup)


def test_two_residents_of_one_household_each_cast_a_ballot_and_both_count(
    client, app, world, committee, resident, auth, make
):
    voting, member, _ = per_resident_vote(make, world)
    first, second, _ = options_of(app, voting)

    mine = assert_ok(vote(client, resident, world.a, voting, option_ids=[first]), 201)
    theirs = assert_ok(vote(client, auth(member), world.a, voting, option_ids=[second]), 201)

    assert mine["household_id"] == theirs["household_id"] == world.household
    close(client, committee, world.a, voting)
    result = assert_ok(client.get(curl(world.a, voting, "result"), headers=resident))
    assert (result["ballots"], result["eligible"]) == (2, 3)


def test_a_resident_votes_once_though_their_household_voted(
    client, app, world, resident, auth, make, counts
):
    voting, member, _ = per_resident_vote(make, world)
    first, second, _ = options_of(app, voting)
    assert_ok(vote(client, auth(member), world.a, voting, option_ids=[first]), 201)
    assert_ok(vote(client, resident, world.a, voting, option_ids=[first]), 201)

    with writes_nothing(counts):
        assert_error(vote(client, resident, world.a, voting, option_ids=[second]), 409,
                     "ballot_already_cast")


def test_paper_ballots_are_refused_when_each_resident_votes(
    client, app, world, committee, make, counts
):
    voting, _, _ = per_resident_vote(make, world)
    first = options_of(app, voting)[0]
    with writes_nothing(counts):
        assert_error(paper(client, committee, world.a, voting, world.household,
                           option_ids=[first]), 409, "paper_ballots_per_household")


def test_turnout_counts_residents_and_by_building_the_households_that_took_part(
    client, app, world, committee, resident, auth, make
):
    voting, member, neighbour = per_resident_vote(make, world)
    first = options_of(app, voting)[0]
    for headers in (resident, auth(member), auth(neighbour)):
        assert_ok(vote(client, headers, world.a, voting, option_ids=[first]), 201)

    turnout = assert_ok(client.get(curl(world.a, voting, "turnout"), headers=committee))
    assert (turnout["ballots"], turnout["eligible"]) == (3, 3)
    # Roll of 1号楼: 101 (two residents voted), 102 (a pending claim, nobody voted), 103.
    [building] = turnout["by_building"]
    assert (building["building_id"], building["households"], building["voted"]) == (
        world.building, 3, 2)


def test_the_reminder_goes_to_each_resident_who_has_not_voted_themselves(
    client, app, world, auth, make
):
    voting, member, neighbour = per_resident_vote(make, world)
    assert_ok(vote(client, auth(member), world.a, voting,
                   option_ids=[options_of(app, voting)[0]]), 201)

    with app.app_context():
        closes = db.session.get(Consultation, voting).voting_closes_at
        assert advance_due(closes - timedelta(hours=1))["reminded"] == 1
    assert notices_of(app, "consultation_reminder") == sorted([world.resident, neighbour])
