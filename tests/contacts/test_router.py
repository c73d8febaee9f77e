from __future__ import annotations

from typing import Any

import pytest
from conftest import Api, assert_problem
from fastapi.testclient import TestClient

CAROL = {"name": "Carol", "email": "carol@example.com", "role": "interviewer"}


def contacts_url(interview_id: str) -> str:
    return f"/v1/interviews/{interview_id}/contacts"


def test_add_list_read_change_delete(api: Api) -> None:
    interview = api.interview()
    url = contacts_url(interview["id"])
    response = api.post(url, CAROL)
    assert response.status_code == 201
    carol = response.json()
    assert (carol["name"], carol["role"], carol["is_primary"], carol["interview_id"]) == (
        "Carol",
        "interviewer",
        False,
        interview["id"],
    )
    listed = api.get(url).json()
    assert [c["name"] for c in listed["data"]] == ["Ana", "Ben", "Carol"]
    assert listed["next_cursor"] is None
    assert api.get(f"{url}/{carol['id']}").json() == carol

    changed = api.patch(f"{url}/{carol['id']}", {"name": "Carol B.", "email": None}).json()
    assert (changed["name"], changed["email"], changed["role"]) == ("Carol B.", None, "interviewer")

    assert api.delete(f"{url}/{carol['id']}").status_code == 204
    assert_problem(api.get(f"{url}/{carol['id']}"), 404)
    assert [c["name"] for c in api.get(url).json()["data"]] == ["Ana", "Ben"]


def test_a_new_primary_takes_over(api: Api) -> None:
    interview = api.interview()
    url = contacts_url(interview["id"])
    carol = api.post(url, CAROL | {"is_primary": True}).json()
    primaries = [c["name"] for c in api.get(url).json()["data"] if c["is_primary"]]
    assert primaries == ["Carol"]
    ana = interview["contacts"][0]
    api.patch(f"{url}/{ana['id']}", {"is_primary": True})
    primaries = [c["id"] for c in api.get(url).json()["data"] if c["is_primary"]]
    assert primaries == [ana["id"]]
    assert carol["id"] not in primaries


def test_pagination(api: Api) -> None:
    interview = api.interview(contacts=[])
    url = contacts_url(interview["id"])
    names = [f"Person {n}" for n in range(3)]
    for name in names:
        api.post(url, {"name": name, "role": "other"})
    first = api.get(url, params={"limit": 2}).json()
    second = api.get(url, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["name"] for c in first["data"] + second["data"]] == names
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"role": "recruiter"}, ("body", "name")),
        ({"name": "", "role": "recruiter"}, ("body", "name")),
        ({"name": "X"}, ("body", "role")),
        ({"name": "X", "role": "ceo"}, ("body", "role")),
        ({"name": "X", "role": "other", "email": "x"}, ("body", "email")),
        ({"name": "X", "role": "other", "is_primary": "perhaps"}, ("body", "is_primary")),
    ],
)
def test_add_rejects_invalid_input(api: Api, body: dict[str, Any], loc: tuple[str, ...]) -> None:
    interview = api.interview()
    assert_problem(api.post(contacts_url(interview["id"]), body), 422, loc)
    assert len(api.get(contacts_url(interview["id"])).json()["data"]) == 2


@pytest.mark.parametrize(("body", "loc"), [({"name": None}, ("body", "name")), ({"role": "x"}, ("body", "role"))])
def test_change_rejects_invalid_input(api: Api, body: dict[str, Any], loc: tuple[str, ...]) -> None:
    interview = api.interview()
    ana = interview["contacts"][0]
    assert_problem(api.patch(f"{contacts_url(interview['id'])}/{ana['id']}", body), 422, loc)


def test_another_users_interview_and_contacts_look_missing(api: Api, other: Api) -> None:
    theirs = other.interview()
    their_contact = theirs["contacts"][0]["id"]
    url = contacts_url(theirs["id"])
    assert_problem(api.post(url, CAROL), 404)
    assert_problem(api.get(url), 404)
    assert_problem(api.get(f"{url}/{their_contact}"), 404)
    assert_problem(api.patch(f"{url}/{their_contact}", {"name": "Mine"}), 404)
    assert_problem(api.delete(f"{url}/{their_contact}"), 404)
    # A contact of another interview, even one's own, is not found under this interview.
    mine = api.interview()
    assert_problem(api.get(f"{contacts_url(mine['id'])}/{their_contact}"), 404)
    assert other.get(f"{url}/{their_contact}").json()["name"] == "Ana"


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("authorization", [None, "Bearer fu_abc_def"])
def test_needs_a_valid_key(client: TestClient, api: Api, method: str, authorization: str | None) -> None:
    interview = api.interview()
    headers = {"Authorization": authorization} if authorization else {}
    assert_problem(client.request(method, contacts_url(interview["id"]), json=CAROL, headers=headers), 401)
    ana = interview["contacts"][0]["id"]
    for verb in ("GET", "PATCH", "DELETE"):
        url = f"{contacts_url(interview['id'])}/{ana}"
        assert_problem(client.request(verb, url, json={}, headers=headers), 401)
