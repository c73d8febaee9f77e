"""An IMAP mailbox read the way mail intake needs it: INBOX and the Sent folder, headers
first, whole messages only when they may matter, and a position per folder that never moves
past a message that was not applied.

The client is the standard library's `imaplib`. Every socket has a timeout; nothing here
reads the clock (`at` is passed in) or the database: what a message means, whether it may
matter and where the position is kept are the caller's (its `Sink`).
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

DEFAULT_PORTS = {"tls": 993, "starttls": 143}
TIMEOUT_SECONDS = 30.0
SINCE_DAYS = 30
# Header fetches go in batches of this many UIDs: one round trip each, bounded memory.
BATCH_SIZE = 50
# A message larger than this is never fetched whole (MAIL.md: FOLLOWUP_MAIL_MAX_BYTES).
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
ANSWER_CHARS = 500
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Security(StrEnum):
    """How the IMAP connection is protected: TLS from the first byte (`tls`, usually
    port 993), or a plain connection upgraded with STARTTLS before the login (`starttls`,
    usually port 143)."""

    TLS = "tls"  # TLS from the first byte (IMAPS, usually port 993)
    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS before the login (usually 143)


class FolderRole(StrEnum):
    """What a mailbox folder holds for mail intake: received mail (`inbox`) or sent mail
    (`sent`)."""

    INBOX = "inbox"
    SENT = "sent"


class ImapError(Exception):
    """The server, or the way to it, failed. `answer` is what the server said, or what went
    wrong on the way; `retryable` says whether the same request may work later unchanged."""

    retryable = False

    def __init__(self, answer: str) -> None:
        super().__init__(answer)
        self.answer = answer[:ANSWER_CHARS]


class LoginFailed(ImapError):
    """The server refused the credentials, or the connection could not be secured (no
    STARTTLS, a certificate that does not verify): the user has something to fix."""


class ServerUnavailable(ImapError):
    """The server could not be reached, timed out or dropped the connection: try again later."""

    retryable = True


class ProtocolFailure(ImapError):
    """The server refused a command after the login (a folder that cannot be selected, a
    fetch it answers with NO or BAD, an answer that cannot be read)."""


@dataclass(frozen=True)
class Account:
    host: str
    port: int
    security: Security
    username: str
    password: str = field(repr=False)
    timeout: float = TIMEOUT_SECONDS
    # Verifies the server's certificate; None: the system's trusted certificates.
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    # The addresses to connect to, checked by the caller; empty: `host` is resolved here.
    # TLS verifies the certificate against `host` either way.
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Position:
    """Where a folder was read up to: every message with a UID up to `last_uid` was applied
    or needed nothing, as long as the folder's UIDVALIDITY is `uidvalidity`."""

    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class Folder:
    role: FolderRole
    name: str  # as the server names it (modified UTF-7), to be sent back as is


@dataclass
class FolderReport:
    folder: Folder
    position: Position | None = None
    # The first read of the folder, or one after its UIDVALIDITY changed: `since_days` back.
    reread: bool = False
    headers_read: int = 0
    applied: int = 0
    too_large: int = 0


class Sink(Protocol):
    """What the caller does with a mailbox's messages."""

    def may_matter(self, headers: bytes) -> bool:
        """Whether a message, by its header alone, may change something: only those are
        fetched whole."""
        ...

    def apply(self, folder: Folder, position: Position, raw: bytes) -> None:
        """Take in one whole message and keep `position` (the folder read up to it) in the
        same transaction. Raising leaves the folder's position before this message."""
        ...

    def advance(self, folder: Folder, position: Position) -> None:
        """Keep `position`: the messages up to it needed nothing."""
        ...


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple) and value:
        return " ".join(_text(part) for part in value if part is not None)
    return str(value)


def _answer(error: BaseException) -> str:
    """The server's words in an imaplib error (its argument is bytes or text), or the error."""
    if error.args:
        return _text(error.args[0]).strip() or type(error).__name__
    return type(error).__name__


@contextmanager
def _translated(*, logging_in: bool = False) -> Iterator[None]:
    """imaplib's errors and the socket's, as this module's: what a caller may retry."""
    try:
        yield
    except ImapError:
        raise
    except imaplib.IMAP4.abort as error:  # the connection broke or the server said BYE
        raise ServerUnavailable(_answer(error)) from error
    except imaplib.IMAP4.error as error:  # a tagged NO or BAD
        if logging_in:
            raise LoginFailed(_answer(error)) from error
        raise ProtocolFailure(_answer(error)) from error
    except ssl.SSLCertVerificationError as error:
        raise LoginFailed(f"the server's certificate is not trusted: {error.verify_message}") from error
    except UnicodeEncodeError as error:  # imaplib sends commands in ASCII
        if logging_in:
            raise LoginFailed("the server offers no login for a user name or password beyond ASCII") from error
        raise ProtocolFailure(f"a command that cannot be sent in ASCII: {error}") from error
    except (OSError, EOFError) as error:  # refused, reset, timed out, TLS failures on the way
        raise ServerUnavailable(str(error) or type(error).__name__) from error


def _auth_plain(username: str, password: str) -> bytes:
    return f"\0{username}\0{password}".encode()


def _capabilities(imap: imaplib.IMAP4) -> frozenset[str]:
    """What the server offers now. imaplib asks after the greeting and after STARTTLS, and
    `_logged_in` keeps what the login's answer said: no CAPABILITY command of its own."""
    return frozenset(name.upper() for name in imap.capabilities)


def _logged_in(imap: imaplib.IMAP4) -> None:
    """Capabilities change with the login (RFC 3501 §6.2.3). A server may send the new ones
    with the login's answer (a `[CAPABILITY ...]` code, as Dovecot does, or an untagged
    CAPABILITY); otherwise they are asked for."""
    _, data = imap.response("CAPABILITY")
    if not data or data[-1] is None:
        typ, data = imap.capability()
        if typ != "OK" or not data or data[-1] is None:
            return
    imap.capabilities = tuple(_text(data[-1]).upper().split())


def _open_socket(host: str, port: int, addresses: Sequence[str], timeout: float | None) -> socket.socket:
    if not addresses:
        return socket.create_connection((host, port), timeout)
    last: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as error:
            last = error
    assert last is not None
    raise last


class _IMAP4(imaplib.IMAP4):
    """imaplib's client, connected to the account's checked addresses."""

    def __init__(self, account: Account) -> None:
        self._addresses = account.addresses
        super().__init__(account.host, account.port, timeout=account.timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return _open_socket(self.host, self.port, self._addresses, timeout)


class _IMAP4_SSL(imaplib.IMAP4_SSL):
    def __init__(self, account: Account, context: ssl.SSLContext) -> None:
        self._addresses = account.addresses
        super().__init__(account.host, account.port, ssl_context=context, timeout=account.timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        plain = _open_socket(self.host, self.port, self._addresses, timeout)
        context: ssl.SSLContext = self.ssl_context
        return context.wrap_socket(plain, server_hostname=self.host)


@contextmanager
def connect(account: Account) -> Iterator[imaplib.IMAP4]:
    """A logged-in connection, logged out (or just closed) at the end."""
    if any(character in account.username + account.password for character in "\r\n\0"):
        # They would end the command and start another one.
        raise LoginFailed("a user name or password cannot hold a line break or NUL")
    context = account.ssl_context or ssl.create_default_context()
    imap: imaplib.IMAP4
    with _translated():
        imap = _IMAP4_SSL(account, context) if account.security == Security.TLS else _IMAP4(account)
    try:
        with _translated(logging_in=True):
            if account.security == Security.STARTTLS:
                if "STARTTLS" not in imap.capabilities:
                    raise LoginFailed("the server does not offer STARTTLS")
                imap.starttls(context)
            offered = _capabilities(imap)
            if "LOGINDISABLED" in offered:
                raise LoginFailed("the server refuses logins on this connection (LOGINDISABLED)")
            if "AUTH=PLAIN" in offered:
                # SASL PLAIN carries any UTF-8 password; LOGIN's quoted strings are ASCII only.
                imap.authenticate("PLAIN", lambda _challenge: _auth_plain(account.username, account.password))
            else:
                # imaplib quotes the password, not the user name.
                imap.login(_quoted(account.username), account.password)
            _logged_in(imap)
        yield imap
    finally:
        _close(imap)


def _close(imap: imaplib.IMAP4) -> None:
    # A broken connection cannot log out; the socket is closed either way.
    with suppress(imaplib.IMAP4.error, OSError, EOFError):
        imap.logout()
    with suppress(OSError):
        imap.shutdown()


def check_login(account: Account) -> None:
    """Log in and out. LoginFailed carries the server's answer; ServerUnavailable says the
    server could not be reached."""
    with connect(account):
        pass


# One line of a LIST answer: (flags) delimiter name.
LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\)\s+(?P<delimiter>"(?:[^"\\]|\\.)*"|NIL)\s+(?P<name>.*)$', re.IGNORECASE)


@dataclass(frozen=True)
class Listed:
    name: str
    flags: frozenset[str]
    delimiter: str | None


def _unquote(value: bytes) -> str:
    text = value.decode("utf-8", "replace").strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def parse_list(lines: Sequence[bytes | tuple[bytes, bytes] | None]) -> list[Listed]:
    """The folders of a LIST answer as imaplib returns it: a line each, or (line, literal)
    when the name came as a literal."""
    folders = []
    for line in lines:
        if line is None:
            continue
        literal: bytes | None = None
        if isinstance(line, tuple):
            line, literal = line
        match = LIST_LINE.match(line.strip())
        if match is None:
            continue
        name = literal.decode("utf-8", "replace") if literal is not None else _unquote(match["name"])
        delimiter = None if match["delimiter"].upper() == b"NIL" else _unquote(match["delimiter"])
        flags = frozenset(flag.lower() for flag in match["flags"].decode("ascii", "replace").split())
        folders.append(Listed(name=name, flags=flags, delimiter=delimiter))
    return folders


def choose_folders(listed: Sequence[Listed]) -> list[Folder]:
    """INBOX, and the Sent folder: the one marked `\\Sent` (RFC 6154), else one named Sent
    (at the top level first, then as the last part of a path such as INBOX.Sent)."""
    folders = [Folder(FolderRole.INBOX, "INBOX")]
    selectable = [item for item in listed if "\\noselect" not in item.flags and "\\nonexistent" not in item.flags]
    sent = next((item for item in selectable if "\\sent" in item.flags), None)
    if sent is None:
        sent = next((item for item in selectable if item.name.lower() == "sent"), None)
    if sent is None:
        sent = next(
            (
                item
                for item in selectable
                if item.delimiter and item.name.rsplit(item.delimiter, 1)[-1].lower() == "sent"
            ),
            None,
        )
    if sent is not None and sent.name.upper() != "INBOX":
        folders.append(Folder(FolderRole.SENT, sent.name))
    return folders


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def list_folders(imap: imaplib.IMAP4) -> list[Folder]:
    with _translated():
        offered = _capabilities(imap)
        if "SPECIAL-USE" in offered and "LIST-EXTENDED" in offered:
            # Servers need not mark special-use folders in a plain LIST (RFC 6154 §2).
            typ, data = imap._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
            typ, data = imap._untagged_response(typ, data, "LIST")
        else:
            typ, data = imap.list('""', '"*"')
    if typ != "OK":
        raise ProtocolFailure(f"LIST: {_text(data)}")
    return choose_folders(parse_list(data))


def search_date(at: datetime, since_days: int) -> str:
    """The IMAP date (RFC 3501 `date`) `since_days` before `at`."""
    day = (at - timedelta(days=since_days)).date()
    return f"{day.day}-{MONTHS[day.month - 1]}-{day.year}"


FETCH_UID = re.compile(rb"\bUID\s+(\d+)", re.IGNORECASE)
FETCH_SIZE = re.compile(rb"\bRFC822\.SIZE\s+(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Fetched:
    uid: int
    size: int | None
    data: bytes


def parse_fetch(data: Sequence[bytes | tuple[bytes, bytes] | None]) -> list[Fetched]:
    """The messages of a FETCH answer as imaplib returns it: each message is a (prefix,
    literal) pair, and its UID and size may come before the literal or after it."""
    fetched = []
    items = list(data)
    for index, item in enumerate(items):
        if not isinstance(item, tuple):
            continue
        prefix, literal = item
        following = items[index + 1] if index + 1 < len(items) else None
        after = following if isinstance(following, bytes) else b""
        uid = FETCH_UID.search(prefix) or FETCH_UID.search(after)
        if uid is None:
            raise ProtocolFailure(f"a FETCH answer without its UID: {prefix[:100]!r}")
        size = FETCH_SIZE.search(prefix) or FETCH_SIZE.search(after)
        fetched.append(Fetched(uid=int(uid[1]), size=int(size[1]) if size else None, data=literal))
    return fetched


def _uids(data: Sequence[bytes | None]) -> list[int]:
    return sorted({int(token) for line in data if line for token in line.split() if token.isdigit()})


def _status_number(imap: imaplib.IMAP4, name: str) -> int | None:
    _, data = imap.response(name)
    if not data or data[-1] is None:
        return None
    value = _text(data[-1]).strip()
    return int(value) if value.isdigit() else None


class FolderReader:
    """One folder of a selected mailbox, read from its position."""

    def __init__(self, imap: imaplib.IMAP4, folder: Folder, *, max_bytes: int) -> None:
        self.imap = imap
        self.folder = folder
        self.max_bytes = max_bytes

    def select(self) -> tuple[int, int]:
        """EXAMINE the folder (read-only: nothing read sets `\\Seen`); its UIDVALIDITY and UIDNEXT."""
        with _translated():
            typ, data = self.imap.select(_quoted(self.folder.name), readonly=True)
            if typ != "OK":
                raise ProtocolFailure(f"EXAMINE {self.folder.name}: {_text(data)}")
            uidvalidity = _status_number(self.imap, "UIDVALIDITY")
            uidnext = _status_number(self.imap, "UIDNEXT")
        if uidvalidity is None:
            raise ProtocolFailure(f"EXAMINE {self.folder.name}: no UIDVALIDITY")
        if uidnext is None:  # optional before IMAP4rev2: the highest UID tells it
            uidnext = max(self.search("UID", "*"), default=0) + 1
        return uidvalidity, uidnext

    def search(self, *criteria: str) -> list[int]:
        with _translated():
            typ, data = self.imap.uid("SEARCH", *criteria)
        if typ != "OK":
            raise ProtocolFailure(f"SEARCH {' '.join(criteria)}: {_text(data)}")
        return _uids(data)

    def fetch(self, uids: Sequence[int], items: str) -> dict[int, Fetched]:
        with _translated():
            typ, data = self.imap.uid("FETCH", ",".join(str(uid) for uid in uids), items)
        if typ != "OK":
            raise ProtocolFailure(f"FETCH: {_text(data)}")
        return {message.uid: message for message in parse_fetch(data)}


def sync_folder(
    imap: imaplib.IMAP4,
    folder: Folder,
    *,
    position: Position | None,
    sink: Sink,
    at: datetime,
    since_days: int = SINCE_DAYS,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> FolderReport:
    """Read one folder from `position`. A first read, or one after the folder's UIDVALIDITY
    changed (its UIDs mean other messages now), takes the messages of the last `since_days`
    by their arrival date; the message ids make what was applied before a duplicate.

    The position moves only past messages the sink applied (each with its message, in the
    sink's transaction) or found to need nothing (`advance`, after each batch). Whatever
    raises, the sink has kept the position of everything done before it, and what follows
    is read again next time."""
    reader = FolderReader(imap, folder, max_bytes=max_bytes)
    uidvalidity, uidnext = reader.select()
    report = FolderReport(folder=folder)
    kept: Position | None
    if position is None or position.uidvalidity != uidvalidity:
        report.reread = True
        uids = reader.search("SINCE", search_date(at, since_days))
        # What comes before the first message of the period is older: the new position
        # starts after it even if this read stops early.
        done = Position(uidvalidity, (uids[0] if uids else uidnext) - 1)
        kept = None
    elif uidnext - 1 <= position.last_uid:
        # Every UID is below UIDNEXT: nothing came since, and no SEARCH needs asking.
        uids = []
        done = kept = position
    else:
        # `n:*` always names the highest UID, even one below n.
        uids = [uid for uid in reader.search("UID", f"{position.last_uid + 1}:*") if uid > position.last_uid]
        done = kept = position

    def keep() -> None:
        nonlocal kept
        if done != kept:
            sink.advance(folder, done)
            kept = done

    try:
        for start in range(0, len(uids), BATCH_SIZE):
            batch = uids[start : start + BATCH_SIZE]
            headers = reader.fetch(batch, "(UID RFC822.SIZE BODY.PEEK[HEADER])")
            for uid in batch:
                message = headers.get(uid)
                if message is None:  # expunged since the search
                    done = Position(uidvalidity, uid)
                    continue
                report.headers_read += 1
                if sink.may_matter(message.data):
                    if message.size is not None and message.size > max_bytes:
                        report.too_large += 1
                    else:
                        whole = reader.fetch([uid], "(UID BODY.PEEK[])").get(uid)
                        if whole is not None:
                            sink.apply(folder, Position(uidvalidity, uid), whole.data)
                            report.applied += 1
                            kept = Position(uidvalidity, uid)
                done = Position(uidvalidity, uid)
            keep()
        # Everything the folder held when it was selected was read or, on a reread, older
        # than the period.
        if uidnext - 1 > done.last_uid:
            done = Position(uidvalidity, uidnext - 1)
        keep()
    except BaseException:
        with suppress(Exception):
            keep()
        raise
    report.position = done
    return report


@dataclass
class SyncReport:
    folders: list[FolderReport] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return sum(folder.applied for folder in self.folders)


def sync(
    account: Account,
    *,
    positions: Mapping[FolderRole, tuple[str, Position]],
    sink: Sink,
    at: datetime,
    since_days: int = SINCE_DAYS,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> SyncReport:
    """Log in, find INBOX and the Sent folder, and read each from its position (`positions`:
    per role, the folder's name then and where it was read up to). A folder under another
    name than before (the Sent folder changed) is read as a new one."""
    report = SyncReport()
    with connect(account) as imap:
        for folder in list_folders(imap):
            previous = positions.get(folder.role)
            position = previous[1] if previous is not None and previous[0] == folder.name else None
            report.folders.append(
                sync_folder(
                    imap, folder, position=position, sink=sink, at=at, since_days=since_days, max_bytes=max_bytes
                )
            )
    return report
