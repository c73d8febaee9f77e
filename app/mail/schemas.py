from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import Email, Public, Text, UTCTime
from app.mail.classifier import Direction, Kind
from app.mail.models import MailMessage, MatchedBy, Outcome, Via

EXAMPLE_MESSAGE = """\
Message-ID: <reply-1@mail.acme.example>
In-Reply-To: <thanks-1@mail.example.com>
Date: Tue, 03 Mar 2026 09:12:00 -0500
From: Ana Lopez <ana@example.com>
To: you@example.com
Subject: Re: Thank you
Content-Type: text/plain; charset=utf-8

Thanks for your note. We will decide by Friday.
"""


KIND = (
    "What the message is, the first that applies: `bounce` (a delivery failure report), `invite` (a calendar "
    "invite), `auto_reply` (an automatic answer such as out-of-office), `message` (anything else: a reply, or a "
    "message of yours)."
)
OUTCOME = (
    "`applied` (it made its events, or changed nothing for a reason), `duplicate` (it arrived before: the first "
    "arrival's outcome), `ignored` (nothing to do: see `reason`), `unmatched` (no interview found: assign it)."
)

MessageRecordId = Annotated[str, Path(description="The message's record id in this API (`id`), not its Message-ID.")]
MAIL_OUTCOME_EXAMPLE: dict[str, Any] = {
    "id": "3d9b0f1e-7c2a-4e58-a6b1-0f4c2d8e9a13",
    "message_id": "<ooo-1@mail.acme.example>",
    "received_at": "2026-03-09T13:06:05Z",
    "via": "api",
    "date": "2026-03-09T13:06:00Z",
    "direction": "inbound",
    "from": "ana@example.com",
    "to": ["local@localhost"],
    "cc": [],
    "subject": "Automatic reply: Checking in",
    "kind": "auto_reply",
    "returns_on": "2026-03-16",
    "bounce": None,
    "invite": None,
    "interview_id": "5f0c9d62-8a1e-4c7b-b3d4-6e2f1a9c8d70",
    "contact_id": "0b7e2f4c-5d1a-4c3e-9f7b-2a6d8e1c3b5a",
    "matched_by": "address",
    "outcome": "applied",
    "reason": None,
    "event_ids": ["8e1a3c5b-7d9f-4b2e-a4c6-1f3b5d7e9a2c"],
    "event_types": ["auto_reply_received"],
    "duplicate_of": None,
}


class MailPerson(Public):
    name: str | None = Field(description="The display name; null when the address has none.")
    address: str = Field(description="The email address.")


class BouncePublic(Public):
    recipient: str = Field(description="The first failed recipient.")
    status: str | None = Field(description="Its status code (RFC 3463), such as `5.1.1`, when the report gives one.")
    permanent: bool = Field(description="False for a delay or a temporary failure, which changes nothing.")


class InvitePublic(Public):
    uid: str = Field(description="The invite's UID: its updates and cancellation carry the same.")
    sequence: int = Field(description="Its SEQUENCE: a lower one than already applied changes nothing.")
    method: str = Field(description="`REQUEST` and `CANCEL` make events; any other method is ignored.")
    start: dt.datetime | None = Field(description="With the offset of the invite's time zone.")
    end: dt.datetime | None = Field(description="With the offset of the invite's time zone.")
    timezone: str | None = Field(description="The IANA zone of the start (Windows names resolved).")
    organizer: MailPerson | None = Field(description="Who sent the invite.")
    attendees: list[MailPerson] = Field(description="Everyone invited but you and the organizer.")


class MailOutcome(Public):
    """What a message was and what it did."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [MAIL_OUTCOME_EXAMPLE]})

    id: str | None = Field(description="The record of this arrival; null in a dry run.")
    message_id: str = Field(
        description="Its Message-ID; without one, a stand-in made from its Date, From, To and Subject."
    )
    received_at: UTCTime = Field(description="When the service received it (UTC).")
    via: Via = Field(description="How it arrived.")
    date: UTCTime = Field(description="Its Date header (the time it arrived when it has none).")
    direction: Direction = Field(description="`outbound` when it is from one of your own addresses.")
    sender: str | None = Field(alias="from", description="The From address.")
    to: list[str] = Field(description="The To addresses.")
    cc: list[str] = Field(description="The Cc addresses.")
    subject: str | None = Field(description="Its Subject; null when it has none.")
    kind: Kind = Field(description=KIND)
    returns_on: dt.date | None = Field(description="`auto_reply`: the day the sender says they are back.")
    bounce: BouncePublic | None = Field(description="`bounce`: what the report says; null otherwise.")
    invite: InvitePublic | None = Field(description="`invite`: the calendar invite; null otherwise.")
    interview_id: str | None = Field(description="The interview it was matched or assigned to; null when none.")
    contact_id: str | None = Field(description="The contact it came from or went to; null when none.")
    matched_by: MatchedBy | None = Field(description="The match rule that found the interview; null when assigned.")
    outcome: Outcome = Field(description=OUTCOME)
    reason: str | None = Field(description="Why it changed nothing, when it is `ignored`.")
    event_ids: list[str] = Field(description="The events it made (none in a dry run).")
    event_types: list[str] = Field(description="The types of the events it made, or would make in a dry run.")
    duplicate_of: str | None = Field(default=None, description="`duplicate`: the record of its first arrival.")

    @classmethod
    def from_record(
        cls, record: MailMessage, *, event_types: list[str] | None = None, dry_run: bool = False
    ) -> MailOutcome:
        bounce: dict[str, Any] | None = record.bounce
        return cls(
            id=None if dry_run else record.id,
            message_id=record.message_id,
            received_at=record.received_at,
            via=Via(record.via),
            date=record.date,
            direction=Direction(record.direction),
            **{"from": record.sender},
            to=list(record.to),
            cc=list(record.cc),
            subject=record.subject,
            kind=Kind(record.kind),
            returns_on=record.returns_on,
            bounce=(
                BouncePublic(recipient=bounce["recipient"], status=bounce["status"], permanent=bounce["permanent"])
                if bounce is not None
                else None
            ),
            invite=InvitePublic.model_validate(record.invite) if record.invite is not None else None,
            interview_id=record.interview_id,
            contact_id=record.contact_id,
            matched_by=MatchedBy(record.matched_by) if record.matched_by else None,
            outcome=Outcome(record.outcome),
            reason=record.reason,
            event_ids=list(record.event_ids),
            event_types=list(event_types if event_types is not None else record.event_types),
            duplicate_of=record.duplicate_of,
        )


class AssignBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"interview_id": MAIL_OUTCOME_EXAMPLE["interview_id"]}]}
    )

    interview_id: Text = Field(max_length=64, description="One of your interviews.")


class MailSettingsPublic(Public):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_email": "local@localhost",
                    "addresses": ["me@work.example"],
                    "forwarding_address": "u-5c1e9a7b3d2f8e4a6b0c9d1e@followup.example.com",
                    "updated_at": "2026-03-01T18:40:00Z",
                }
            ]
        }
    )

    account_email: str = Field(description="Your account's address: always one of your own.")
    addresses: list[str] = Field(description="Your other addresses: mail from them is yours (outbound).")
    forwarding_address: str | None = Field(
        description="BCC it on mail you send and forward mail you receive to it (null when this server has no "
        "mail domain, `FOLLOWUP_MAIL_DOMAIN`)."
    )
    updated_at: UTCTime = Field(description="When the settings last changed (UTC).")


class MailSettingsUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"addresses": ["me@work.example", "me.too@example.org"]}]}
    )

    addresses: list[Email] | None = Field(default=None, max_length=20, description="At most 20; replaces the list.")


class InboundResult(Public):
    """What a provider's delivery did. A delivery to an address that is no one's is
    answered 200 too, so that the provider does not retry it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"accepted": True, "reason": None, "message": MAIL_OUTCOME_EXAMPLE}]}
    )

    accepted: bool = Field(description="False when the recipient is no user's forwarding address.")
    reason: str | None = Field(description="Why it was not accepted; null when it was.")
    message: MailOutcome | None = Field(description="The message's outcome, when accepted.")


class MailgunForm(BaseModel):
    """The fields this service reads of Mailgun's post (it sends more)."""

    recipient: str = Field(description="The envelope recipient (the forwarding address).")
    timestamp: str = Field(description="Unix seconds when Mailgun signed the post.")
    token: str = Field(description="Mailgun's random token for this post (each is taken once).")
    signature: str = Field(description="Hex HMAC-SHA256 of timestamp and token with the signing key.")
    body_mime: str = Field(alias="body-mime", description="The whole message.")


class PostmarkInbound(BaseModel):
    """The fields this service reads of Postmark's inbound JSON (it sends more)."""

    model_config = ConfigDict(extra="allow")

    RawEmail: str = Field(description="The whole message: turn on 'Include raw email content' in the stream.")
    OriginalRecipient: str | None = Field(default=None, description="The envelope recipient.")
    ToFull: list[dict[str, Any]] | None = Field(default=None, description="The To recipients, each with its `Email`.")
    CcFull: list[dict[str, Any]] | None = Field(default=None, description="The Cc recipients, each with its `Email`.")
    BccFull: list[dict[str, Any]] | None = Field(default=None, description="The Bcc recipients, each with its `Email`.")
