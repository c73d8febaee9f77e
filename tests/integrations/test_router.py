"""Integrations and their deliveries through the API (in process)."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import Api, assert_problem
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.limits import MAX_BODY_BYTES
from app.integrations.models import Delivery, Integration
from integrations.support import (
    GREENHOUSE_APPLICATION,
    GREENHOUSE_SECRET,
    GREENHOUSE_SIGNATURES,
    LEVER_OPPORTUNITY,
    LEVER_TOKEN,
    STANDARD_SECRET,
    greenhouse_application,
    greenhouse_body,
    greenhouse_headers,
    greenhouse_hire,
    greenhouse_offer_created,
    greenhouse_stage,
    lever_body,
    lever_data,
    sample,
    standard_body,
    standard_example,
    standard_headers,
)

STAGE_SAMPLE = "greenhouse_candidate_stage_change.json"
REJECT_SAMPLE = "greenhouse_reject_candidate.json"


def connect(api: Api, provider: str, secret: str | None = None, company: str = "Acme Robotics") -> dict[str, Any]:
    body = {"provider": provider, "company": company} | ({"secret": secret} if secret is not None else {})
    response = api.post("/v1/integrations", body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def deliver(client: TestClient, integration: dict[str, Any], body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post(f"/v1/webhooks/ats/{integration['id']}", content=body, headers=headers)


def deliver_sample(
    client: TestClient, integration: dict[str, Any], name: str, event_id: str = "evt-1"
) -> httpx.Response:
    headers = {"Signature": GREENHOUSE_SIGNATURES[name], "Greenhouse-Event-ID": event_id}
    return deliver(client, integration, sample(name), headers)


def deliveries(api: Api, integration: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/v1/integrations/{integration['id']}/deliveries", params=params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def events(api: Api, interview: dict[str, Any]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.get(f"/v1/interviews/{interview['id']}/events").json()["data"]
    return data


def followed(api: Api, integration: dict[str, Any], application: str = GREENHOUSE_APPLICATION) -> dict[str, Any]:
    """The interview of the worked example, following the application."""
    return api.interview(integration_id=integration["id"], ats_application_id=application)


# -- integrations ---------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_the_webhook_url(api: Api) -> None:
    created = connect(api, "greenhouse", GREENHOUSE_SECRET)
    assert created["secret"] == GREENHOUSE_SECRET
    assert created["webhook_url"] == f"http://testserver/v1/webhooks/ats/{created['id']}"
    assert (created["provider"], created["company"]) == ("greenhouse", "Acme Robotics")
    shown = api.get(f"/v1/integrations/{created['id']}")
    listed = api.get("/v1/integrations")
    for response in (shown, listed):
        assert response.status_code == 200
        assert GREENHOUSE_SECRET not in response.text
        assert 'secret"' not in response.text.replace("secret_rotated_at", "").replace("previous_secret_expires_at", "")
    assert shown.json() == {key: value for key, value in created.items() if key != "secret"}
    assert [i["id"] for i in listed.json()["data"]] == [created["id"]]


def test_a_standard_secret_is_generated(api: Api) -> None:
    first, second = connect(api, "standard"), connect(api, "standard")
    assert first["secret"].startswith("whsec_")
    assert first["secret"] != second["secret"]
    assert first["secret"] not in api.get(f"/v1/integrations/{first['id']}").text


def test_the_webhook_url_follows_the_allowed_host_the_client_used(client: TestClient, api: Api) -> None:
    response = client.post(
        "/v1/integrations",
        json={"provider": "standard", "company": "Acme"},
        headers=api.headers | {"Host": "localhost:8123"},
    )
    assert response.json()["webhook_url"] == f"http://localhost:8123/v1/webhooks/ats/{response.json()['id']}"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"provider": "workday", "company": "Acme"}, ("body", "provider")),
        ({"provider": "standard"}, ("body", "company")),
        ({"provider": "greenhouse", "company": "Acme"}, ("body", "secret")),
        ({"provider": "lever", "company": "Acme", "secret": "short"}, ("body", "secret")),
        ({"provider": "lever", "company": "Acme", "secret": " padded-secret-value "}, ("body", "secret")),
        ({"provider": "standard", "company": "Acme", "secret": "whsec_c2hvcnQ="}, ("body", "secret")),
        ({"provider": "standard", "company": "Acme", "secret": "whsec_!!not base64!!"}, ("body", "secret")),
        ({"provider": "standard", "company": "Acme", "colour": "blue"}, ("body", "colour")),
    ],
)
def test_create_rejects_invalid_input(api: Api, body: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert_problem(api.post("/v1/integrations", body), 422, loc)
    assert api.get("/v1/integrations").json()["data"] == []


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"provider": "greenhouse", "company": "Acme"}, "secret", "A greenhouse integration needs secret."),
        ({"provider": "lever", "company": "Acme", "secret": None}, "secret", "Input should be a valid string"),
        (
            {"provider": "lever", "company": "Acme", "secret": "x" * 15},
            "secret",
            "The secret must be 16 to 200 characters, without outer spaces.",
        ),
        (
            {"provider": "greenhouse", "company": "Acme", "secret": "a-long-enough-secret\n"},
            "secret",
            "The secret must be 16 to 200 characters, without outer spaces.",
        ),
        (
            {"provider": "standard", "company": "Acme", "secret": STANDARD_SECRET + "\n"},
            "secret",
            "A standard secret is `whsec_` and the base64 of 24 to 64 random bytes.",
        ),
        ({"company": "Acme"}, "provider", "The provider of an integration is one of greenhouse, lever, standard."),
        (
            {"provider": "standard", "company": "Acme", "previous_secret_valid_hours": 1},
            "previous_secret_valid_hours",
            "No integration carries previous_secret_valid_hours.",
        ),
    ],
)
def test_create_names_the_field_and_what_it_must_be(api: Api, body: dict[str, Any], loc: str, message: str) -> None:
    problem = assert_problem(api.post("/v1/integrations", body), 422)
    assert [(error["loc"], error["msg"]) for error in problem["errors"]] == [(["body", loc], message)]


def _standard_secret(size: int, *, padded: bool = True) -> str:
    encoded = base64.b64encode(bytes(range(size))).decode()
    return "whsec_" + (encoded if padded else encoded.rstrip("="))


@pytest.mark.parametrize(
    ("secret", "accepted"),
    [
        (_standard_secret(24), True),
        (_standard_secret(25), True),
        (_standard_secret(26, padded=False), True),
        (_standard_secret(63), True),
        (_standard_secret(64), True),
        (_standard_secret(64, padded=False), True),
        (_standard_secret(23), False),
        (_standard_secret(65), False),
        (_standard_secret(32)[:-1] + "==", False),
        (_standard_secret(32).replace("whsec_", "whsec-"), False),
        (_standard_secret(32) + "\n", False),
        (_standard_secret(32)[:20] + "-" + _standard_secret(32)[21:], False),
    ],
)
def test_the_schema_pattern_of_a_standard_secret_is_what_the_service_takes(
    app: Any, api: Api, secret: str, accepted: bool
) -> None:
    pattern = app.openapi()["components"]["schemas"]["StandardIntegrationCreate"]["properties"]["secret"]["anyOf"][0]
    assert bool(re.fullmatch(pattern["pattern"], secret)) is accepted
    assert (pattern["minLength"] <= len(secret) <= pattern["maxLength"]) or not accepted
    response = api.post("/v1/integrations", {"provider": "standard", "company": "Acme", "secret": secret})
    assert response.status_code == (201 if accepted else 422), response.text
    if accepted:
        # The sender signs with it, and the service verifies what it signed.
        integration = response.json()
        body = b'{"type": "ping", "data": {}}'
        assert deliver(api.client, integration, body, standard_headers(body, secret=secret)).status_code == 200
        rotated = api.post(f"/v1/integrations/{integration['id']}/rotate-secret", {"secret": _standard_secret(40)})
        assert rotated.status_code == 200, rotated.text
    else:
        integration = connect(api, "standard")
        rotated = api.post(f"/v1/integrations/{integration['id']}/rotate-secret", {"secret": secret})
        assert_problem(rotated, 422, ("body", "secret"))


@pytest.mark.parametrize(("hours", "status"), [(3, 200), (3.0, 200), (720.0, 200), (3.5, 422), ("3", 422), (True, 422)])
def test_rotation_hours_are_a_whole_number(api: Api, hours: object, status: int) -> None:
    integration = connect(api, "standard")
    response = api.post(f"/v1/integrations/{integration['id']}/rotate-secret", {"previous_secret_valid_hours": hours})
    assert response.status_code == status, response.text
    if status == 422:
        assert_problem(response, 422, ("body", "previous_secret_valid_hours"))


def test_a_standard_secret_may_be_given(api: Api) -> None:
    assert connect(api, "standard", STANDARD_SECRET)["secret"] == STANDARD_SECRET


def test_list_pages(api: Api) -> None:
    ids = [connect(api, "standard")["id"] for _ in range(3)]
    first = api.get("/v1/integrations", params={"limit": 2}).json()
    second = api.get("/v1/integrations", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["data"] + second["data"]] == ids
    assert second["next_cursor"] is None


def test_another_users_integration_is_not_found_on_every_route(client: TestClient, api: Api, other: Api) -> None:
    mine = connect(api, "greenhouse", GREENHOUSE_SECRET)
    base = f"/v1/integrations/{mine['id']}"
    assert_problem(other.get(base), 404)
    assert_problem(other.get(f"{base}/deliveries"), 404)
    assert_problem(other.post(f"{base}/rotate-secret", {"secret": "stolen-secret-value-123"}), 404)
    assert_problem(other.delete(base), 404)
    assert other.get("/v1/integrations").json()["data"] == []
    # An interview cannot follow another user's integration either.
    assert_problem(
        other.post(
            "/v1/interviews",
            {
                "company": "Acme",
                "role_title": "Engineer",
                "role_family": "engineering",
                "interview_at": "2026-03-02T10:00:00-05:00",
                "integration_id": mine["id"],
                "ats_application_id": GREENHOUSE_APPLICATION,
            },
        ),
        422,
        ("body", "integration_id"),
    )
    assert api.get(base).status_code == 200
    assert deliver_sample(client, mine, STAGE_SAMPLE).status_code == 200


def test_integration_routes_need_an_api_key(client: TestClient) -> None:
    assert_problem(client.get("/v1/integrations"), 401)
    assert_problem(client.post("/v1/integrations", json={"provider": "standard", "company": "Acme"}), 401)


def test_delete_unlinks_interviews_and_forgets_deliveries(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    interview = followed(api, integration)
    assert deliver_sample(client, integration, STAGE_SAMPLE).status_code == 200
    assert api.delete(f"/v1/integrations/{integration['id']}").status_code == 204
    assert_problem(api.get(f"/v1/integrations/{integration['id']}"), 404)
    assert_problem(api.get(f"/v1/integrations/{integration['id']}/deliveries"), 404)
    assert_problem(deliver_sample(client, integration, REJECT_SAMPLE), 404)
    after = api.get(f"/v1/interviews/{interview['id']}").json()
    assert (after["integration_id"], after["ats_application_id"]) == (None, None)
    assert [e["source"] for e in events(api, interview)] == ["greenhouse"]


# -- secret rotation ------------------------------------------------------------------------


def test_standard_rotation_accepts_both_secrets_during_the_window(client: TestClient, api: Api, engine: Engine) -> None:
    integration = connect(api, "standard")
    old = integration["secret"]
    rotated = api.post(f"/v1/integrations/{integration['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert rotated.json()["previous_secret_expires_at"] is not None
    assert new not in api.get(f"/v1/integrations/{integration['id']}").text
    body = standard_body("A-1", {"type": "note", "occurred_at": "2026-03-02T12:00:00Z"})
    for secret in (old, new):
        assert deliver(client, integration, body, standard_headers(body, secret=secret)).status_code == 200
    # Once the window is over, only the new secret passes.
    with Session(engine) as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(Integration).values(previous_secret_expires_at=past))
        session.commit()
    assert_problem(deliver(client, integration, body, standard_headers(body, secret=old)), 401)
    assert deliver(client, integration, body, standard_headers(body, secret=new)).status_code == 200


def test_rotation_without_a_window_drops_the_old_secret_at_once(client: TestClient, api: Api) -> None:
    integration = connect(api, "standard")
    rotated = api.post(f"/v1/integrations/{integration['id']}/rotate-secret", {"previous_secret_valid_hours": 0}).json()
    assert rotated["previous_secret_expires_at"] is None
    body = standard_body("A-1", {"type": "note", "occurred_at": "2026-03-02T12:00:00Z"})
    assert_problem(deliver(client, integration, body, standard_headers(body, secret=integration["secret"])), 401)
    assert deliver(client, integration, body, standard_headers(body, secret=rotated["secret"])).status_code == 200


def test_greenhouse_rotation_takes_the_new_secret_and_keeps_the_old_one_for_a_while(
    client: TestClient, api: Api
) -> None:
    integration = connect(api, "greenhouse", "the-first-greenhouse-secret")
    url = f"/v1/integrations/{integration['id']}/rotate-secret"
    assert_problem(api.post(url), 422, ("body", "secret"))
    assert_problem(api.post(url, {"secret": "the-first-greenhouse-secret"}), 422, ("body", "secret"))
    assert_problem(api.post(url, {"secret": GREENHOUSE_SECRET, "previous_secret_valid_hours": 721}), 422)
    rotated = api.post(url, {"secret": GREENHOUSE_SECRET, "previous_secret_valid_hours": 1})
    assert rotated.status_code == 200
    assert rotated.json()["secret_rotated_at"] is not None
    body = greenhouse_stage("Onsite")
    for secret in ("the-first-greenhouse-secret", GREENHOUSE_SECRET):
        response = deliver(client, integration, body, greenhouse_headers(body, secret=secret, event_id=secret))
        assert response.status_code == 200, response.text


# -- deliveries: verification ---------------------------------------------------------------


def test_unknown_integration_is_404(client: TestClient) -> None:
    assert_problem(
        client.post("/v1/webhooks/ats/no-such-id", content=sample(STAGE_SAMPLE), headers={"Signature": "sha256 00"}),
        404,
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Signature": "sha256 " + "0" * 64},
        {"Signature": GREENHOUSE_SIGNATURES[REJECT_SAMPLE]},
        {"Signature": "sha1 " + GREENHOUSE_SIGNATURES[STAGE_SAMPLE].split()[1]},
        {"Authorization": "Bearer fu_abc_def"},
    ],
)
def test_greenhouse_bad_or_missing_signature_is_401_and_nothing_is_stored(
    client: TestClient, api: Api, headers: dict[str, str]
) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    problem = assert_problem(deliver(client, integration, sample(STAGE_SAMPLE), headers), 401)
    assert GREENHOUSE_SECRET not in json.dumps(problem)
    assert deliveries(api, integration) == []


def test_greenhouse_tampered_body_and_wrong_secret_are_401(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    other = connect(api, "greenhouse", "some-other-greenhouse-secret")
    tampered = sample(STAGE_SAMPLE).replace(b"Technical Interview", b"Offer Interview!!!!")
    headers = {"Signature": GREENHOUSE_SIGNATURES[STAGE_SAMPLE]}
    assert_problem(deliver(client, integration, tampered, headers), 401)
    assert_problem(deliver(client, other, sample(STAGE_SAMPLE), headers), 401)
    assert deliveries(api, integration) == deliveries(api, other) == []


def test_lever_bad_signatures_are_401(client: TestClient, api: Api) -> None:
    integration = connect(api, "lever", LEVER_TOKEN)
    document = json.loads(sample("lever_candidateStageChange.json"))
    for change in ({"signature": None}, {"token": "0" * 48}, {"triggeredAt": 1773155045124}):
        body = json.dumps(document | change).encode()
        assert_problem(deliver(client, integration, body, {"Content-Type": "application/json"}), 401)
    wrong = connect(api, "lever", "a-different-lever-signature-token")
    assert_problem(deliver(client, wrong, sample("lever_candidateStageChange.json"), {}), 401)
    assert deliveries(api, integration) == deliveries(api, wrong) == []


def test_standard_missing_stale_and_wrong_signatures_are_401(client: TestClient, api: Api) -> None:
    integration = connect(api, "standard", STANDARD_SECRET)
    body = standard_body("A-1", {"type": "note", "occurred_at": "2026-03-02T12:00:00Z"})
    fresh = standard_headers(body)
    cases = [
        {k: v for k, v in fresh.items() if k != "webhook-signature"},
        {k: v for k, v in fresh.items() if k != "webhook-timestamp"},
        standard_headers(body, at=datetime.now(UTC) - timedelta(minutes=6)),
        standard_headers(body, secret="whsec_wKO3Bzj6lZHZgaJrXAxEQLIphl+/+hhe2u7R1md/Bic="),
        fresh | {"webhook-signature": "v1"},
        fresh | {"webhook-signature": "v1,%%%"},
    ]
    for headers in cases:
        assert_problem(deliver(client, integration, body, headers), 401)
    assert_problem(deliver(client, integration, body + b" ", fresh), 401)
    # The documented example, with its fixed (now stale) timestamp.
    example = standard_example()
    head, _, example_body = example["request"].partition("\n\n")
    example_headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    problem = assert_problem(deliver(client, integration, example_body.encode(), example_headers), 401)
    assert "too old" in problem["detail"]
    assert deliveries(api, integration) == []


def test_body_over_one_mebibyte_is_413_and_nothing_is_stored(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    body = b'{"action": "ping", "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    assert_problem(deliver(client, integration, body, greenhouse_headers(body)), 413)
    exactly = b'{"a":"' + b"x" * (MAX_BODY_BYTES - 8) + b'"}'
    assert len(exactly) == MAX_BODY_BYTES
    assert deliver(client, integration, exactly, greenhouse_headers(exactly)).json()["result"] == "ignored"
    assert len(deliveries(api, integration)) == 1


def test_the_webhook_needs_no_api_key_in_the_schema(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/webhooks/ats/{integration_id}"]["post"]
    assert operation["security"] == []
    assert {"200", "401", "404", "413", "422"} <= set(operation["responses"])


# -- deliveries: what they do ---------------------------------------------------------------


def test_greenhouse_samples_become_events_and_change_the_next_action(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    interview = followed(api, integration)
    api.event(interview["id"], type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00")
    url = f"/v1/interviews/{interview['id']}/next-action"
    at = {"at": "2026-03-11T12:00:00Z"}
    # Without a word since the interview, the first status check falls on Monday 9 March.
    assert api.get(url, params=at).json()["earliest_allowed_date"] == "2026-03-09"

    response = deliver_sample(client, integration, STAGE_SAMPLE, "evt-stage")
    assert response.status_code == 200
    assert response.json()["result"] == "applied"
    [thank_you, stage] = events(api, interview)
    assert thank_you["source"] == "api"
    assert (stage["type"], stage["source"], stage["note"]) == ("stage_changed", "greenhouse", "Technical Interview")
    assert stage["occurred_at"] == "2026-03-10T15:04:05Z"
    # The stage change counts as a reply: the ladder restarts a week after it.
    action = api.get(url, params=at).json()
    assert (action["action"], action["earliest_allowed_at"]) == ("send_status_check", "2026-03-17T09:00:00-04:00")
    assert api.get("/v1/follow-ups").json()["data"][0]["next_action"]["earliest_allowed_date"] == "2026-03-17"

    assert deliver_sample(client, integration, REJECT_SAMPLE, "evt-reject").json()["result"] == "applied"
    rejected = events(api, interview)[-1]
    assert (rejected["type"], rejected["note"], rejected["occurred_at"]) == (
        "rejected",
        "Hired another candidate",
        "2026-03-12T16:05:11Z",
    )
    assert api.get(f"/v1/interviews/{interview['id']}").json()["status"] == "rejected"
    assert api.get(url).json()["action"] == "none"

    listed = deliveries(api, integration)
    assert [d["result"] for d in listed] == ["applied", "applied"]
    assert listed[0]["delivery_key"] == "evt-reject"
    assert (listed[0]["event_id"], listed[0]["interview_id"]) == (rejected["id"], interview["id"])
    assert (listed[1]["action"], listed[1]["application_id"]) == ("candidate_stage_change", GREENHOUSE_APPLICATION)
    assert listed[1]["provider"] == "greenhouse"


def test_greenhouse_offer_and_hire(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    interview = followed(api, integration)
    for body, status in ((greenhouse_offer_created(), "offer"), (greenhouse_hire(), "hired")):
        assert deliver(client, integration, body, greenhouse_headers(body)).json()["result"] == "applied"
        assert api.get(f"/v1/interviews/{interview['id']}").json()["status"] == status
    assert {e["type"] for e in events(api, interview)} == {"offer_received", "hired"}


def test_greenhouse_ping_and_unknown_actions_answer_200_and_are_kept_as_ignored(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    interview = followed(api, integration)
    for body in (
        b'{"action":"ping","payload":{"web_hook_id":1}}',
        greenhouse_body("interview_deleted", {"interview": {"id": 16602931}}),
        b"not json at all",
    ):
        response = deliver(client, integration, body, greenhouse_headers(body))
        assert response.status_code == 200, response.text
    assert [d["result"] for d in deliveries(api, integration)] == ["failed", "ignored", "ignored"]
    assert events(api, interview) == []


def test_the_same_stage_reported_twice_is_one_stage_change(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    interview = followed(api, integration)
    update = greenhouse_body(
        "application_updated", {"application": greenhouse_application(last_activity_at="2026-03-10T15:05:00Z")}
    )
    assert deliver_sample(client, integration, STAGE_SAMPLE).json()["result"] == "applied"
    assert deliver(client, integration, update, greenhouse_headers(update)).json()["result"] == "ignored"
    onsite = greenhouse_stage("Onsite", at="2026-03-12T09:00:00Z")
    assert deliver(client, integration, onsite, greenhouse_headers(onsite)).json()["result"] == "applied"
    assert [e["note"] for e in events(api, interview)] == ["Technical Interview", "Onsite"]


def test_replays_and_duplicates_answer_200_and_apply_nothing(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    interview = followed(api, integration)
    first = deliver_sample(client, integration, STAGE_SAMPLE, "evt-1").json()
    again = deliver_sample(client, integration, STAGE_SAMPLE, "evt-1")
    assert again.status_code == 200
    assert again.json()["result"] == "duplicate"
    assert first["delivery_id"] in again.json()["detail"]
    # Without Greenhouse-Event-ID, the body's hash tells repeats apart.
    body = greenhouse_stage("Onsite")
    assert deliver(client, integration, body, greenhouse_headers(body)).json()["result"] == "applied"
    assert deliver(client, integration, body, greenhouse_headers(body)).json()["result"] == "duplicate"
    assert len(events(api, interview)) == 2
    results = [d["result"] for d in deliveries(api, integration)]
    assert results == ["duplicate", "applied", "duplicate", "applied"]
    assert [d["result"] for d in deliveries(api, integration, result="duplicate")] == ["duplicate", "duplicate"]


def test_lever_samples_and_a_replay_with_other_data(client: TestClient, api: Api) -> None:
    integration = connect(api, "lever", LEVER_TOKEN)
    interview = followed(api, integration, LEVER_OPPORTUNITY)
    stage = deliver(client, integration, sample("lever_candidateStageChange.json"), {})
    assert stage.json()["result"] == "applied"
    test = deliver(client, integration, sample("lever_test_request.json"), {})
    assert (test.status_code, test.json()["result"]) == (200, "ignored")
    # Lever signs the token and time only: a replay with other data is caught by its token.
    document = json.loads(sample("lever_candidateStageChange.json"))
    document["event"], document["data"]["toStageId"] = "candidateHired", "forged"
    assert deliver(client, integration, json.dumps(document).encode(), {}).json()["result"] == "duplicate"
    [event] = events(api, interview)
    assert (event["type"], event["source"], event["occurred_at"]) == (
        "stage_changed",
        "lever",
        "2026-03-10T15:04:05.123000Z",
    )
    listed = deliveries(api, integration)
    assert listed[-1]["delivery_key"] == "38ba96c34982abe02fb230b9ae3f56830cbb9f5bd6ac7979"
    assert [d["result"] for d in listed] == ["duplicate", "ignored", "applied"]


def test_lever_archive_is_a_rejection_unless_hired(client: TestClient, api: Api) -> None:
    integration = connect(api, "lever", LEVER_TOKEN)
    archived = {"archivedAt": 1773300000000, "reason": "63dd55b2-a99f-4e7b-985f-22c7bf80ab42"}
    rejected = followed(api, integration, "opp-rejected")
    hired = followed(api, integration, "opp-hired")
    bodies = [
        lever_body("interviewCreated", lever_data("opp-rejected", interviewId="iv-1", panelId="p-1")),
        lever_body("candidateArchiveChange", lever_data("opp-rejected", toArchived=archived, fromArchived=None)),
        lever_body("candidateHired", lever_data("opp-hired")),
        lever_body("candidateArchiveChange", lever_data("opp-hired", toArchived=archived, fromArchived=None)),
        lever_body("candidateArchiveChange", lever_data("opp-hired", toArchived=None, fromArchived=archived)),
    ]
    results = [deliver(client, integration, body, {}).json()["result"] for body in bodies]
    assert results == ["applied", "applied", "applied", "ignored", "ignored"]
    assert [e["type"] for e in events(api, rejected)] == ["stage_changed", "rejected"]
    assert [e["type"] for e in events(api, hired)] == ["hired"]
    assert api.get(f"/v1/interviews/{hired['id']}").json()["status"] == "hired"


def test_standard_event_is_applied_like_the_api(client: TestClient, api: Api) -> None:
    integration = connect(api, "standard")
    interview = followed(api, integration, "A-7")
    ana = interview["contacts"][0]["id"]
    event = {
        "type": "timeline_shared",
        "occurred_at": "2026-03-03T12:00:00-05:00",
        "decision_expected_by": "2026-03-06",
        "contact_id": ana,
        "channel": "email",
    }
    body = standard_body("A-7", event)
    response = deliver(client, integration, body, standard_headers(body, secret=integration["secret"]))
    assert (response.status_code, response.json()["result"]) == (200, "applied")
    [recorded] = events(api, interview)
    assert (recorded["type"], recorded["source"], recorded["contact_id"]) == ("timeline_shared", "standard", ana)
    action = api.get(f"/v1/interviews/{interview['id']}/next-action", params={"at": "2026-03-07T12:00:00Z"}).json()
    assert (action["action"], action["earliest_allowed_date"]) == ("send_status_check", "2026-03-09")
    other_type = b'{"type":"followup.due","data":{}}'
    ignored = deliver(client, integration, other_type, standard_headers(other_type, secret=integration["secret"]))
    assert ignored.json()["result"] == "ignored"


def test_standard_invalid_event_is_422_but_kept_as_failed(client: TestClient, api: Api) -> None:
    integration = connect(api, "standard")
    interview = followed(api, integration, "A-7")
    body = standard_body("A-7", {"type": "timeline_shared", "occurred_at": "2026-03-03T12:00:00Z"})
    headers = standard_headers(body, secret=integration["secret"], msg_id="msg_bad")
    problem = assert_problem(
        deliver(client, integration, body, headers), 422, ("body", "data", "event", "decision_expected_by")
    )
    [failed] = deliveries(api, integration)
    assert failed["result"] == "failed"
    assert failed["id"] in problem["detail"]
    assert "decision_expected_by" in failed["detail"]
    # A retry is tried again (and fails again), not taken for a duplicate.
    assert_problem(deliver(client, integration, body, headers), 422)
    schema_error = standard_body("A-7", {"type": "coffee", "occurred_at": "2026-03-03T12:00:00Z"})
    assert_problem(
        deliver(client, integration, schema_error, standard_headers(schema_error, secret=integration["secret"])),
        422,
        ("body", "data", "event", "type"),
    )
    not_json = b"{"
    assert_problem(
        deliver(client, integration, not_json, standard_headers(not_json, secret=integration["secret"])), 422
    )
    assert [d["result"] for d in deliveries(api, integration)] == ["failed"] * 4
    assert events(api, interview) == []


def test_a_failed_delivery_can_succeed_when_retried(client: TestClient, api: Api) -> None:
    integration = connect(api, "standard")
    followed(api, integration, "A-7")
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    body = standard_body("A-7", {"type": "note", "occurred_at": soon})
    headers = standard_headers(body, secret=integration["secret"], msg_id="msg_early")
    assert_problem(deliver(client, integration, body, headers), 422, ("body", "data", "event", "occurred_at"))
    later = body.replace(soon.encode(), b"2026-03-03T12:00:00+00:00")
    retried = deliver(
        client, integration, later, standard_headers(later, secret=integration["secret"], msg_id="msg_early")
    )
    assert retried.json()["result"] == "applied"


def test_an_event_the_interview_refuses_is_failed(client: TestClient, api: Api) -> None:
    integration = connect(api, "standard")
    followed(api, integration, "A-7")
    body = standard_body("A-7", {"type": "note", "occurred_at": "2026-03-03T12:00:00Z", "contact_id": "nobody"})
    problem = assert_problem(
        deliver(client, integration, body, standard_headers(body, secret=integration["secret"])),
        422,
        ("body", "data", "event", "contact_id"),
    )
    assert "stored as failed" in problem["detail"]


# -- unmatched deliveries and links ---------------------------------------------------------


def test_a_delivery_before_the_link_is_applied_once_when_the_interview_links(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    stage = deliver_sample(client, integration, STAGE_SAMPLE, "evt-stage").json()
    reject = deliver_sample(client, integration, REJECT_SAMPLE, "evt-reject").json()
    assert [stage["result"], reject["result"]] == ["unmatched", "unmatched"]
    assert GREENHOUSE_APPLICATION in stage["detail"]
    # An interview created with the link takes both, in order of receipt.
    interview = followed(api, integration)
    assert [(e["type"], e["seq"]) for e in events(api, interview)] == [("stage_changed", 1), ("rejected", 2)]
    assert api.get(f"/v1/interviews/{interview['id']}").json()["status"] == "rejected"
    listed = deliveries(api, integration)
    assert {d["result"] for d in listed} == {"applied"}
    assert {d["interview_id"] for d in listed} == {interview["id"]}
    # Changing the link back and forth applies nothing again.
    url = f"/v1/interviews/{interview['id']}"
    assert api.patch(url, {"ats_application_id": "other"}).status_code == 200
    assert api.patch(url, {"ats_application_id": GREENHOUSE_APPLICATION}).status_code == 200
    assert len(events(api, interview)) == 2


def test_linking_by_patch_applies_what_waited(client: TestClient, api: Api) -> None:
    integration = connect(api, "lever", LEVER_TOKEN)
    assert deliver(client, integration, sample("lever_candidateStageChange.json"), {}).json()["result"] == "unmatched"
    interview = api.interview()
    assert events(api, interview) == []
    changed = api.patch(
        f"/v1/interviews/{interview['id']}",
        {"integration_id": integration["id"], "ats_application_id": LEVER_OPPORTUNITY},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["integration_id"], changed.json()["ats_application_id"]) == (
        integration["id"],
        LEVER_OPPORTUNITY,
    )
    assert [e["source"] for e in events(api, interview)] == ["lever"]
    # Deliveries that arrive once it is linked are applied at once.
    body = lever_body("candidateHired", lever_data())
    assert deliver(client, integration, body, {}).json()["result"] == "applied"


def test_an_unmatched_standard_event_is_checked_when_it_arrives(client: TestClient, api: Api) -> None:
    integration = connect(api, "standard")
    body = standard_body("A-9", {"type": "note", "occurred_at": "2026-03-03T12:00:00Z", "contact_id": "c-1"})
    assert_problem(
        deliver(client, integration, body, standard_headers(body, secret=integration["secret"])),
        422,
        ("body", "data", "event", "contact_id"),
    )
    good = standard_body("A-9", {"type": "reply_received", "occurred_at": "2026-03-03T12:00:00Z"})
    assert (
        deliver(client, integration, good, standard_headers(good, secret=integration["secret"])).json()["result"]
        == "unmatched"
    )
    interview = followed(api, integration, "A-9")
    assert [e["type"] for e in events(api, interview)] == ["reply_received"]


def test_a_waiting_delivery_that_no_longer_maps_is_failed_when_linked(api: Api, engine: Engine) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    with Session(engine) as session:
        session.add(
            Delivery(
                integration_id=integration["id"],
                provider="greenhouse",
                delivery_key="evt-old",
                dedupe_key="evt-old",
                application_id="1",
                result="unmatched",
                body=b"no longer a payload",
            )
        )
        session.commit()
    interview = followed(api, integration, "1")
    assert events(api, interview) == []
    [failed] = deliveries(api, integration)
    assert failed["result"] == "failed"
    assert failed["detail"] == (
        "The body is not JSON this service reads: Invalid JSON: Expecting value (line 1, column 1)."
    )


def test_two_integrations_of_one_provider_with_the_same_application_stay_apart(
    client: TestClient, api: Api, other: Api
) -> None:
    mine = connect(api, "greenhouse", GREENHOUSE_SECRET)
    also_mine = connect(api, "greenhouse", GREENHOUSE_SECRET, company="Globex")
    theirs = connect(other, "greenhouse", GREENHOUSE_SECRET)
    first, second = followed(api, mine), followed(api, also_mine)
    assert deliver_sample(client, mine, STAGE_SAMPLE).json()["result"] == "applied"
    assert deliver_sample(client, theirs, REJECT_SAMPLE).json()["result"] == "unmatched"
    assert [e["type"] for e in events(api, first)] == ["stage_changed"]
    assert events(api, second) == []
    third = followed(other, theirs)
    assert [e["type"] for e in events(other, third)] == ["rejected"]
    assert events(api, first)[0]["type"] == "stage_changed"
    assert len(deliveries(api, also_mine)) == 0


def test_link_rules(api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    base = {
        "company": "Acme",
        "role_title": "Engineer",
        "role_family": "engineering",
        "interview_at": "2026-03-02T10:00:00-05:00",
    }
    assert_problem(api.post("/v1/interviews", base | {"ats_application_id": "1"}), 422, ("body", "integration_id"))
    assert_problem(
        api.post("/v1/interviews", base | {"integration_id": integration["id"]}), 422, ("body", "ats_application_id")
    )
    assert_problem(
        api.post("/v1/interviews", base | {"integration_id": "nope", "ats_application_id": "1"}),
        422,
        ("body", "integration_id"),
    )
    assert_problem(
        api.post("/v1/interviews", base | {"integration_id": integration["id"], "ats_application_id": ""}),
        422,
        ("body", "ats_application_id"),
    )
    first = followed(api, integration, "1")
    assert_problem(
        api.post("/v1/interviews", base | {"integration_id": integration["id"], "ats_application_id": "1"}), 409
    )
    second = api.interview()
    url = f"/v1/interviews/{second['id']}"
    assert_problem(api.patch(url, {"integration_id": integration["id"], "ats_application_id": "1"}), 409)
    assert_problem(api.patch(url, {"ats_application_id": "2"}), 422, ("body", "integration_id"))
    # Unlinking takes both fields; the application is then free for another interview.
    first_url = f"/v1/interviews/{first['id']}"
    assert_problem(api.patch(first_url, {"ats_application_id": None}), 422, ("body", "ats_application_id"))
    unlinked = api.patch(first_url, {"integration_id": None, "ats_application_id": None}).json()
    assert (unlinked["integration_id"], unlinked["ats_application_id"]) == (None, None)
    assert api.patch(url, {"integration_id": integration["id"], "ats_application_id": "1"}).status_code == 200
    assert api.get(url).json()["ats_application_id"] == "1"


def test_deliveries_list_newest_first_in_pages(client: TestClient, api: Api) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    ids = [deliver_sample(client, integration, STAGE_SAMPLE, f"evt-{n}").json()["delivery_id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = api.get(f"/v1/integrations/{integration['id']}/deliveries", params=params).json()
        seen += [d["id"] for d in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert_problem(api.get(f"/v1/integrations/{integration['id']}/deliveries", params={"cursor": "x"}), 422)
    assert_problem(
        api.get(f"/v1/integrations/{integration['id']}/deliveries", params={"result": "lost"}), 422, ("query", "result")
    )


def test_secrets_stay_out_of_reprs_and_delivery_listings(client: TestClient, api: Api, engine: Engine) -> None:
    integration = connect(api, "greenhouse", GREENHOUSE_SECRET)
    deliver_sample(client, integration, STAGE_SAMPLE)
    assert GREENHOUSE_SECRET not in json.dumps(deliveries(api, integration))
    with Session(engine) as session:
        row = session.get(Integration, integration["id"])
        assert row is not None
        assert GREENHOUSE_SECRET not in repr(row)
        assert row.secret == GREENHOUSE_SECRET


def test_integration_operations_are_documented(app: Any) -> None:
    schema = app.openapi()
    operations = {
        op["operationId"]: op
        for path in schema["paths"].values()
        for op in path.values()
        if "integrations" in op.get("tags", [])
    }
    assert set(operations) == {
        "createIntegration",
        "listIntegrations",
        "getIntegration",
        "deleteIntegration",
        "rotateIntegrationSecret",
        "listIntegrationDeliveries",
    }
    for name, operation in operations.items():
        assert operation["security"] == [{"ApiKey": []}], name
        for status in ("401", "422", "500"):
            assert "application/problem+json" in operation["responses"][status]["content"], (name, status)
        if "{integration_id}" in next(p for p, item in schema["paths"].items() if operation in item.values()):
            assert "404" in operation["responses"], name
    for component in ("GreenhouseIntegrationCreate", "StandardIntegrationCreate", "SecretRotation"):
        assert schema["components"]["schemas"][component]["examples"]
    secret = schema["components"]["schemas"]["GreenhouseIntegrationCreate"]["properties"]["secret"]
    assert secret["writeOnly"] is True
