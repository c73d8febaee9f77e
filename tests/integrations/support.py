"""Signed ATS deliveries for the tests: the sample files with the signatures documented
beside them, and payloads built from the providers' field tables for the actions that
have no sample file."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook

SAMPLES = Path(__file__).parent / "samples"

# The test secrets of the vectors that come with the samples.
GREENHOUSE_SECRET = "gh-test-secret-7b1f0c2e9d4a41c8"
LEVER_TOKEN = "3f6c1d9e8a7b2c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
STANDARD_SECRET = "whsec_vbtlw0KETI7TAn9xuvAsMKuISEUC7AbKpCOW3yQyeBs="

# The application (Greenhouse) and opportunity (Lever) of the sample files.
GREENHOUSE_APPLICATION = "91552310"
LEVER_OPPORTUNITY = "7d1e5a2c-3b4f-4c6d-9e8f-0a1b2c3d4e5f"

# The documented signatures of the sample files (signature vectors, sections 1c and 2).
GREENHOUSE_SIGNATURES = {
    "greenhouse_candidate_stage_change.json": "sha256 ca6e9509c602ac7664b7f02bc9835a07bdea32a8ed3262af3f4188c7c3b147ff",
    "greenhouse_reject_candidate.json": "sha256 763e782a615acaec70e16487a10c98a3bd8d03cb39e5f3532ad14789289576cb",
}


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def standard_example() -> dict[str, str]:
    """The sections of the Standard Webhooks example: secret, request, expected..."""
    sections: dict[str, str] = {}
    name = None
    for line in (SAMPLES / "standard_webhooks_example.txt").read_text().splitlines():
        if line.startswith("["):
            name = line[1 : line.index("]")]
            sections[name] = ""
        elif name is not None and not line.startswith("#"):
            sections[name] += line + "\n"
    return {key: value.strip() for key, value in sections.items()}


def greenhouse_signature(body: bytes, secret: str = GREENHOUSE_SECRET) -> str:
    return "sha256 " + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def greenhouse_headers(body: bytes, *, secret: str = GREENHOUSE_SECRET, event_id: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Signature": greenhouse_signature(body, secret)}
    if event_id is not None:
        headers["Greenhouse-Event-ID"] = event_id
    return headers


def greenhouse_application(application_id: int = 91552310, **fields: Any) -> dict[str, Any]:
    """An application object of Greenhouse's application events (key paths of the docs)."""
    return {
        "id": application_id,
        "rejected_at": None,
        "prospect": False,
        "status": "active",
        "applied_at": "2026-02-16T09:12:44Z",
        "last_activity_at": "2026-03-10T15:04:05Z",
        "url": f"https://app.greenhouse.io/people/48211937?application_id={application_id}",
        "source": {"id": 16, "name": "LinkedIn (Prospecting)"},
        "credited_to": None,
        "rejection_reason": None,
        "rejection_details": None,
        "current_stage": {"id": 7118805, "name": "Technical Interview", "interviews": []},
        "custom_fields": {},
        "candidate": {
            "id": 48211937,
            "first_name": "Priya",
            "last_name": "Raman",
            "email_addresses": [{"value": "priya.raman@example.com", "type": "personal"}],
            "recruiter": None,
            "coordinator": None,
        },
        "jobs": [{"id": 4403121, "name": "Senior Backend Engineer"}],
    } | fields


def greenhouse_body(action: str, payload: dict[str, Any]) -> bytes:
    # Like Greenhouse: compact JSON with <, > and & escaped.
    text = json.dumps({"action": action, "payload": payload}, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def greenhouse_stage(stage: str, *, application_id: int = 91552310, at: str = "2026-03-10T15:04:05Z") -> bytes:
    current = {"id": 7118806, "name": stage, "interviews": []}
    return greenhouse_body(
        "candidate_stage_change",
        {"application": greenhouse_application(application_id, current_stage=current, last_activity_at=at)},
    )


def greenhouse_hire(application_id: int = 91552310, resolved_at: str = "2026-03-20T17:30:00Z") -> bytes:
    """hire_candidate: the application carries the accepted offer, and no status or stage."""
    application = {
        "id": application_id,
        "opening": {"opening_id": "ENG-2026-014"},
        "credited_to": {"id": 3695, "email": "jordan.lee@acme-robotics.example", "name": "Jordan Lee"},
        "source": {"id": 16, "public_name": "LinkedIn (Prospecting)"},
        "url": f"https://app.greenhouse.io/people/48211937?application_id={application_id}",
        "candidate": {"id": 48211937, "first_name": "Priya", "last_name": "Raman"},
        "jobs": [{"id": 4403121, "name": "Senior Backend Engineer"}],
        "offer": {
            "id": 772031,
            "version": 1,
            "created_at": "2026-03-18T10:00:00Z",
            "sent_at": "2026-03-18",
            "resolved_at": resolved_at,
            "starts_at": "2026-04-20",
        },
    }
    return greenhouse_body("hire_candidate", {"application": application})


def greenhouse_offer_created(application_id: int = 91552310) -> bytes:
    """offer_created: a flat payload, the offer's own fields, with application_id."""
    offer = {
        "id": 772031,
        "application_id": application_id,
        "job_id": 4403121,
        "user_id": 3128,
        "version": 1,
        "sent_on": None,
        "resolved_at": None,
        "start_date": "04/20/2026",
        "notes": "Relocation package <see attached>",
        "offer_status": "Created",
        "custom_fields": {},
    }
    return greenhouse_body("offer_created", offer)


def lever_body(
    event: str,
    data: dict[str, Any],
    *,
    triggered_at: int = 1773155045123,
    token: str | None = None,
    secret: str = LEVER_TOKEN,
) -> bytes:
    """A Lever delivery, signed like Lever: HMAC of token + triggeredAt."""
    token = token or secrets.token_hex(24)
    signature = hmac.new(secret.encode(), f"{token}{triggered_at}".encode(), hashlib.sha256).hexdigest()
    document = {"triggeredAt": triggered_at, "event": event, "data": data, "signature": signature, "token": token}
    return json.dumps(document).encode()


def lever_data(opportunity: str = LEVER_OPPORTUNITY, **fields: Any) -> dict[str, Any]:
    return {
        "opportunityId": opportunity,
        "candidateId": opportunity,
        "contactId": "c2b4d6f8-1a3c-4e5f-8a9b-0c1d2e3f4a5b",
    } | fields


def standard_headers(
    body: bytes, *, secret: str = STANDARD_SECRET, msg_id: str | None = None, at: datetime | None = None
) -> dict[str, str]:
    msg_id = msg_id or f"msg_{secrets.token_hex(12)}"
    at = at or datetime.now(UTC)
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body.decode()),
    }


def standard_body(application_id: str, event: Any) -> bytes:
    document = {
        "type": "interview.event",
        "timestamp": datetime.now(UTC).isoformat(),
        "data": {"application_id": application_id, "event": event},
    }
    return json.dumps(document, separators=(",", ":")).encode()
