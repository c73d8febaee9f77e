"""The inbound-mail providers: each posts one raw message sent to a user's forwarding address.

Each is verified its own way before anything is read into the database (Mailgun's HMAC of
timestamp and token, Postmark's basic credentials, a Standard Webhooks signature over the
raw bytes), then the message goes through the same intake as `POST /v1/mail/messages`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from sqlmodel import Session

from app.core.problems import AppError, InvalidInput, NotFound
from app.mail import repository
from app.users.models import User

# Providers sign at most this long before they deliver (Mailgun's and Standard Webhooks'
# own tolerance); an older delivery is a replay.
TOLERANCE_SECONDS = 5 * 60
# Mailgun posts up to 25 MB of message, Postmark up to 35 MB of JSON (the message in base64
# and parsed): the limit of these routes only.
INBOUND_MAX_BYTES = 50 * 1024 * 1024
FORWARDING = re.compile(r"^u-(?P<token>[0-9a-f]{8,64})(?:\+[^@]*)?@(?P<domain>[^@\s]+)$")


class Unverified(AppError):
    """A delivery whose credentials or signature do not check (401): nothing is stored."""

    status = 401
    title = "Unauthorized"


class BasicUnverified(Unverified):
    headers = {"WWW-Authenticate": 'Basic realm="inbound-mail"'}  # noqa: RUF012 - read only


def not_configured(provider: str, setting: str) -> NotFound:
    return NotFound(f"This server takes no mail from {provider}: {setting} is not set.")


# -- verification --------------------------------------------------------------------------


def verify_mailgun(*, signing_key: str, timestamp: str, token: str, signature: str, now: float) -> None:
    """Mailgun signs the hex HMAC-SHA256 of timestamp and token with the signing key."""
    expected = hmac.new(signing_key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Unverified("The Mailgun signature does not match.")
    _fresh(timestamp, now)


def verify_basic(authorization: str | None, *, user: str, password: str) -> None:
    scheme, _, encoded = (authorization or "").partition(" ")
    try:
        given = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        given = ""
    name, _, secret = given.partition(":")
    # Both compared in full whatever the first gives, so that timing tells nothing.
    same_name = hmac.compare_digest(name.encode(), user.encode())
    same_secret = hmac.compare_digest(secret.encode(), password.encode())
    if scheme.lower() != "basic" or not (same_name and same_secret):
        raise BasicUnverified("Wrong or missing credentials for the Postmark inbound webhook.")


def verify_standard(body: bytes, headers: Mapping[str, str], *, secret: str, now: float) -> None:
    """A Standard Webhooks signature (v1: base64 HMAC-SHA256 of `id.timestamp.body`).
    Computed here over the raw bytes: the `standardwebhooks` package signs text, and a raw
    message need not be UTF-8."""
    msg_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and timestamp and signatures):
        raise Unverified("The webhook-id, webhook-timestamp and webhook-signature headers are required.")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"))
    except (binascii.Error, ValueError):
        raise Unverified("FOLLOWUP_INBOUND_MAIL_SECRET is not a whsec_ secret.") from None
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    given = [part.partition(",")[2].encode() for part in signatures.split(" ") if part.startswith("v1,")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in given):
        raise Unverified("No matching signature.")
    _fresh(timestamp, now)


def _fresh(timestamp: str, now: float) -> None:
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Unverified("The timestamp is not a number of seconds.")
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise Unverified("The delivery is older than 5 minutes (or dated ahead): a replay is refused.")


# -- the recipient -------------------------------------------------------------------------


def header_recipients(raw: bytes) -> list[str]:
    """Where a message was delivered, from its own headers: Delivered-To, X-Original-To, To, Cc."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    found: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        values = [str(value) for value in headers.get_all(name, [])]
        found += [address for _, address in getaddresses(values) if address]
    return found


def forwarding_token(addresses: Iterable[str], *, domain: str | None) -> str | None:
    """The token of the first of `addresses` that is a forwarding address of `domain`."""
    if not domain:
        return None
    for address in addresses:
        match = FORWARDING.match(address.strip().lower())
        if match and match["domain"] == domain.lower():
            return match["token"]
    return None


def user_of(session: Session, addresses: Iterable[str], *, domain: str | None) -> User | None:
    token = forwarding_token(addresses, domain=domain)
    if token is None:
        return None
    user_id = repository.user_of_forwarding_token(session, token=token)
    return session.get(User, user_id) if user_id is not None else None


# -- provider payloads ---------------------------------------------------------------------


def postmark_message(payload: Any) -> tuple[bytes, list[str]]:
    """The raw message and the recipients of Postmark's inbound JSON."""
    if not isinstance(payload, dict) or not isinstance(payload.get("RawEmail"), str):
        raise InvalidInput.at(
            ["body", "RawEmail"], "No RawEmail: turn on 'Include raw email content' in the inbound stream's settings."
        )
    recipients = [payload["OriginalRecipient"]] if isinstance(payload.get("OriginalRecipient"), str) else []
    for field in ("ToFull", "CcFull", "BccFull"):
        entries = payload.get(field)
        if isinstance(entries, list):
            recipients += [e["Email"] for e in entries if isinstance(e, dict) and isinstance(e.get("Email"), str)]
    return payload["RawEmail"].encode("utf-8", "surrogateescape"), recipients


def now() -> float:
    return time.time()
