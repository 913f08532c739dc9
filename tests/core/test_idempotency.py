"""Idempotency-Key: a phone that retries a POST gets the first answer, and the thing happens once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.accounts.models import Membership
from backend.core import idempotency
from backend.core.db import db, utcnow
from backend.core.idempotency import IdempotencyRecord

KEY = "5f0c8a55-3d1e-4a8e-9a53-6f1f2f0f4b11"


def sign_in(client, code: str) -> dict:
    tokens = client.post("/api/v1/auth/wechat-login", json={"code": code}).json
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def claim(client, headers, community_id, key=KEY, room="102"):
    body = {"building": "1号楼", "unit": "1单元", "room": room, "relation": "owner"}
    return client.post(f"/api/v1/communities/{community_id}/memberships", json=body,
                       headers={**headers, "Idempotency-Key": key})


def claims_of(app, headers_user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(Membership)
            .where(Membership.user_id == headers_user_id)
        )


def records(app) -> list:
    with app.app_context():
        return db.session.scalars(sa.select(IdempotencyRecord)).all()


def test_a_retried_claim_gets_the_first_answer_and_makes_one_membership(app, client, world):
    resident = sign_in(client, "ida")
    first = claim(client, resident, world.a)
    again = claim(client, resident, world.a)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert claims_of(app, first.json["user_id"]) == 1


def test_two_identical_claims_racing_with_one_key_make_one_membership_and_one_answer(
    app, client, world
):
    resident = sign_in(client, "ivy")
    answers = []

    def send():
        with app.test_client() as own_client:
            response = claim(own_client, resident, world.a)
            answers.append((response.status_code, response.json,
                            response.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert sorted(str(replayed) for _, _, replayed in answers) == ["None", "true"]
    assert claims_of(app, answers[0][1]["user_id"]) == 1


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(app, client, world, counts):
    resident = sign_in(client, "iris")
    assert claim(client, resident, world.a, room="102").status_code == 201
    before = counts()
    other = claim(client, resident, world.a, room="101")
    assert (other.status_code, other.json["code"]) == (422, "idempotency_key_reused")
    assert other.json["message"] and other.json["status"] == 422
    assert counts() == before


def test_another_user_with_the_same_key_is_not_answered_from_the_first(app, client, world):
    first = claim(client, sign_in(client, "ian"), world.a)
    second = claim(client, sign_in(client, "ines"), world.a)
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert second.json["user_id"] != first.json["user_id"]


def test_after_its_time_a_key_is_new_again(app, client, world):
    resident = sign_in(client, "ira")
    assert claim(client, resident, world.a).status_code == 201
    with app.app_context():
        db.session.execute(sa.update(IdempotencyRecord).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    again = claim(client, resident, world.a)
    # It ran again: the household is already claimed by this resident.
    assert again.status_code == 409
    assert "Idempotent-Replayed" not in again.headers
    assert [record.response_status for record in records(app)] == [409]


def test_a_refusal_is_kept_like_a_success(client, world):
    resident = sign_in(client, "isa")
    first = claim(client, resident, world.a, room="999")
    again = claim(client, resident, world.a, room="999")
    assert first.status_code == again.status_code
    assert 400 <= first.status_code < 500 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_server_error_is_not_kept_so_the_retry_runs_again(app, client, fake_wechat):
    headers = {"Idempotency-Key": KEY}
    for _ in range(2):
        response = client.post("/api/v1/auth/wechat-login", json={"code": "busy-1"},
                               headers=headers)
        assert response.status_code == 503
        assert "Idempotent-Replayed" not in response.headers
    assert fake_wechat.calls_for("busy-1") == 4  # two tries per request, both requests ran
    assert records(app) == []


def test_sign_in_answers_are_replayed_but_stored_encrypted(app, client):
    headers = {"Idempotency-Key": KEY}
    first = client.post("/api/v1/auth/wechat-login", json={"code": "ivan"}, headers=headers)
    again = client.post("/api/v1/auth/wechat-login", json={"code": "ivan"}, headers=headers)
    assert first.status_code == 200 and again.json == first.json
    with app.app_context(), db.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT response_body FROM idempotency_records"))
        (body,) = stored.scalars().all()
    assert first.json["access_token"] not in body and "access_token" not in body


def test_callers_without_a_token_are_kept_apart_by_address(app, client):
    headers = {"Idempotency-Key": KEY}
    here = client.post("/api/v1/auth/wechat-login", json={"code": "jack"}, headers=headers)
    there = client.post("/api/v1/auth/wechat-login", json={"code": "jill"}, headers=headers,
                        environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert here.status_code == there.status_code == 200
    assert there.json["user_id"] != here.json["user_id"]
    assert len(records(app)) == 2


@pytest.mark.parametrize("key", ["", "k" * 256, "tab\tkey", "键"])
def test_a_malformed_key_is_refused_and_writes_nothing(client, world, auth, counts, key):
    before = counts()
    response = claim(client, auth(world.claimant), world.a, key=key.encode().decode("latin-1"))
    assert (response.status_code, response.json["code"]) == (400, "idempotency_key_invalid")
    assert counts() == before


def test_a_retry_waits_for_the_first_request_and_gives_up_after_a_while(
    app, client, world, auth, monkeypatch
):
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    headers = auth(world.claimant)
    first = claim(client, headers, world.a, room="101")
    with app.app_context():
        db.session.execute(sa.update(IdempotencyRecord).values(status="in_progress"))
        db.session.commit()
    waiting = claim(client, headers, world.a, room="101")
    assert (waiting.status_code, waiting.json["code"]) == (409, "idempotency_request_in_progress")
    assert first.status_code == 201


def test_a_key_left_in_progress_by_a_dead_worker_is_taken_over(app, client, world, auth):
    headers = auth(world.claimant)
    claim(client, headers, world.a, room="101")
    with app.app_context():
        db.session.execute(sa.update(IdempotencyRecord).values(
            status="in_progress", created_at=utcnow() - timedelta(minutes=3)))
        db.session.commit()
    again = claim(client, headers, world.a, room="101")
    assert again.status_code == 409  # ran again: the household is now claimed twice over
    assert again.json["code"] != "idempotency_request_in_progress"


def test_the_purge_job_removes_expired_keys_only(app, client, world, auth):
    claim(client, auth(world.claimant), world.a, key="old", room="101")
    claim(client, auth(world.claimant), world.a, key="new", room="101")
    with app.app_context():
        db.session.execute(sa.update(IdempotencyRecord).where(IdempotencyRecord.key == "old")
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    (job,) = idempotency.JOBS
    with app.app_context():
        assert job.run() == 1
    assert [record.key for record in records(app)] == ["new"]


def test_posts_without_a_key_are_not_recorded(app, client, world, auth):
    response = client.post(f"/api/v1/communities/{world.a}/memberships",
                           json={"building": "1号楼", "unit": "1单元", "room": "101",
                                 "relation": "owner"}, headers=auth(world.claimant))
    assert response.status_code == 201
    assert records(app) == []
