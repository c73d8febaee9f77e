from __future__ import annotations

import base64
from typing import Any

import pytest
from conftest import Api, assert_problem
from webhook_support import Receiver

URL = "https://hooks.example.com/followup"


@pytest.fixture(autouse=True)
def public_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names resolve to a public address (there is no DNS here)."""
    import ipaddress

    monkeypatch.setattr("app.webhooks_out.ssrf.resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/webhook-endpoints", {"url": URL} | body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_shows_the_secret_once(api: Api) -> None:
    created = create(api, events=["follow_up.due"], description="Slack")
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert created["events"] == ["follow_up.due"]
    assert (created["enabled"], created["disabled_reason"], created["description"]) == (True, None, "Slack")
    read = api.get(f"/v1/webhook-endpoints/{created['id']}").json()
    assert "secret" not in read
    assert read == {key: value for key, value in created.items() if key != "secret"}
    listed = api.get("/v1/webhook-endpoints").json()
    assert listed == {"data": [read], "next_cursor": None}
    assert secret not in str(listed)
    # Every endpoint has its own secret.
    assert create(api)["secret"] != secret


def test_events_default_to_all_and_are_validated(api: Api) -> None:
    assert create(api)["events"] == ["*"]
    both = create(api, events=["next_action.changed", "follow_up.due", "follow_up.due"])
    assert both["events"] == ["follow_up.due", "next_action.changed"]
    for events in ([], ["follow_up.overdue"], ["*", "follow_up.due"], "follow_up.due"):
        assert_problem(api.post("/v1/webhook-endpoints", {"url": URL, "events": events}), 422)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": None},
        {"url": "not a url"},
        {"url": "ftp://hooks.example.com/"},
        {"url": "http://hooks.example.com/"},
        {"url": URL + "x" * 2048},
        {"url": URL, "description": "x" * 501},
        {"url": URL, "secret": "whsec_mine"},
    ],
)
def test_create_rejects_invalid_input(api: Api, body: dict[str, Any]) -> None:
    assert_problem(api.post("/v1/webhook-endpoints", body), 422)
    assert api.get("/v1/webhook-endpoints").json()["data"] == []


def test_list_pages_with_a_cursor(api: Api) -> None:
    ids = [create(api)["id"] for _ in range(3)]
    first = api.get("/v1/webhook-endpoints", params={"limit": 2}).json()
    second = api.get("/v1/webhook-endpoints", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [e["id"] for e in first["data"] + second["data"]] == ids
    assert second["next_cursor"] is None


def test_update(api: Api) -> None:
    endpoint = create(api)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    changed = api.patch(url, {"events": ["interview.concluded"], "description": "CRM", "url": URL + "/v2"}).json()
    assert (changed["events"], changed["description"], changed["url"]) == (["interview.concluded"], "CRM", URL + "/v2")
    disabled = api.patch(url, {"enabled": False}).json()
    assert (disabled["enabled"], disabled["disabled_reason"]) == (False, "manual")
    assert disabled["disabled_at"] is not None
    enabled = api.patch(url, {"enabled": True}).json()
    assert (enabled["enabled"], enabled["disabled_reason"], enabled["disabled_at"]) == (True, None, None)
    assert api.patch(url, {"description": None}).json()["description"] is None
    for body in ({"url": "http://hooks.example.com/"}, {"events": None}, {"enabled": None}, {"secret": "x"}):
        assert_problem(api.patch(url, body), 422)
    assert api.get(url).json()["url"] == URL + "/v2"


def test_delete(api: Api) -> None:
    endpoint = create(api)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    assert api.delete(url).status_code == 204
    assert_problem(api.get(url), 404)
    assert_problem(api.delete(url), 404)


def test_another_users_endpoint_looks_missing(api: Api, other: Api) -> None:
    endpoint = create(api)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    for response in (
        other.get(url),
        other.patch(url, {"enabled": False}),
        other.delete(url),
        other.post(f"{url}/rotate-secret"),
        other.get(f"{url}/deliveries"),
        other.post(f"{url}/test"),
    ):
        assert_problem(response, 404)
    assert other.get("/v1/webhook-endpoints").json()["data"] == []
    assert api.get(url).json()["enabled"] is True


def test_rotate_secret_keeps_the_old_one_for_a_while(api: Api) -> None:
    endpoint = create(api)
    rotated = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != endpoint["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    assert "secret" not in api.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()


def test_unauthenticated_requests_are_refused(api: Api) -> None:
    assert_problem(api.client.get("/v1/webhook-endpoints"), 401)
    assert_problem(api.client.post("/v1/webhook-endpoints", json={"url": URL}), 401)


def test_test_and_retry_need_an_enabled_endpoint(api: Api, receiver: Receiver) -> None:
    endpoint = create(api)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    queued = api.post(f"{url}/test")
    assert queued.status_code == 202, queued.text
    delivery = queued.json()
    assert (delivery["event_type"], delivery["status"], delivery["attempts"]) == ("webhook.test", "pending", [])
    assert delivery["webhook_id"].startswith("msg_")
    assert delivery["payload"]["data"]["endpoint_id"] == endpoint["id"]
    api.patch(url, {"enabled": False})
    assert_problem(api.post(f"{url}/test"), 409)
    assert_problem(api.post(f"{url}/deliveries/{delivery['id']}/retry"), 409)
    # Disabling failed what was planned.
    assert api.get(f"{url}/deliveries/{delivery['id']}").json()["status"] == "failed"
    assert_problem(api.get(f"{url}/deliveries/nothing"), 404)
