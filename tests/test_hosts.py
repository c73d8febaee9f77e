"""The URLs the service writes never name a host the request chose: with
FOLLOWUP_PUBLIC_URL they start with it; without it only the hosts of
FOLLOWUP_ALLOWED_HOSTS (and FOLLOWUP_HOST) are answered, any other Host is a 400 problem."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Api, assert_problem, new_user
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.core.config import LOCAL_HOSTS, Settings
from app.core.urls import HostPolicy, host_name
from app.main import create_app

EVIL = "evil.example"
PUBLIC_URL = "https://followup.example.com/"


@pytest.fixture
def client_for(database_url: str, engine: Engine) -> Iterator[Any]:
    """Test clients of apps built with the given settings, on the test database."""
    clients: list[TestClient] = []

    def build(**settings: Any) -> TestClient:
        app = create_app(
            Settings(database_url=database_url, thread_pool_size=2, embedded_worker=False, gc_freeze=False, **settings)
        )
        client = TestClient(app, raise_server_exceptions=False).__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)
        client.app.state.database.engine.dispose()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost", "localhost"),
        ("LocalHost:8000", "localhost"),
        ("followup.example.com.", "followup.example.com"),
        ("127.0.0.1:8000", "127.0.0.1"),
        ("[::1]", "[::1]"),
        ("[::1]:8000", "[::1]"),
        ("evil.example@localhost", None),
        ("localhost/evil", None),
        ("localhost:80:80", None),
        ("local host", None),
        ("", None),
    ],
)
def test_host_name(header: str, name: str | None) -> None:
    assert host_name(header) == name


def test_policy_names_subdomains_and_any() -> None:
    policy = HostPolicy(["followup.example.com", "*.internal.example", "[::1]"])
    assert policy.allows("followup.example.com:443")
    assert policy.allows("api.internal.example")
    assert policy.allows("[::1]:8000")
    assert not policy.allows("internal.example")
    assert not policy.allows("followup.example.com.evil.example")
    assert not policy.allows("evil.example")
    assert HostPolicy(["*"]).allows("evil.example")


def test_by_default_the_local_names_and_the_listening_host_are_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOLLOWUP_ALLOWED_HOSTS")
    assert Settings().allowed_hosts == list(LOCAL_HOSTS) == ["localhost", "127.0.0.1", "[::1]"]
    assert Settings(host="followup.internal").answered_hosts == {"localhost", "127.0.0.1", "[::1]", "followup.internal"}
    assert "[::]" in Settings(host="::").answered_hosts
    monkeypatch.setenv("FOLLOWUP_ALLOWED_HOSTS", '["followup.example.com", "*.internal.example"]')
    assert Settings().allowed_hosts == ["followup.example.com", "*.internal.example"]


def test_an_unlisted_host_is_refused_before_any_route_runs(api: Api) -> None:
    for method, path in [("GET", "/v1/calendar"), ("POST", "/v1/calendar/rotate"), ("POST", "/v1/integrations")]:
        response = api.client.request(
            method, path, json={"provider": "standard", "company": "Acme"}, headers=api.headers | {"Host": EVIL}
        )
        problem = assert_problem(response, 400)
        assert "FOLLOWUP_ALLOWED_HOSTS" in problem["detail"]
        assert EVIL not in response.text
        assert response.headers["X-Request-ID"]
    # Nothing was made: the first feed URL is made now, on an allowed host.
    assert api.get("/v1/integrations").json()["data"] == []
    assert api.get("/v1/calendar").json()["url"].startswith("http://testserver/v1/calendar/")


def test_an_allowed_host_names_the_urls(api: Api) -> None:
    headers = api.headers | {"Host": "127.0.0.1:8123"}
    url = api.client.get("/v1/calendar", headers=headers).json()["url"]
    assert url.startswith("http://127.0.0.1:8123/v1/calendar/")
    # The feed answers on that host too.
    assert api.client.get(url.removeprefix("http://127.0.0.1:8123"), headers={"Host": "127.0.0.1:8123"}).is_success


def test_the_health_check_answers_on_the_loopback_address_with_the_default_list(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FOLLOWUP_ALLOWED_HOSTS")
    client = client_for(host="followup.internal")
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "followup.internal:8000"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
    assert_problem(client.get("/healthz", headers={"Host": EVIL}), 400)
    assert_problem(client.get("/healthz"), 400)  # testserver is not in the default list


def test_with_a_public_url_every_url_is_on_it_whatever_the_host(client_for: Any, engine: Engine) -> None:
    client = client_for(public_url=PUBLIC_URL, allowed_hosts=[])
    headers = new_user(engine, "public@example.com") | {"Host": EVIL}
    calendar = client.get("/v1/calendar", headers=headers)
    assert calendar.status_code == 200, calendar.text
    assert calendar.json()["url"].startswith("https://followup.example.com/v1/calendar/")
    rotated = client.post("/v1/calendar/rotate", headers=headers).json()["url"]
    assert rotated.startswith("https://followup.example.com/v1/calendar/")
    created = client.post("/v1/integrations", json={"provider": "standard", "company": "Acme"}, headers=headers)
    assert created.status_code == 201, created.text
    integration = created.json()
    assert integration["webhook_url"] == f"https://followup.example.com/v1/webhooks/ats/{integration['id']}"
    listed = client.get("/v1/integrations", headers=headers).json()["data"]
    assert [row["webhook_url"] for row in listed] == [integration["webhook_url"]]
    for response in (calendar, created):
        assert EVIL not in response.text
