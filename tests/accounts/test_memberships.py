"""Residents claim households; the committee verifies or rejects; invitation codes verify at once."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from backend.accounts.models import HouseholdInvitation, Membership
from backend.core.db import db


def claim(client, headers, community_id, room="102", unit="1单元", **extra):
    body = {"building": "1号楼", "unit": unit, "room": room, "relation": "owner", **extra}
    return client.post(f"/api/v1/communities/{community_id}/memberships", json=body,
                       headers=headers)


def me(client, headers):
    return client.get("/api/v1/me", headers=headers).json


def new_resident(client, name):
    tokens = client.post("/api/v1/auth/wechat-login", json={"code": name}).json
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def invite(client, world, auth, household_id):
    response = client.post(f"/api/v1/communities/{world.a}/invitations",
                           json={"household_ids": [household_id]}, headers=auth(world.committee))
    assert response.status_code == 201, response.json
    return response.json[0]["code"]


def test_a_claim_waits_for_the_committee_then_counts(client, world, auth):
    resident = new_resident(client, "lily")
    response = claim(client, resident, world.a)
    assert response.status_code == 201
    assert response.json["status"] == "pending"
    assert me(client, resident)["roles"] == {}

    pending = client.get(f"/api/v1/communities/{world.a}/memberships?status=pending",
                         headers=auth(world.committee)).json
    assert response.json["id"] in [m["id"] for m in pending]

    verified = client.post(
        f"/api/v1/communities/{world.a}/memberships/{response.json['id']}/verify",
        headers=auth(world.committee),
    )
    assert verified.json["status"] == "verified"
    profile = me(client, resident)
    assert profile["roles"] == {str(world.a): ["resident"]}
    membership = profile["memberships"][0]
    assert membership["household"] == {"id": world.free_household, "building": "1号楼",
                                       "unit": "1单元", "room": "102"}
    assert membership["community"]["id"] == world.a


def test_a_rejected_resident_sees_the_reason_and_may_claim_again(client, world, auth):
    resident = new_resident(client, "mike")
    claimed = claim(client, resident, world.a).json
    client.post(f"/api/v1/communities/{world.a}/memberships/{claimed['id']}/reject",
                json={"reason": "房号与登记不符"}, headers=auth(world.committee))
    membership = me(client, resident)["memberships"][0]
    assert (membership["status"], membership["decision_reason"]) == ("rejected", "房号与登记不符")

    again = claim(client, resident, world.a)
    assert again.status_code == 201
    assert again.json["id"] == claimed["id"]
    assert again.json["status"] == "pending"
    assert again.json["decision_reason"] is None


def test_the_committee_can_undo_a_verification(client, world, auth):
    revoked = client.post(
        f"/api/v1/communities/{world.a}/memberships/{world.resident_membership}/revoke",
        json={"reason": "误认证"}, headers=auth(world.committee),
    )
    assert revoked.json["status"] == "revoked"
    assert me(client, auth(world.resident))["roles"] == {}


def test_only_a_pending_claim_can_be_decided(client, world, auth):
    url = f"/api/v1/communities/{world.a}/memberships/{world.resident_membership}/verify"
    response = client.post(url, headers=auth(world.committee))
    assert (response.status_code, response.json["code"]) == (409, "membership_state")


def test_claiming_the_same_household_twice_is_409(client, world):
    resident = new_resident(client, "nina")
    assert claim(client, resident, world.a).status_code == 201
    second = claim(client, resident, world.a)
    assert (second.status_code, second.json["code"]) == (409, "membership_exists")


def test_an_unknown_room_is_404_and_nothing_is_written(client, world, counts):
    resident = new_resident(client, "oscar")
    before = counts()
    response = claim(client, resident, world.a, room="9999")
    assert (response.status_code, response.json["code"]) == (404, "household_not_found")
    assert counts() == before


def test_a_room_of_another_community_cannot_be_claimed_here(client, world):
    resident = new_resident(client, "pat")
    # community b also has 1号楼/1单元/101, but the claim is made under community a's URL
    response = claim(client, resident, world.b, room="101")
    assert response.status_code == 201
    assert response.json["community_id"] == world.b
    assert response.json["household_id"] == world.b_household


def test_an_invitation_code_verifies_at_once_and_only_once(client, world, auth, app):
    code = invite(client, world, auth, world.free_household)
    first = new_resident(client, "quinn")
    response = claim(client, first, world.a, invitation_code=code.lower())
    assert response.status_code == 201
    assert response.json["status"] == "verified"
    assert response.json["verified_by_invitation"] is True

    second = new_resident(client, "rita")
    reused = claim(client, second, world.a, invitation_code=code)
    assert (reused.status_code, reused.json["code"]) == (422, "invitation_code_invalid")
    assert me(client, second)["memberships"] == []


def test_a_code_for_another_household_is_refused_and_nothing_is_written(
    client, world, auth, counts
):
    code = invite(client, world, auth, world.household)
    resident = new_resident(client, "sam")
    before = counts()
    response = claim(client, resident, world.a, room="102", invitation_code=code)
    assert response.status_code == 422
    assert counts() == before


def test_a_new_code_replaces_the_unused_one(client, world, auth):
    old = invite(client, world, auth, world.free_household)
    new = invite(client, world, auth, world.free_household)
    resident = new_resident(client, "tom")
    assert claim(client, resident, world.a, invitation_code=old).status_code == 422
    assert claim(client, resident, world.a, invitation_code=new).json["status"] == "verified"


def test_codes_are_stored_only_as_hashes(client, world, auth, app):
    code = invite(client, world, auth, world.free_household)
    with app.app_context():
        stored = db.session.scalars(sa.select(HouseholdInvitation.code_hash)).all()
    assert code not in stored and code.lower() not in stored


def test_invitations_for_a_whole_building(client, world, auth):
    response = client.post(f"/api/v1/communities/{world.a}/invitations",
                           json={"building_id": world.building}, headers=auth(world.committee))
    assert response.status_code == 201
    assert sorted(row["room"] for row in response.json) == ["101", "102"]
    assert len({row["code"] for row in response.json}) == 2


def test_invitations_for_a_foreign_household_are_404(client, world, auth, counts):
    before = counts()
    response = client.post(f"/api/v1/communities/{world.a}/invitations",
                           json={"household_ids": [world.free_household, world.b_household]},
                           headers=auth(world.committee))
    assert response.status_code == 404
    assert counts() == before


def test_deciding_a_claim_of_another_community_through_this_one_is_404(client, world, auth):
    url = f"/api/v1/communities/{world.a}/memberships/{world.b_membership}/verify"
    response = client.post(url, headers=auth(world.committee))
    assert (response.status_code, response.json["code"]) == (404, "membership_not_found")


def test_two_identical_claims_at_once_make_one_membership(app, client, world):
    resident = new_resident(client, "uma")
    statuses = []

    def send():
        with app.test_client() as own_client:
            statuses.append(claim(own_client, resident, world.a).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(Membership)
            .where(Membership.household_id == world.free_household,
                   Membership.role == "resident", Membership.status == "pending")
        ) == 2  # the world's claimant and this resident, once


def test_staff_roles_can_be_granted_and_taken_away(client, world, auth):
    url = f"/api/v1/communities/{world.a}/staff"
    granted = client.post(url, json={"username": "professional", "role": "grid_worker"},
                          headers=auth(world.committee))
    assert granted.status_code == 201
    twice = client.post(url, json={"username": "professional", "role": "grid_worker"},
                        headers=auth(world.committee))
    assert (twice.status_code, twice.json["code"]) == (409, "role_held")
    assert "grid_worker" in me(client, auth(world.professional))["roles"][str(world.a)]
    removed = client.delete(f"{url}/{granted.json['id']}", headers=auth(world.committee))
    assert removed.status_code == 204
    assert me(client, auth(world.professional))["roles"][str(world.a)] == ["professional"]


def test_a_new_staff_account_needs_a_password(client, world, auth):
    url = f"/api/v1/communities/{world.a}/staff"
    missing = client.post(url, json={"username": "newbie", "role": "committee"},
                          headers=auth(world.committee))
    assert (missing.status_code, missing.json["code"]) == (404, "user_not_found")
    created = client.post(url, json={"username": "newbie", "role": "committee",
                                     "password": "a-long-password"}, headers=auth(world.committee))
    assert created.status_code == 201
    login = client.post("/api/v1/auth/login",
                        json={"username": "newbie", "password": "a-long-password"})
    assert login.status_code == 200


def test_the_last_committee_member_cannot_be_removed(app, client, world, auth):
    with app.app_context():
        membership_id = db.session.scalar(
            sa.select(Membership.id).where(Membership.user_id == world.committee)
        )
    response = client.delete(f"/api/v1/communities/{world.a}/staff/{membership_id}",
                             headers=auth(world.committee))
    assert (response.status_code, response.json["code"]) == (409, "last_committee_member")


def test_a_street_admin_sees_the_regions_they_oversee(client, world, auth):
    profile = me(client, auth(world.street_admin))
    assert profile["administered_region_ids"] == [world.street_a]
    assert profile["roles"] == {}


def test_a_grid_worker_whose_role_is_taken_away_leaves_their_grids(client, world, auth):
    grids_url = f"/api/v1/communities/{world.a}/grids"
    assert client.get(grids_url, headers=auth(world.committee)).json[0]["worker_user_ids"] == [
        world.grid_worker
    ]
    removed = client.delete(f"/api/v1/communities/{world.a}/staff/{world.grid_worker_membership}",
                            headers=auth(world.committee))
    assert removed.status_code == 204
    assert client.get(grids_url, headers=auth(world.committee)).json[0]["worker_user_ids"] == []
    assert client.get(grids_url, headers=auth(world.grid_worker)).status_code == 404


def test_one_invitation_code_used_by_two_phones_at_once_verifies_one(app, client, world, auth):
    code = invite(client, world, auth, world.free_household)
    phones = [new_resident(client, "twin-a"), new_resident(client, "twin-b")]
    statuses = []

    def send(headers):
        with app.test_client() as own_client:
            response = claim(own_client, headers, world.a, invitation_code=code)
            body = response.json
            statuses.append((response.status_code, body.get("code") or body["status"]))

    threads = [threading.Thread(target=send, args=(headers,)) for headers in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [(201, "verified"), (422, "invitation_code_invalid")]


def test_the_resident_hears_of_the_committees_decision(client, world, auth):
    resident = new_resident(client, "vera")
    accepted = claim(client, resident, world.a).json
    client.post(f"/api/v1/communities/{world.a}/memberships/{accepted['id']}/verify",
                headers=auth(world.committee))
    refused = claim(client, resident, world.a, room="101", unit="1单元").json
    client.post(f"/api/v1/communities/{world.a}/memberships/{refused['id']}/reject",
                json={"reason": "非本户业主"}, headers=auth(world.committee))
    inbox = client.get("/api/v1/me/notifications", headers=resident).json
    assert [n["kind"] for n in inbox] == ["membership_rejected", "membership_verified"]
    assert "非本户业主" in inbox[0]["body"]
    unread = client.get("/api/v1/me/notifications/unread-count", headers=resident).json
    assert unread == {"unread": 2}


def test_two_committee_members_removing_each_other_at_once_leave_one(app, client, world, auth):
    url = f"/api/v1/communities/{world.a}/staff"
    second = client.post(url, json={"username": "deputy", "role": "committee",
                                    "password": "a-long-password"}, headers=auth(world.committee))
    with app.app_context():
        first_id = db.session.scalar(sa.select(Membership.id).where(
            Membership.user_id == world.committee, Membership.role == "committee"))
    statuses = []

    def remove(membership_id):
        with app.test_client() as own_client:
            statuses.append(own_client.delete(f"{url}/{membership_id}",
                                              headers=auth(world.system_admin)).status_code)

    threads = [threading.Thread(target=remove, args=(mid,))
               for mid in (first_id, second.json["id"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204, 409]
    remaining = client.get(url, query_string={"role": "committee"},
                           headers=auth(world.system_admin)).json
    assert len(remaining) == 1
