"""Automatic replies (RFC 3834 and what mail clients do instead) and the date their senders
say they are back.

The return date is read only from phrases that announce one ("back on", "wieder ab",
"de retour le", "de vuelta el") or end an absence ("until", "bis", "jusqu'au", "hasta"),
in the reply's own text (quoted earlier messages are left out). The date expression after
such a phrase is found with the month and weekday names of dateparser's language data; one
written the usual way ("16 March", "March 16th, 2026", "16. März", "1er mars", "16 de marzo")
is read here, any other by dateparser in that phrase's language. Numeric dates are read here,
since dateparser takes "16.03." for a time of day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.message import Message
from functools import cache

from dateparser.date import DateDataParser
from dateparser.languages.loader import default_loader

from app.mail.classifier import parse

LANGUAGES = ("en", "de", "fr", "es")
WINDOW_DAYS = 60  # a return date further than this after the message is not believed

_NO = ("no", "false", "0", "")

_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)?(?:"
    r"auto(?:matic|matische|matisk|matico|mática|matica|matique|maattinen)?[\s_-]*(?:reply|response|answer|antwort|svar|"
    r"respuesta|risposta|resposta|réponse|reponse|antwoord|vastaus|odpowiedź)|"
    r"automatische\s+antwort|automatisch\s+antwoord|réponse\s+automatique|reponse\s+automatique|"
    r"respuesta\s+automática|respuesta\s+automatica|risposta\s+automatica|resposta\s+automática|"
    r"autosvar|autoreply|auto-reply|autoresponse|auto:|"
    r"out\s+of\s+(?:the\s+)?office|ooo\b|on\s+vacation|on\s+leave|away\s+from\s+(?:the\s+)?office|"
    r"abwesenheits?(?:notiz|meldung|nachricht)|abwesend|nicht\s+im\s+büro|"
    r"absence|absent(?:e)?\b|en\s+congés?|hors\s+du\s+bureau|"
    r"fuera\s+de\s+(?:la\s+)?oficina|ausente|ausencia|vacaciones|"
    r"fuori\s+ufficio|afwezig|afwezigheid"
    r")",
    re.IGNORECASE,
)


def is_auto_reply(message: Message, subject: str | None) -> bool:
    """RFC 3834's Auto-Submitted (any value but "no"), the older X-Autoreply and
    X-Autorespond, Precedence: auto_reply, or a subject that an auto-responder writes.
    X-Auto-Response-Suppress only asks others not to answer automatically: no sign."""
    auto_submitted = parse.raw_header(message, "auto-submitted")
    if auto_submitted is not None and auto_submitted.split(";")[0].strip().lower() not in _NO:
        return True
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        value = parse.raw_header(message, name)
        if value is not None and value.strip().lower() not in _NO[:3]:
            return True
    precedence = (parse.raw_header(message, "precedence") or "").strip().lower()
    if precedence in ("auto_reply", "auto-reply"):
        return True
    return bool(subject and _SUBJECT.match(subject))


# The language data -----------------------------------------------------------------------


@cache
def _names(language: str) -> tuple[dict[str, int], dict[str, int]]:
    """Month and weekday names (lower-cased, every form dateparser knows) to their numbers."""
    info = default_loader.get_locale(language).info
    months = {
        name.lower(): number
        for number, key in enumerate(
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ),
            start=1,
        )
        for name in info.get(key, [])
        if len(name) >= 3
    }
    weekdays = {
        name.lower(): number
        for number, key in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
        for name in info.get(key, [])
        if len(name) >= 3
    }
    return months, weekdays


def _alternation(names: object) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))  # type: ignore[call-overload]


_TOMORROW = {"en": "tomorrow", "de": "morgen", "fr": "demain", "es": "mañana"}
_ARTICLE = r"(?:(?:the|den|dem|le|el|del|au|du)\s+)?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|°|\.)?"
# The usual ways of writing a date, as the day (d), the month's name (m) and the year (y),
# lower-cased: these are read here, since dateparser tries all of its forms on each date and
# costs more than the rest of an out-of-office reply. dateparser reads the others, by rules
# of its own ("16th of" but not "16thof"); for these shapes it reads the same dates.
_EN_ORDINALS = ("", "st", "nd", "rd", "th")
_PLAIN_SHAPES = {
    "en": {
        *(f"d{ordinal} m{year}" for ordinal in _EN_ORDINALS for year in ("", " y")),
        *(f"d{ordinal} of m" for ordinal in _EN_ORDINALS),
        *(f"m d{ordinal}{year}" for ordinal in _EN_ORDINALS for year in ("", ", y")),
        *("d m, y", "m d y", "m. d", "m. d, y", "d m.", "d m. y"),
    },
    "de": {"d. m", "d. m y", "d m", "d m y", "d. m.", "d. m. y", "d.m", "d.m y"},
    "fr": {"d m", "d m y", "der m", "der m y", "d m.", "d m. y"},
    "es": {"d de m", "d de m de y", "d m", "d m y", "d de m, y", "d de m.", "d m."},
}
_SHAPE_GROUPS = (("day", "d"), ("day2", "d"), ("month", "m"), ("month2", "m"), ("year", "y"), ("year2", "y"))
_NUMERIC = r"(?P<numeric>(?P<iso>\d{4}-\d{1,2}-\d{1,2})|[0-3]?\d[./-][01]?\d(?:[./-](?:\d{4}|\d{2})(?!\d))?\.?)"


@cache
def _expression(language: str) -> re.Pattern[str]:
    """A date expression of the language, anchored where a phrase ends."""
    months, weekdays = _names(language)
    month = f"(?P<month>{_alternation(months)})\\.?"
    month2 = f"(?P<month2>{_alternation(months)})\\.?"
    weekday = f"(?:{_alternation(weekdays)})\\.?"
    year = r"(?P<year>\d{4})"
    text_date = (
        rf"(?:{weekday},?\s+)?{_ARTICLE}(?P<text>(?:"
        rf"{_DAY}\s*(?:of\s+|de\s+)?{month}(?:,?\s*(?:de\s+)?{year})?"
        rf"|{month2}\s+(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?(?:,?\s+(?P<year2>\d{{4}}))?"
        rf"))(?![\w])"
    )
    numeric = rf"(?:{weekday},?\s+)?{_ARTICLE}{_NUMERIC}(?!\d|\s*(?:uhr|h\b|am\b|pm\b|o'?clock))"
    alone = rf"(?P<weekday>{_alternation(name for name in weekdays if len(name) >= 4)})\b"
    tomorrow = rf"(?P<tomorrow>{re.escape(_TOMORROW[language])})\b"
    return re.compile(rf"{text_date}|{numeric}|{alone}|{tomorrow}", re.IGNORECASE)


# The phrases. Each is followed by at most a few words before its date ("back in the office
# on Monday"); group "lead" is the phrase.
_FILLER = r"(?:[^\W\d]+[\s,]+){0,5}?"
_RETURN = {
    "en": r"\b(?:back|return(?:ing|s)?|(?:will|i'?ll)\s+be\s+(?:back|available|in\s+the\s+office))\b",
    "de": r"\b(?:wieder|zurück|zurueck)\b",
    "fr": r"\b(?:de\s+retour|retour\s+(?:prévu|prevu)|je\s+reviendrai|je\s+serai\s+(?:de\s+nouveau|à\s+nouveau))\b",
    "es": (
        r"\b(?:de\s+vuelta|de\s+regreso|regreso|regresaré|regresare|volveré|volvere|"
        r"me\s+reincorporo|me\s+reincorporaré)\b"
    ),
}
_UNTIL = {
    "en": r"\b(?:until|till|til|through|thru)\b",
    "de": r"\bbis\b(?:\s+(?:zum|einschließlich|einschl\.|inklusive|inkl\.))?",
    "fr": r"\bjusqu['’]\s*(?:au|à|a)\b(?:\s+inclus)?",
    "es": r"\bhasta\b(?:\s+el)?",
}
# German often puts the date first: "Ab dem 16. März bin ich wieder im Büro."
_GERMAN_FROM = r"\bab\s+"


@cache
def _phrases(language: str) -> tuple[tuple[re.Pattern[str], bool], ...]:
    """(pattern, is an absence's end) in order of precedence; group "date" is the expression."""
    expression = _expression(language).pattern
    found = [
        (re.compile(rf"{_RETURN[language]}[\s,:]+{_FILLER}(?P<date>{expression})", re.IGNORECASE), False),
    ]
    if language == "de":
        found.append(
            (
                re.compile(
                    rf"{_GERMAN_FROM}{_FILLER}(?P<date>{expression})(?=[^\n]{{0,80}}\b(?:wieder|zurück))",
                    re.IGNORECASE,
                ),
                False,
            )
        )
    found.append((re.compile(rf"{_UNTIL[language]}[\s,:]+{_FILLER}(?P<date>{expression})", re.IGNORECASE), True))
    return tuple(found)


@cache
def _parser(language: str) -> DateDataParser:
    # A fixed leap-year base: the year of a date written without one is settled here, from
    # the message's Date, and 29 February must still parse.
    return DateDataParser(
        languages=[language],
        settings={
            "RELATIVE_BASE": datetime(2000, 1, 1),
            "PREFER_DAY_OF_MONTH": "first",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "REQUIRE_PARTS": ["day", "month"],
        },
    )


def returns_on(message: Message, sent: datetime) -> date | None:
    """The day the sender is back: an explicit return phrase wins over an absence's end
    (whose next day it gives); only a day after ``sent`` and at most 60 days later counts."""
    text = parse.without_quotes(parse.body_text(message))
    if not text.strip():
        return None
    today = sent.date()
    best: tuple[int, int, date] | None = None
    for language in LANGUAGES:
        for pattern, is_end in _phrases(language):
            for match in pattern.finditer(text):
                read = _read(match, language, today)
                if read is None:
                    continue
                back = read + timedelta(days=1) if is_end else read
                if not today < back <= today + timedelta(days=WINDOW_DAYS):
                    continue
                key = (int(is_end), match.start(), back)
                if best is None or key < best:
                    best = key
                break
    return best[2] if best is not None else None


def _read(match: re.Match[str], language: str, today: date) -> date | None:
    """The date of an expression; a date without a year is its next occurrence after today."""
    if match.group("tomorrow"):
        return today + timedelta(days=1)
    if match.group("weekday"):
        _, weekdays = _names(language)
        number = weekdays[match.group("weekday").lower()]
        return today + timedelta(days=(number - today.weekday() - 1) % 7 + 1)
    if match.group("numeric"):
        return _numeric(match.group("numeric"), language, today)
    months, _ = _names(language)
    written = (match.group("month") or match.group("month2")).lower()
    # A letter that equals a name's only when case is ignored ("ſ" for "s") is no name here.
    month = months.get(written) if _shape(match) in _PLAIN_SHAPES[language] else None
    if month is None:
        parsed: datetime | None = _parser(language).get_date_data(match.group("text")).date_obj
        if parsed is None:
            return None
        if match.group("year") or match.group("year2"):
            return parsed.date()
        return _next_occurrence(parsed.month, parsed.day, today)
    day = int(match.group("day") or match.group("day2"))
    year = match.group("year") or match.group("year2")
    return _date(int(year), month, day) if year else _next_occurrence(month, day, today)


def _shape(match: re.Match[str]) -> str:
    """The written date, lower-cased, with its day, month and year replaced by d, m and y."""
    text, offset = match.group("text"), match.start("text")
    spans = sorted(
        (match.start(group) - offset, match.end(group) - offset, letter)
        for group, letter in _SHAPE_GROUPS
        if match.group(group) is not None
    )
    pieces, at = [], 0
    for start, end, letter in spans:
        pieces += [text[at:start].lower(), letter]
        at = end
    pieces.append(text[at:].lower())
    return "".join(pieces)


def _next_occurrence(month: int, day: int, today: date) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate > today:
            return candidate
    return None


def _numeric(text: str, language: str, today: date) -> date | None:
    text = text.rstrip(".")
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        year, month, day = (int(part) for part in text.split("-"))
        return _date(year, month, day)
    parts = [int(part) for part in re.split(r"[./-]", text)]
    first, second = parts[0], parts[1]
    # English mail with slashes is mostly American (month first) unless that cannot be;
    # dotted dates and the other languages put the day first.
    if language == "en" and "." not in text and first <= 12:
        month, day = first, second
    else:
        day, month = first, second
    if len(parts) == 3:
        year = parts[2] + 2000 if parts[2] < 100 else parts[2]
        return _date(year, month, day)
    return _next_occurrence(month, day, today)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
