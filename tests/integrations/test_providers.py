"""The pure provider functions: signature vectors and payload mapping, no database."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from app.core.problems import InvalidInput
from app.integrations.providers import Provider, SignatureError, map_delivery, verify
from app.rules import EventType
from integrations.support import (
    GREENHOUSE_SECRET,
    GREENHOUSE_SIGNATURES,
    LEVER_OPPORTUNITY,
    LEVER_TOKEN,
    STANDARD_SECRET,
    greenhouse_application,
    greenhouse_body,
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

RECEIVED = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)


def greenhouse(body: bytes, signature: str, secrets: list[str] | None = None, **headers: str) -> str:
    return verify(
        Provider.GREENHOUSE,
        body=body,
        headers={"signature": signature} | headers,
        secrets=secrets or [GREENHOUSE_SECRET],
    )


# -- Greenhouse signatures ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        (
            b'{"action":"interview_deleted","payload":{"interview":{"id":16602931}}}',
            "sha256 bf358781bc51de039997b23155cfff81c9acaf5d5a20e638bc4b95cf06bcfb96",
        ),
        (
            b'{"action":"job_post_updated","payload":{"job_post":{"content":"\\u003cp\\u003ehello\\u003c/p\\u003e"}}}',
            "sha256 e9d9f983fe824c9d708f603071a6d83a9d7a8c0f930507d076a7b0487b53d088",
        ),
    ],
)
def test_greenhouse_inline_vectors(body: bytes, signature: str) -> None:
    assert greenhouse(body, signature) == "sha256:" + hashlib.sha256(body).hexdigest()


def test_greenhouse_signs_the_escaped_bytes_not_a_reserialization() -> None:
    raw = b'{"action":"job_post_updated","payload":{"job_post":{"content":"\\u003cp\\u003ehello\\u003c/p\\u003e"}}}'
    reserialized = json.dumps(json.loads(raw), separators=(",", ":")).encode()
    assert b"<p>" in reserialized
    with pytest.raises(SignatureError):
        greenhouse(reserialized, "sha256 e9d9f983fe824c9d708f603071a6d83a9d7a8c0f930507d076a7b0487b53d088")


@pytest.mark.parametrize("name", sorted(GREENHOUSE_SIGNATURES))
def test_greenhouse_sample_files_carry_their_documented_signature(name: str) -> None:
    body = sample(name)
    assert greenhouse(body, GREENHOUSE_SIGNATURES[name], **{"greenhouse-event-id": "evt-1"}) == "evt-1"


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("", "missing"),
        ("sha1 ca6e9509c602ac7664b7f02bc9835a07bdea32a8ed3262af3f4188c7c3b147ff", "form"),
        ("sha256", "form"),
        ("ca6e9509c602ac7664b7f02bc9835a07bdea32a8ed3262af3f4188c7c3b147ff", "form"),
        ("sha256 " + "0" * 64, "does not match"),
        ("sha256 ünïcode", "does not match"),
    ],
)
def test_greenhouse_bad_signatures(signature: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        greenhouse(sample("greenhouse_candidate_stage_change.json"), signature)


def test_greenhouse_tampered_body_and_wrong_secret() -> None:
    body = sample("greenhouse_candidate_stage_change.json")
    signature = GREENHOUSE_SIGNATURES["greenhouse_candidate_stage_change.json"]
    with pytest.raises(SignatureError):
        greenhouse(body.replace(b"Technical Interview", b"Technical Interviev"), signature)
    with pytest.raises(SignatureError):
        greenhouse(body, signature, secrets=["another-secret-of-enough-length"])
    # Upper-case hex is the same digest; the previous secret of a rotation is tried too.
    assert greenhouse(body, signature.upper().replace("SHA256", "sha256"), secrets=["x" * 16, GREENHOUSE_SECRET])


def test_a_very_long_delivery_id_is_kept_as_its_hash() -> None:
    body = sample("greenhouse_reject_candidate.json")
    long_id = "e" * 500
    key = greenhouse(
        body, GREENHOUSE_SIGNATURES["greenhouse_reject_candidate.json"], **{"greenhouse-event-id": long_id}
    )
    assert key == "sha256:" + hashlib.sha256(long_id.encode()).hexdigest()


# -- Lever signatures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "token"),
    [
        ("lever_candidateStageChange.json", "38ba96c34982abe02fb230b9ae3f56830cbb9f5bd6ac7979"),
        ("lever_test_request.json", "6e87cd789a0693fa11591747b19656cf0ef61db7f1160543"),
    ],
)
def test_lever_sample_files_verify_with_the_token(name: str, token: str) -> None:
    assert verify(Provider.LEVER, body=sample(name), headers={}, secrets=[LEVER_TOKEN]) == token


def test_lever_signs_triggered_at_as_an_integer() -> None:
    document = json.loads(sample("lever_candidateStageChange.json"))
    document["triggeredAt"] = float(document["triggeredAt"])
    with pytest.raises(SignatureError, match="integer"):
        verify(Provider.LEVER, body=json.dumps(document).encode(), headers={}, secrets=[LEVER_TOKEN])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"signature": None}, "no signature"),
        ({"token": ""}, "no token"),
        ({"triggeredAt": True}, "integer"),
        ({"token": "38ba96c34982abe02fb230b9ae3f56830cbb9f5bd6ac7970"}, "does not match"),
        ({"triggeredAt": 1773155045124}, "does not match"),
    ],
)
def test_lever_bad_signatures(change: dict[str, object], message: str) -> None:
    document = json.loads(sample("lever_candidateStageChange.json")) | change
    with pytest.raises(SignatureError, match=message):
        verify(Provider.LEVER, body=json.dumps(document).encode(), headers={}, secrets=[LEVER_TOKEN])


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_lever_body_that_is_no_object_carries_no_signature(body: bytes) -> None:
    with pytest.raises(SignatureError):
        verify(Provider.LEVER, body=body, headers={}, secrets=[LEVER_TOKEN])


def test_lever_wrong_token() -> None:
    with pytest.raises(SignatureError):
        verify(Provider.LEVER, body=sample("lever_test_request.json"), headers={}, secrets=["x" * 48])


# -- Standard Webhooks ----------------------------------------------------------------------


def test_standard_example_vector() -> None:
    example = standard_example()
    head, _, body = example["request"].partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    when = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
    signature = Webhook(example["secret"]).sign(msg_id=headers["webhook-id"], timestamp=when, data=body)
    assert signature == headers["webhook-signature"] == example["expected"].split(": ")[1]
    # Checked as of today, its timestamp is too old.
    lowered = {name.lower(): value for name, value in headers.items()}
    with pytest.raises(SignatureError, match="too old"):
        verify(Provider.STANDARD, body=body.encode(), headers=lowered, secrets=[example["secret"]])


def test_standard_accepts_a_fresh_signature_and_either_secret_of_a_rotation() -> None:
    body = standard_body("A-1", {"type": "note", "occurred_at": "2026-03-02T12:00:00Z"})
    headers = {k.lower(): v for k, v in standard_headers(body, msg_id="msg_1").items()}
    old = "whsec_wKO3Bzj6lZHZgaJrXAxEQLIphl+/+hhe2u7R1md/Bic="
    assert verify(Provider.STANDARD, body=body, headers=headers, secrets=[STANDARD_SECRET]) == "msg_1"
    assert verify(Provider.STANDARD, body=body, headers=headers, secrets=[old, STANDARD_SECRET]) == "msg_1"
    with pytest.raises(SignatureError, match="No matching signature"):
        verify(Provider.STANDARD, body=body, headers=headers, secrets=[old])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"webhook-signature": None}, "Missing required headers"),
        ({"webhook-id": None}, "Missing required headers"),
        ({"webhook-timestamp": "yesterday"}, "Invalid Signature Headers"),
        ({"webhook-signature": "v1"}, "Malformed"),
        ({"webhook-signature": "v1,not base64!"}, "Malformed"),
        ({"webhook-signature": "v1a,abcd"}, "No matching signature"),
    ],
)
def test_standard_bad_headers(change: dict[str, str | None], message: str) -> None:
    body = standard_body("A-1", {"type": "note", "occurred_at": "2026-03-02T12:00:00Z"})
    headers = {k.lower(): v for k, v in standard_headers(body).items()} | change
    present = {k: v for k, v in headers.items() if v is not None}
    with pytest.raises(SignatureError, match=message):
        verify(Provider.STANDARD, body=body, headers=present, secrets=[STANDARD_SECRET])


def test_standard_stale_and_future_timestamps() -> None:
    body = standard_body("A-1", {"type": "note", "occurred_at": "2026-03-02T12:00:00Z"})
    for shift, message in ((-6, "too old"), (6, "too new")):
        at = datetime.now(UTC) + timedelta(minutes=shift)
        headers = {k.lower(): v for k, v in standard_headers(body, at=at).items()}
        with pytest.raises(SignatureError, match=message):
            verify(Provider.STANDARD, body=body, headers=headers, secrets=[STANDARD_SECRET])


def test_standard_body_that_is_not_utf8() -> None:
    headers = {k.lower(): v for k, v in standard_headers(b"{}").items()}
    with pytest.raises(SignatureError, match="Malformed"):
        verify(Provider.STANDARD, body=b"\xff\xfe", headers=headers, secrets=[STANDARD_SECRET])


# -- mapping --------------------------------------------------------------------------------


def test_greenhouse_stage_change_sample() -> None:
    mapped = map_delivery(
        Provider.GREENHOUSE, body=sample("greenhouse_candidate_stage_change.json"), received_at=RECEIVED
    )
    assert (mapped.action, mapped.application_id) == ("candidate_stage_change", "91552310")
    assert mapped.event is not None
    assert mapped.event.type is EventType.STAGE_CHANGED
    assert mapped.event.note == "Technical Interview"
    assert mapped.event.occurred_at == datetime(2026, 3, 10, 15, 4, 5, tzinfo=UTC)


def test_greenhouse_reject_sample() -> None:
    mapped = map_delivery(Provider.GREENHOUSE, body=sample("greenhouse_reject_candidate.json"), received_at=RECEIVED)
    assert mapped.event is not None
    assert (mapped.event.type, mapped.event.note) == (EventType.REJECTED, "Hired another candidate")
    assert mapped.event.occurred_at == datetime(2026, 3, 12, 16, 5, 11, tzinfo=UTC)


def test_greenhouse_offer_hire_and_application_updated() -> None:
    offer = map_delivery(Provider.GREENHOUSE, body=greenhouse_offer_created(), received_at=RECEIVED)
    assert offer.event is not None
    assert (offer.application_id, offer.event.type, offer.event.occurred_at) == (
        "91552310",
        EventType.OFFER_RECEIVED,
        RECEIVED,
    )
    hire = map_delivery(Provider.GREENHOUSE, body=greenhouse_hire(), received_at=RECEIVED)
    assert hire.event is not None
    assert (hire.event.type, hire.event.occurred_at) == (EventType.HIRED, datetime(2026, 3, 20, 17, 30, tzinfo=UTC))
    updated = map_delivery(
        Provider.GREENHOUSE,
        body=greenhouse_body("application_updated", {"application": greenhouse_application(5, current_stage=None)}),
        received_at=RECEIVED,
    )
    assert updated.event is not None
    assert (updated.application_id, updated.event.type, updated.event.note) == ("5", EventType.STAGE_CHANGED, None)


def test_greenhouse_times_from_the_payload_are_never_in_the_future_and_bad_ones_fall_back() -> None:
    for last_activity, expected in (
        ("2027-01-01T00:00:00Z", RECEIVED),
        ("last tuesday", RECEIVED),
        (None, RECEIVED),
        ("2026-03-10T15:04:05", datetime(2026, 3, 10, 15, 4, 5, tzinfo=UTC)),
    ):
        application = greenhouse_application(last_activity_at=last_activity)
        body = greenhouse_body("candidate_stage_change", {"application": application})
        mapped = map_delivery(Provider.GREENHOUSE, body=body, received_at=RECEIVED)
        assert mapped.event is not None
        assert mapped.event.occurred_at == expected, last_activity


@pytest.mark.parametrize(
    "body",
    [
        b'{"action": "ping", "payload": {"web_hook_id": 1}}',
        b'{"web_hook": {"url": "https://example.com"}}',
        b'{"action": "interview_deleted", "payload": {"interview": {"id": 16602931}}}',
        b'{"action": "unreject_candidate", "payload": {"application": {"id": 1}}}',
    ],
)
def test_greenhouse_pings_and_other_actions_are_ignored(body: bytes) -> None:
    mapped = map_delivery(Provider.GREENHOUSE, body=body, received_at=RECEIVED)
    assert mapped.event is None
    assert mapped.reason


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (b"not json", ["body"]),
        (b"[]", ["body"]),
        (b'{"action": "reject_candidate", "payload": []}', ["body", "payload"]),
        (b'{"action": "reject_candidate", "payload": {}}', ["body", "payload", "application"]),
        (
            b'{"action": "hire_candidate", "payload": {"application": {"id": true}}}',
            ["body", "payload", "application", "id"],
        ),
        (
            b'{"action": "hire_candidate", "payload": {"application": {"id": " "}}}',
            ["body", "payload", "application", "id"],
        ),
        (b'{"action": "offer_created", "payload": {"id": 1}}', ["body", "payload", "application_id"]),
    ],
)
def test_greenhouse_payloads_of_the_wrong_shape(body: bytes, loc: list[str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        map_delivery(Provider.GREENHOUSE, body=body, received_at=RECEIVED)
    assert raised.value.errors is not None
    assert raised.value.errors[0].loc == loc


def test_lever_samples() -> None:
    stage = map_delivery(Provider.LEVER, body=sample("lever_candidateStageChange.json"), received_at=RECEIVED)
    assert stage.event is not None
    assert (stage.action, stage.application_id) == ("candidateStageChange", LEVER_OPPORTUNITY)
    assert stage.event.type is EventType.STAGE_CHANGED
    assert stage.event.occurred_at == datetime(2026, 3, 10, 15, 4, 5, 123000, tzinfo=UTC)
    test = map_delivery(Provider.LEVER, body=sample("lever_test_request.json"), received_at=RECEIVED)
    assert (test.action, test.event, test.reason) == ("candidateHired", None, "No opportunityId: a test delivery.")


def test_lever_events() -> None:
    def mapped(event: str, **data: object) -> tuple[EventType | None, str | None, bool]:
        result = map_delivery(Provider.LEVER, body=lever_body(event, lever_data(**data)), received_at=RECEIVED)
        return (
            (result.event.type if result.event else None),
            (result.event.note if result.event else None),
            (result.unless_hired),
        )

    assert mapped("candidateHired") == (EventType.HIRED, None, False)
    assert mapped("interviewCreated", interviewId="iv-1") == (
        EventType.STAGE_CHANGED,
        "interview iv-1 scheduled",
        False,
    )
    assert mapped("interviewUpdated") == (EventType.STAGE_CHANGED, "interview updated", False)
    archived = {"archivedAt": 1773300000000, "reason": "63dd55b2-a99f-4e7b-985f-22c7bf80ab42"}
    assert mapped("candidateArchiveChange", toArchived=archived, fromArchived=None) == (EventType.REJECTED, None, True)
    assert mapped("candidateArchiveChange", toArchived=None, fromArchived=archived) == (None, None, False)
    assert mapped("contactUpdated") == (None, None, False)
    rejected = map_delivery(
        Provider.LEVER,
        body=lever_body("candidateArchiveChange", lever_data(toArchived=archived)),
        received_at=RECEIVED,
    )
    assert rejected.event is not None
    assert rejected.event.occurred_at == datetime.fromtimestamp(1773300000, tz=UTC)


def test_blank_stage_names_and_unreadable_archive_times() -> None:
    blank = map_delivery(Provider.GREENHOUSE, body=greenhouse_stage("  "), received_at=RECEIVED)
    assert blank.event is not None
    assert blank.event.note is None
    archived = {"archivedAt": "yesterday", "reason": "r"}
    body = lever_body("candidateArchiveChange", lever_data(toArchived=archived), triggered_at=1773155045000)
    mapped = map_delivery(Provider.LEVER, body=body, received_at=RECEIVED)
    assert mapped.event is not None
    assert mapped.event.occurred_at == datetime.fromtimestamp(1773155045, tz=UTC)


def test_lever_times_that_cannot_be_read_fall_back_to_the_receipt() -> None:
    for triggered_at in (10**20, -(10**20)):
        body = lever_body("candidateHired", lever_data(), triggered_at=triggered_at)
        mapped = map_delivery(Provider.LEVER, body=body, received_at=RECEIVED)
        assert mapped.event is not None
        assert mapped.event.occurred_at == RECEIVED


def test_standard_event() -> None:
    body = standard_body(
        "A-7",
        {"type": "timeline_shared", "occurred_at": "2026-03-03T12:00:00-05:00", "decision_expected_by": "2026-03-06"},
    )
    mapped = map_delivery(Provider.STANDARD, body=body, received_at=RECEIVED)
    assert mapped.event is not None
    assert (mapped.action, mapped.application_id, mapped.event.type) == (
        "interview.event",
        "A-7",
        EventType.TIMELINE_SHARED,
    )
    ignored = map_delivery(Provider.STANDARD, body=b'{"type": "followup.due", "data": {}}', received_at=RECEIVED)
    assert (ignored.action, ignored.event) == ("followup.due", None)


@pytest.mark.parametrize(
    ("document", "loc"),
    [
        ({"type": "interview.event", "data": "x"}, ["body", "data"]),
        ({"type": "interview.event", "data": {"event": {}}}, ["body", "data", "application_id"]),
        (
            {"type": "interview.event", "data": {"application_id": "A", "event": {"type": "coffee"}}},
            ["body", "data", "event", "type"],
        ),
        ({"type": "interview.event", "data": {"application_id": "A"}}, ["body", "data", "event"]),
        (
            {
                "type": "interview.event",
                "data": {"application_id": "A", "event": {"type": "note", "occurred_at": "2026-03-02T12:00:00"}},
            },
            ["body", "data", "event", "occurred_at"],
        ),
    ],
)
def test_standard_invalid_messages(document: dict[str, object], loc: list[str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        map_delivery(Provider.STANDARD, body=json.dumps(document).encode(), received_at=RECEIVED)
    assert raised.value.errors is not None
    assert loc in [error.loc for error in raised.value.errors]
    assert raised.value.detail
