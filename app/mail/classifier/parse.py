"""Reading a raw message without trusting it: headers, addresses, ids, the date and the text.

Real mail breaks every rule somewhere (8-bit headers, unbalanced quotes, unknown charsets,
truncated MIME), and the standard library's header classes raise on some of it when a header
is first read. So headers are always read from their raw values (``raw_items``) and decoded
here, where every failure has a fallback; the MIME tree comes from ``policy.default``.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime
from typing import Any

from app.mail.classifier.facts import NotAMessage, Person


class _HeadersParsedOnce:
    """A header factory that builds each header object of one message once.

    The default policy parses a field again each time it is read, and the parser reads
    every part's Content-Type several times while it splits the parts (the type, the main
    type, the boundary), as do the accessors afterwards: for a small message that costs
    more than everything else. The header objects are immutable, so one per distinct field
    serves every read. The factory lives as long as its message: nothing is kept between
    messages."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, str], Any] = {}

    def __call__(self, name: str, value: str) -> Any:
        key = (name, value)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = _HEADER_REGISTRY(name, value)
        return built


class _DefaultPolicyParser:
    """``BytesParser(policy=policy.default)``, whose messages share one header factory."""

    def parsebytes(self, data: bytes, headersonly: bool = False) -> Message:
        once = policy.default.clone(header_factory=_HeadersParsedOnce())
        return BytesParser(policy=once).parsebytes(data, headersonly=headersonly)


_HEADER_REGISTRY = policy.default.header_factory
_PARSER = _DefaultPolicyParser()
_COMPAT_PARSER = BytesParser(policy=policy.compat32)

_FOLD = re.compile(r"\r?\n[ \t]*")
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"[^<>\s@]+@[^<>\s@]+")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?")
# A message names where it comes from or when; some bounces have no From but a Return-Path.
_ORIGIN_FIELDS = ("from", "sender", "return-path", "date", "message-id")
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 12, 31, tzinfo=UTC)


def parse_bytes(raw: bytes) -> Message:
    """The message tree. A Content-Type the default policy cannot read while splitting the
    parts makes the parser raise; the compat32 policy reads the same bytes without judging
    any header, so it takes over then."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise NotAMessage("the message must be bytes")
    data = bytes(raw)
    if not data.strip():
        raise NotAMessage("the message is empty")
    try:
        message: Message = _PARSER.parsebytes(data)
    except Exception:
        message = _COMPAT_PARSER.parsebytes(data)
    if not message.keys():
        raise NotAMessage("no header section: the message does not start with header fields")
    if not any(raw_header(message, name) is not None for name in _ORIGIN_FIELDS):
        raise NotAMessage("no From, Sender, Return-Path, Date or Message-ID header field")
    return message


def parse_headers(data: bytes) -> Message | None:
    """A header block on its own (text/rfc822-headers), None when it holds no header."""
    headers: Message
    try:
        headers = _PARSER.parsebytes(data.lstrip(), headersonly=True)
    except Exception:
        headers = _COMPAT_PARSER.parsebytes(data.lstrip(), headersonly=True)
    return headers if headers.keys() else None


def _text(value: str) -> str:
    """A raw header value as text: unfolded, undecodable bytes replaced, encoded words decoded."""
    value = _FOLD.sub(" ", value).strip()
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in value):
        # The parser keeps 8-bit header bytes as surrogate escapes; most such mail is UTF-8.
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if _ENCODED_WORD.search(value):
        with contextlib.suppress(Exception):  # an undecodable encoded word stays as written
            value = str(make_header(decode_header(value)))
    return value


def unfold(value: str) -> str:
    return _FOLD.sub(" ", value).strip()


def raw_header(message: Message, name: str) -> str | None:
    """The first raw value of a header (unfolded, not decoded), None when absent."""
    values = raw_headers(message, name)
    return values[0] if values else None


def raw_headers(message: Message, name: str) -> list[str]:
    lowered = name.lower()
    return [unfold(str(value)) for key, value in message.raw_items() if key.lower() == lowered]


def header_text(message: Message, name: str) -> str | None:
    value = raw_header(message, name)
    return None if value is None else _text(value)


def addresses(message: Message, *names: str, local_ok: bool = False) -> tuple[Person, ...]:
    """Every mailbox of the named headers, in order, addresses lower-cased, each once; a
    bare local part ("MAILER-DAEMON", as some mail systems sign) only when asked."""
    values = [value for name in names for value in raw_headers(message, name)]
    people: list[Person] = []
    seen: set[str] = set()
    for name, address in getaddresses([_FOLD.sub(" ", v) for v in values]):
        address = _text(address).strip().strip("<>").lower()
        if not address or address in seen or any(c.isspace() for c in address) or ("@" not in address and not local_ok):
            continue
        seen.add(address)
        display = _text(name).strip().strip('"').strip() if name else ""
        people.append(Person(address=address, name=display or None))
    return tuple(people)


def first_id(value: str | None) -> str | None:
    """The first msg-id of a header value, with its angle brackets; a bare ``left@right`` is
    accepted as some clients write it."""
    if not value:
        return None
    found = _MSG_ID.search(value)
    if found:
        return f"<{found.group(1)}>"
    bare = _BARE_ID.search(value)
    return f"<{bare.group(0)}>" if bare else None


def all_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    ids = [f"<{found}>" for found in _MSG_ID.findall(value)]
    if not ids:
        ids = [f"<{found}>" for found in _BARE_ID.findall(value)]
    return tuple(dict.fromkeys(ids))


def message_id(message: Message) -> tuple[str, bool]:
    """The Message-ID, or a stable stand-in from Date, From, To and Subject as written."""
    found = first_id(raw_header(message, "message-id"))
    if found:
        return found, True
    fields = [raw_header(message, name) or "" for name in ("date", "from", "to", "subject")]
    digest = hashlib.sha256("\n".join(fields).encode("utf-8", "surrogateescape")).hexdigest()
    return f"<{digest}@no-message-id.invalid>", False


def message_date(message: Message, at: datetime) -> datetime:
    """The Date header as an aware time; ``at`` when it is absent, unreadable or outside
    1970-2100. A date without a zone (``-0000``) is taken as UTC, as RFC 5322 means it."""
    value = raw_header(message, "date")
    if value:
        try:
            parsed = parsedate_to_datetime(value)
        except Exception:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            if _EARLIEST <= parsed <= _LATEST:
                return parsed
    return at


_TYPE = re.compile(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*/\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)")


def content_type(part: Message) -> str:
    """The part's media type, lower-cased, read from the raw header: the header classes
    of the default policy parse the whole field again at every call, and a message's
    parts are asked many times. What RFC 2045 gives a part without a valid one follows."""
    try:
        raw = next((str(value) for key, value in part.raw_items() if key.lower() == "content-type"), None)
    except Exception:
        return "application/octet-stream"
    found = _TYPE.match(raw) if raw is not None else None
    if found is not None:
        return f"{found.group(1)}/{found.group(2)}".lower()
    return part.get_default_type()


def param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except Exception:
        return None
    return None if value is None else collapse_rfc2231_value(value)


def filename(part: Message) -> str | None:
    try:
        found = part.get_filename()
    except Exception:
        return None
    return None if found is None else str(found)


def payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def decode_text(data: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8"):
        if candidate:
            try:
                return data.decode(candidate, "replace")
            except (LookupError, ValueError):
                continue
    return data.decode("latin-1")  # pragma: no cover - utf-8 with "replace" never fails


def part_text(part: Message) -> str:
    return decode_text(payload_bytes(part), param(part, "charset"))


def children(part: Message) -> list[Message]:
    """The sub-parts of a multipart (or the one message inside message/rfc822)."""
    try:
        payload = part.get_payload()
    except Exception:
        return []
    if isinstance(payload, list):
        return [child for child in payload if isinstance(child, Message)]
    return []


def walk(message: Message, *, into_messages: bool = False) -> Iterator[Message]:
    """Every part depth first. Attached messages (message/rfc822) are yielded but not
    entered unless asked: their text is someone else's."""
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        kind = content_type(part)
        if kind.startswith("multipart/") or (into_messages and kind == "message/rfc822") or part is message:
            stack.extend(reversed(children(part)))


_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d|p|div|tr|li|blockquote|/blockquote)\b[^>]*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<\s*(style|script|head)\b.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_QUOTE_BLOCK = re.compile(r"<\s*blockquote\b.*?<\s*/\s*blockquote\s*>", re.IGNORECASE | re.DOTALL)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body, quoted blocks left out."""
    markup = _HIDDEN.sub(" ", markup)
    markup = _QUOTE_BLOCK.sub("\n", markup)
    markup = _BLOCK_TAG.sub("\n", markup)
    return html.unescape(_TAG.sub("", markup))


def is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:
        return False


def body_text(message: Message) -> str:
    """The message's own text: the first inline text/plain part, else the first text/html
    part as text; attached messages are not read."""
    html_part: Message | None = None
    for part in walk(message):
        kind = content_type(part)
        if kind == "text/plain" and not is_attachment(part):
            return part_text(part)
        if kind == "text/html" and html_part is None and not is_attachment(part):
            html_part = part
    return html_to_text(part_text(html_part)) if html_part is not None else ""


# Where the earlier messages of a thread start in a reply: the attribution line of the
# common clients in English, German, French and Spanish, Outlook's header block and rule.
_QUOTE_START = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht|message\s+d'origine|mensaje\s+original|forwarded\s+message)\s*-{2,}
      | _{10,}
      | on\s.{1,200}\swrote:
      | am\s.{1,200}\sschrieb.{0,60}:
      | le\s.{1,200}\sa\s+écrit\s*:
      | el\s.{1,200}\sescribió\s*:
      | (?:from|von|de):\s.+\n\s*(?:sent|gesendet|envoyé|enviado(?:\s+el)?|date|datum):
    )""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)


def without_quotes(text: str) -> str:
    """The text before the first quoted earlier message, without ``>`` lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = _QUOTE_START.search(text)
    if found:
        text = text[: found.start()]
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))
