"""The worker's side of connected mailboxes: claim the mailboxes whose sync is due with a
lease, read their folders (app.mail.imap) outside any transaction, take each message that
may matter in through mail intake in a transaction of its own together with the folder's
new position, and record how the sync went.

A mailbox is synced by one worker at a time: the claim sets a lease token and every write
of the sync checks it, so a worker whose lease ran out (and was taken over), or whose
mailbox was deleted meanwhile, stops at its next write without writing anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.columns import new_id
from app.core.config import Settings
from app.core.encryption import CannotDecrypt
from app.core.problems import InvalidInput
from app.core.session import unit_of_work
from app.mail import imap
from app.mail import service as mail_service
from app.mail.imap import Folder, FolderRole, Position, Security
from app.mail.models import Via
from app.mailboxes import repository, service
from app.mailboxes.models import Mailbox, MailboxFolder, MailboxStatus
from app.users.models import User

logger = logging.getLogger("followup.mailboxes")

# A claim holds the mailbox this long after each of its writes (a batch of headers, a
# message): a worker that died leaves it to another one after that.
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
JITTER = 0.1
ERROR_CHARS = 500


class LeaseLost(Exception):
    """The mailbox was deleted, or another worker holds it now: stop without writing."""


@dataclass(frozen=True)
class Claim:
    mailbox_id: str
    user_id: str
    lease_token: str
    host: str
    port: int
    security: Security
    username: str
    password: str | None = field(repr=False)
    positions: dict[FolderRole, tuple[str, Position]]


def claim(session: Session, *, now: datetime, limit: int, settings: Settings) -> list[Claim]:
    """Lease up to `limit` mailboxes whose sync is due to this worker. The caller commits
    before syncing, so no transaction stays open while the IMAP servers answer."""
    claims = []
    rows = repository.claim_due(session, now=now, limit=limit)
    folders: dict[str, list[MailboxFolder]] = {row.id: [] for row in rows}
    for folder in repository.folders_of(session, mailbox_ids=list(folders)):
        folders[folder.mailbox_id].append(folder)
    for mailbox in rows:
        mailbox.lease_token = new_id()
        mailbox.locked_until = now + LEASE
        session.add(mailbox)
        claims.append(
            Claim(
                mailbox_id=mailbox.id,
                user_id=mailbox.user_id,
                lease_token=mailbox.lease_token,
                host=mailbox.host,
                port=mailbox.port,
                security=Security(mailbox.security),
                username=mailbox.username,
                password=_password(mailbox, settings),
                positions={
                    FolderRole(folder.role): (folder.name, Position(folder.uidvalidity, folder.last_uid))
                    for folder in folders[mailbox.id]
                },
            )
        )
    session.flush()
    return claims


def _password(mailbox: Mailbox, settings: Settings) -> str | None:
    """The password in clear, or None when it cannot be read (no key, or another key)."""
    try:
        return service.cipher_of(settings).decrypt(mailbox.password_encrypted, context=mailbox.id)
    except (service.NoSecretKey, CannotDecrypt):
        return None


class DatabaseSink:
    """Where a sync's messages go: mail intake, each message in its own transaction with
    the folder's position."""

    def __init__(self, engine: Engine, claimed: Claim, *, clock: Callable[[], datetime], max_bytes: int) -> None:
        self.engine = engine
        self.claim = claimed
        self.clock = clock
        self.max_bytes = max_bytes

    def _user(self, session: Session) -> User:
        user = session.get(User, self.claim.user_id)
        if user is None:
            raise LeaseLost
        return user

    def _leased(self, session: Session) -> Mailbox:
        mailbox = repository.get_leased(session, mailbox_id=self.claim.mailbox_id, lease_token=self.claim.lease_token)
        if mailbox is None:
            raise LeaseLost
        return mailbox

    def may_matter(self, headers: bytes) -> bool:
        with unit_of_work(self.engine, writes=False) as session:
            return mail_service.may_matter(session, user=self._user(session), headers=headers, at=self.clock())

    def apply(self, folder: Folder, position: Position, raw: bytes) -> None:
        with unit_of_work(self.engine, writes=True) as session:
            # The mailbox's row first: the lease is checked, and held, before anything is written.
            mailbox = self._leased(session)
            try:
                with session.begin_nested():
                    mail_service.ingest(session, user=self._user(session), raw=raw, at=self.clock(), via=Via.IMAP)
            except InvalidInput as refused:
                # Not a message mail intake can read: nothing to apply, now or later.
                logger.warning("mailbox %s: %s %s skipped: %s", mailbox.id, folder.name, position.last_uid, refused)
            self._keep(session, mailbox, folder, position)

    def advance(self, folder: Folder, position: Position) -> None:
        with unit_of_work(self.engine, writes=True) as session:
            self._keep(session, self._leased(session), folder, position)

    def _keep(self, session: Session, mailbox: Mailbox, folder: Folder, position: Position) -> None:
        now = self.clock()
        row = repository.get_folder(session, mailbox_id=mailbox.id, role=folder.role.value)
        if row is None:
            row = MailboxFolder(
                mailbox_id=mailbox.id, role=folder.role.value, name=folder.name, uidvalidity=0, last_uid=0
            )
        row.name = folder.name
        row.uidvalidity = position.uidvalidity
        row.last_uid = position.last_uid
        row.updated_at = now
        repository.add(session, row=row)
        mailbox.locked_until = now + LEASE
        session.add(mailbox)


def backoff(failures: int, *, interval: timedelta, jitter: float) -> timedelta:
    """The wait before the next sync after `failures` failed ones in a row: the interval,
    doubled with each failure, at most an hour, spread by ±10% (`jitter` in [-1, 1])."""
    doubled: timedelta = interval * (2 ** max(failures - 1, 0))
    return min(doubled, max(MAX_BACKOFF, interval)) * (1 + JITTER * jitter)


@dataclass(frozen=True)
class Result:
    """How a sync ended: `error` set when it failed; `refused` when the user has something
    to fix (status `error`) rather than a server to wait for."""

    applied: int = 0
    error: str | None = None
    refused: bool = False
    lost: bool = False  # the lease: nothing was recorded


def run(engine: Engine, claimed: Claim, *, settings: Settings, clock: Callable[[], datetime], jitter: float) -> Result:
    """Sync one claimed mailbox and record the outcome (unless the lease was lost)."""
    result = _sync(engine, claimed, settings=settings, clock=clock)
    if not result.lost:
        with unit_of_work(engine, writes=True) as session:
            _record(session, claimed, result, settings=settings, now=clock(), jitter=jitter)
    return result


def _sync(engine: Engine, claimed: Claim, *, settings: Settings, clock: Callable[[], datetime]) -> Result:
    if claimed.password is None:
        return Result(
            error="The stored password cannot be read: FOLLOWUP_SECRET_KEY is missing, or changed without "
            "the key it was encrypted with as FOLLOWUP_SECRET_KEY_PREVIOUS; give the password again (PATCH).",
            refused=True,
        )
    try:
        account = service.account(
            host=claimed.host,
            port=claimed.port,
            security=claimed.security,
            username=claimed.username,
            password=claimed.password,
            settings=settings,
            timeout=imap.TIMEOUT_SECONDS,
        )
        sink = DatabaseSink(engine, claimed, clock=clock, max_bytes=settings.mail_max_bytes)
        report = imap.sync(
            account, positions=claimed.positions, sink=sink, at=clock(), max_bytes=settings.mail_max_bytes
        )
    except LeaseLost:
        return Result(lost=True)
    except service.HostRefused as error:
        return Result(error=error.reason, refused=not error.retryable)
    except imap.ImapError as error:
        return Result(error=error.answer, refused=not error.retryable)
    except Exception as error:  # a message mail intake could not take in (the database, a bug)
        logger.exception("mailbox %s: sync failed", claimed.mailbox_id)
        return Result(error=f"A message could not be taken in ({type(error).__name__}); it is tried again.")
    return Result(applied=report.applied)


def release(session: Session, claimed: Claim) -> None:
    """Hand a claimed mailbox back unsynced (the worker is stopping): due as it was."""
    mailbox = repository.get_leased(session, mailbox_id=claimed.mailbox_id, lease_token=claimed.lease_token)
    if mailbox is not None:
        mailbox.locked_until = None
        mailbox.lease_token = None
        repository.add(session, row=mailbox)


def _record(
    session: Session, claimed: Claim, result: Result, *, settings: Settings, now: datetime, jitter: float
) -> None:
    mailbox = repository.get_leased(session, mailbox_id=claimed.mailbox_id, lease_token=claimed.lease_token)
    if mailbox is None:
        return
    interval = timedelta(seconds=settings.mail_sync_seconds)
    mailbox.locked_until = None
    mailbox.lease_token = None
    if result.error is None:
        mailbox.failures = 0
        mailbox.last_error = None
        mailbox.last_synced_at = now
        if mailbox.status == MailboxStatus.ERROR:
            mailbox.status = MailboxStatus.OK.value
        wait = interval
    else:
        mailbox.failures += 1
        mailbox.last_error = result.error[:ERROR_CHARS]
        if result.refused and mailbox.status == MailboxStatus.OK:
            mailbox.status = MailboxStatus.ERROR.value
        wait = backoff(mailbox.failures, interval=interval, jitter=jitter)
    # A PATCH may have disabled it meanwhile; it stays so.
    mailbox.next_sync_at = None if mailbox.status == MailboxStatus.DISABLED else now + wait
    mailbox.version += 1
    repository.add(session, row=mailbox)
