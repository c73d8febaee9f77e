from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow, version_field


class Outcome(StrEnum):
    """What became of a message: `applied` (its events recorded), `duplicate` (seen
    before), `ignored` (nothing for the follow-ups), or `unmatched` (no interview found;
    kept for a while to be assigned)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    UNMATCHED = "unmatched"


class MatchedBy(StrEnum):
    """The match rules of mail intake, in the order they are tried."""

    THREAD = "thread"
    INVITE_UID = "invite_uid"
    ADDRESS = "address"
    DOMAIN = "domain"


class Via(StrEnum):
    """How a message reached the service."""

    API = "api"
    IMAP = "imap"
    MAILGUN = "mailgun"
    POSTMARK = "postmark"
    RAW = "raw"


class MailMessage(SQLModel, table=True):
    """One message as it arrived: its headers' facts and what it did, never its body."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        # Once per user: the first arrival of a Message-ID; later arrivals are recorded as
        # duplicates pointing at it.
        Index(
            "uq_mail_messages_user_id_message_id",
            "user_id",
            "message_id",
            unique=True,
            sqlite_where=text("duplicate_of IS NULL"),
            postgresql_where=text("duplicate_of IS NULL"),
        ),
        Index("ix_mail_messages_user_id_received_at_id", "user_id", "received_at", "id"),
        Index("ix_mail_messages_user_id_invite_uid", "user_id", "invite_uid"),
        Index("ix_mail_messages_outcome_received_at", "outcome", "received_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=36)
    message_id: str = Field(max_length=998)
    has_message_id: bool = True
    duplicate_of: str | None = Field(default=None, foreign_key="mail_messages.id", ondelete="CASCADE", max_length=36)
    received_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    via: str = Field(max_length=16)
    date: dt.datetime = Field(sa_type=UTCDateTime)
    direction: str = Field(max_length=8)
    kind: str = Field(max_length=16)
    sender: str | None = Field(default=None, max_length=320)
    sender_name: str | None = Field(default=None, max_length=200)
    to: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cc: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str | None = Field(default=None, max_length=998)
    in_reply_to: str | None = Field(default=None, max_length=998)
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    returns_on: dt.date | None = None
    bounce: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    invite: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    invite_uid: str | None = Field(default=None, max_length=255)
    invite_sequence: int | None = None
    interview_id: str | None = Field(default=None, foreign_key="interviews.id", ondelete="SET NULL", max_length=36)
    contact_id: str | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL", max_length=36)
    matched_by: str | None = Field(default=None, max_length=16)
    outcome: str = Field(max_length=16)
    # Why a message changed nothing (an invite's reply, a temporary bounce, list mail, mail
    # before the round's end, an earlier SEQUENCE).
    reason: str | None = Field(default=None, max_length=200)
    event_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = version_field()


class MailSettings(SQLModel, table=True):
    """A user's own addresses (besides the account's) and the token of their forwarding
    address."""

    __tablename__ = "mail_settings"

    user_id: str = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE", max_length=36)
    addresses: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    forwarding_token: str = Field(max_length=64, unique=True)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = version_field()


class SeenToken(SQLModel, table=True):
    """A Mailgun delivery's token, kept while its signature is fresh, so that the same
    signed delivery cannot be played again."""

    __tablename__ = "inbound_mail_tokens"

    token: str = Field(primary_key=True, max_length=200)
    seen_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
