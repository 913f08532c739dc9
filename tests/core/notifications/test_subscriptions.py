"""Residents tell us which subscribe-message templates they accepted: one credit each."""

from __future__ import annotations

import threading

import pytest

SUBSCRIPTIONS = "/api/v1/me/subscriptions"


def report(client, headers, *template_ids):
    return client.post(SUBSCRIPTIONS, json={"template_ids": list(template_ids)}, headers=headers)


def as_credits(items) -> dict[str, int]:
    return {item["template_id"]: item["credits"] for item in items}


def test_each_acceptance_is_one_credit_per_template(client, world, auth):
    headers = auth(world.resident)
    first = report(client, headers, "tpl-a", "tpl-b")
    assert first.status_code == 200, first.json
    assert as_credits(first.json) == {"tpl-a": 1, "tpl-b": 1}

    again = report(client, headers, "tpl-a")
    assert as_credits(again.json) == {"tpl-a": 2, "tpl-b": 1}
    listed = client.get(SUBSCRIPTIONS, headers=headers)
    assert listed.status_code == 200
    assert as_credits(listed.json) == {"tpl-a": 2, "tpl-b": 1}


def test_a_template_named_twice_in_one_report_counts_once(client, world, auth):
    response = report(client, auth(world.resident), "tpl-a", "tpl-a")
    assert as_credits(response.json) == {"tpl-a": 1}


def test_credits_are_the_callers_own(client, world, auth):
    report(client, auth(world.resident), "tpl-a")
    assert client.get(SUBSCRIPTIONS, headers=auth(world.committee)).json == []
    assert as_credits(report(client, auth(world.committee), "tpl-a").json) == {"tpl-a": 1}


def test_two_reports_at_once_both_count(app, world, auth):
    headers = auth(world.resident)
    statuses = []

    def send():
        statuses.append(report(app.test_client(), headers, "tpl-a").status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    listed = app.test_client().get(SUBSCRIPTIONS, headers=headers)
    assert as_credits(listed.json) == {"tpl-a": 2}


@pytest.mark.parametrize("template_ids", [
    [],
    [f"tpl-{n}" for n in range(11)],
    ["x" * 65],
    ["tpl a"],
    [""],
    [12],
])
def test_bad_reports_are_refused_and_write_nothing(client, world, auth, counts, template_ids):
    before = counts()
    response = client.post(SUBSCRIPTIONS, json={"template_ids": template_ids},
                           headers=auth(world.resident))
    assert response.status_code == 422, response.json
    assert "template_ids" in response.json["errors"]["json"]
    assert counts() == before


def test_subscriptions_need_a_sign_in(client):
    assert client.get(SUBSCRIPTIONS).status_code == 401
    assert client.post(SUBSCRIPTIONS, json={"template_ids": ["tpl-a"]}).status_code == 401
