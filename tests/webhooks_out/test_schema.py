"""What the published schema says of webhook endpoints is what the service does, and the
bodies sent to endpoints have clean names."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import httpx
import pytest
from conftest import Api, assert_problem
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.webhooks_out import ssrf
from app.webhooks_out.schemas import EndpointWithSecret, WebhookDeliveryPublic


@pytest.fixture(autouse=True)
def public_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names resolve to a public address (there is no DNS here)."""
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])


def component(app: FastAPI, name: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["components"]["schemas"][name]
    return found


def test_the_bodies_sent_are_named_for_their_event(app: FastAPI) -> None:
    names = set(app.openapi()["components"]["schemas"])
    assert {"InterviewEventWebhook", "NextActionChangedWebhook", "TestEventWebhook"} <= names
    assert [name for name in names if "WebhookMessage" in name] == []
    webhooks = app.openapi()["webhooks"]
    body = webhooks["follow_up.due"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/InterviewEventWebhook"}


@pytest.mark.parametrize("model", ["EndpointCreate", "EndpointUpdate"])
def test_the_url_pattern_is_in_the_schema(app: FastAPI, model: str) -> None:
    assert component(app, model)["properties"]["url"]["pattern"] == ssrf.WEBHOOK_URL_PATTERN


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://hooks.example.com/followup", True),
        ("HTTPS://Hooks.Example.com:8443/followup?to=slack#x", True),
        ("https://93.184.216.34/hook", True),
        ("http://hooks.example.com/followup", False),
        ("ftp://hooks.example.com/followup", False),
        ("https://", False),
        ("https://hooks.example.123/followup", False),
        ("https://hooks..example.com/followup", False),
    ],
)
def test_the_service_takes_what_the_pattern_takes(api: Api, url: str, accepted: bool) -> None:
    assert bool(re.search(ssrf.WEBHOOK_URL_PATTERN, url)) is accepted
    response = api.post("/v1/webhook-endpoints", {"url": url})
    if accepted:
        assert response.status_code == 201, response.text
    else:
        assert_problem(response, 422, ("body", "url"))


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/followup",
        "ftp://hooks.example.com/followup",
        "https://hooks.example.com:0/followup",
        "https://hooks.example.com:65536/followup",
    ],
)
def test_the_pattern_refuses_what_cannot_receive(url: str) -> None:
    # The service's own check takes ports no endpoint listens on; the schema promises none.
    assert re.search(ssrf.WEBHOOK_URL_PATTERN, url) is None


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(url=st.from_regex(ssrf.WEBHOOK_URL_PATTERN, fullmatch=True))
def test_every_url_of_the_pattern_passes_the_check_but_for_its_address(url: str) -> None:
    try:
        ssrf.check_url(url, allow_private=False, resolve_host=False)
    except ssrf.UnsafeUrl as refused:
        # Whether an address is public is what no pattern can say; a host name's length, only
        # with a look-ahead (ssrf.WEBHOOK_URL_PATTERN).
        too_long = len(httpx.URL(url).host) > 253
        reasons = ("non-public", "localhost", *(("not a valid name",) if too_long else ()))
        assert any(reason in str(refused) for reason in reasons), (url, str(refused))


def test_a_host_name_over_253_characters_is_refused(api: Api) -> None:
    host = ".".join(["a" * 63] * 4)  # 255 characters, every label of them valid
    assert re.search(ssrf.WEBHOOK_URL_PATTERN, f"https://{host}/hook")
    assert_problem(api.post("/v1/webhook-endpoints", {"url": f"https://{host}/hook"}), 422, ("body", "url"))


def test_every_event_stands_with_others_but_every_type_alone(app: FastAPI, api: Api) -> None:
    events = component(app, "EndpointCreate")["properties"]["events"]
    assert events["if"] == {"contains": {"const": "*"}}
    assert events["then"] == {"items": {"const": "*"}}
    assert_problem(
        api.post("/v1/webhook-endpoints", {"url": "https://a.example", "events": ["*", "follow_up.due"]}), 422
    )
    for sent, kept in [(["*"], ["*"]), (["*", "*"], ["*"]), (["follow_up.due"] * 2, ["follow_up.due"])]:
        response = api.post("/v1/webhook-endpoints", {"url": "https://a.example", "events": sent})
        assert response.status_code == 201, response.text
        assert response.json()["events"] == kept


@pytest.mark.parametrize("model", [EndpointWithSecret, WebhookDeliveryPublic])
def test_the_examples_are_whole_answers(model: Any) -> None:
    (example,) = model.model_json_schema(mode="serialization")["examples"]
    assert model.model_validate(example).model_dump(mode="json") == example
