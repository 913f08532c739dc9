"""Voting: one ballot per household (or resident), changes, paper and proxy ballots, receipts,
the bulletin, and the owners' decision counted as the law counts it."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from backend.consultations.models import BallotHistory, Consultation
from backend.consultations.services.ballots import receipt_hash
from backend.core.db import db
from tests.consultations import factories as cf
from tests.consultations.helpers import close, counted, curl, options_of, owner, paper, vote
from tests.helpers import assert_error, assert_ok, pagination, writes_nothing
from tests.statements import statements

# ---------------------------------------------------------------- casting


def test_a_resident_votes_once_and_keeps_a_receipt(client, app, world, resident, make, counts):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    first, second, _ = options_of(app, voting)
    cast = assert_ok(vote(client, resident, world.a, voting, option_ids=[first]), 201)
    assert cast["household_id"] == world.household and cast["channel"] == "online"
    assert cast["receipt_hash"] == receipt_hash(cast["receipt"])
    assert len(cast["receipt"].replace("-", "")) == 16
    with writes_nothing(counts):
        assert_error(vote(client, resident, world.a, voting, option_ids=[second]), 409,
                     "ballot_already_cast")
    mine = assert_ok(client.get(curl(world.a, voting, "ballots/mine"), headers=resident))
    assert [(b["id"], b["marks"][0]["option_id"]) for b in mine] == [(cast["id"], first)]
    assert "receipt" not in mine[0]


def test_a_changed_ballot_replaces_the_old_one_and_only_the_last_counts(
    client, app, world, resident, make
):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          allow_change=True).id)
    first, second, _ = options_of(app, voting)
    old = assert_ok(vote(client, resident, world.a, voting, option_ids=[first]), 201)
    new = assert_ok(vote(client, resident, world.a, voting, option_ids=[second]), 201)
    assert (new["id"], new["revision"]) == (old["id"], 2)
    assert new["receipt"] != old["receipt"]
    [ballot] = counted(app, voting)
    assert [m.option_id for m in ballot.marks] == [second]
    with app.app_context():
        [history] = db.session.scalars(sa.select(BallotHistory)).all()
        assert (history.ended_reason, history.receipt_hash) == ("changed", old["receipt_hash"])


@pytest.mark.parametrize(
    ("method", "choice", "field"),
    [
        ("single", {"option_ids": [0, 1]}, "option_ids"),  # two where one is asked
        ("single", {"decision": "agree"}, "decision"),
        ("multiple", {"option_ids": [0, 1, 2]}, "option_ids"),  # max 2
        ("ranking", {"option_ids": [0, 0]}, "option_ids"),  # the same option twice
        ("points", {"points": [{"option_id": 0, "points": 8}, {"option_id": 1, "points": 3}]},
         "points"),  # 11 of 10 points
        ("owners_decision", {"option_ids": [5]}, "decision"),  # no options: ids stay as given
    ],
)
def test_a_choice_the_method_does_not_allow_is_refused(
    client, app, world, resident, make, counts, method, choice, field
):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method=method).id)
    options = options_of(app, voting)
    for key in ("option_ids",):
        if key in choice:
            choice[key] = [options[i] for i in choice[key]] if options else choice[key]
    if "points" in choice:
        choice["points"] = [{**p, "option_id": options[p["option_id"]]} for p in choice["points"]]
    with writes_nothing(counts):
        body = assert_error(vote(client, resident, world.a, voting, **choice), 422,
                            "invalid_choice")
    assert field in body["errors"]["json"]


@pytest.mark.parametrize(
    ("allow_change", "expected"),
    [
        # The bearer's check, the consultation, the caller's households, then the writes.
        (False, {"first": 5, "refused": 5, "invalid": 3}),
        # A change first reads the standing ballot, locked; changing it moves it to the history.
        (True, {"first": 6, "changed": 9, "invalid": 3}),
    ],
)
def test_casting_runs_a_fixed_number_of_statements(
    client, app, world, resident, make, allow_change, expected
):
    # Casting is the hottest write (scripts/bench-ballots): a statement more is a regression.
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          allow_change=allow_change).id)
    first, second, _ = options_of(app, voting)
    casts = {"first": ([first], 201), "changed": ([second], 201), "refused": ([second], 409),
             "invalid": ([first, second], 422)}
    ran = {}
    for name in expected:
        option_ids, status = casts[name]
        with app.app_context(), statements() as seen:
            assert vote(client, resident, world.a, voting, option_ids=option_ids).status_code \
                == status
        ran[name] = len(seen)
    assert ran == expected


def test_an_option_of_another_consultation_is_refused(client, app, world, resident, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    other = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    assert_error(vote(client, resident, world.a, voting, option_ids=[options_of(app, other)[0]]),
                 422, "invalid_choice")


def test_each_method_is_tallied_by_its_rule(client, app, world, committee, make):
    def setup():
        made = {"ranking": cf.consultation(world.a, world.committee, status="voting",
                                           method="ranking"),
                "points": cf.consultation(world.a, world.committee, status="voting",
                                          method="points")}
        people = [owner(world.spare_unit, f"20{i}", "70.00") for i in range(3)]
        for consultation in made.values():
            db.session.flush()
            from backend.consultations.models import ConsultationElector
            from backend.consultations.services.electorate import snapshot_electorate

            db.session.execute(sa.delete(ConsultationElector).where(
                ConsultationElector.consultation_id == consultation.id))
            snapshot_electorate(consultation)
        return {k: v.id for k, v in made.items()}, [p for p, _ in people]

    made, people = make(setup)
    from tests.factories import token_for

    with app.app_context():
        headers = [{"Authorization": f"Bearer {token_for(p)}"} for p in people]
    a, b, c = options_of(app, made["ranking"])
    for h, order in zip(headers, ([a, b, c], [b, a, c], [a, c]), strict=True):
        assert_ok(vote(client, h, world.a, made["ranking"], option_ids=order), 201)
    x, y, z = options_of(app, made["points"])
    for h, spread in zip(headers, ({x: 6, y: 4}, {y: 10}, {x: 5, z: 5}), strict=True):
        points = [{"option_id": o, "points": p} for o, p in spread.items()]
        assert_ok(vote(client, h, world.a, made["points"], points=points), 201)

    ranking = close(client, committee, world.a, made["ranking"])
    result = assert_ok(client.get(curl(world.a, made["ranking"], "result"), headers=committee))
    # Borda with 3 options: 2, 1, 0 points. a: 2+1+2=5, b: 1+2=3, c: 0+0+1=1
    assert [(s["option_id"], s["score"]) for s in result["standings"]] == [(a, 5), (b, 3), (c, 1)]
    assert result["winners"] == [a] and ranking["status"] == "closed"
    close(client, committee, world.a, made["points"])
    result = assert_ok(client.get(curl(world.a, made["points"], "result"), headers=committee))
    assert {s["option_id"]: s["score"] for s in result["standings"]} == {x: 11, y: 14, z: 5}
    assert result["winners"] == [y]


# ---------------------------------------------------------------- who may vote


def test_only_residents_in_scope_vote(client, app, world, auth, make, counts):
    def setup():
        elsewhere, _ = owner(world.spare_unit, "301", "60.00")
        c = cf.consultation(world.a, world.committee, status="draft", scope="units")
        from backend.communities.models import Unit

        c.units = [db.session.get(Unit, world.unit)]
        c.status = "voting"
        c.voting_opened_at = c.voting_opens_at
        db.session.flush()
        from backend.consultations.services.electorate import snapshot_electorate

        snapshot_electorate(c)
        return c.id, elsewhere

    voting, elsewhere = make(setup)
    option = options_of(app, voting)[0]
    with writes_nothing(counts):
        assert_error(vote(client, auth(elsewhere), world.a, voting, option_ids=[option]), 404,
                     "consultation_not_found")  # out of scope: it is not theirs to see
        assert_error(vote(client, auth(world.claimant), world.a, voting, option_ids=[option]),
                     404, "not_found")  # a pending claim gives no role here at all
        assert_error(vote(client, auth(world.outsider), world.a, voting, option_ids=[option]),
                     404, "not_found")
        assert_error(vote(client, auth(world.committee), world.a, voting, option_ids=[option]),
                     403, "forbidden")


def test_owners_only_votes_turn_tenants_away(client, app, world, auth, make, counts):
    def setup():
        tenant, _ = owner(world.unit, "105", "50.00", relation="tenant")
        return cf.consultation(world.a, world.committee, status="voting",
                               electorate="owners").id, tenant

    voting, tenant = make(setup)
    with writes_nothing(counts):
        assert_error(vote(client, auth(tenant), world.a, voting,
                          option_ids=[options_of(app, voting)[0]]), 404, "consultation_not_found")


def two_flats(make, world, *, second_ref: str = "O-9", **fields):
    """An owner of 401 (60.00 m²) and 402 (40.00 m², owner ref `second_ref`) in the spare unit,
    and a voting owners' decision; returns (consultation, owner, first flat, second flat)."""

    def setup():
        person, first = owner(world.spare_unit, "401", "60.00", "O-9")
        from backend.communities.models import Unit
        from tests import factories

        second = factories.household(db.session.get(Unit, world.spare_unit), "402", "40.00",
                                     second_ref)
        factories.grant(db.session.get(factories.User, person), "resident",
                        community_id=world.a, household_id=second.id, relation="owner")
        return (cf.consultation(world.a, world.committee, status="voting",
                                method="owners_decision", **fields).id, person, first, second.id)

    return make(setup)


def test_an_owner_of_two_flats_votes_for_both_at_once(client, app, world, committee, resident,
                                                      auth, make):
    # Roll: 101 (80.00), 102 (90.50), and one owner's 401 + 402 (60.00 + 40.00): 4 households,
    # 3 owners, 270.50 m². One cast counts both flats: one head, 100.00 m².
    voting, person, first, second = two_flats(make, world)
    cast = assert_ok(vote(client, auth(person), world.a, voting, decision="agree"), 201)
    assert [c["household_id"] for c in cast["covered"]] == [first, second]
    receipts = {c["receipt"] for c in cast["covered"]}
    assert len(receipts) == 2 and cast["receipt"] in receipts
    assert sorted((b.household_id, str(b.area)) for b in counted(app, voting)) == [
        (first, "60.00"), (second, "40.00")]
    mine = assert_ok(client.get(curl(world.a, voting, "ballots/mine"), headers=auth(person)))
    assert sorted(b["receipt_hash"] for b in mine) == sorted(
        c["receipt_hash"] for c in cast["covered"])
    assert_ok(vote(client, resident, world.a, voting, decision="disagree"), 201)
    turnout = assert_ok(client.get(curl(world.a, voting, "turnout"), headers=committee))
    assert (turnout["heads_voted"], turnout["heads_total"]) == (2, 3)
    assert (turnout["area_voted"], turnout["area_total"]) == ("180.00", "270.50")
    close(client, committee, world.a, voting)
    ratios = {r["key"]: r for r in assert_ok(client.get(
        curl(world.a, voting, "result"), headers=resident))["decision"]["ratios"]}
    assert (ratios["approval_heads"]["numerator"], ratios["approval_heads"]["denominator"]) == (
        1, 2)
    assert ratios["approval_area"]["numerator"] == "100.00"


def test_an_owner_may_vote_flat_by_flat(client, app, world, auth, make):
    voting, person, first, second = two_flats(make, world)
    headers = auth(person)
    cast = assert_ok(vote(client, headers, world.a, voting, decision="agree",
                          household_id=first), 201)
    assert [c["household_id"] for c in cast["covered"]] == [first]
    assert_ok(vote(client, headers, world.a, voting, decision="disagree", household_id=second),
              201)
    assert_error(vote(client, headers, world.a, voting, decision="agree",
                      household_id=world.household), 403, "not_eligible")
    assert sorted((b.household_id, b.decision) for b in counted(app, voting)) == [
        (first, "agree"), (second, "disagree")]


def test_a_flat_already_voted_refuses_the_whole_cast_and_names_it(client, app, world, committee,
                                                                   auth, make, counts):
    # 402 is co-owned: its other owner voted on paper. Casting for both flats writes nothing and
    # names 402; the owner then votes for 401 alone.
    voting, person, first, second = two_flats(make, world, second_ref="O-5")
    assert_ok(paper(client, committee, world.a, voting, second, decision="disagree"), 201)
    with writes_nothing(counts):
        body = assert_error(vote(client, auth(person), world.a, voting, decision="agree"), 409,
                            "ballot_cast_on_paper")
    assert body["errors"] == {"household_ids": [second]}
    assert "逐户" in body["message"]
    assert_ok(vote(client, auth(person), world.a, voting, decision="agree", household_id=first),
              201)
    assert sorted((b.household_id, b.channel) for b in counted(app, voting)) == [
        (first, "online"), (second, "paper")]


def test_a_cast_covers_only_the_flats_on_the_roll(client, app, world, auth, make):
    voting, person, first, _second = two_flats(make, world)

    def third_flat_after_voting_opened():
        from backend.communities.models import Unit
        from tests import factories

        late = factories.household(db.session.get(Unit, world.spare_unit), "403", "30.00", "O-9")
        factories.grant(db.session.get(factories.User, person), "resident",
                        community_id=world.a, household_id=late.id, relation="owner")
        return late.id

    late = make(third_flat_after_voting_opened)
    cast = assert_ok(vote(client, auth(person), world.a, voting, decision="agree"), 201)
    assert late not in [c["household_id"] for c in cast["covered"]]
    assert len(cast["covered"]) == 2
    assert_error(vote(client, auth(person), world.a, voting, decision="agree",
                      household_id=late), 403, "not_on_roll")


def test_voting_is_refused_outside_its_window(client, app, world, resident, make, counts):
    collecting = make(lambda: cf.consultation(world.a, world.committee).id)
    with writes_nothing(counts):
        assert_error(vote(client, resident, world.a, collecting,
                          option_ids=[options_of(app, collecting)[0]]), 409, "voting_not_open")


# ---------------------------------------------------------------- paper and proxy


def test_paper_and_online_ballots_exclude_each_other(client, app, world, committee, resident,
                                                     make, counts):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision", allow_change=True).id)
    entered = assert_ok(paper(client, committee, world.a, voting, world.free_household,
                              channel="proxy", proxy_name="李四", decision="disagree"), 201)
    assert (entered["channel"], entered["proxy_name"]) == ("proxy", "李四")
    assert entered["receipt"]
    with writes_nothing(counts):
        assert_error(paper(client, committee, world.a, voting, world.free_household,
                           decision="agree"), 409, "ballot_already_cast")
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    with writes_nothing(counts):
        assert_error(paper(client, committee, world.a, voting, world.household,
                           decision="agree"), 409, "ballot_already_cast")
    channels = sorted((b.household_id, b.channel) for b in counted(app, voting))
    assert channels == [(world.household, "online"), (world.free_household, "proxy")]


def test_a_household_that_voted_on_paper_cannot_vote_online(client, app, world, committee,
                                                            resident, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision", allow_change=True).id)
    assert_ok(paper(client, committee, world.a, voting, world.household, decision="agree"), 201)
    assert_error(vote(client, resident, world.a, voting, decision="disagree"), 409,
                 "ballot_cast_on_paper")


def test_a_paper_ballot_entered_by_mistake_is_voided_and_the_owner_votes_again(
    client, app, world, committee, resident, make
):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision").id)
    entered = assert_ok(paper(client, committee, world.a, voting, world.household,
                              decision="agree"), 201)
    void = curl(world.a, voting, "paper-ballots", entered["id"], "void")
    assert client.post(void, headers=committee, json={"reason": "录错房号"}).status_code == 204
    assert counted(app, voting) == []
    online = assert_ok(vote(client, resident, world.a, voting, decision="disagree"), 201)
    assert_error(client.post(curl(world.a, voting, "paper-ballots", online["id"], "void"),
                             headers=committee, json={"reason": "x"}), 409, "online_ballot")


def test_a_proxy_ballot_names_the_proxy(client, world, committee, make, counts):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision").id)
    with writes_nothing(counts):
        body = assert_error(paper(client, committee, world.a, voting, world.household,
                                  channel="proxy", decision="agree"), 422, "validation_error")
    assert "proxy_name" in body["errors"]["json"]


def test_paper_ballots_only_for_households_on_the_roll(client, world, committee, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision").id)
    assert_error(paper(client, committee, world.a, voting, world.b_household, decision="agree"),
                 404, "household_not_on_roll")


# ---------------------------------------------------------------- owners' decisions


def owners_vote(make, world, areas_and_refs):
    """A voting owners' decision (matter 7) on a roll of the world's two households plus
    `areas_and_refs`; returns (consultation id, [(user id, household id)...]) of the extra ones."""

    def setup():
        people = [owner(world.spare_unit, f"5{i:02d}", area, ref)
                  for i, (area, ref) in enumerate(areas_and_refs)]
        c = cf.consultation(world.a, world.committee, status="voting", method="owners_decision")
        return c.id, people

    return make(setup)


def test_the_owners_decision_counts_area_and_heads_exactly(client, app, world, committee,
                                                           resident, auth, make):
    # Roll: 101 (80.00, O-1), 102 (90.50, O-2), and 500/501 (60.00 + 40.00) of one owner O-7,
    # 502 (29.50, unowned ref): 5 households, 4 owners, 300.00 m².
    voting, people = owners_vote(make, world, [("60.00", "O-7"), ("40.00", "O-7"),
                                               ("29.50", None)])
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    for person, _ in people[:2]:  # the two flats of O-7 agree: one head, 100.00 m²
        assert_ok(vote(client, auth(person), world.a, voting, decision="agree"), 201)
    assert_ok(paper(client, committee, world.a, voting, world.free_household,
                    decision="abstain"), 201)
    turnout = assert_ok(client.get(curl(world.a, voting, "turnout"), headers=committee))
    assert (turnout["heads_voted"], turnout["heads_total"]) == (3, 4)
    assert (turnout["area_voted"], turnout["area_total"]) == ("270.50", "300.00")
    assert turnout["by_channel"] == {"online": 3, "paper": 1, "proxy": 0}

    close(client, committee, world.a, voting)
    decision = assert_ok(client.get(curl(world.a, voting, "result"), headers=resident))["decision"]
    ratios = {r["key"]: r for r in decision["ratios"]}
    # participation: 270.50 / 300.00 ≥ 2/3 and 3 / 4 ≥ 2/3
    assert ratios["participation_area"]["text"].startswith("参与表决的专有面积 270.50 / 300.00 m²")
    assert (ratios["participation_heads"]["numerator"], ratios["participation_heads"]["met"]) == (
        3, True)
    # approval (matter 7 needs 3/4): agree area 180.00 / 270.50 < 3/4; heads 2 / 3 < 3/4
    assert ratios["approval_area"]["met"] is False
    assert (ratios["approval_heads"]["numerator"], ratios["approval_heads"]["denominator"]) == (
        2, 3)
    assert decision["passed"] is False and decision["rule"] == "special"


def test_an_owner_whose_flats_vote_differently_is_one_head_counted_in_no_decision(
        client, app, world, committee, resident, auth, make):
    # O-7 holds 500 and 501; one flat agrees, the other disagrees. Areas count per flat;
    # the owner is one participating head, but a head of neither side.
    voting, people = owners_vote(make, world, [("60.00", "O-7"), ("40.00", "O-7")])
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    assert_ok(vote(client, auth(people[0][0]), world.a, voting, decision="agree"), 201)
    assert_ok(vote(client, auth(people[1][0]), world.a, voting, decision="disagree"), 201)
    close(client, committee, world.a, voting)
    result = assert_ok(client.get(curl(world.a, voting, "result"), headers=resident))
    ratios = {r["key"]: r for r in result["decision"]["ratios"]}
    assert result["ballots"] == 3
    assert (ratios["participation_heads"]["numerator"],
            ratios["participation_heads"]["denominator"]) == (2, 3)
    assert ratios["participation_area"]["numerator"] == "180.00"
    assert (ratios["approval_heads"]["numerator"], ratios["approval_heads"]["denominator"]) == (
        1, 2)
    assert ratios["approval_area"]["numerator"] == "140.00"


def test_an_owners_decision_passes_at_exactly_three_quarters(client, app, world, committee,
                                                             resident, auth, make):
    # Four owners of 100.00 m² each... the world's two are 80.00 and 90.50, so add two flats
    # whose areas make agree area exactly 3/4: agree 80.00 + 90.50 + 129.50 = 300.00 of 400.00.
    voting, people = owners_vote(make, world, [("129.50", None), ("100.00", None)])
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    assert_ok(paper(client, committee, world.a, voting, world.free_household, decision="agree"),
              201)
    assert_ok(vote(client, auth(people[0][0]), world.a, voting, decision="agree"), 201)
    assert_ok(vote(client, auth(people[1][0]), world.a, voting, decision="disagree"), 201)
    close(client, committee, world.a, voting)
    decision = assert_ok(client.get(curl(world.a, voting, "result"), headers=resident))["decision"]
    ratios = {r["key"]: r for r in decision["ratios"]}
    assert ratios["approval_area"]["numerator"] == "300.00"
    assert ratios["approval_area"]["denominator"] == "400.00"
    assert ratios["approval_heads"]["numerator"] == 3 and ratios["approval_heads"]["met"]
    assert decision["passed"] is True


def test_the_area_counted_is_the_one_on_the_roll_when_voting_opened(client, app, world,
                                                                     committee, resident, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision").id)
    from decimal import Decimal

    from backend.communities.models import Household

    def enlarge():
        db.session.get(Household, world.household).exclusive_area = Decimal("999.00")

    make(enlarge)
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    [ballot] = counted(app, voting)
    assert str(ballot.area) == "80.00"


# ---------------------------------------------------------------- the bulletin


def test_the_bulletin_lists_receipts_and_choices_after_the_close(client, app, world, committee,
                                                                 resident, auth, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision").id)
    cast = assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    assert_ok(paper(client, committee, world.a, voting, world.free_household,
                    decision="disagree"), 201)
    assert_error(client.get(curl(world.a, voting, "bulletin"), headers=resident), 409,
                 "voting_not_closed")
    close(client, committee, world.a, voting)
    response = client.get(curl(world.a, voting, "bulletin"), headers=auth(world.grid_worker))
    entries = assert_ok(response)
    assert pagination(response)["total"] == 2
    assert sorted(e["decision"] for e in entries) == ["agree", "disagree"]
    assert all(set(e) == {"receipt_hash", "decision", "marks", "area", "owner_group"}
               for e in entries)
    assert sorted(e["area"] for e in entries) == ["80.00", "90.50"]
    mine = assert_ok(client.get(curl(world.a, voting, "bulletin"), headers=resident,
                                query_string={"receipt": cast["receipt"].lower()}))
    assert [(e["receipt_hash"], e["decision"]) for e in mine] == [(cast["receipt_hash"], "agree")]
    assert_error(client.get(curl(world.a, voting, "bulletin"), headers=resident,
                            query_string={"receipt": "AAAA-BBBB-CCCC-DDDD"}), 404,
                 "receipt_not_found")


def test_anyone_recounts_an_owners_decision_from_the_bulletin(client, app, world, committee,
                                                              resident, auth, make):
    # O-7 holds 500 and 501 and votes both ways; O-9 holds 502 and 503 and agrees with both;
    # 504 disagrees; 102 (free_household) abstains on paper.
    voting, people = owners_vote(make, world, [
        ("60.00", "O-7"), ("40.00", "O-7"), ("35.25", "O-9"), ("20.00", "O-9"), ("75.10", None),
    ])
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    for (person, _home), decision in zip(people, ("agree", "disagree", "agree", "agree",
                                                   "disagree"), strict=True):
        assert_ok(vote(client, auth(person), world.a, voting, decision=decision), 201)
    assert_ok(paper(client, committee, world.a, voting, world.free_household,
                    decision="abstain"), 201)
    close(client, committee, world.a, voting)
    result = assert_ok(client.get(curl(world.a, voting, "result"), headers=resident))["decision"]
    entries = assert_ok(client.get(curl(world.a, voting, "bulletin"), headers=resident))

    from decimal import Decimal
    from fractions import Fraction

    area = {d: sum((Decimal(e["area"]) for e in entries if e["decision"] == d), Decimal(0))
            for d in ("agree", "disagree", "abstain")}
    groups: dict[str, set[str]] = {}
    heads = {"agree": 0, "disagree": 0, "abstain": 0}
    for e in entries:
        if e["owner_group"] is None:
            heads[e["decision"]] += 1
        else:
            groups.setdefault(e["owner_group"], set()).add(e["decision"])
    for decisions in groups.values():
        if len(decisions) == 1:
            heads[decisions.pop()] += 1
    assert len(groups) == 2  # O-7 and O-9, nobody else
    participating_heads = sum(1 for e in entries if e["owner_group"] is None) + len(groups)
    participating_area = sum(area.values())
    recounted = {
        "participation_area": (participating_area, Decimal(result["totals"]["total_area"])),
        "participation_heads": (participating_heads, result["totals"]["total_heads"]),
        "approval_area": (area["agree"], participating_area),
        "approval_heads": (heads["agree"], participating_heads),
    }
    for ratio in result["ratios"]:
        numerator, denominator = recounted[ratio["key"]]
        published = (Fraction(Decimal(str(ratio["numerator"]))),
                     Fraction(Decimal(str(ratio["denominator"]))))
        assert published == (Fraction(numerator), Fraction(denominator)), ratio["key"]
    # 101 + O-9 agree by head (O-7 split); 80.00 + 40.00... areas per flat as cast.
    assert (heads["agree"], participating_heads) == (2, 5)
    assert area["agree"] == Decimal("80.00") + Decimal("60.00") + Decimal("35.25") + \
        Decimal("20.00")


# ---------------------------------------------------------------- late paper, household members


def test_a_paper_form_received_before_the_close_counts_when_entered_after_it(
        client, app, world, committee, resident, make, counts):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision").id)
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    closed = close(client, committee, world.a, voting)
    assert assert_ok(client.get(curl(world.a, voting, "result"), headers=committee))[
        "ballots"] == 1
    from datetime import datetime, timedelta

    closed_at = datetime.fromisoformat(closed["closed_at"])
    late = (closed_at + timedelta(seconds=1)).isoformat()
    with writes_nothing(counts):
        assert_error(paper(client, committee, world.a, voting, world.free_household,
                           decision="disagree", received_at=late),
                     422, "received_outside_voting")
    on_time = (closed_at - timedelta(minutes=5)).isoformat()
    entered = assert_ok(paper(client, committee, world.a, voting, world.free_household,
                              decision="disagree", received_at=on_time), 201)
    assert datetime.fromisoformat(entered["cast_at"]) == closed_at - timedelta(minutes=5)
    result = assert_ok(client.get(curl(world.a, voting, "result"), headers=committee))
    assert result["ballots"] == 2
    assert result["decision"]["totals"]["area"]["disagree"] == "90.50"
    bulletin = assert_ok(client.get(curl(world.a, voting, "bulletin"), headers=resident))
    assert len(bulletin) == 2

    # Entered by mistake: voided after the close, and the stored result follows.
    void = curl(world.a, voting, "paper-ballots", entered["id"], "void")
    assert client.post(void, headers=committee, json={"reason": "录错了户"}).status_code == 204
    assert assert_ok(client.get(curl(world.a, voting, "result"), headers=committee))[
        "ballots"] == 1

    assert_ok(client.post(curl(world.a, voting, "publish"), headers=committee, json={}))
    with writes_nothing(counts):
        assert_error(paper(client, committee, world.a, voting, world.free_household,
                           decision="disagree", received_at=on_time), 409, "result_published")


def test_a_paper_form_must_be_received_while_voting_was_open(client, app, world, committee,
                                                             make, counts):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting").id)
    option = options_of(app, voting)[0]
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    for received in (now + timedelta(hours=1), now - timedelta(days=30)):
        with writes_nothing(counts):
            assert_error(paper(client, committee, world.a, voting, world.free_household,
                               option_ids=[option], received_at=received.isoformat()),
                         422, "received_outside_voting")


def test_only_the_member_who_cast_a_household_ballot_changes_it(client, app, world, resident,
                                                                auth, make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision", allow_change=True).id)

    def spouse():
        from tests import factories

        person = factories.user("co-owner")
        factories.grant(person, "resident", community_id=world.a, household_id=world.household,
                        relation="owner")
        return person.id

    other = auth(make(spouse))
    assert_ok(vote(client, resident, world.a, voting, decision="agree"), 201)
    assert_error(vote(client, other, world.a, voting, decision="disagree"), 409,
                 "ballot_cast_by_other_member")
    changed = assert_ok(vote(client, resident, world.a, voting, decision="abstain"), 201)
    assert changed["revision"] == 2
    [ballot] = counted(app, voting)
    assert (ballot.decision, ballot.cast_by_id) == ("abstain", world.resident)


# ---------------------------------------------------------------- retries and races


def test_a_retried_vote_with_the_same_idempotency_key_counts_once(client, app, world, resident,
                                                                   make):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          allow_change=True).id)
    option = options_of(app, voting)[0]
    headers = {**resident, "Idempotency-Key": str(uuid.uuid4())}
    first = client.post(curl(world.a, voting, "ballots"), headers=headers,
                        json={"option_ids": [option]})
    again = client.post(curl(world.a, voting, "ballots"), headers=headers,
                        json={"option_ids": [option]})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["receipt"] == first.get_json()["receipt"]
    [ballot] = counted(app, voting)
    assert ballot.revision == 1


def race(calls) -> list:
    """Run every call at once (each on a client of its own, released together by a barrier);
    their answers, in no particular order."""
    barrier = threading.Barrier(len(calls))
    answers = []

    def run(call):
        barrier.wait()
        answers.append(call())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_simultaneous_changes_of_one_ballot_are_each_kept(app, world, resident, make):
    # 100 changes of one household's ballot at once: each one acknowledged is the ballot that
    # counts or a revision in its history, with revisions 1..n and none lost (SQLite ignores
    # FOR UPDATE: the change is a conditional update on the revision).
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          allow_change=True).id)
    choices = options_of(app, voting)
    with app.test_client() as own:
        first = assert_ok(vote(own, resident, world.a, voting, option_ids=[choices[0]]), 201)

    def change(option):
        def call():
            with app.test_client() as own:
                response = vote(own, resident, world.a, voting, option_ids=[option])
                return response.status_code, response.get_json()
        return call

    answers = race([change(choices[i % 3]) for i in range(100)])
    assert {status for status, _ in answers} <= {201, 409}
    assert {body["code"] for status, body in answers if status == 409} <= {
        "ballot_change_conflict"}
    acknowledged = [body for status, body in answers if status == 201]
    [ballot] = counted(app, voting)
    with app.app_context():
        history = db.session.execute(
            sa.select(BallotHistory.revision, BallotHistory.receipt_hash)
            .where(BallotHistory.consultation_id == voting)).all()
    assert ballot.revision == 1 + len(acknowledged)
    assert sorted(revision for revision, _ in history) == list(range(1, ballot.revision))
    kept = {digest for _, digest in history} | {ballot.receipt_hash}
    assert {first["receipt_hash"]} | {body["receipt_hash"] for body in acknowledged} == kept
    assert sorted(body["revision"] for body in acknowledged) == list(
        range(2, ballot.revision + 1))


def test_simultaneous_ballots_of_one_household_count_once(app, world, make, auth):
    voting = make(lambda: cf.consultation(world.a, world.committee, status="voting",
                                          method="owners_decision").id)

    def add_household_members():
        from tests import factories

        members = []
        for i in range(11):
            person = factories.user(f"family-{i}")
            factories.grant(person, "resident", community_id=world.a,
                            household_id=world.household, relation="owner")
            members.append(person.id)
        return members

    people = [world.resident, *make(add_household_members)]

    def cast(headers):
        def call():
            with app.test_client() as own:
                return vote(own, headers, world.a, voting, decision="agree").status_code
        return call

    statuses = race([cast(auth(person)) for person in people])
    assert sorted(statuses) == [201] + [409] * (len(people) - 1)
    assert len(counted(app, voting)) == 1


def test_a_close_counts_exactly_the_ballots_it_accepted(app, world, make, auth, committee):
    # Ballots racing the committee's early close: each one either counts in the stored result
    # (201) or is refused (409), never accepted and left out of the result and the bulletin.

    def setup():
        people = [owner(world.spare_unit, f"6{i:02d}", "50.00")[0] for i in range(24)]
        return cf.consultation(world.a, world.committee, status="voting").id, people

    voting, people = make(setup)
    option = options_of(app, voting)[0]

    def cast(headers):
        def call():
            with app.test_client() as own:
                response = vote(own, headers, world.a, voting, option_ids=[option])
                return response.status_code, response.get_json().get("code")
        return call

    def close_now():
        with app.test_client() as own:
            close(own, committee, world.a, voting)
        return None

    answers = [answer for answer in race([*(cast(auth(p)) for p in people), close_now])
               if answer is not None]
    accepted = sum(1 for status, _ in answers if status == 201)
    assert {answer for answer in answers if answer[0] != 201} <= {(409, "voting_not_open")}
    with app.app_context():
        result = db.session.get(Consultation, voting).result
    assert result["ballots"] == accepted == len(counted(app, voting))
