"""Hostile input against every operation of the published schema, on both databases.

Each request carries one kind of trouble: NUL characters and lone surrogates in text and
ids, times and dates far outside anything an interview could have, malformed cursors,
numbers no field can hold, duplicate keys, deep nesting, wrong content types, bytes that
are not UTF-8, strings far over their limit, and ATS deliveries built to break a parser.
Whatever comes in, the answer is never a 5xx, every 4xx is a problem document, and a
refused request changes nothing in the database."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from conftest import ROOT, Api
from fastapi.testclient import TestClient
from integrations.support import (
    GREENHOUSE_SECRET,
    LEVER_TOKEN,
    STANDARD_SECRET,
    greenhouse_application,
    greenhouse_body,
    greenhouse_headers,
    lever_body,
    lever_data,
    standard_body,
    standard_headers,
)
from mailboxes.support import stored_mailbox
from sqlalchemy import select
from sqlalchemy.engine import Engine

from app.models import metadata

OPENAPI: dict[str, Any] = json.loads((ROOT / "openapi" / "openapi.json").read_text())
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in OPENAPI["paths"].items()
    for method, operation in item.items()
    if method in ("get", "post", "patch", "put", "delete")
]
RECEIVE = "receiveAtsDelivery"

NUL = "\u0000"
SURROGATE = "\ud800"
TIME_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
EDGE_TIMES = ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "1969-12-31T23:59:59Z")
EDGE_DATES = ("9999-12-31", "0001-01-01", "2101-01-01")
HUGE_NUMBERS = ("1e400", str(10**400), str(-(10**400)))
HOSTILE_IDS = ("abc%00def", "%ED%A0%80", "x" * 5000, "' OR '1'='1")


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


HOSTILE_CURSORS = (
    cursor_of(["2026-01-01", 1]),
    cursor_of(["9999-12-31T23:59:59+00:00", 1]),
    cursor_of(["0001-01-01T00:00:00+14:00", "x"]),
    cursor_of(["2026-01-01T00:00:00+00:00", 10**400]),
    cursor_of(["2026-01-01T00:00:00+00:00", f"a{NUL}"]),
    cursor_of(["2026-01-01T00:00:00+00:00", SURROGATE]),
    cursor_of([[], {}]),
    base64.urlsafe_b64encode(b"\xff\xfe[").decode(),
)


@dataclass
class World:
    """Real objects whose ids fill the paths, and the bodies that are valid with them."""

    ids: dict[str, str]
    bodies: dict[str, dict[str, Any]]


@dataclass
class Tally:
    """Requests sent and answers seen, by class of trouble."""

    sent: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def public_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook endpoint names resolve to a public address (there is no DNS here)."""
    import ipaddress

    monkeypatch.setattr("app.webhooks_out.ssrf.resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def world(api: Api, engine: Engine) -> World:
    interview = api.interview(applied_on="2026-02-20", decision_expected_by="2026-03-06")
    contact = interview["contacts"][0]
    api.event(interview["id"], type="thank_you_sent", occurred_at="2026-03-02T15:00:00-05:00")
    greenhouse = _created(
        api.post("/v1/integrations", {"provider": "greenhouse", "company": "Acme", "secret": GREENHOUSE_SECRET})
    )
    lever = _created(api.post("/v1/integrations", {"provider": "lever", "company": "Acme", "secret": LEVER_TOKEN}))
    standard = _created(
        api.post("/v1/integrations", {"provider": "standard", "company": "Acme", "secret": STANDARD_SECRET})
    )
    endpoint = _created(api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/followup"}))
    key = api.get("/v1/api-keys").json()["data"][0]
    token = api.get("/v1/calendar").json()["url"].rsplit("/", 1)[1].removesuffix(".ics")
    unmatched = b"From: kai@elsewhere.example\r\nTo: me@example.com\r\nMessage-ID: <m@elsewhere>\r\n\r\nHi\r\n"
    message = api.client.post("/v1/mail/messages", content=unmatched, headers=api.headers | MAIL_HEADERS)
    ids = {
        "mailbox_id": stored_mailbox(engine, email="me@example.com"),
        "message_id": _created(message)["id"],
        "interview_id": interview["id"],
        "contact_id": contact["id"],
        "integration_id": greenhouse["id"],
        "lever_id": lever["id"],
        "standard_id": standard["id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": "00000000-0000-4000-8000-000000000000",
        "key_id": key["id"],
        "token": token,
    }
    event = {
        "type": "timeline_shared",
        "occurred_at": "2026-03-03T12:00:00-05:00",
        "contact_id": contact["id"],
        "channel": "email",
        "note": "They will decide by Friday.",
        "decision_expected_by": "2026-03-06",
    }
    interview_body = {
        "company": "Beta",
        "role_title": "SRE",
        "role_family": "engineering",
        "interview_at": "2026-03-04T10:00:00-05:00",
        "duration_minutes": 45,
        "timezone": "America/New_York",
        "decision_expected_by": "2026-03-10",
        "applied_on": "2026-02-20",
        "contacts": [{"name": "Cy", "email": "cy@example.com", "role": "recruiter", "is_primary": True}],
    }
    policy = {"timezone": "Europe/Paris", "country": "FR", "subdivision": None, "send_hour": 10}
    bodies = {
        "createInterview": interview_body | {"integration_id": greenhouse["id"], "ats_application_id": "91552310"},
        "updateInterview": {
            "company": "Gamma",
            "role_title": "SRE II",
            "interview_at": "2026-03-05T10:00:00-05:00",
            "duration_minutes": 30,
            "timezone": "Europe/Paris",
            "decision_expected_by": "2026-03-12",
            "applied_on": "2026-02-21",
            "snoozed_until": "2026-03-20T09:00:00Z",
            "status": "active",
        },
        "createContact": {"name": "Dee", "email": "dee@example.com", "role": "coordinator", "is_primary": False},
        "updateContact": {"name": "Ana B", "email": "anab@example.com", "role": "recruiter", "is_primary": True},
        "createEvent": event,
        "assignMailMessage": {"interview_id": interview["id"]},
        "updateMailSettings": {"addresses": ["me@work.example"]},
        "checkOutreach": {"contact_id": contact["id"], "type": "status_check_sent", "at": "2026-03-09T09:30:00-04:00"},
        "simulate": {
            "interview": interview_body
            | {"status": "active", "snoozed_until": "2026-03-20T09:00:00Z"}
            | {"contacts": None},
            "contacts": [{"id": "ana", "name": "Ana", "email": "ana@example.com", "role": "recruiter"}],
            "events": [event | {"contact_id": "ana"}],
            "policy": policy | {"role_family_days": {"engineering": 40}},
            "at": "2026-03-07T12:00:00Z",
        },
        "updatePolicy": policy | {"max_status_checks": 3, "role_family_days": {"research": 60}},
        "createApiKey": {"name": "laptop"},
        "createIntegration": {"provider": "lever", "company": "Acme", "secret": "a long random secret key"},
        "rotateIntegrationSecret": {"secret": "another long random key", "previous_secret_valid_hours": 2},
        "createWebhookEndpoint": {
            "url": "https://hooks.example.com/other",
            "events": ["follow_up.due"],
            "description": "Reminders",
        },
        "updateWebhookEndpoint": {"url": "https://hooks.example.com/b", "description": "B", "enabled": True},
        # Credentials would be checked by logging in to the host: only what needs no server.
        "updateMailbox": {"enabled": False},
    }
    del bodies["simulate"]["interview"]["contacts"]
    return World(ids, bodies)


def fingerprint(engine: Engine) -> str:
    """Everything the database holds, as one digest."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


class Sender:
    """Sends each hostile request and checks its answer, with the database before and after."""

    def __init__(self, client: TestClient, api: Api, engine: Engine) -> None:
        self.client = client
        self.api = api
        self.engine = engine
        self.tally = Tally()
        self.state = fingerprint(engine)

    def send(
        self,
        kind: str,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        refused: bool = False,
        kept: bool = False,
        authenticated: bool = True,
    ) -> httpx.Response:
        sent_headers = (self.api.headers if authenticated else {}) | (headers or {})
        response = self.client.request(method, url, content=content, headers=sent_headers)
        self.tally.sent[kind] += 1
        where = f"{kind}: {method} {url[:120]} {(content or b'')[:160]!r} -> {response.status_code}"
        if response.status_code >= 500:
            self.tally.server_errors.append(f"{where} {response.text[:200]}")
            self.state = fingerprint(self.engine)
            return response
        after = fingerprint(self.engine)
        if 400 <= response.status_code < 500:
            problem = response.json() if response.headers["content-type"] == "application/problem+json" else {}
            errors = problem.get("errors", [])
            if problem.get("status") != response.status_code or not all(
                isinstance(error.get("loc"), list) and isinstance(error.get("msg"), str) for error in errors
            ):
                self.tally.wrong.append(f"not a problem: {where} {response.text[:200]}")
            if after != self.state and not kept:
                self.tally.wrong.append(f"a refused request changed the database: {where}")
        elif refused:
            self.tally.wrong.append(f"accepted: {where} {response.text[:200]}")
        self.state = after
        return response


def _fill(path: str, ids: dict[str, str], **overrides: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: overrides.get(match[1], ids[match[1]]), path)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _replaced(document: Any, path: tuple[Any, ...], raw: str) -> bytes:
    """The document as JSON text, with the value at `path` written as the raw JSON `raw`."""
    marker = "__hostile_marker__"
    copy = json.loads(json.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = marker
    return json.dumps(copy).replace(json.dumps(marker), raw).encode()


def _leaf_mutations(value: Any) -> Iterator[tuple[str, str]]:
    """(class, raw JSON) for a leaf of a valid body."""
    if isinstance(value, str):
        yield "nul", json.dumps(value + NUL)
        yield "surrogate", json.dumps(value + SURROGATE)
        if TIME_PATTERN.match(value):
            yield from (("edge_time", json.dumps(edge)) for edge in EDGE_TIMES)
        elif DATE_PATTERN.fullmatch(value):
            yield from (("edge_date", json.dumps(edge)) for edge in EDGE_DATES)
        else:
            yield "long_string", json.dumps(value + "x" * 100_000)
    elif isinstance(value, bool) or value is None:
        yield "surrogate", json.dumps(SURROGATE)
    elif isinstance(value, int):
        yield from (("huge_number", number) for number in HUGE_NUMBERS)


JSON_HEADERS = {"content-type": "application/json"}


def _whole_body_mutations(valid: dict[str, Any]) -> Iterator[tuple[str, bytes, dict[str, str]]]:
    text = json.dumps(valid)
    first_key = next(iter(valid))
    yield "duplicate_keys", ("{" + json.dumps(first_key) + ': "dup", ' + text[1:]).encode(), JSON_HEADERS
    yield "deep_nesting", b"[" * 10_000 + b"]" * 10_000, JSON_HEADERS
    yield "deep_nesting", ("{" + json.dumps(first_key) + ": " + "[" * 100 + "]" * 100 + "}").encode(), JSON_HEADERS
    yield "invalid_utf8", text.encode()[:-1] + b', "\xff\xfe": "\xc3\x28"}', JSON_HEADERS
    yield "invalid_utf8", text.encode("utf-16"), JSON_HEADERS
    yield "surrogate", ("{" + json.dumps(SURROGATE) + ": 1, " + text[1:]).encode(), JSON_HEADERS
    yield "nul", ("{" + json.dumps(NUL) + ": 1, " + text[1:]).encode(), JSON_HEADERS
    yield "huge_number", b"1e400", JSON_HEADERS
    yield "huge_number", text.encode()[:-1] + b', "zz": ' + b"9" * 5000 + b"}", JSON_HEADERS
    yield "huge_number", text.encode()[:-1] + b', "zz": NaN}', JSON_HEADERS
    yield "content_type", text.encode(), {"content-type": "text/plain"}
    yield "content_type", text.encode(), {"content-type": "multipart/form-data; boundary=x"}
    yield "content_type", text.encode(), {}
    yield "content_type", b"", JSON_HEADERS


def hostile_requests(world: World) -> Iterator[tuple[str, str, str, bytes | None, dict[str, str], bool]]:
    """(class, method, url, body, headers, must be refused) for every operation."""
    ids = world.ids
    for method, path, operation in OPERATIONS:
        operation_id = operation["operationId"]
        if operation_id == RECEIVE:
            continue
        parameters = [p for p in operation.get("parameters", []) if "in" in p]
        path_names = [p["name"] for p in parameters if p["in"] == "path"]
        url = _fill(path, ids)
        # Hostile ids: a path that names no object is a 404 (or another 4xx), never more.
        for name in path_names:
            for hostile in HOSTILE_IDS:
                kind = "nul" if "%00" in hostile else "path_id"
                yield kind, method, _fill(path, ids, **{name: hostile}), None, {}, True
        if method == "DELETE":
            continue
        for parameter in parameters:
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            values: list[tuple[str, str]] = [("nul", f"a{NUL}"), ("surrogate", "%ED%A0%80")]
            if name == "cursor":
                values += [("cursor", cursor) for cursor in HOSTILE_CURSORS]
            elif name in ("at", "due_by"):
                values += [("edge_time", edge.replace("+", "%2B")) for edge in EDGE_TIMES]
            elif name == "limit":
                values += [("huge_number", number) for number in HUGE_NUMBERS]
            for kind, value in values:
                quoted = value if "%" in value else httpx.QueryParams({name: value}).__str__().split("=", 1)[1]
                yield kind, method, f"{url}?{name}={quoted}", None, {}, True
        valid = world.bodies.get(operation_id)
        if valid is None:
            continue
        for leaf, value in _leaves(valid):
            for kind, raw in _leaf_mutations(value):
                yield kind, method, url, _replaced(valid, leaf, raw), JSON_HEADERS, True
        optional = not operation["requestBody"].get("required", False)
        for kind, body, headers in _whole_body_mutations(valid):
            if not (optional and body == b""):
                yield kind, method, url, body, headers, True


def ats_requests(world: World) -> Iterator[tuple[str, str, bytes, dict[str, str], bool]]:
    """(class, integration id, body, headers, signed) for the ATS receiver."""
    greenhouse, lever, standard = world.ids["integration_id"], world.ids["lever_id"], world.ids["standard_id"]
    deep = b"[" * 10_000 + b"]" * 10_000
    for integration in (greenhouse, lever, standard):
        yield "deep_nesting", integration, deep, JSON_HEADERS, False
        yield "invalid_utf8", integration, b'{"token": "\xff", "triggeredAt": 1}', JSON_HEADERS, False
        yield "huge_number", integration, b'{"triggeredAt": 1e400, "token": "t", "signature": "s"}', JSON_HEADERS, False
        yield "content_type", integration, b"not json", {"content-type": "text/plain"}, False
    surrogate = b'{"token": "\\ud800", "triggeredAt": 1, "signature": "ab", "event": "x", "data": {}}'
    yield "surrogate", lever, surrogate, JSON_HEADERS, False
    nul = b'{"token": "\\u0000", "triggeredAt": 1, "signature": "ab", "event": "x", "data": {}}'
    yield "nul", lever, nul, JSON_HEADERS, False
    yield "deep_nesting", lever, b'{"token": "t", "triggeredAt": 1, "data": ' + deep + b"}", JSON_HEADERS, False
    duplicate = lever_body("candidateHired", lever_data())[:-1] + b', "token": "other"}'
    yield "duplicate_keys", lever, duplicate, JSON_HEADERS, False
    # Signed deliveries whose values cannot be stored as they are.
    application = greenhouse_application()
    far_past, far_future = (
        application | {"last_activity_at": at} for at in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z")
    )
    signed = [
        ("long_string", greenhouse_body("x" * 300, {"application": application})),
        ("huge_number", greenhouse_body("candidate_stage_change", {"application": greenhouse_application(10**400)})),
        ("huge_number", greenhouse_body("offer_created", {"application_id": 10**400})),
        ("nul", greenhouse_body(f"candidate{NUL}", {"application": application})),
        ("nul", greenhouse_body("candidate_stage_change", {"application": greenhouse_application() | {"id": NUL}})),
        (
            "nul",
            greenhouse_body(
                "candidate_stage_change",
                {"application": application | {"current_stage": {"id": 1, "name": f"On{NUL}site"}}},
            ),
        ),
        ("surrogate", greenhouse_body(SURROGATE, {"application": application})),
        ("edge_time", greenhouse_body("candidate_stage_change", {"application": far_past})),
        ("edge_time", greenhouse_body("candidate_stage_change", {"application": far_future})),
    ]
    for kind, body in signed:
        yield kind, greenhouse, body, greenhouse_headers(body), True
        yield kind, greenhouse, body, greenhouse_headers(body, event_id="x" * 1000), True
    lever_signed = [
        ("long_string", lever_body("candidateHired", lever_data("o" * 300))),
        ("huge_number", lever_body("candidateHired", lever_data(10**400))),  # type: ignore[arg-type]
        ("long_string", lever_body("x" * 300, lever_data())),
        ("long_string", lever_body("candidateHired", lever_data(), token="t" * 5000)),
        ("nul", lever_body("candidateHired", lever_data(f"o{NUL}"))),
        ("nul", lever_body("candidateStageChange", lever_data(toStageId=f"s{NUL}"))),
        ("nul", lever_body(f"candidate{NUL}", lever_data())),
        ("nul", lever_body("candidateHired", lever_data(), token=f"t{NUL}")),
        ("huge_number", lever_body("candidateHired", lever_data(), triggered_at=10**400)),
        ("edge_time", lever_body("candidateHired", lever_data(), triggered_at=253402300800000)),
        ("edge_time", lever_body("candidateHired", lever_data(), triggered_at=-62135596800001)),
    ]
    for kind, body in lever_signed:
        yield kind, lever, body, JSON_HEADERS, True
    event = {"type": "stage_changed", "occurred_at": "2026-03-03T12:00:00Z", "note": "onsite"}
    standard_signed = [
        ("nul", standard_body("91552310", event | {"note": f"on{NUL}site"})),
        ("nul", standard_body(f"9155{NUL}", event)),
        ("long_string", standard_body("9" * 401, event)),
        ("edge_time", standard_body("91552310", event | {"occurred_at": "9999-12-31T23:59:59Z"})),
        ("edge_time", standard_body("91552310", event | {"occurred_at": "0001-01-01T00:00:00+14:00"})),
        ("huge_number", standard_body("91552310", event | {"type": "round_scheduled", "duration_minutes": 10**400})),
    ]
    ping = standard_body("91552310", event)
    for timestamp in ("9" * 30, "1e400", "nan", "-1"):
        yield "huge_number", standard, ping, standard_headers(ping) | {"webhook-timestamp": timestamp}, False
    for kind, body in standard_signed:
        yield kind, standard, body, standard_headers(body), True
        yield kind, standard, body, standard_headers(body, msg_id="m" * 1000), True


MAIL_HEADERS = {"content-type": "message/rfc822"}


def _mail(headers: bytes, body: bytes = b"Hello.\r\n", content_type: bytes = b"text/plain") -> bytes:
    return (
        b"From: Ana <ana@example.com>\r\nTo: me@example.com\r\n"
        + headers
        + b"Content-Type: "
        + content_type
        + (b"\r\n\r\n" + body)
    )


def _calendar(*lines: str) -> bytes:
    event = "\r\n".join(["BEGIN:VCALENDAR", "METHOD:REQUEST", "BEGIN:VEVENT", *lines, "END:VEVENT", "END:VCALENDAR"])
    return _mail(b"Subject: Invitation\r\n", event.encode(), b"text/calendar; method=REQUEST")


def mail_requests() -> Iterator[tuple[str, bytes]]:
    """(class, raw message) for mail intake: what a mailbox may hold. Each is either refused
    as not a message (422) or kept as what it is; none is a server error."""
    yield "nul", _mail(b"Subject: a\x00b\r\nMessage-ID: <n\x00ul@x>\r\n")
    yield "invalid_utf8", _mail(b"Subject: \xff\xfe\xc3\x28\r\nMessage-ID: <\xff@x>\r\n", b"\xff\xfe")
    yield "surrogate", _mail(b"Subject: =?utf-8?b?7aCA?=\r\nFrom: =?utf-8?b?7aCA?= <x@y>\r\n")
    yield "content_type", _mail(b"Subject: =?x-unknown?B?AAAA?=\r\n", b"x", b"text/plain; charset=x-unknown")
    for date in ("Fri, 31 Dec 9999 23:59:59 +1400", "Mon, 01 Jan 0001 00:00:00 -1400", "Mon, 99 Foo 2026 99:99"):
        yield "edge_time", _mail(f"Date: {date}\r\nMessage-ID: <{date}@x>\r\n".encode())
    yield "huge_number", _mail(b"Message-ID: <" + b"m" * 5000 + b"@x>\r\nIn-Reply-To: <" + b"r" * 5000 + b"@x>\r\n")
    yield "huge_number", _mail(b"References: " + b" ".join(b"<r%d@x>" % i for i in range(20_000)) + b"\r\n")
    yield (
        "huge_number",
        _mail(
            b"Subject: "
            + b"s" * 100_000
            + b"\r\n"
            + b"Cc: "
            + b", ".join(b"c%d@x.example" % i for i in range(2000))
            + b"\r\n"
        ),
    )
    nested = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(300))
    yield "deep_nesting", _mail(b"Subject: deep\r\nMIME-Version: 1.0\r\n", nested, b'multipart/mixed; boundary="top"')
    yield "content_type", _calendar("garbage")
    yield (
        "edge_time",
        _calendar("UID:u1", "DTSTART:99991231T235959Z", "DTEND:00010101T000000Z", "SEQUENCE:" + "9" * 500),
    )
    yield "edge_time", _calendar("UID:u2", "DTSTART;TZID=Nowhere/Unknown:20260317T140000", "DTEND:garbage")
    yield "huge_number", _calendar("UID:" + "u" * 5000, "DTSTART:20260317T140000Z", "ORGANIZER:mailto:" + "o" * 400)
    report = (
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
        b"Final-Recipient: rfc822; "
        + b"a" * 400
        + b"@x\r\nAction: failed\r\nStatus: 5."
        + b"9" * 100
        + b"\r\n\r\n--r--\r\n"
    )
    yield (
        "huge_number",
        _mail(b"Subject: failed\r\n", report, b'multipart/report; report-type=delivery-status; boundary="r"'),
    )
    yield "content_type", b"\r\n\r\n\r\n"


def test_no_hostile_request_gets_a_server_error(client: TestClient, api: Api, engine: Engine, world: World) -> None:
    sender = Sender(client, api, engine)
    for kind, raw in mail_requests():
        sender.send(kind, "POST", "/v1/mail/messages", content=raw, headers=MAIL_HEADERS, refused=False, kept=True)
        # Unsigned, the providers' routes refuse the same bytes (401) and store nothing.
        for provider in ("mailgun", "postmark", "raw"):
            url = f"/v1/inbound-mail/{provider}"
            sender.send(kind, "POST", url, content=raw, headers=MAIL_HEADERS, refused=True, authenticated=False)
    for kind, method, url, body, headers, refused in hostile_requests(world):
        sender.send(kind, method, url, content=body, headers=headers, refused=refused)
    for kind, integration, body, headers, signed in ats_requests(world):
        # A signed delivery is kept even when refused (as failed); an unsigned one never is.
        url = f"/v1/webhooks/ats/{integration}"
        sender.send(kind, "POST", url, content=body, headers=headers, refused=not signed, kept=signed)
    tally = sender.tally
    by_kind = Counter(error.split(":", 1)[0] for error in tally.server_errors)
    summary = f"{len(tally.server_errors)} server errors {dict(by_kind)} in {dict(tally.sent)}"
    assert not tally.server_errors and not tally.wrong, "\n".join([summary, *tally.server_errors, *tally.wrong])
    assert sum(tally.sent.values()) > 300, tally.sent


# -- each class on its own, with the answer it gets ----------------------------------------


def _operations(routes: list[Any]) -> Iterator[Any]:
    """The routes of the app, those of included routers too."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _operations(included.routes) if included is not None else [route]


def test_every_v1_route_reads_json_strictly(app: Any) -> None:
    from app.core.json_input import JsonRoute

    routes = [route for route in _operations(app.routes) if getattr(route, "path", "").startswith("/v1/")]
    assert len(routes) >= sum(path.startswith("/v1/") for _, path, _ in OPERATIONS)
    assert [route for route in routes if not isinstance(route, JsonRoute)] == []


def test_nul_in_a_text_field_is_a_422_naming_it_and_stores_nothing(api: Api, engine: Engine) -> None:
    before = fingerprint(engine)
    response = api.post(
        "/v1/interviews",
        {
            "company": "Acme",
            "role_title": "SRE",
            "role_family": "engineering",
            "interview_at": "2026-03-02T10:00:00Z",
            "contacts": [{"name": f"A{NUL}na", "role": "recruiter"}],
        },
    )
    problem = _problem(response, 422, ("body", "contacts", 0, "name"))
    assert "NUL" in problem["detail"]
    assert fingerprint(engine) == before


def test_nul_in_a_path_id_is_a_404(api: Api) -> None:
    interview = api.interview()
    for url in ("/v1/interviews/abc%00", f"/v1/interviews/{interview['id']}/contacts/%00x"):
        _problem(api.get(url), 404)
    _problem(api.client.post("/v1/webhooks/ats/%00", content=b"{}"), 404)


@pytest.mark.parametrize(
    ("raw", "loc", "words"),
    [
        (b'{"company": "\\ud800"}', ("body", "company"), "lone surrogate"),
        (b'{"\\udfff": 1}', ("body",), "lone surrogate"),
        (b'{"company": "A", "company": "B"}', ("body",), 'The key "company" appears more than once'),
        (b"[" * 10_000 + b"]" * 10_000, ("body",), "Nested deeper than 32 levels"),
        (b'{"duration_minutes": 1e400}', ("body",), "out of range"),
        (b'{"duration_minutes": NaN}', ("body",), "NaN is not a JSON number"),
        (b'{"duration_minutes": ' + b"9" * 5000 + b"}", ("body",), "too many digits"),
        (b'{"company": "\xff"}', ("body",), "must be UTF-8"),
    ],
)
def test_json_no_parser_should_guess_at_is_a_422(api: Api, raw: bytes, loc: tuple[str, ...], words: str) -> None:
    interview = api.interview()
    response = api.client.patch(f"/v1/interviews/{interview['id']}", content=raw, headers=api.headers | JSON_HEADERS)
    problem = _problem(response, 422, loc)
    assert words in problem["errors"][0]["msg"]
    assert api.get(f"/v1/interviews/{interview['id']}").json()["company"] == "Acme"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("interview_at", "9999-12-31T23:59:59Z"),
        ("interview_at", "0001-01-01T00:00:00+14:00"),
        ("interview_at", "1969-12-31T23:59:59Z"),
        ("interview_at", "2101-01-01T00:00:00+01:00"),
        ("decision_expected_by", "9999-12-31"),
        ("applied_on", "1969-12-31"),
    ],
)
def test_times_and_dates_outside_the_range_are_a_422(api: Api, field: str, value: str) -> None:
    interview = api.interview()
    problem = _problem(api.patch(f"/v1/interviews/{interview['id']}", {field: value}), 422, ("body", field))
    assert problem["errors"][0]["msg"].endswith("in the years 1970 to 2100")


def test_the_edges_of_the_range_are_accepted(api: Api) -> None:
    first = api.interview(interview_at="1970-01-01T00:00:00Z", applied_on="1970-01-01")
    last = api.interview(interview_at="2100-12-31T23:59:59-00:00", decision_expected_by="2100-12-31")
    assert first["interview_at"] == "1970-01-01T00:00:00Z"
    assert last["decision_expected_by"] == "2100-12-31"
    assert api.get(f"/v1/interviews/{last['id']}/next-action").status_code == 200


def test_a_time_is_in_range_by_the_year_it_is_written_in(api: Api) -> None:
    # What the schema's pattern on the text says: the written year counts, whatever instant
    # the offset makes of it (these two are in 1969 and 2101 in UTC).
    first = api.interview(interview_at="1970-01-01T00:00:00+14:00")
    last = api.interview(interview_at="2100-12-31T23:59:59-12:00")
    assert first["interview_at"] == "1969-12-31T10:00:00Z"
    assert last["interview_at"] == "2101-01-01T11:59:59Z"
    for interview in (first, last):
        assert api.get(f"/v1/interviews/{interview['id']}/next-action").status_code == 200


@pytest.mark.parametrize(
    ("url", "value"),
    [
        ("/v1/follow-ups?due_by={}", "9999-12-31T23:59:59Z"),
        ("/v1/interviews/{id}/next-action?at={}", "0001-01-01T00:00:00%2B14:00"),
    ],
)
def test_query_times_outside_the_range_are_a_422(api: Api, url: str, value: str) -> None:
    interview = api.interview()
    name = "due_by" if "due_by" in url else "at"
    _problem(api.get(url.format(value, id=interview["id"]).replace("{id}", interview["id"])), 422, ("query", name))


@pytest.mark.parametrize(
    "keys",
    [["2026-01-01", 1], ["2026-01-01T00:00:00", 1], ["9999-12-31T23:59:59+00:00", 1], ["2026-01-01T00:00:00Z", 2**70]],
)
def test_a_cursor_no_page_gave_is_a_422(api: Api, keys: list[Any]) -> None:
    interview = api.interview()
    response = api.get(f"/v1/interviews/{interview['id']}/events", params={"cursor": cursor_of(keys)})
    _problem(response, 422, ("query", "cursor"))


def test_an_unsigned_lever_body_that_breaks_a_parser_is_a_401(client: TestClient, api: Api, engine: Engine) -> None:
    lever = _created(api.post("/v1/integrations", {"provider": "lever", "company": "Acme", "secret": LEVER_TOKEN}))
    before = fingerprint(engine)
    bodies = [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"token": "\\ud800", "triggeredAt": 1, "signature": "ab"}',
        b'{"token": "a", "token": "b", "triggeredAt": 1, "signature": "ab"}',
    ]
    for body in bodies:
        response = client.post(f"/v1/webhooks/ats/{lever['id']}", content=body, headers=JSON_HEADERS)
        _problem(response, 401)
    assert fingerprint(engine) == before


def test_signed_values_too_long_to_store_fail_the_delivery_and_no_more(client: TestClient, api: Api) -> None:
    greenhouse = _created(
        api.post("/v1/integrations", {"provider": "greenhouse", "company": "Acme", "secret": GREENHOUSE_SECRET})
    )
    long_action = greenhouse_body("x" * 300, {"application": greenhouse_application()})
    long_id = greenhouse_body("offer_created", {"application_id": 10**400})
    for body in (long_action, long_id):
        response = client.post(f"/v1/webhooks/ats/{greenhouse['id']}", content=body, headers=greenhouse_headers(body))
        assert response.status_code == 200, response.text
        assert response.json()["result"] == "failed"
    listed = api.get(f"/v1/integrations/{greenhouse['id']}/deliveries").json()["data"]
    assert [(d["action"], d["application_id"]) for d in listed] == [(None, None), (None, None)]
    standard = _created(
        api.post("/v1/integrations", {"provider": "standard", "company": "Acme", "secret": STANDARD_SECRET})
    )
    event = {"type": "stage_changed", "occurred_at": "2026-03-03T12:00:00Z", "note": f"on{NUL}site"}
    for body in (standard_body("9" * 401, event), standard_body("1", event)):
        response = client.post(f"/v1/webhooks/ats/{standard['id']}", content=body, headers=standard_headers(body))
        _problem(response, 422)


def test_a_stage_name_with_nul_becomes_a_note_without_it(client: TestClient, api: Api) -> None:
    greenhouse = _created(
        api.post("/v1/integrations", {"provider": "greenhouse", "company": "Acme", "secret": GREENHOUSE_SECRET})
    )
    interview = api.interview(integration_id=greenhouse["id"], ats_application_id="91552310")
    application = greenhouse_application(current_stage={"id": 1, "name": f"On{NUL}site"})
    body = greenhouse_body("candidate_stage_change", {"application": application})
    response = client.post(f"/v1/webhooks/ats/{greenhouse['id']}", content=body, headers=greenhouse_headers(body))
    assert response.json()["result"] == "applied", response.text
    [stage] = [e for e in api.get(f"/v1/interviews/{interview['id']}/events").json()["data"] if e["source"] != "api"]
    assert stage["note"] == "Onsite"


def _problem(response: httpx.Response, status: int, *locs: tuple[Any, ...]) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    found = {tuple(error["loc"]) for error in problem.get("errors", [])}
    for loc in locs:
        assert loc in found, (loc, found)
    return problem
