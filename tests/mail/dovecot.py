"""A real IMAP server for the tests: Dovecot (Debian's `dovecot-imapd`), started on free
ports with a throwaway configuration in a temporary directory (no system configuration, no
service left behind), users in a passwd-file, maildirs under the same directory, IMAPS and
STARTTLS with a certificate made for the run by a CA made for the run.

Messages go in with APPEND, as any client would put them. The root conftest loads this
module as a plugin: its fixtures are defined once, so one server serves the whole session.
"""

from __future__ import annotations

import imaplib
import ipaddress
import itertools
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from pydantic import SecretStr

from app.core.config import Settings
from app.mail.imap import Account, Security

DOVECOT = "/usr/sbin/dovecot"
HOST = "127.0.0.1"
# The folder this configuration marks \Sent (RFC 6154). A user whose sent mail is in a
# folder named plain "Sent" has no \Sent folder at all.
SENT_SPECIAL_USE = "Sent Messages"
START_SECONDS = 15
# In the certificate too, and resolved by nothing (.test is reserved, RFC 6761): a client
# that reaches the server under this name connected to an address it was given.
UNRESOLVED_NAME = "imap.followup.test"


def dovecot_binary() -> str:
    """The dovecot binary; installed when missing where apt-get can be run (CI does), the
    test skipped elsewhere. Under CI=true a failed install fails the test."""
    found = shutil.which("dovecot") or (DOVECOT if Path(DOVECOT).exists() else None)
    if found:
        return found
    if os.environ.get("CI") != "true" and os.geteuid() != 0:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd); CI installs it and runs these tests")
    # RUNLEVEL=1: the package's scripts do not start the system's own Dovecot.
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive", "RUNLEVEL": "1"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "dovecot-imapd"], check=True, env=env)
    return shutil.which("dovecot") or DOVECOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for localhost, UNRESOLVED_NAME and 127.0.0.1:
    (ca, cert, key)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("followup test CA"))
        .issuer_name(_name("followup test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.DNSName(UNRESOLVED_NAME), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths[2].chmod(0o600)
    return paths


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = followup-test-{imaps_port}
log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain login
# Refusals answered at once: the tests log in with wrong passwords on purpose.
auth_failure_delay = 0
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox "{sent}" {{
    special_use = \\Sent
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
{login_service}}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
{rootless_service}}}
{rootless}
"""
# Without root, every process runs as the user running the tests and nothing is chrooted.
ROOTLESS = """\
default_internal_user = {user}
default_login_user = {user}
"""


@dataclass(frozen=True)
class MailUser:
    username: str
    password: str


class Dovecot:
    """One Dovecot master process and its directory. `stop()` and `start()` again keep the
    mail (and so every folder's UIDVALIDITY)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        # Short paths: Dovecot's sockets live under base_dir (a socket path has ~100 bytes).
        self.root = Path(tempfile.mkdtemp(prefix="followup-dovecot-"))
        self.root.chmod(0o755)  # the mail processes run as another user when we are root
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.ca_file, cert, key = make_certificates(self.root)
        if os.geteuid() == 0:
            # Dovecot never reads mail as root: the mail belongs to its own system user.
            account = pwd.getpwnam("dovecot")
            uid, gid, rootless = account.pw_uid, account.pw_gid, ""
        else:
            uid, gid = os.getuid(), os.getgid()
            rootless = ROOTLESS.format(user=pwd.getpwuid(uid).pw_name)
        for name in ("mail", "home"):
            (self.root / name).mkdir()
            os.chown(self.root / name, uid, gid)
        # A passwd-file per user: Dovecot reads a changed file again only once its time
        # stamp moves, which two users added within a second would not do.
        (self.root / "users").mkdir()
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                host=HOST,
                cert=cert,
                key=key,
                uid=uid,
                gid=gid,
                sent=SENT_SPECIAL_USE,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                login_service="  chroot =\n" if rootless else "",
                rootless_service="  chroot =\n" if rootless else "",
                rootless=rootless,
            )
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._numbers = itertools.count(1)

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        """Start the master and wait for both ports to greet as Dovecot. While another
        process holds one of the ports (a test elsewhere on the machine took it for a
        moment), try again until START_SECONDS have passed."""
        assert self.process is None
        deadline = time.monotonic() + START_SECONDS
        while True:
            process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            failure = self._wait_ready(process, deadline)
            if failure is None:
                self.process = process
                return
            if "Address already in use" in failure and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise RuntimeError(f"dovecot did not start: {failure}")

    def _wait_ready(self, process: subprocess.Popen[bytes], deadline: float) -> str | None:
        """None once both ports greet; else why not (the process is stopped then)."""
        while time.monotonic() < deadline:
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                return f"{stderr}\n{self.log}"
            if self._greets(self.imap_port, tls=False) and self._greets(self.imaps_port, tls=True):
                return None
            time.sleep(0.05)
        self.process = process
        self.stop()
        return f"no greeting within {START_SECONDS} s\n{self.log}"

    def _greets(self, port: int, *, tls: bool) -> bool:
        """Whether Dovecot answers there (not some other process that took the port)."""
        try:
            with socket.create_connection((HOST, port), timeout=1) as plain:
                if not tls:
                    return b"Dovecot" in plain.recv(1024)
                with self.ssl_context().wrap_socket(plain, server_hostname="localhost") as secured:
                    return b"Dovecot" in secured.recv(1024)
        except OSError:
            return False

    @staticmethod
    def _accepting(port: int) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the master, which stops the processes it started; whatever is left of its
        session then is killed."""
        if self.process is None:
            return
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with _suppress_lookup():
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        # Its children outlive the master by a moment; the next start needs the ports.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (self._accepting(self.imap_port) or self._accepting(self.imaps_port)):
            time.sleep(0.05)
        with _suppress_lookup():
            os.killpg(process.pid, signal.SIGKILL)
        if process.stderr is not None:
            process.stderr.close()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # Users and their mail

    def add_user(self, password: str | None = None) -> MailUser:
        """A new user, in a passwd-file of its own."""
        number = next(self._numbers)
        user = MailUser(username=f"user{number}", password=password or f"correct horse {number}")
        (self.root / "users" / user.username).write_text(f"{user.username}:{{PLAIN}}{user.password}\n")
        return user

    def set_password(self, user: MailUser, password: str) -> None:
        """Change the password on the server (the user's account then refuses the old one)."""
        (self.root / "users" / user.username).write_text(f"{user.username}:{{PLAIN}}{password}\n")
        # Dovecot looks at a passwd-file's time stamp at most once a second.
        time.sleep(1.1)

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def account(self, user: MailUser, *, security: Security = Security.TLS, password: str | None = None) -> Account:
        port = self.imaps_port if security == Security.TLS else self.imap_port
        return Account(
            host=HOST,
            port=port,
            security=security,
            username=user.username,
            password=user.password if password is None else password,
            timeout=5.0,
            ssl_context=self.ssl_context(),
        )

    def connect(self, user: MailUser) -> imaplib.IMAP4_SSL:
        imap = imaplib.IMAP4_SSL(HOST, self.imaps_port, ssl_context=self.ssl_context(), timeout=5)
        imap.login(user.username, user.password)
        return imap

    def create(self, user: MailUser, folder: str) -> None:
        imap = self.connect(user)
        try:
            typ, data = imap.create(quoted(folder))
            assert typ == "OK", data
        finally:
            imap.logout()

    def delete(self, user: MailUser, folder: str) -> None:
        imap = self.connect(user)
        try:
            typ, data = imap.delete(quoted(folder))
            assert typ == "OK", data
        finally:
            imap.logout()

    def append(
        self, user: MailUser, folder: str, raw: bytes, *, arrived: datetime | None = None, flags: str = ""
    ) -> int:
        """APPEND one message (arrived: its INTERNALDATE, what SEARCH SINCE compares); its UID."""
        imap = self.connect(user)
        try:
            when = imaplib.Time2Internaldate(arrived) if arrived is not None else None
            typ, data = imap.append(quoted(folder), f"({flags})" if flags else None, when, raw)
            assert typ == "OK", data
            # [APPENDUID <uidvalidity> <uid>] (RFC 4315)
            return int(data[0].split(b"APPENDUID ")[1].split(b"]")[0].split()[1])
        finally:
            imap.logout()

    def append_many(self, user: MailUser, folder: str, raws: Sequence[bytes]) -> None:
        """APPEND each message in turn over one connection (many messages, one login)."""
        imap = self.connect(user)
        try:
            for raw in raws:
                typ, data = imap.append(quoted(folder), None, None, raw)
                assert typ == "OK", data
        finally:
            imap.logout()

    def flags(self, user: MailUser, folder: str) -> dict[int, set[str]]:
        """Each message's flags but \\Recent (which says only which session saw it first),
        by UID, read without changing them."""
        imap = self.connect(user)
        try:
            typ, _ = imap.select(quoted(folder), readonly=True)
            assert typ == "OK"
            typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
            assert typ == "OK", data
            found = {}
            for line in data:
                if not isinstance(line, bytes):
                    continue
                text = line.decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                found[uid] = set(text.split("FLAGS (")[1].split(")")[0].split()) - {"\\Recent"}
            return found
        finally:
            imap.logout()

    def uidvalidity(self, user: MailUser, folder: str) -> int:
        imap = self.connect(user)
        try:
            typ, data = imap.status(quoted(folder), "(UIDVALIDITY)")
            assert typ == "OK", data
            return int(data[0].split(b"UIDVALIDITY ")[1].split(b")")[0])
        finally:
            imap.logout()


class _suppress_lookup:
    """A process group that is gone already is what stopping wants."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, ProcessLookupError)


def quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


_message_numbers = itertools.count(1)


def message(
    *,
    subject: str = "Hello",
    sender: str = "ana@acme.example",
    to: Sequence[str] = ("me@example.com",),
    message_id: str | None = None,
    date: datetime | None = None,
    body: str = "Thanks for your time today.",
    headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A plain RFC 5322 message (a Message-ID of its own unless one is given)."""
    when = date or datetime(2026, 3, 10, 9, 12, tzinfo=UTC)
    message_id = message_id or f"<m{next(_message_numbers)}.{os.getpid()}@acme.example>"
    lines = [
        f"From: {sender}",
        f"To: {', '.join(to)}",
        f"Subject: {subject}",
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S %z')}",
        f"Message-ID: {message_id}",
        *(f"{name}: {value}" for name, value in headers),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the test session; each test takes its own users."""
    server = Dovecot(dovecot_binary())
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def mail_user(dovecot: Dovecot) -> Iterator[MailUser]:
    """A fresh user with an empty mailbox, on a running server (a test that stopped it gets
    it started again)."""
    if dovecot.process is None:
        dovecot.start()
    yield dovecot.add_user()
    if dovecot.process is None:
        dovecot.start()


SECRET_KEY = "a test key that is long enough, surely"


@pytest.fixture
def mail_settings(app: FastAPI, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The app with a secret key and mailboxes allowed on 127.0.0.1; the test's CA trusted
    the way an operator trusts a private one (SSL_CERT_FILE, read by OpenSSL)."""
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"secret_key": SecretStr(SECRET_KEY), "mail_allow_private": True})
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.ca_file))
    yield app.state.settings
    app.state.settings = saved
