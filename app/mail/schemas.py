from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import Email, Text, UTCTime
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


class MailPerson(BaseModel):
    name: str | None
    address: str


class BouncePublic(BaseModel):
    recipient: str = Field(description="The first failed recipient.")
    status: str | None = Field(description="Its status code (RFC 3463), such as `5.1.1`, when the report gives one.")
    permanent: bool = Field(description="False for a delay or a temporary failure, which changes nothing.")


class InvitePublic(BaseModel):
    uid: str
    sequence: int
    method: str = Field(description="`REQUEST` and `CANCEL` make events; any other method is ignored.")
    start: dt.datetime | None = Field(description="With the offset of the invite's time zone.")
    end: dt.datetime | None
    timezone: str | None = Field(description="The IANA zone of the start (Windows names resolved).")
    organizer: MailPerson | None
    attendees: list[MailPerson] = Field(description="Everyone invited but you and the organizer.")


class MailOutcome(BaseModel):
    """What a message was and what it did."""

    model_config = ConfigDict(populate_by_name=True)

    id: str | None = Field(description="The record of this arrival; null in a dry run.")
    message_id: str = Field(
        description="Its Message-ID; without one, a stand-in made from its Date, From, To and Subject."
    )
    received_at: UTCTime
    via: Via = Field(description="How it arrived.")
    date: UTCTime = Field(description="Its Date header (the time it arrived when it has none).")
    direction: Direction = Field(description="`outbound` when it is from one of your own addresses.")
    sender: str | None = Field(alias="from", description="The From address.")
    to: list[str]
    cc: list[str]
    subject: str | None
    kind: Kind
    returns_on: dt.date | None = Field(description="`auto_reply`: the day the sender says they are back.")
    bounce: BouncePublic | None
    invite: InvitePublic | None
    interview_id: str | None
    contact_id: str | None
    matched_by: MatchedBy | None = Field(description="The match rule that found the interview; null when assigned.")
    outcome: Outcome
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
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"interview_id": "…"}]})

    interview_id: Text = Field(max_length=64, description="One of your interviews.")


class MailSettingsPublic(BaseModel):
    account_email: str = Field(description="Your account's address: always one of your own.")
    addresses: list[str] = Field(description="Your other addresses: mail from them is yours (outbound).")
    forwarding_address: str | None = Field(
        description="BCC it on mail you send and forward mail you receive to it (null when this server has no "
        "mail domain, `FOLLOWUP_MAIL_DOMAIN`)."
    )
    updated_at: UTCTime


class MailSettingsUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"addresses": ["me@work.example", "me.too@example.org"]}]}
    )

    addresses: list[Email] | None = Field(default=None, max_length=20, description="At most 20; replaces the list.")


class InboundResult(BaseModel):
    """What a provider's delivery did. A delivery to an address that is no one's is
    answered 200 too, so that the provider does not retry it."""

    accepted: bool = Field(description="False when the recipient is no user's forwarding address.")
    reason: str | None
    message: MailOutcome | None = Field(description="The message's outcome, when accepted.")


class MailgunForm(BaseModel):
    """The fields this service reads of Mailgun's post (it sends more)."""

    recipient: str = Field(description="The envelope recipient (the forwarding address).")
    timestamp: str
    token: str
    signature: str = Field(description="Hex HMAC-SHA256 of timestamp and token with the signing key.")
    body_mime: str = Field(alias="body-mime", description="The whole message.")
