"""Logging in to a real Dovecot: TLS, STARTTLS, the server's refusals, and the folders."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from app.mail import imap
from app.mail.imap import Account, FolderRole, LoginFailed, Security, ServerUnavailable
from mail.dovecot import HOST, SENT_SPECIAL_USE, UNRESOLVED_NAME, Dovecot, MailUser, free_port


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
def test_login_over_tls_and_starttls(dovecot: Dovecot, mail_user: MailUser, security: Security) -> None:
    imap.check_login(dovecot.account(mail_user, security=security))


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
def test_a_refused_login_carries_the_server_answer(dovecot: Dovecot, mail_user: MailUser, security: Security) -> None:
    with pytest.raises(LoginFailed) as refused:
        imap.check_login(dovecot.account(mail_user, security=security, password="wrong"))
    assert refused.value.answer == "[AUTHENTICATIONFAILED] Authentication failed."
    assert not refused.value.retryable


def test_a_password_beyond_ascii_logs_in(dovecot: Dovecot) -> None:
    user = dovecot.add_user(password="pässwörd ✓")
    imap.check_login(dovecot.account(user))


def test_an_untrusted_certificate_is_refused_before_the_password_is_sent(dovecot: Dovecot, mail_user: MailUser) -> None:
    account = dovecot.account(mail_user)
    # The system's trusted certificates, which do not include the test's CA.
    untrusted = Account(account.host, account.port, account.security, account.username, account.password, timeout=5)
    with pytest.raises(LoginFailed) as refused:
        imap.check_login(untrusted)
    assert "certificate" in refused.value.answer


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
def test_the_connection_goes_to_the_given_addresses_and_tls_checks_the_host(
    dovecot: Dovecot, mail_user: MailUser, security: Security
) -> None:
    account = dovecot.account(mail_user, security=security)
    # A name in the certificate that resolves to nothing: only the address given is used.
    pinned = replace(account, host=UNRESOLVED_NAME, addresses=(HOST,))
    imap.check_login(pinned)
    # The certificate is checked against the host name, not the address connected to.
    elsewhere = replace(account, host="imap.example.com", addresses=(HOST,))
    with pytest.raises(LoginFailed, match="certificate"):
        imap.check_login(elsewhere)


class ScriptedServer:
    """A plain-text IMAP server of a few lines, for what Dovecot would never do: it offers
    `capabilities`, accepts any LOGIN, and records every line it receives."""

    def __init__(self, capabilities: bytes, *, tls: ssl.SSLContext | None = None) -> None:
        self.capabilities = capabilities
        self.tls = tls
        self.received: list[bytes] = []
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve)
        self.thread.start()

    def serve(self) -> None:
        connection, _ = self.listener.accept()
        if self.tls is not None:
            connection = self.tls.wrap_socket(connection, server_side=True)
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"* OK IMAP4rev1 ready\r\n")
            connection.settimeout(5)
            for line in lines:
                self.received.append(line)
                tag, command = line.split()[:2]
                if command.upper() == b"CAPABILITY":
                    connection.sendall(b"* CAPABILITY " + self.capabilities + b"\r\n" + tag + b" OK done\r\n")
                elif command.upper() == b"LOGIN":
                    connection.sendall(tag + b" OK logged in\r\n")
                elif command.upper() == b"LOGOUT":
                    connection.sendall(b"* BYE\r\n" + tag + b" OK done\r\n")
                    return
                else:
                    connection.sendall(tag + b" BAD not here\r\n")

    def close(self) -> None:
        self.thread.join(5)
        self.listener.close()


def test_starttls_is_required_not_hoped_for() -> None:
    """A server that does not offer STARTTLS is never sent the password in clear."""
    server = ScriptedServer(b"IMAP4rev1 AUTH=PLAIN")
    try:
        with pytest.raises(LoginFailed, match="does not offer STARTTLS"):
            imap.check_login(Account(HOST, server.port, Security.STARTTLS, "me", "secret", timeout=5))
    finally:
        server.close()
    assert b"secret" not in b"".join(server.received)


def test_without_auth_plain_login_quotes_the_user_name(dovecot: Dovecot) -> None:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(dovecot.root / "cert.pem", dovecot.root / "key.pem")
    server = ScriptedServer(b"IMAP4rev1", tls=tls)
    trusting = dovecot.ssl_context()
    account = Account(HOST, server.port, Security.TLS, 'me "here"', "sec ret", timeout=5, ssl_context=trusting)
    try:
        imap.check_login(account)
    finally:
        server.close()
    assert b'LOGIN "me \\"here\\"" "sec ret"\r\n' in b"".join(server.received)


def test_capabilities_are_asked_for_after_a_login_whose_answer_leaves_them_out(dovecot: Dovecot) -> None:
    """Dovecot's login answer carries the new capabilities (tests/mail/imap/test_sync.py
    counts no CAPABILITY after it); a server whose answer does not is asked."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(dovecot.root / "cert.pem", dovecot.root / "key.pem")
    server = ScriptedServer(b"IMAP4rev1 SPECIAL-USE", tls=tls)
    account = Account(HOST, server.port, Security.TLS, "me", "secret", timeout=5, ssl_context=dovecot.ssl_context())
    try:
        with imap.connect(account) as connection:
            assert "SPECIAL-USE" in connection.capabilities
    finally:
        server.close()
    assert [line.split()[1].upper() for line in server.received] == [b"CAPABILITY", b"LOGIN", b"CAPABILITY", b"LOGOUT"]


def test_without_auth_plain_a_password_beyond_ascii_is_a_refused_login(dovecot: Dovecot) -> None:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(dovecot.root / "cert.pem", dovecot.root / "key.pem")
    server = ScriptedServer(b"IMAP4rev1", tls=tls)
    trusting = dovecot.ssl_context()
    account = Account(HOST, server.port, Security.TLS, "me", "pässwört", timeout=5, ssl_context=trusting)
    try:
        with pytest.raises(LoginFailed, match="beyond ASCII"):
            imap.check_login(account)
    finally:
        server.close()
    assert not any(b"LOGIN" in line for line in server.received)


@pytest.mark.parametrize("username, password", [("me\r\nA1 DELETE INBOX", "secret"), ("me", "se\ncret")])
def test_line_breaks_never_reach_the_server(username: str, password: str) -> None:
    with pytest.raises(LoginFailed, match="line break"):
        imap.check_login(Account(HOST, free_port(), Security.TLS, username, password, timeout=5))


def test_a_server_that_is_down_is_retryable() -> None:
    with pytest.raises(ServerUnavailable) as down:
        imap.check_login(Account(HOST, free_port(), Security.TLS, "me", "secret", timeout=5))
    assert down.value.retryable


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(4)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
def test_a_server_that_never_answers_times_out(silent_server: int, security: Security) -> None:
    started = time.monotonic()
    with pytest.raises(ServerUnavailable) as stalled:
        imap.check_login(Account(HOST, silent_server, security, "me", "secret", timeout=0.5))
    assert time.monotonic() - started < 5
    assert stalled.value.retryable


def folders(dovecot: Dovecot, user: MailUser) -> list[tuple[FolderRole, str]]:
    with imap.connect(dovecot.account(user)) as connection:
        return [(folder.role, folder.name) for folder in imap.list_folders(connection)]


def test_inbox_and_the_folder_marked_sent(dovecot: Dovecot, mail_user: MailUser) -> None:
    # A folder named Sent loses to the one the server marks \Sent (RFC 6154).
    dovecot.create(mail_user, "Sent")
    dovecot.create(mail_user, SENT_SPECIAL_USE)
    dovecot.create(mail_user, "Archive")
    assert folders(dovecot, mail_user) == [(FolderRole.INBOX, "INBOX"), (FolderRole.SENT, SENT_SPECIAL_USE)]


def test_a_folder_named_sent_when_none_is_marked(dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.create(mail_user, "Archive")
    dovecot.create(mail_user, "Sent")
    assert folders(dovecot, mail_user) == [(FolderRole.INBOX, "INBOX"), (FolderRole.SENT, "Sent")]


def test_inbox_alone_when_there_is_no_sent_folder(dovecot: Dovecot, mail_user: MailUser) -> None:
    dovecot.create(mail_user, "Archive")
    assert folders(dovecot, mail_user) == [(FolderRole.INBOX, "INBOX")]


def test_list_answers_as_imaplib_returns_them() -> None:
    listed = imap.parse_list(
        [
            b'(\\HasNoChildren \\Sent) "." "Sent \\"Items\\""',
            (b'(\\HasNoChildren) "/" {10}', b"Gesendet 1"),
            b'(\\Noselect \\HasChildren) "/" "[Gmail]"',
            b"(\\HasNoChildren) NIL INBOX",
            None,
        ]
    )
    assert [(item.name, item.delimiter) for item in listed] == [
        ('Sent "Items"', "."),
        ("Gesendet 1", "/"),
        ("[Gmail]", "/"),
        ("INBOX", None),
    ]
    assert "\\sent" in listed[0].flags
    nested = imap.parse_list([b'(\\HasNoChildren) "." "INBOX.Sent"'])
    assert imap.choose_folders(nested)[1].name == "INBOX.Sent"


def test_fetch_answers_with_the_uid_before_or_after_the_literal() -> None:
    fetched = imap.parse_fetch(
        [
            (b"1 (UID 7 RFC822.SIZE 40 BODY[HEADER] {5}", b"a: b\r"),
            b")",
            (b"2 (BODY[HEADER] {5}", b"c: d\r"),
            b" UID 9 RFC822.SIZE 41)",
        ]
    )
    assert [(item.uid, item.size, item.data) for item in fetched] == [(7, 40, b"a: b\r"), (9, 41, b"c: d\r")]


def test_the_search_date_is_since_days_before_at() -> None:
    from datetime import UTC, datetime

    assert imap.search_date(datetime(2026, 3, 31, 23, 59, tzinfo=UTC), 30) == "1-Mar-2026"


def test_an_ssl_context_of_its_own_is_not_shared() -> None:
    # The default (system) context is made per connection: a test's CA never leaks into it.
    assert ssl.create_default_context() is not ssl.create_default_context()
