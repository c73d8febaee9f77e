from __future__ import annotations

from conftest import Api, assert_problem
from fastapi.testclient import TestClient


def test_create_list_and_revoke_keys(api: Api) -> None:
    response = api.post("/v1/api-keys", {"name": "laptop"})
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith(f"fu_{created['prefix']}_")
    assert created["name"] == "laptop"

    listed = api.get("/v1/api-keys").json()["data"]
    assert [k["name"] for k in listed] == ["first key", "laptop"]
    assert all("key" not in k and "key_hash" not in k for k in listed)

    new_headers = {"Authorization": f"Bearer {created['key']}"}
    assert api.client.get("/v1/interviews", headers=new_headers).status_code == 200
    assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204
    assert_problem(api.client.get("/v1/interviews", headers=new_headers), 401)
    assert_problem(api.delete(f"/v1/api-keys/{created['id']}"), 404)


def test_create_without_a_body(api: Api) -> None:
    response = api.client.post("/v1/api-keys", headers=api.headers)
    assert response.status_code == 201
    assert response.json()["name"] is None


def test_keys_paginate(api: Api) -> None:
    for n in range(3):
        api.post("/v1/api-keys", {"name": f"key {n}"})
    first = api.get("/v1/api-keys", params={"limit": 3}).json()
    second = api.get("/v1/api-keys", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [k["name"] for k in first["data"] + second["data"]] == ["first key", "key 0", "key 1", "key 2"]


def test_a_tampered_key_is_refused(api: Api) -> None:
    key = api.headers["Authorization"].removeprefix("Bearer ")
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert_problem(api.client.get("/v1/interviews", headers={"Authorization": f"Bearer {tampered}"}), 401)


def test_rejects_invalid_input(api: Api) -> None:
    assert_problem(api.post("/v1/api-keys", {"name": "x" * 201}), 422, ("body", "name"))
    assert_problem(api.post("/v1/api-keys", {"scopes": ["all"]}), 422, ("body", "scopes"))


def test_another_users_key_looks_missing(api: Api, other: Api) -> None:
    theirs = other.get("/v1/api-keys").json()["data"][0]["id"]
    assert_problem(api.delete(f"/v1/api-keys/{theirs}"), 404)
    assert other.get("/v1/api-keys").json()["data"][0]["id"] == theirs


def test_needs_a_valid_key(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer fu_nope_nope"}):
        assert_problem(client.post("/v1/api-keys", json={}, headers=headers), 401)
        assert_problem(client.get("/v1/api-keys", headers=headers), 401)
        assert_problem(client.delete("/v1/api-keys/x", headers=headers), 401)
