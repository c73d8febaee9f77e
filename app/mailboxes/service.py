"""Connected IMAP mailboxes: connect one (checked by logging in), read, change, disconnect,
and ask for a sync now. The worker's side is app.mailboxes.sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.columns import new_id, utcnow
from app.core.config import Settings
from app.core.encryption import CannotDecrypt, Cipher, MissingSecretKey, cipher
from app.core.etags import NONE, Preconditions, Tagged, make_etag
from app.core.pagination import decode_cursor, page
from app.core.problems import Conflict, InvalidInput, NotFound, Problem
from app.core.session import unit_of_work
from app.mail import imap
from app.mail.imap import Account, Security
from app.mailboxes import repository
from app.mailboxes.models import Mailbox, MailboxFolder, MailboxStatus
from app.mailboxes.schemas import FolderPublic, MailboxCreate, MailboxPublic, MailboxUpdate
from app.users.models import User
from app.webhooks_out import outbox, ssrf

# How long each step of the login that checks a mailbox may wait for the server.
CHECK_TIMEOUT_SECONDS = 15.0
# Each mailbox costs the worker a connection every FOLLOWUP_MAIL_SYNC_SECONDS.
MAX_MAILBOXES = 10


class NoSecretKey(Conflict):
    """This service is not set up to keep passwords: a conflict with its configuration,
    which no retry of the request can solve (FOLLOWUP_SECRET_KEY)."""


SECRET_KEY_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Conflicts with the current state, or FOLLOWUP_SECRET_KEY is not set (no password can be kept)",
        "model": Problem,
    }
}


class HostRefused(Exception):
    """A host that does not resolve, or resolves to an address the service may not reach."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def cipher_of(settings: Settings) -> Cipher:
    previous = settings.secret_key_previous
    try:
        return cipher(
            settings.secret_key.get_secret_value() if settings.secret_key is not None else None,
            previous.get_secret_value() if previous is not None else None,
        )
    except MissingSecretKey as error:
        raise NoSecretKey(str(error)) from None


def checked_addresses(host: str, port: int, *, allow_private: bool) -> tuple[str, ...]:
    """The addresses `host` resolves to, every one of them public unless private ones are
    allowed; the connection goes to exactly these (no second lookup to rebind)."""
    try:
        addresses = ssrf.resolve(host.strip("[]"), port)
    except (OSError, UnicodeError) as error:
        raise HostRefused(f"{host} does not resolve ({error})", retryable=True) from None
    if not addresses:
        raise HostRefused(f"{host} does not resolve", retryable=True)
    if not allow_private and not all(ssrf.is_public(address) for address in addresses):
        raise HostRefused(f"{host} resolves to a private or reserved address", retryable=False)
    return tuple(dict.fromkeys(str(address) for address in addresses))


def account(
    *, host: str, port: int, security: Security, username: str, password: str, settings: Settings, timeout: float
) -> Account:
    """The account to log in to, at the addresses checked now. HostRefused otherwise."""
    addresses = checked_addresses(host, port, allow_private=settings.mail_allow_private)
    return Account(host, port, security, username, password, timeout=timeout, addresses=addresses)


def _check_login(**fields: Any) -> None:
    """Log in with these credentials, or refuse them with a 422 that says why: the
    server's answer, or what stood in the way."""
    try:
        imap.check_login(account(**fields, timeout=CHECK_TIMEOUT_SECONDS))
    except HostRefused as error:
        raise InvalidInput.at(["body", "host"], error.reason) from None
    except imap.ImapError as error:
        what = "The server refused the login" if isinstance(error, imap.LoginFailed) else "The login failed"
        raise InvalidInput.at(["body"], f"{what}: {error.answer}") from None


def etag(mailbox: Mailbox) -> str:
    return make_etag("mailbox", mailbox.id, mailbox.version)


def public(mailbox: Mailbox, folders: list[MailboxFolder]) -> MailboxPublic:
    return MailboxPublic(
        id=mailbox.id,
        host=mailbox.host,
        port=mailbox.port,
        security=Security(mailbox.security),
        username=mailbox.username,
        status=MailboxStatus(mailbox.status),
        last_error=mailbox.last_error,
        last_synced_at=mailbox.last_synced_at,
        next_sync_at=mailbox.next_sync_at,
        folders=[
            FolderPublic(
                role=imap.FolderRole(folder.role),
                name=folder.name,
                uidvalidity=folder.uidvalidity,
                last_uid=folder.last_uid,
                updated_at=folder.updated_at,
            )
            for folder in folders
        ],
        created_at=mailbox.created_at,
        updated_at=mailbox.updated_at,
    )


def _tagged(session: Session, mailbox: Mailbox) -> Tagged[MailboxPublic]:
    folders = list(repository.folders_of(session, mailbox_ids=[mailbox.id]))
    return Tagged(public(mailbox, folders), etag(mailbox))


def _require(session: Session, *, user: User, mailbox_id: str, for_update: bool = False) -> Mailbox:
    mailbox = repository.get(session, user_id=user.id, mailbox_id=mailbox_id, for_update=for_update)
    if mailbox is None:
        raise NotFound("No mailbox with this id.")
    return mailbox


def create(session: Session, *, user: User, body: MailboxCreate, settings: Settings) -> Tagged[MailboxPublic]:
    """Check the credentials by logging in, then keep them, the password encrypted. The login
    comes before any statement, so no transaction waits on the IMAP server."""
    secrets = cipher_of(settings)
    password = body.password.get_secret_value()
    _check_login(
        host=body.host,
        port=body.effective_port,
        security=body.security,
        username=body.username,
        password=password,
        settings=settings,
    )
    if repository.count(session, user_id=user.id) >= MAX_MAILBOXES:
        raise Conflict(f"You have {MAX_MAILBOXES} mailboxes connected, the most there may be; disconnect one first.")
    now = utcnow()
    mailbox_id = new_id()
    mailbox = Mailbox(
        id=mailbox_id,
        user_id=user.id,
        host=body.host,
        port=body.effective_port,
        security=body.security.value,
        username=body.username,
        password_encrypted=secrets.encrypt(password, context=mailbox_id),
        next_sync_at=now,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, row=mailbox)
    outbox.wake_worker_after_commit(session)
    return Tagged(public(mailbox, []), etag(mailbox))


def list_page(
    session: Session, *, user: User, limit: int, cursor: str | None
) -> tuple[list[MailboxPublic], str | None]:
    start_after = None
    if cursor is not None:
        created_at, mailbox_id = decode_cursor(cursor, (datetime, str))
        start_after = (created_at, mailbox_id)
    rows = repository.list_page(session, user_id=user.id, limit=limit, start_after=start_after)
    kept, next_cursor = page(rows, limit, lambda row: (row.created_at, row.id))
    folders: dict[str, list[MailboxFolder]] = {row.id: [] for row in kept}
    for folder in repository.folders_of(session, mailbox_ids=list(folders)):
        folders[folder.mailbox_id].append(folder)
    return [public(row, folders[row.id]) for row in kept], next_cursor


def get(session: Session, *, user: User, mailbox_id: str) -> Tagged[MailboxPublic]:
    return _tagged(session, _require(session, user=user, mailbox_id=mailbox_id))


def _stored_password(mailbox: Mailbox, settings: Settings) -> str:
    try:
        return cipher_of(settings).decrypt(mailbox.password_encrypted, context=mailbox.id)
    except CannotDecrypt:
        raise InvalidInput.at(
            ["body", "password"],
            "The stored password cannot be read with FOLLOWUP_SECRET_KEY (nor FOLLOWUP_SECRET_KEY_PREVIOUS); "
            "give the password again.",
        ) from None


def update(
    session: Session,
    *,
    user: User,
    mailbox_id: str,
    body: MailboxUpdate,
    settings: Settings,
    preconditions: Preconditions = NONE,
) -> Tagged[MailboxPublic]:
    changes = body.model_dump(exclude_unset=True)
    password = body.password.get_secret_value() if body.password is not None else None
    if body.changes_credentials:
        # Read in a transaction of its own, and checked before the request's first statement:
        # no lock is held while the IMAP server answers (on SQLite, a writing request's first
        # statement takes the database's write lock).
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        with unit_of_work(engine, writes=False) as reading:
            current = _require(reading, user=user, mailbox_id=mailbox_id)
        security = Security(changes.get("security", current.security))
        port = changes.get("port") or (current.port if "security" not in changes else imap.DEFAULT_PORTS[security])
        if password is None:
            password = _stored_password(current, settings)
        _check_login(
            host=changes.get("host", current.host),
            port=port,
            security=security,
            username=changes.get("username", current.username),
            password=password,
            settings=settings,
        )
    mailbox = _require(session, user=user, mailbox_id=mailbox_id, for_update=True)
    preconditions.check(etag(mailbox), what="mailbox")
    now = utcnow()
    if body.changes_credentials:
        assert password is not None
        if (
            changes.get("host", mailbox.host) != mailbox.host
            or changes.get("username", mailbox.username) != mailbox.username
        ):  # another account: its folders are other folders
            repository.delete_folders(session, mailbox_id=mailbox.id)
        # A sync under way with the old credentials writes nothing more (its lease is gone).
        mailbox.lease_token = None
        mailbox.locked_until = None
        mailbox.host = changes.get("host", mailbox.host)
        mailbox.security = Security(changes.get("security", mailbox.security)).value
        mailbox.port = port
        mailbox.username = changes.get("username", mailbox.username)
        mailbox.password_encrypted = cipher_of(settings).encrypt(password, context=mailbox.id)
        if mailbox.status != MailboxStatus.DISABLED:  # new credentials: a fresh start, now
            _resume(mailbox, now)
    if changes.get("enabled") is False and mailbox.status != MailboxStatus.DISABLED:
        mailbox.status = MailboxStatus.DISABLED.value
        mailbox.next_sync_at = None
    elif changes.get("enabled") is True and mailbox.status == MailboxStatus.DISABLED:
        _resume(mailbox, now)
    mailbox.updated_at = now
    mailbox.version += 1
    repository.add(session, row=mailbox)
    outbox.wake_worker_after_commit(session)
    return _tagged(session, mailbox)


def _resume(mailbox: Mailbox, now: datetime) -> None:
    mailbox.status = MailboxStatus.OK.value
    mailbox.last_error = None
    mailbox.failures = 0
    mailbox.next_sync_at = now


def delete(session: Session, *, user: User, mailbox_id: str, preconditions: Preconditions = NONE) -> None:
    """Disconnect: the credentials and the folders' positions are gone when this commits.
    A sync under way writes nothing more (its lease names a row that no longer exists)."""
    mailbox = _require(session, user=user, mailbox_id=mailbox_id, for_update=True)
    preconditions.check(etag(mailbox), what="mailbox")
    repository.delete_folders(session, mailbox_id=mailbox.id)
    repository.delete(session, mailbox=mailbox)


def sync_now(session: Session, *, user: User, mailbox_id: str) -> Tagged[MailboxPublic]:
    """Plan a sync for now; a worker takes it at its next pass (the embedded one at once)."""
    mailbox = _require(session, user=user, mailbox_id=mailbox_id, for_update=True)
    if mailbox.status == MailboxStatus.DISABLED:
        raise Conflict("The mailbox is disabled; enable it first (PATCH enabled=true).")
    now = utcnow()
    if mailbox.next_sync_at is None or mailbox.next_sync_at > now:
        mailbox.next_sync_at = now
        mailbox.version += 1
        repository.add(session, row=mailbox)
    outbox.wake_worker_after_commit(session)
    return _tagged(session, mailbox)


@dataclass
class Rekeyed:
    """What `rekey` found: passwords written again under the current key, ones already under
    it, and the mailboxes whose password neither key reads (their users must give it again)."""

    rekeyed: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)


def rekey(engine: Engine, settings: Settings) -> Rekeyed:
    """Write every stored password that only FOLLOWUP_SECRET_KEY_PREVIOUS reads again under
    FOLLOWUP_SECRET_KEY, disabled mailboxes included (the worker never reads theirs). Once
    nothing is left under the previous key, that key can go.

    One mailbox per transaction, its row locked: a password a PATCH writes meanwhile is
    under the current key already, and a mailbox deleted meanwhile is passed over. The API
    shows nothing of the password, so neither the version nor the ETag changes."""
    secrets = cipher_of(settings)
    found = Rekeyed()
    with unit_of_work(engine, writes=False) as session:
        mailbox_ids = list(repository.all_ids(session))
    for mailbox_id in mailbox_ids:
        with unit_of_work(engine, writes=True) as session:
            mailbox = repository.get_locked(session, mailbox_id=mailbox_id)
            if mailbox is None:
                continue
            try:
                token = secrets.rekeyed(mailbox.password_encrypted, context=mailbox.id)
            except CannotDecrypt:
                found.unreadable.append(mailbox.id)
                continue
            if token is None:
                found.current += 1
                continue
            mailbox.password_encrypted = token
            repository.add(session, row=mailbox)
            found.rekeyed += 1
    return found
