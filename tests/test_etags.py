"""ETags and conditional requests on interviews, contacts and the policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import Api, assert_problem, new_user
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.main import create_app


def patch(api: Api, url: str, body: Any, etag: str | None = None) -> httpx.Response:
    headers = api.headers | ({"If-Match": etag} if etag is not None else {})
    return api.client.patch(url, json=body, headers=headers)


def get(api: Api, url: str, if_none_match: str | None = None) -> httpx.Response:
    headers = api.headers | ({"If-None-Match": if_none_match} if if_none_match is not None else {})
    return api.client.get(url, headers=headers)


def test_every_representation_of_an_interview_carries_its_etag(api: Api) -> None:
    created = api.post(
        "/v1/interviews",
        {"company": "Acme", "role_title": "Engineer", "role_family": "other", "interview_at": "2026-03-02T10:00:00Z"},
    )
    url = f"/v1/interviews/{created.json()['id']}"
    read = api.get(url)
    assert created.headers["ETag"] == read.headers["ETag"] == api.get(url).headers["ETag"]
    assert read.headers["ETag"].startswith('"') and read.headers["ETag"].endswith('"')
    changed = patch(api, url, {"company": "Acme Corp"})
    assert changed.headers["ETag"] != read.headers["ETag"]
    assert changed.headers["ETag"] == api.get(url).headers["ETag"]


def test_a_stale_if_match_is_a_412_and_changes_nothing(api: Api) -> None:
    url = f"/v1/interviews/{api.interview()['id']}"
    first = api.get(url)
    assert patch(api, url, {"company": "Mine"}, first.headers["ETag"]).status_code == 200
    before = api.get(url)
    problem = assert_problem(patch(api, url, {"company": "Theirs"}, first.headers["ETag"]), 412)
    assert "changed since you read it" in problem["detail"]
    after = api.get(url)
    assert (after.json(), after.headers["ETag"]) == (before.json(), before.headers["ETag"])


@pytest.mark.parametrize(
    ("if_match", "status"),
    [("current", 200), ("*", 200), ("stale, current", 200), ("weak", 412), ("stale", 412), ('"nonsense"', 412)],
)
def test_if_match_forms(api: Api, if_match: str, status: int) -> None:
    url = f"/v1/interviews/{api.interview()['id']}"
    stale = api.get(url).headers["ETag"]
    current = patch(api, url, {"company": "B"}).headers["ETag"]
    header = if_match.replace("current", current).replace("stale", stale).replace("weak", f"W/{current}")
    assert patch(api, url, {"company": "C"}, header).status_code == status


def test_an_etag_belongs_to_one_interview(api: Api) -> None:
    # Two interviews at the same version: the ETag of one does not unlock the other.
    first, second = (f"/v1/interviews/{api.interview()['id']}" for _ in range(2))
    assert_problem(patch(api, second, {"company": "X"}, api.get(first).headers["ETag"]), 412)


def test_events_and_contacts_change_the_interview_etag(api: Api) -> None:
    interview = api.interview()
    url = f"/v1/interviews/{interview['id']}"
    seen = {api.get(url).headers["ETag"]}
    api.event(interview["id"], type="note", occurred_at="2026-03-02T12:00:00Z")
    seen.add(api.get(url).headers["ETag"])
    api.post(f"{url}/contacts", {"name": "Cleo", "role": "interviewer"})
    seen.add(api.get(url).headers["ETag"])
    assert len(seen) == 3


def test_if_none_match_answers_304_while_unchanged(api: Api) -> None:
    url = f"/v1/interviews/{api.interview()['id']}"
    etag = api.get(url).headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        unchanged = get(api, url, header)
        assert (unchanged.status_code, unchanged.content, unchanged.headers["ETag"]) == (304, b"", etag)
    patch(api, url, {"company": "New"})
    assert get(api, url, etag).status_code == 200


def test_delete_with_if_match(api: Api) -> None:
    url = f"/v1/interviews/{api.interview()['id']}"
    stale = api.get(url).headers["ETag"]
    current = patch(api, url, {"company": "B"}).headers["ETag"]
    assert_problem(api.client.delete(url, headers=api.headers | {"If-Match": stale}), 412)
    assert api.get(url).status_code == 200
    assert api.client.delete(url, headers=api.headers | {"If-Match": current}).status_code == 204


def test_contacts_carry_etags(api: Api) -> None:
    interview = api.interview()
    ana, ben = (f"/v1/interviews/{interview['id']}/contacts/{c['id']}" for c in interview["contacts"])
    created = api.post(f"/v1/interviews/{interview['id']}/contacts", {"name": "Cleo", "role": "other"})
    assert (
        created.headers["ETag"]
        == api.get(f"/v1/interviews/{interview['id']}/contacts/{created.json()['id']}").headers["ETag"]
    )
    ana_etag, ben_etag = api.get(ana).headers["ETag"], api.get(ben).headers["ETag"]
    assert get(api, ben, ben_etag).status_code == 304
    # Making Ben primary demotes Ana: both change.
    promoted = patch(api, ben, {"is_primary": True}, ben_etag)
    assert promoted.status_code == 200
    assert promoted.headers["ETag"] != ben_etag
    assert api.get(ana).headers["ETag"] != ana_etag
    assert_problem(patch(api, ana, {"name": "Ana B"}, ana_etag), 412)
    assert api.get(ana).json()["name"] == "Ana"
    assert_problem(api.client.delete(ben, headers=api.headers | {"If-Match": ben_etag}), 412)
    assert api.client.delete(ben, headers=api.headers | {"If-Match": promoted.headers["ETag"]}).status_code == 204


def test_policy_carries_an_etag_before_and_after_it_is_first_set(api: Api) -> None:
    defaults = api.get("/v1/policy")
    assert get(api, "/v1/policy", defaults.headers["ETag"]).status_code == 304
    first = patch(api, "/v1/policy", {"send_hour": 8}, defaults.headers["ETag"])
    assert first.status_code == 200
    assert first.headers["ETag"] == api.get("/v1/policy").headers["ETag"] != defaults.headers["ETag"]
    assert_problem(patch(api, "/v1/policy", {"send_hour": 10}, defaults.headers["ETag"]), 412)
    assert api.get("/v1/policy").json()["send_hour"] == 8
    second = patch(api, "/v1/policy", {"send_hour": 10}, first.headers["ETag"])
    assert (second.status_code, second.json()["send_hour"]) == (200, 10)


@pytest.fixture
def strict(database_url: str, engine: Engine) -> Iterator[Api]:
    application = create_app(Settings(database_url=database_url, thread_pool_size=2, require_if_match=True))
    with TestClient(application, raise_server_exceptions=False) as client:
        yield Api(client, new_user(engine, "strict@example.com"))
    application.state.database.engine.dispose()


def test_if_match_can_be_required(strict: Api) -> None:
    url = f"/v1/interviews/{strict.interview()['id']}"
    problem = assert_problem(patch(strict, url, {"company": "B"}), 428)
    assert "If-Match" in problem["detail"]
    assert_problem(strict.delete(url), 428)
    assert patch(strict, url, {"company": "B"}, strict.get(url).headers["ETag"]).status_code == 200
    assert_problem(patch(strict, "/v1/policy", {"send_hour": 8}), 428)
