"""Who reads the log: the auditor and the community's street admin; never the system admin
(separation of duties). The chain head is public to the community's members."""

from __future__ import annotations

from backend.core.audit.models import GENESIS_HASH
from tests.core.audit.helpers import append, chain_of, head


def audit_url(community_id, suffix=""):
    return f"/api/v1/communities/{community_id}/audit{suffix}"


def test_the_auditor_reads_a_communitys_entries_newest_first(app, client, world, auth):
    append(app, world.a, 3)
    append(app, world.a, 1, action="membership.verify")
    response = client.get(audit_url(world.a), headers=auth(world.auditor))
    assert response.status_code == 200
    assert [entry["seq"] for entry in response.json] == [4, 3, 2, 1]
    assert response.json[0]["hash"] == head(app, chain_of(world.a)).hash
    assert set(response.json[0]) >= {"at", "actor_user_id", "actor_role", "action", "target_type",
                                     "target_id", "result", "request_id", "client_ip", "prev_hash"}
    only = client.get(audit_url(world.a), headers=auth(world.auditor),
                      query_string={"action": "membership.verify"})
    assert [entry["seq"] for entry in only.json] == [4]


def test_the_street_admin_reads_only_the_communities_of_their_street(app, client, world, auth):
    append(app, world.a, 1)
    append(app, world.b, 1)
    street = auth(world.street_admin)
    assert client.get(audit_url(world.a), headers=street).status_code == 200
    foreign = client.get(audit_url(world.b), headers=street)
    assert (foreign.status_code, foreign.json["code"]) == (404, "not_found")


def test_the_system_admin_cannot_read_the_audit_log(app, client, world, auth):
    append(app, world.a, 1)
    append(app, None, 1)
    admin = auth(world.system_admin)
    assert client.get(audit_url(world.a), headers=admin).status_code == 403
    assert client.get("/api/v1/audit/system", headers=admin).status_code == 403


def test_community_staff_cannot_read_the_log_and_another_communitys_staff_get_404(
    client, world, auth
):
    assert client.get(audit_url(world.a), headers=auth(world.committee)).status_code == 403
    assert client.get(audit_url(world.a), headers=auth(world.resident)).status_code == 403
    assert client.get(audit_url(world.a), headers=auth(world.outsider)).status_code == 404


def test_only_the_auditor_reads_the_system_chain(app, client, world, auth):
    append(app, None, 2)
    response = client.get("/api/v1/audit/system", headers=auth(world.auditor))
    assert [entry["chain"] for entry in response.json] == ["system", "system"]
    for role in ("street_admin", "committee", "resident"):
        assert client.get("/api/v1/audit/system", headers=auth(world.user_id(role))).status_code == 403


def test_the_chain_head_is_published_to_members_of_the_community(app, client, world, auth):
    empty = client.get(audit_url(world.a, "/head"), headers=auth(world.resident))
    assert (empty.status_code, empty.json["seq"], empty.json["hash"]) == (200, 0, GENESIS_HASH)
    append(app, world.a, 2)
    published = client.get(audit_url(world.a, "/head"), headers=auth(world.resident)).json
    stored = head(app, chain_of(world.a))
    assert (published["chain"], published["seq"], published["hash"]) == (
        chain_of(world.a), 2, stored.hash)
    assert client.get(audit_url(world.a, "/head"), headers=auth(world.outsider)).status_code == 404


def test_the_auditor_holds_no_other_power(client, world, auth):
    url = f"/api/v1/communities/{world.a}/memberships/{world.pending_membership}/verify"
    assert client.post(url, headers=auth(world.auditor)).status_code == 403
    households = client.get(f"/api/v1/communities/{world.a}/households", headers=auth(world.auditor))
    assert households.status_code == 403
