"""Verified API keys are remembered in the process for FOLLOWUP_AUTH_CACHE_SECONDS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from conftest import Api, assert_problem, new_user
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.auth.cache import KeyCache, Verified
from app.core.config import Settings
from app.main import create_app
from app.users.models import User


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verified(key_hash: str, key_id: str = "k1") -> Verified:
    return Verified(
        key_id=key_id, key_hash=key_hash, user=User(id="u1", email="u@example.com", created_at=datetime.now(UTC))
    )


def test_an_entry_lives_for_the_ttl_then_is_gone() -> None:
    clock = Clock()
    cache = KeyCache(10, clock=clock)
    cache.put(verified("h1"))
    clock.now += 9.9
    assert cache.get("h1") is not None
    clock.now += 0.1
    assert cache.get("h1") is None
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    cache = KeyCache(10, max_entries=2, clock=Clock())
    cache.put(verified("h1", "k1"))
    cache.put(verified("h2", "k2"))
    assert cache.get("h1") is not None  # h2 is now the least recently used
    cache.put(verified("h3", "k3"))
    assert (cache.get("h1") is not None, cache.get("h2"), cache.get("h3") is not None) == (True, None, True)


def test_forget_drops_a_revoked_key_only() -> None:
    cache = KeyCache(10, clock=Clock())
    cache.put(verified("h1", "k1"))
    cache.put(verified("h2", "k2"))
    cache.forget("k1")
    assert cache.get("h1") is None
    assert cache.get("h2") is not None


def test_a_ttl_of_zero_keeps_nothing() -> None:
    cache = KeyCache(0, clock=Clock())
    cache.put(verified("h1"))
    assert cache.get("h1") is None
    assert len(cache) == 0


def test_a_verified_key_is_served_from_the_cache_and_a_bad_one_never_is(
    api: Api, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.state.key_cache.clear()
    calls: list[str] = []
    verify = auth_service.verify

    def counting(engine: object, *, key: str) -> Verified | None:
        calls.append(key)
        return verify(engine, key=key)  # type: ignore[arg-type]

    monkeypatch.setattr(auth_service, "verify", counting)
    for _ in range(3):
        assert api.get("/v1/interviews").status_code == 200
    assert len(calls) == 1
    bad = {"Authorization": api.headers["Authorization"] + "x"}
    for _ in range(2):
        assert_problem(api.client.get("/v1/interviews", headers=bad), 401)
    assert len(calls) == 3
    assert len(app.state.key_cache) == 1


@pytest.fixture
def second_process(database_url: str) -> Iterator[TestClient]:
    """Another process of the same deployment: its own app, and so its own cache."""
    app = create_app(Settings(database_url=database_url, auth_cache_seconds=10))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.database.engine.dispose()


def test_a_key_revoked_elsewhere_is_refused_once_the_entry_runs_out(
    api: Api, app: FastAPI, second_process: TestClient
) -> None:
    created = api.post("/v1/api-keys", {"name": "phone"}).json()
    phone = {"Authorization": f"Bearer {created['key']}"}
    assert second_process.get("/v1/interviews", headers=phone).status_code == 200

    assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204
    # Forgotten at once where it was revoked; still known to the other process's cache.
    assert_problem(api.client.get("/v1/interviews", headers=phone), 401)
    assert second_process.get("/v1/interviews", headers=phone).status_code == 200
    cache: KeyCache = second_process.app.state.key_cache  # type: ignore[attr-defined]
    cache.clock = lambda: float("inf")  # the entry's time is up
    assert_problem(second_process.get("/v1/interviews", headers=phone), 401)


def test_with_the_cache_off_a_revocation_anywhere_applies_at_once(api: Api, database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, auth_cache_seconds=0))
    created = api.post("/v1/api-keys", {"name": "phone"}).json()
    phone = {"Authorization": f"Bearer {created['key']}"}
    with TestClient(app, raise_server_exceptions=False) as elsewhere:
        assert elsewhere.get("/v1/interviews", headers=phone).status_code == 200
        assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204
        assert_problem(elsewhere.get("/v1/interviews", headers=phone), 401)
    app.state.database.engine.dispose()


def test_a_cached_key_keeps_its_own_user(api: Api, engine: object) -> None:
    other = new_user(engine, "cached-other@example.com")  # type: ignore[arg-type]
    mine = api.post(
        "/v1/interviews",
        {
            "company": "Mine",
            "role_title": "R",
            "role_family": "engineering",
            "interview_at": "2026-03-02T10:00:00-05:00",
        },
    ).json()
    for _ in range(2):
        assert [i["id"] for i in api.get("/v1/interviews").json()["data"]] == [mine["id"]]
        assert api.client.get("/v1/interviews", headers=other).json()["data"] == []
