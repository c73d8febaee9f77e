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
from app.mail.classifier.facts import Bounce, FailedRecipient, Person

# Senders that only ever write on behalf of a mail system.
_DAEMON = re.compile(
    r"^(?:mailer[-_.]?daemon|postmaster|mail[-_.]?delivery[-_.]?(?:system|subsystem)?|mdaemon|"
    r"microsoftexchange[0-9a-f]*|ndr|bounces?|mail[-_.]?administrator|mailadmin|"
    r"mail[-_.]?system|symantec_antivirus.*|nobody)$",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"undeliver|undelivered|unzustellbar|non\s*remis|non[- ]?deliver|nondeliver|"
    r"delivery\s+(?:status\s+notification|failure|failed|has\s+failed|notification|problem|report|warning|delayed)|"
    r"mail\s+delivery\s+(?:failed|failure|problem|warning|system)|returned\s+mail|returned\s+to\s+sender|"
    r"failure\s+notice|failure\s+delivery|failed\s+mail|mail\s+failed|mail\s+not\s+delivered|"
    r"message\s+(?:not\s+delivered|delivery\s+fail)|could\s+not\s+(?:be\s+)?deliver|"
    r"warning:\s+could\s+not\s+send|delayed\s+mail|mail\s+system\s+error|"
    r"unable\s+to\s+deliver|nicht\s+zustellbar|no\s+se\s+puede\s+entregar|error\s+sending\s+message",
    re.IGNORECASE,
)
_DAEMON_NAME = re.compile(r"mail\s+delivery|mailer[-_ ]?daemon|postmaster|mail\s+administrator", re.IGNORECASE)
# A text bounce says that it is one before it names anyone.
_FAILURE_TEXT = re.compile(
    r"could\s+not\s+be\s+delivered|couldn'?t\s+be\s+delivered|wasn'?t\s+able\s+to\s+deliver|"
    r"was\s+not\s+able\s+to\s+deliver|unable\s+to\s+deliver|delivery\s+(?:has\s+)?failed|"
    r"failed\s+permanently|permanent\s+(?:fatal\s+)?error|delivery\s+to\s+the\s+following|"
    r"address(?:es)?\s+(?:failed|follow)|undeliverable|undelivered|not\s+(?:been\s+)?delivered|"
    r"did\s+not\s+(?:reach|receive)|cannot\s+be\s+reached|could\s+not\s+be\s+reached|delivery\s+problems?|"
    r"has\s+been\s+delayed|not\s+yet\s+been\s+delivered|fatal\s+errors?|has\s+been\s+postponed|"
    r"user\s+unknown|unknown\s+user|does\s+not\s+exist|no\s+such\s+user|address\s+not\s+found|"
    r"delivery\s+status\s+notification|message\s+delivery\s+failure|error\s+(?:for|during|while)|"
    r"error\s+occurred\s+while\s+trying\s+to\s+deliver|rejected|returned\s+to\s+you|has\s+been\s+returned|"
    r"failed\s+recipients?|invalid\s+(?:final\s+)?(?:delivery|recipient|address|user)|no\s+mailbox|"
    r"nicht\s+zugestellt|unzustellbar|n'a\s+pas\s+pu\s+(?:être|etre)\s+(?:remis|d[ée]livr[ée])|no\s+se\s+pudo\s+entregar",
    re.IGNORECASE,
)
# Where a text bounce starts to quote the message it returns.
_RETURNED_START = re.compile(
    r"^[ \t]*(?:"
    r"[-=|*_]{2,}.*\b(?:original|returned|copy\s+of|unsent|undelivered|rejected|message\s+(?:text|header|body|follows)|"
    r"headers?\s+follows?|text\s+follows)\b"
    r"|(?:-+\s*)?below\s+this\s+line\s+is\s+a\s+copy\s+of\s+the\s+message"
    r"|original\s+message\s+(?:follows|headers|as\s+received)"
    r"|your\s+message\s+reads\s+\(in\s+part\)"
    r"|the\s+first\s+\d+\s+lines\s+of\s+your\s+(?:original\s+)?message"
    r"|(?:the\s+)?(?:original|returned)\s+message\s+headers?\s*(?:follow)?\s*:"
    r"|headers\s+of\s+the\s+original\s+message"
    r")",
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
# Words that close the case whatever status the last attempt had (qmail reports the last
# error of a message it gives up on, often a class-4 one).
_GIVEN_UP = re.compile(
    r"not\s+going\s+to\s+try\s+again|i'?ve\s+given\s+up|giving\s+up|will\s+not\s+(?:try|retry|be\s+retried)|"
    r"no\s+further\s+(?:attempts|delivery\s+attempts)|failed\s+permanently|permanent\s+(?:fatal\s+)?errors?|"
    r"(?:queue|queued)\s+too\s+long|too\s+long\s+in\s+the\s+queue|within\s+the\s+allowed\s+queue\s+period|"
    r"retry\s+time(?:out)?\s+(?:not\s+reached|exceeded)",
    re.IGNORECASE,
)
_TEMPORARY_TEXT = re.compile(
    r"will\s+(?:be\s+)?retr(?:y|ied)|will\s+continue|still\s+trying|continue\s+trying|"
    r"(?:has\s+been|been|was|is)\s+delayed|delivery\s+delayed|not\s+yet\s+been\s+delivered|transient|"
    r"warning\s+message\s+only|do\s+not\s+need\s+to\s+resend|temporar(?:y|ily)\s+(?:failure|error|unavailable|deferred)|"
    r"deferred|delivery\s+attempts\s+will\s+continue|will\s+try\s+again|try\s+again\s+later",
    re.IGNORECASE,
)
# Lines that quote the returned message's header fields rather than name a failed recipient.
_HEADER_LINE = re.compile(
    r"message-id|in-reply-to|references|^[\s*>-]*(?:from|sender|reply-to|return-path|to|cc|bcc|subject|date|sent)\s*:",
    re.IGNORECASE,
)
# "mail from <sender>", "from <sender> via host", but not "(expanded from <recipient>)".
_SENDER_BEFORE = re.compile(r"(?<!expanded\s)(?<!generated\s)\bfrom:?\s*<?$", re.IGNORECASE)
_SENDER_AFTER = re.compile(r"^>?,?\s*(?:\.\.\.\s*)?sender\s+ok", re.IGNORECASE)
_RETURNED_TYPES = ("message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers")
_SUCCESS_ACTIONS = ("delivered", "relayed", "expanded")


@dataclass(frozen=True, slots=True)
class Found:
    bounce: Bounce
    returned: Message | None  # the headers of the message that came back, when attached


def returned_headers(message: Message) -> Message | None:
    """The returned message (or its headers) attached to a report."""
    for part in parse.walk(message):
        kind = parse.content_type(part)
        if kind not in _RETURNED_TYPES:
            continue
        # The parser reads message/* parts as messages, text/rfc822-headers as text.
        inner = parse.children(part)
        headers = inner[0] if inner else parse.parse_headers(parse.payload_bytes(part))
        if headers is not None and headers.keys():
            return headers
    return None


def find(
    message: Message, sender: Person | None, subject: str | None, own: frozenset[str], *, null_sender: bool = False
) -> Found | None:
    """The delivery failure this message reports, or None when it is not such a report.

    An RFC 3464 report is read from its delivery-status fields; one that names no failed
    recipient (some list only the per-message fields) is read as text, as are the bounces
    of mail systems that send none. A report of successful delivery is no failure."""
    failed, successes = _from_dsn(message)
    if not failed and not successes:
        evidence = _bounce_evidence(sender, subject, message) + int(null_sender)
        if evidence:
            failed = _from_text(message, sender.address if sender else None, own, evidence)
        if not failed and evidence:
            # Some gateways wrap the report in a message of their own.
            for part in parse.walk(message):
                if parse.content_type(part) == "message/rfc822" and part is not message:
                    inner = parse.children(part)
                    failed = _from_dsn(inner[0])[0] if inner else []
                    if failed:
                        break
    if not failed:
        return None
    return Found(Bounce(failed=tuple(failed)), returned_headers(message))


def _bounce_evidence(sender: Person | None, subject: str | None, message: Message) -> int:
    """How many signs of a bounce: a mail system's sender, a bounce's subject, a message
    returned with a mail system's note."""
    daemon = sender is not None and (
        bool(_DAEMON.match(sender.address.split("@", 1)[0])) or bool(sender.name and _DAEMON_NAME.search(sender.name))
    )
    bounce_subject = bool(subject and _SUBJECT.search(subject))
    returned = daemon and any(
        parse.content_type(part) in ("message/rfc822", "text/rfc822-headers") for part in parse.walk(message)
    )
    return int(daemon) + int(bounce_subject) + int(returned)


# RFC 3464 -------------------------------------------------------------------------------


def _from_dsn(message: Message) -> tuple[list[FailedRecipient], int]:
    """The failed recipients of the message/delivery-status parts, and how many recipients
    they report delivered (relayed, expanded)."""
    failed: list[FailedRecipient] = []
    successes = 0
    seen: set[str] = set()
    for part in parse.walk(message):
        if parse.content_type(part) != "message/delivery-status":
            continue
        for fields in _status_blocks(part):
            # The address as the sender wrote it (the contact's) when the report keeps it;
            # the final one may be an alias's target or an internal name.
            recipient = _recipient(fields.get("original-recipient")) or _recipient(fields.get("final-recipient"))
            if recipient is None:
                continue
            action = (fields.get("action") or "").strip().lower().split(" ")[0]
            status = _status(fields.get("status"))
            diagnostic = fields.get("diagnostic-code") or ""
            if status is None:
                status = _status(diagnostic)
            diagnostic = f"{fields.get('status') or ''} {diagnostic}"
            if action in _SUCCESS_ACTIONS or (status is not None and status.startswith("2")):
                successes += 1
                continue
            if recipient in seen:
                continue
            seen.add(recipient)
            if action in ("delayed", "delay"):
                permanent = False
            elif status is not None:
                permanent = status.startswith("5")
            else:
                reply = _SMTP_REPLY.search(diagnostic)
                # Without a status or reply code, "failed" is final by definition (RFC 3464
                # 2.3.3) and a block without an action is judged by its words.
                permanent = reply.group(1).startswith("5") if reply else action.startswith("fail") or _final(diagnostic)
            failed.append(FailedRecipient(recipient, status, permanent))
    return failed, successes


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The field groups of a delivery-status body (per message, then per recipient), which
    the parser splits into header blocks."""
    blocks: list[dict[str, str]] = []
    for block in parse.children(part):
        fields: dict[str, str] = {}
        for key, value in block.raw_items():
            fields.setdefault(key.lower(), parse.unfold(str(value)))
        blocks.append(fields)
    return blocks


def _recipient(value: str | None) -> str | None:
    """The address of a Final-Recipient ("rfc822; user@host"); None when it is not one
    (an X.400 address, or nothing)."""
    if not value:
        return None
    found = _ADDRESS.search(value)
    return _clean(found.group(1)) if found else None


def _clean(address: str) -> str:
    """An address as found in text, without the quotes and ``SMTP=`` prefixes around it."""
    address = address.strip("'`").lower()
    return address[5:] if address.startswith("smtp=") else address


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


def _from_text(message: Message, sender: str | None, own: frozenset[str], evidence: int) -> list[FailedRecipient]:
    """The recipients a text bounce names. With only one sign of a bounce (its sender or
    its subject) the text must also say that delivery failed."""
    text = explanation(message)
    if evidence < 2 and not _FAILURE_TEXT.search(text):
        return []
    ignore = set(own)
    if sender:
        ignore.add(sender)
    returned = returned_headers(message)
    if returned is not None:
        # The returned message's sender is the user, under whatever address they sent from.
        recipients = {person.address for person in parse.addresses(returned, "to", "cc")}
        senders = {person.address for person in parse.addresses(returned, "from", "sender", "reply-to")}
        ignore.update(senders - recipients)
    found = _named(text, ignore, quoted_headers=False) or _named(text, ignore, quoted_headers=True)
    given_up = bool(_GIVEN_UP.search(text))
    retrying = bool(_TEMPORARY_TEXT.search(text))
    failed: list[FailedRecipient] = []
    for index, (address, start) in enumerate(found):
        end = found[index + 1][1] if index + 1 < len(found) else len(text)
        segment = text[start:end]
        only = len(found) == 1
        status = _status(segment) or (_status(text) if only else None)
        if status is not None and status.startswith("2"):
            status = None
        reply = _SMTP_REPLY.search(segment) or (_SMTP_REPLY.search(text) if only else None)
        if given_up:
            permanent = True
        elif status is not None:
            permanent = status.startswith("5")
        elif reply is not None:
            permanent = reply.group(1).startswith("5")
        else:
            # A mail system that returns a message has given up on it unless it says it
            # is still trying (a delay warning).
            permanent = not retrying
        failed.append(FailedRecipient(address, status, permanent))
    return failed


def _final(text: str) -> bool:
    return bool(_GIVEN_UP.search(text) or _PERMANENT_TEXT.search(text))


def _named(text: str, ignore: set[str], *, quoted_headers: bool) -> list[tuple[str, int]]:
    """Each address the text names (once, with where), but the sender's and the mail
    system's; the quoted header fields of the returned message only when asked (some
    bounces name the failed recipient nowhere else)."""
    found: list[tuple[str, int]] = []
    seen = set(ignore)
    for match in _ADDRESS.finditer(text):
        address = _clean(match.group(1))
        if address in seen or _DAEMON.match(address.split("@", 1)[0]):
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()]
        if _SENDER_BEFORE.search(before) or _SENDER_AFTER.search(text[match.end() : match.end() + 20]):
            continue
        header = _HEADER_LINE.search(before)
        if header and not (quoted_headers and re.match(r"[\s*>-]*(?:to|cc)\s*:", before, re.IGNORECASE)):
            continue
        seen.add(address)
        found.append((address, match.start()))
    return found
