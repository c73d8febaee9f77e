"""Delivery failure reports: RFC 3464 delivery status notifications, and the plain-text
bounces that Postfix, Exim, Sendmail, qmail, Exchange, Gmail, Yahoo and others still send.

A report names its failed recipients; each gets a status and whether the failure is final.
Final means an RFC 3463 class-5 status, else an SMTP 5xx reply, else a text that says so;
a class-4 status, a 4xx reply, ``Action: delayed`` or a text that promises another try is
temporary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from app.mail.classifier import parse
from app.mail.classifier.facts import Bounce, FailedRecipient

# Senders that only ever write on behalf of a mail system.
_DAEMON = re.compile(
    r"^(?:mailer[-_.]?daemon|postmaster|mail[-_.]?delivery[-_.]?(?:system|subsystem)?|mdaemon|"
    r"microsoftexchange[0-9a-f]*|ndr|bounces?|mail[-_.]?administrator|mailadmin|"
    r"mail[-_.]?system|symantec_antivirus.*|nobody)$",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)?(?:undeliver|undelivered|unzustellbar|non\s*remis|non[- ]?deliver|nondeliver|"
    r"delivery\s+(?:status\s+notification|failure|failed|has\s+failed|notification|problem|report)|"
    r"mail\s+delivery\s+(?:failed|failure|problem)|returned\s+mail|returned\s+to\s+sender|failure\s+notice|"
    r"message\s+(?:not\s+delivered|delivery\s+fail)|could\s+not\s+(?:be\s+)?deliver|"
    r"warning:\s+could\s+not\s+send|mail\s+could\s+not\s+be\s+delivered|delayed\s+mail|"
    r"unable\s+to\s+deliver|delivery\s+notification|nicht\s+zustellbar|no\s+se\s+puede\s+entregar|"
    r"error\s+sending\s+message|mail\s+system\s+error|undeliverable)",
    re.IGNORECASE,
)
# A text bounce says that it is one before it names anyone.
_FAILURE_TEXT = re.compile(
    r"could\s+not\s+be\s+delivered|couldn'?t\s+be\s+delivered|wasn'?t\s+able\s+to\s+deliver|"
    r"was\s+not\s+able\s+to\s+deliver|unable\s+to\s+deliver|delivery\s+(?:has\s+)?failed|"
    r"failed\s+permanently|permanent\s+(?:fatal\s+)?error|delivery\s+to\s+the\s+following|"
    r"address(?:es)?\s+failed|undeliverable|undelivered|not\s+(?:been\s+)?delivered|"
    r"did\s+not\s+reach|cannot\s+be\s+reached|could\s+not\s+be\s+reached|"
    r"has\s+been\s+delayed|not\s+yet\s+been\s+delivered|fatal\s+errors?|"
    r"user\s+unknown|unknown\s+user|does\s+not\s+exist|no\s+such\s+user|address\s+not\s+found|"
    r"delivery\s+status\s+notification|message\s+delivery\s+failure|"
    r"error\s+occurred\s+while\s+trying\s+to\s+deliver|rejected|returned\s+to\s+you|"
    r"nicht\s+zugestellt|unzustellbar|n'a\s+pas\s+pu\s+être\s+remis|no\s+se\s+pudo\s+entregar",
    re.IGNORECASE,
)
# Where a text bounce starts to quote the message it returns.
_RETURNED_START = re.compile(
    r"^\s*(?:-{2,}\s*)?(?:below\s+this\s+line\s+is\s+a\s+copy\s+of\s+the\s+message|"
    r"this\s+is\s+a\s+copy\s+of\s+the\s+message|original\s+message\s+(?:follows|headers)|"
    r"(?:the\s+)?original\s+message|unsent\s+message\s+(?:below|follows)|returned\s+message|"
    r"message\s+header(?:s)?\s+follows?|the\s+(?:original|returned)\s+message\s+headers?|"
    r"original\s+message\s+headers:|headers\s+of\s+the\s+original\s+message|"
    r"(?:the\s+)?text\s+of\s+your\s+message|copy\s+of\s+(?:your|the\s+original)\s+message)",
    re.IGNORECASE | re.MULTILINE,
)
_ADDRESS = re.compile(
    r"(?<![\w.+=%-])([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63})(?![\w-])"
)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_SMTP_REPLY = re.compile(r"(?<![\w.#/:=-])([45][0-5]\d)(?:[ -]|$)", re.MULTILINE)
_PERMANENT_TEXT = re.compile(
    r"does\s+not\s+exist|doesn'?t\s+exist|user\s+unknown|unknown\s+user|unrouteable\s+address|"
    r"failed\s+permanently|permanent(?:ly)?\s+(?:fatal\s+)?(?:error|failure|failed)|no\s+such\s+(?:user|mailbox|address|recipient)|"
    r"mailbox\s+(?:unavailable|not\s+found|is\s+disabled|disabled)|address\s+not\s+found|"
    r"(?:couldn'?t|could\s+not)\s+be\s+found|unknown\s+(?:recipient|address|mailbox)|"
    r"recipient\s+(?:address\s+)?rejected|invalid\s+(?:recipient|address|mailbox)|"
    r"account\s+(?:is|has\s+been)\s+disabled|i'?ve\s+given\s+up|giving\s+up|"
    r"not\s+a\s+valid\s+(?:mailbox|recipient|address)|host\s+(?:or\s+domain\s+name\s+)?not\s+found|"
    r"domain\s+not\s+found|no\s+mailbox|not\s+listed\s+in|unknown\s+local\s+part|"
    r"retry\s+time(?:out)?\s+(?:not\s+reached|exceeded)|too\s+long\s+in\s+the\s+queue|in\s+the\s+queue\s+too\s+long",
    re.IGNORECASE,
)
_TEMPORARY_TEXT = re.compile(
    r"will\s+(?:be\s+)?retr(?:y|ied)|will\s+continue|still\s+trying|continue\s+trying|"
    r"(?:has\s+been|been|was|is)\s+delayed|delivery\s+delayed|not\s+yet\s+been\s+delivered|transient|"
    r"warning\s+message\s+only|do\s+not\s+need\s+to\s+resend|temporar(?:y|ily)\s+(?:failure|error|unavailable|deferred)|"
    r"deferred|delivery\s+attempts\s+will\s+continue|will\s+try\s+again|try\s+again\s+later",
    re.IGNORECASE,
)
_ID_LINE = re.compile(r"message-id|in-reply-to|references|^\s*(?:from|sender|reply-to|return-path)\s*:", re.IGNORECASE)
_RETURNED_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global")


@dataclass(frozen=True, slots=True)
class Found:
    bounce: Bounce
    returned: Message | None  # the headers of the message that came back, when attached


def returned_headers(message: Message) -> Message | None:
    """The returned message (or its headers) attached to a report."""
    for part in parse.walk(message):
        kind = parse.content_type(part)
        if kind in ("message/rfc822", "message/global"):
            inner = parse.children(part)
            if inner:
                return inner[0]
        elif kind in ("text/rfc822-headers", "message/rfc822-headers"):
            text = parse.part_text(part).lstrip()
            if text:
                try:
                    return parse.parse_bytes(text.encode("utf-8", "surrogateescape"))
                except Exception:  # noqa: S112 - headers without a From say nothing of the thread
                    continue
    return None


def find(message: Message, sender: str | None, subject: str | None, own: frozenset[str]) -> Found | None:
    """The delivery failure this message reports, or None when it is not such a report."""
    failed = _from_dsn(message)
    if failed is None and _looks_like_bounce(sender, subject, message):
        failed = _from_text(message, sender, own)
    if not failed:
        return None
    return Found(Bounce(failed=tuple(failed)), returned_headers(message))


def _looks_like_bounce(sender: str | None, subject: str | None, message: Message) -> bool:
    local = sender.split("@", 1)[0] if sender else ""
    if _DAEMON.match(local):
        return True
    return bool(subject and _SUBJECT.match(subject))


# RFC 3464 -------------------------------------------------------------------------------


def _from_dsn(message: Message) -> list[FailedRecipient] | None:
    """The failed recipients of a message/delivery-status part; None when there is no such
    part, an empty list when it reports only successes."""
    for part in parse.walk(message):
        if parse.content_type(part) not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        blocks = _status_blocks(part)
        failed: list[FailedRecipient] = []
        for fields in blocks[1:] if len(blocks) > 1 else blocks:
            recipient = _recipient(fields.get("final-recipient") or fields.get("original-recipient"))
            if recipient is None:
                continue
            action = (fields.get("action") or "").strip().lower().split(" ")[0]
            if action in ("delivered", "relayed", "expanded"):
                continue
            status = _status(fields.get("status"))
            diagnostic = fields.get("diagnostic-code") or ""
            if status is None:
                status = _status(diagnostic)
            if status is not None and status.startswith("2"):
                continue
            if action == "delayed":
                permanent = False
            elif status is not None:
                permanent = status.startswith("5")
            else:
                reply = _SMTP_REPLY.search(diagnostic)
                if reply is not None:
                    permanent = reply.group(1).startswith("5")
                else:
                    # "failed" is final by definition (RFC 3464 2.3.3); a block without an
                    # action or status is judged by its words.
                    permanent = action == "failed" or _permanent_by_words(diagnostic) is True
            failed.append(FailedRecipient(recipient, status, permanent))
        if failed or blocks:
            return failed
    return None


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The field groups of a delivery-status body (per message, then per recipient)."""
    blocks: list[dict[str, str]] = []
    inner = parse.children(part)
    if inner:
        for block in inner:
            fields: dict[str, str] = {}
            for key, value in block.raw_items():
                fields.setdefault(key.lower(), parse.unfold(str(value)))
            if fields:
                blocks.append(fields)
        return blocks
    text = parse.part_text(part).replace("\r\n", "\n")
    for chunk in re.split(r"\n\s*\n", text):
        fields = {}
        for line in re.sub(r"\n[ \t]+", " ", chunk).split("\n"):
            key, colon, value = line.partition(":")
            if colon and key.strip():
                fields.setdefault(key.strip().lower(), value.strip())
        if fields:
            blocks.append(fields)
    return blocks


def _recipient(value: str | None) -> str | None:
    if not value:
        return None
    _, semicolon, address = value.partition(";")
    address = (address if semicolon else value).strip().strip("<>").strip()
    found = _ADDRESS.search(address)
    return found.group(1).lower() if found else (address.lower() or None)


def _status(value: str | None) -> str | None:
    if not value:
        return None
    found = _STATUS.search(value)
    return ".".join(found.groups()) if found else None


# Text bounces ----------------------------------------------------------------------------


def explanation(message: Message) -> str:
    """What the mail system wrote, without the message it returns."""
    texts: list[str] = []
    for part in parse.walk(message):
        kind = parse.content_type(part)
        if kind == "text/plain":
            texts.append(parse.part_text(part))
        elif kind == "text/html" and not texts:
            texts.append(parse.html_to_text(parse.part_text(part)))
    text = "\n".join(texts).replace("\r\n", "\n")
    cut = _RETURNED_START.search(text)
    return text[: cut.start()] if cut else text


def _from_text(message: Message, sender: str | None, own: frozenset[str]) -> list[FailedRecipient]:
    text = explanation(message)
    if not _FAILURE_TEXT.search(text):
        return []
    ignore = set(own)
    if sender:
        ignore.add(sender)
    returned = returned_headers(message)
    if returned is not None:
        ignore.update(person.address for person in parse.addresses(returned, "from", "sender", "reply-to"))
    found: list[tuple[str, int]] = []
    seen: set[str] = set()
    for match in _ADDRESS.finditer(text):
        address = match.group(1).lower()
        if address in ignore or address in seen or _DAEMON.match(address.split("@", 1)[0]):
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        if _ID_LINE.search(text[line_start : match.start()]):
            continue
        seen.add(address)
        found.append((address, match.start()))
    failed: list[FailedRecipient] = []
    words = _permanent_by_words(text)
    for index, (address, start) in enumerate(found):
        end = found[index + 1][1] if index + 1 < len(found) else len(text)
        segment = text[start:end]
        status = _status(segment)
        if status is None and len(found) == 1:
            status = _status(text)
        if status is not None and status.startswith("2"):
            status = None
        if status is not None:
            permanent = status.startswith("5")
        else:
            reply = _SMTP_REPLY.search(segment) or (_SMTP_REPLY.search(text) if len(found) == 1 else None)
            permanent = reply.group(1).startswith("5") if reply is not None else words is True
        failed.append(FailedRecipient(address, status, permanent))
    return failed


def _permanent_by_words(text: str) -> bool | None:
    """True when the text says the failure is final, False when it says it will try again."""
    if _TEMPORARY_TEXT.search(text) and not _PERMANENT_TEXT.search(text):
        return False
    if _PERMANENT_TEXT.search(text):
        return True
    return None
