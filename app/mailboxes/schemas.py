from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from app.core.schemas import STORABLE_TEXT, WHOLE_NUMBER, NotNull, Public, Secret, Text, UTCTime
from app.mail.imap import DEFAULT_PORTS, FolderRole, Security
from app.mailboxes.models import MailboxStatus

MailboxId = Annotated[str, Path(description="The mailbox's id.")]

# Constraints before the text and number checks, so that the schema says them all
# (app.core.schemas.STORABLE_TEXT).
Host = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9._:\[\]-]+$"),
    STORABLE_TEXT,
    Field(
        min_length=1,
        max_length=253,
        description="The IMAP server's host name (or address).",
        examples=["imap.fastmail.com"],
    ),
]
PORT = "The IMAP server's port; defaults to 993 with `tls`, 143 with `starttls`."
Port = Annotated[
    int,
    Field(ge=1, le=65535, examples=[993]),
    WHOLE_NUMBER,
]
Username = Annotated[
    Text,
    Field(min_length=1, max_length=320, description="The login name, often your address.", examples=["me@example.com"]),
]
Password = Annotated[
    Secret,
    Field(
        min_length=1,
        max_length=1000,
        description="Checked by logging in, then kept encrypted; never shown again. For Gmail, iCloud, "
        "Yahoo or Fastmail, an app password.",
    ),
]
SecurityField = Annotated[
    Security,
    Field(description="`tls`: TLS from the first byte (IMAPS); `starttls`: upgraded before the login. Never plain."),
]


class MailboxCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"host": "imap.fastmail.com", "username": "me@example.com", "password": "app-password"},
                {"host": "mail.example.com", "port": 143, "security": "starttls", "username": "me", "password": "…"},
            ]
        },
    )

    host: Host
    port: Port | None = Field(default=None, description=PORT)
    security: SecurityField = Security.TLS
    username: Username
    password: Password

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]


class MailboxUpdate(BaseModel):
    """Credentials change together: a new host, port, security, username or password is
    checked by logging in with all of them before it is kept."""

    model_config = ConfigDict(
        extra="forbid",
        # minProperties: the validator below, for schema readers.
        json_schema_extra={"examples": [{"password": "new-app-password"}, {"enabled": False}], "minProperties": 1},
    )

    host: Annotated[Host | None, NotNull] = None
    port: Annotated[Port | None, NotNull] = Field(default=None, description=PORT)
    security: Annotated[SecurityField | None, NotNull] = None
    username: Annotated[Username | None, NotNull] = None
    password: Annotated[Password | None, NotNull] = None
    enabled: Annotated[StrictBool | None, NotNull] = Field(
        default=None, description="false stops the syncs (`status: disabled`); true resumes them."
    )

    @model_validator(mode="after")
    def _something(self) -> MailboxUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self

    @property
    def changes_credentials(self) -> bool:
        return bool(self.model_fields_set & {"host", "port", "security", "username", "password"})


MAILBOX_EXAMPLE: dict[str, Any] = {
    "id": "6d8f0a2c-4e1b-4c7d-9a3e-5f7b9d1c3e5a",
    "host": "imap.fastmail.com",
    "port": 993,
    "security": "tls",
    "username": "me@example.com",
    "status": "ok",
    "last_error": None,
    "last_synced_at": "2026-03-03T17:05:00Z",
    "next_sync_at": "2026-03-03T17:10:00Z",
    "folders": [
        {
            "role": "inbox",
            "name": "INBOX",
            "uidvalidity": 1709312400,
            "last_uid": 4182,
            "updated_at": "2026-03-03T17:05:00Z",
        },
        {
            "role": "sent",
            "name": "Sent",
            "uidvalidity": 1709312401,
            "last_uid": 977,
            "updated_at": "2026-03-03T17:05:00Z",
        },
    ],
    "created_at": "2026-03-01T18:30:00Z",
    "updated_at": "2026-03-03T17:05:00Z",
}


class FolderPublic(Public):
    role: FolderRole = Field(
        description="`inbox`, or `sent`: the folder marked \\Sent (RFC 6154), else one named Sent."
    )
    name: str = Field(description="The folder's name on the server.")
    uidvalidity: int = Field(description="The folder's UIDVALIDITY when it was last read; a new one re-reads it.")
    last_uid: int = Field(description="Every message up to this UID was read.")
    updated_at: UTCTime = Field(description="When the folder was last read (UTC).")


class MailboxPublic(Public):
    model_config = ConfigDict(json_schema_extra={"examples": [MAILBOX_EXAMPLE]})

    id: str = Field(description="The mailbox's id.")
    host: str = Field(description="The IMAP server's host name (or address).")
    port: int = Field(description="The IMAP server's port.")
    security: Security = Field(description="`tls` (IMAPS) or `starttls`.")
    username: str = Field(description="The login name.")
    status: MailboxStatus = Field(
        description="`ok`; `error` when the last sync could not log in or was refused (see `last_error`; "
        "retried with a growing wait); `disabled` (not synced)."
    )
    last_error: str | None = Field(
        description="Why the last sync failed: the server's answer, or what happened on the way; "
        "null after a sync that worked."
    )
    last_synced_at: UTCTime | None = Field(description="The end of the last sync that worked.")
    next_sync_at: UTCTime | None = Field(description="When the next sync is planned; null while disabled.")
    folders: list[FolderPublic] = Field(description="Where each folder's reading stands; empty before the first sync.")
    created_at: UTCTime = Field(description="When the mailbox was added (UTC).")
    updated_at: UTCTime = Field(description="When it last changed (UTC).")
