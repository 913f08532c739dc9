def test_world_builds_and_me_answers(client, world, auth):
    response = client.get("/api/v1/me", headers=auth(world.committee))
    assert response.status_code == 200, response.json
    assert response.json["roles"] == {str(world.a): ["committee"]}
