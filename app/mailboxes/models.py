"""Connected IMAP mailboxes: how to reach them (the password encrypted, app.core.encryption),
how their sync stands, and per folder how far it was read."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, PrimaryKeyConstraint, Text
from sqlmodel import Field, SQLModel

from app.core.columns import UTCDateTime, new_id, utcnow, version_field


class MailboxStatus(StrEnum):
    """How a mailbox's sync stands: `ok`, `error` (the last sync could not log in or was
    refused; retried with backoff), or `disabled` (not synced)."""

    OK = "ok"
    # The last sync could not log in or was refused (last_error says why); retried with backoff.
    ERROR = "error"
    DISABLED = "disabled"  # PATCH enabled=false: not synced


class Mailbox(SQLModel, table=True):
    __tablename__ = "mailboxes"
    __table_args__ = (Index("ix_mailboxes_user_id_created_at", "user_id", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE", max_length=36)
    host: str = Field(max_length=253)
    port: int
    security: str = Field(max_length=16)
    username: str = Field(max_length=320)
    # AES-GCM under FOLLOWUP_SECRET_KEY, bound to this row's id; never shown.
    password_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=MailboxStatus.OK, max_length=16)
    last_error: str | None = Field(default=None, max_length=500)
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Failed syncs in a row: the wait before the next one grows with them.
    failures: int = 0
    # When a worker may sync it next; null while disabled.
    next_sync_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # The worker syncing it holds the lease until then, under this token: every write of
    # the sync checks the token, so a worker whose lease ran out writes nothing more.
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_token: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = version_field()


class MailboxFolder(SQLModel, table=True):
    """How far one folder (INBOX, or the Sent folder) was read: UIDs up to `last_uid` were
    applied or needed nothing, while the folder's UIDVALIDITY is `uidvalidity`."""

    __tablename__ = "mailbox_folders"
    __table_args__ = (PrimaryKeyConstraint("mailbox_id", "role"),)

    mailbox_id: str = Field(foreign_key="mailboxes.id", ondelete="CASCADE", max_length=36)
    role: str = Field(max_length=16)  # inbox, sent
    name: str = Field(max_length=1000)  # as the server names it
    # Both are 32-bit unsigned numbers in IMAP, beyond a signed INTEGER.
    uidvalidity: int = Field(sa_type=BigInteger)
    last_uid: int = Field(sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
