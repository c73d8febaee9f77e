"""Calendar invitations (RFC 5546): a text/calendar part or an .ics attachment.

Outlook and Exchange name their zones the Windows way ("Eastern Standard Time") and send a
VTIMEZONE that only describes the offsets; the IANA zone comes from the CLDR mapping that
icalendar maintains, so that a start keeps meaning the same instant across a change of rules.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta, tzinfo
from email.message import Message
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from icalendar.parser import Contentlines
from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from app.mail.classifier import parse
from app.mail.classifier.facts import Invite, Person

_ICALENDAR_ZONES = threading.Lock()
_CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics")
_NAME = re.compile(r"[A-Za-z0-9-]+(?=[;:])")
_TZID_PARAM = re.compile(r';TZID=("[^"]*"|[^;:]*)', re.IGNORECASE)
_BOUNDARY = re.compile(r"(BEGIN|END):([A-Za-z0-9-]+)", re.IGNORECASE)
# Text an event carries that nothing here reads. icalendar reads an event's properties
# leniently (one it cannot read is set aside, never raised), so leaving these out changes
# nothing that is read; it saves parsing a third of an Exchange invite's lines.
_UNREAD_IN_EVENT = frozenset({"DESCRIPTION", "SUMMARY", "LOCATION", "CLASS", "STATUS", "TRANSP", "PRIORITY"})


def find(message: Message, own: frozenset[str], fallback: tzinfo) -> Invite | None:
    """The first calendar event of the message's calendar parts, or None. ``fallback`` is
    the zone of floating and all-day times (the message's own offset)."""
    for part in parse.walk(message):
        kind = parse.content_type(part)
        name = (parse.filename(part) or "").lower()
        if kind not in _CALENDAR_TYPES and not name.endswith((".ics", ".ical", ".icalendar", ".vcs")):
            continue
        invite = _read(parse.payload_bytes(part), parse.param(part, "method"), own, fallback)
        if invite is not None:
            return invite
    return None


def _read(data: bytes, method_param: str | None, own: frozenset[str], fallback: tzinfo) -> Invite | None:
    try:
        calendar = _parse(data)
        events = calendar.walk("VEVENT")
        if not events:
            return None
        # The master event; overrides of single occurrences carry a RECURRENCE-ID.
        event = next((e for e in events if "RECURRENCE-ID" not in e), events[0])
        uid = str(event.get("UID", "")).strip()
        if not uid:
            return None
        # A calendar without METHOD is a published copy, not a scheduling message (RFC 5546 1.4).
        method = str(calendar.get("METHOD") or method_param or "PUBLISH").strip().upper()
        start, zone = _when(event, "DTSTART", fallback)
        end, _ = _when(event, "DTEND", fallback)
        if end is None and start is not None:
            end = _end_from_duration(event, start)
        organizer = _person(event.get("ORGANIZER"))
        attendees = _people(event.get("ATTENDEE"), own, organizer)
        return Invite(
            uid=uid,
            sequence=_sequence(event.get("SEQUENCE")),
            method=method,
            start=start,
            end=end,
            timezone=zone,
            organizer=organizer,
            attendees=attendees,
        )
    except Exception:
        return None


def _parse(data: bytes) -> icalendar.Calendar:
    """The calendar, read as a new process would read it.

    icalendar keeps, for the life of the process, the first VTIMEZONE it parsed for each
    zone name it does not know, and reads every later time of that name with it: an invite
    would take the zone of another message (another user's) of the same name, or one it
    does not have. Times in zones known by name (IANA, Windows) are read here with that
    zone, whatever icalendar made of them; for a calendar that names any other zone,
    icalendar's zones are set anew first, under a lock, so that it reads the calendar's own."""
    lines = [str(line) for line in Contentlines.from_ical(data) if line]  # type: ignore[no-untyped-call]
    text = _without_unread_text(data, lines)
    only_known = all(iana_zone(name) is not None for line in lines for name in _zone_names(line))
    with _ICALENDAR_ZONES:
        if not only_known:
            tzp.use_default()
        return icalendar.Calendar.from_ical(text)


def _zone_names(line: str) -> Iterator[str]:
    """The zone names a content line gives: its TZID parameters, or its value as a TZID."""
    for found in _TZID_PARAM.finditer(line):
        yield found.group(1)
    if line[:5].upper() in ("TZID:", "TZID;"):
        yield line.partition(":")[2]


def _without_unread_text(data: bytes, lines: list[str]) -> bytes:
    """The calendar without the lines of its events that are never read: their text and
    the vendors' ``X-`` properties. ``lines`` are icalendar's own content lines of ``data``
    (unfolded); a calendar whose structure is anything but plain (a line that does not start with a
    name, a BEGIN or END with parameters, an END without a BEGIN) is returned whole, and a
    line that mentions ``VALUE=`` is kept, since that could give it a type read strictly."""
    kept: list[str] = []
    open_components: list[str] = []
    for line in lines:
        name = _NAME.match(line)
        if name is None:
            return data
        upper = name.group(0).upper()
        if upper in ("BEGIN", "END"):
            boundary = _BOUNDARY.fullmatch(line)
            if boundary is None or (upper == "END" and not open_components):
                return data
            if upper == "BEGIN":
                open_components.append(boundary.group(2).upper())
            else:
                open_components.pop()
        elif (
            open_components
            and open_components[-1] == "VEVENT"
            and (upper in _UNREAD_IN_EVENT or upper.startswith("X-"))
            and "VALUE=" not in line.upper()
        ):
            continue
        kept.append(line)
    return "\r\n".join(kept).encode()


def _sequence(value: object) -> int:
    try:
        return max(0, int(str(value).strip())) if value is not None else 0
    except ValueError:
        return 0


@lru_cache(maxsize=512)
def iana_zone(tzid: str) -> str | None:
    """The IANA name for a TZID: itself when IANA knows it, the CLDR mapping of a Windows
    name, or the IANA tail of a "globally unique" TZID (``/vendor/Europe/Berlin``)."""
    cleaned = tzid.strip().strip('"').strip("/").strip()
    candidates = [cleaned, WINDOWS_TO_OLSON.get(cleaned)]
    if "/" in cleaned:
        parts = cleaned.split("/")
        candidates.extend("/".join(parts[i:]) for i in range(1, len(parts)))
    for candidate in candidates:
        if candidate and _known(candidate):
            return candidate
    return None


@lru_cache(maxsize=512)
def _known(name: str) -> bool:
    if name.upper() in ("UTC", "GMT", "Z", "ETC/UTC", "ETC/GMT"):
        return False
    try:
        ZoneInfo(name)
    except Exception:
        return False
    return True


def _when(event: icalendar.Component, key: str, fallback: tzinfo) -> tuple[datetime | None, str | None]:
    """An aware time and the IANA name of its zone (None for UTC, floating and all-day)."""
    prop = event.get(key)
    if prop is None:
        return None, None
    value = prop.dt
    tzid = prop.params.get("TZID")
    if isinstance(value, datetime):
        zone = iana_zone(str(tzid)) if tzid else None
        if zone is not None:
            return value.replace(tzinfo=None).replace(tzinfo=ZoneInfo(zone)), zone
        if value.tzinfo is None:
            return value.replace(tzinfo=fallback), None
        return value, None
    # An all-day event: its day begins at midnight where the message was written.
    return datetime.combine(value, time(0), tzinfo=fallback), None


def _end_from_duration(event: icalendar.Component, start: datetime) -> datetime | None:
    duration = event.get("DURATION")
    value = getattr(duration, "dt", None)
    return start + value if isinstance(value, timedelta) else None


def _address(value: object) -> str | None:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().strip("<>").lower()
    return text if "@" in text else None


def _person(value: object) -> Person | None:
    if value is None or isinstance(value, list):
        return None
    address = _address(value)
    if address is None:
        return None
    params = getattr(value, "params", {})
    name = str(params.get("CN", "")).strip().strip('"').strip()
    return Person(address=address, name=name or None)


def _people(value: object, own: frozenset[str], organizer: Person | None) -> tuple[Person, ...]:
    values: Iterable[object] = value if isinstance(value, list) else ([] if value is None else [value])
    skip = set(own)
    if organizer is not None:
        skip.add(organizer.address)
    people: list[Person] = []
    for item in values:
        person = _person(item)
        if person is not None and person.address not in skip:
            skip.add(person.address)
            people.append(person)
    return tuple(people)
