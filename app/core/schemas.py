"""Field types shared by the domain schemas."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SecretStr,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema, to_jsonable_python

from app.rules import timezone_problem


def _check_timezone(name: str) -> str:
    problem = timezone_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


def _storable(text: str) -> str:
    """Text every database can store and every answer can carry: Postgres refuses NUL in
    text, and a lone surrogate cannot be encoded as UTF-8."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters (U+0000)")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must not contain lone surrogates (U+D800 to U+DFFF)") from None
    return text


class _WithoutNul:
    """The part of `_storable` a schema can say, as a pattern for fields that have none of
    their own (theirs leave NUL out too): no NUL. A lone surrogate cannot be sent in JSON
    that is valid UTF-8, so it needs no word."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        if json_schema.get("type") == "string":
            json_schema.setdefault("pattern", "^[^\\u0000]*$")
        return json_schema


# Every text field of a request: a str that can be stored as it is.
# The checks of `Text` and `WholeNumber` on their own, for types that put constraints before
# them so that the schema says those too: a pattern after a validator is left out of the
# schema, and bounds after one reach it under pydantic's own names (`ge`, `le`).
STORABLE_TEXT = AfterValidator(_storable)
Text = Annotated[str, STORABLE_TEXT, _WithoutNul()]


def _storable_secret(secret: SecretStr) -> SecretStr:
    _storable(secret.get_secret_value())
    return secret


Secret = Annotated[SecretStr, AfterValidator(_storable_secret), _WithoutNul()]


def reject_null(value: object) -> object:
    """For PATCH bodies: a field may be left out, but a non-nullable one cannot be null."""
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


class _NotNull:
    """For PATCH bodies, on an `X | None = None` field: it may be left out, but null is
    refused, and the schema says `X` (no null), so that clients and fuzzers know."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(reject_null, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        (variant,) = [variant for variant in json_schema["anyOf"] if variant != {"type": "null"}]
        narrowed: JsonSchemaValue = {key: value for key, value in json_schema.items() if key != "anyOf"} | variant
        return narrowed


NotNull = _NotNull()


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _rfc3339(value: object) -> object:
    """Only an RFC 3339 time with an offset, as the schema says: not a number of seconds
    (pydantic would take 0.5 as a time in 1970), nor a date alone."""
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("must be an RFC 3339 time with an offset, such as 2026-03-02T10:00:00-05:00")


def _iso_date(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


# The times and dates a request may hold: what a job search can mean, and what every
# computation on them (a local date, a week later, a keyset) holds without overflow. A time
# is judged by the year it is written in, in its own offset, so that the schema can state
# the range as a pattern on the text and mean exactly what the service checks.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2100, 12, 31)
YEARS_PATTERN = r"^(19[7-9][0-9]|20[0-9][0-9]|2100)-"
TIME_RANGE = "Written in the years 1970 to 2100."
DATE_RANGE = "In the years 1970 to 2100."


def in_time_range(value: datetime) -> bool:
    return EARLIEST_DAY.year <= value.year <= LATEST_DAY.year


def _time_in_range(value: datetime) -> datetime:
    if not in_time_range(value):
        raise ValueError("must be written in the years 1970 to 2100")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError("must be in the years 1970 to 2100")
    return value


class _Described:
    """The JSON schema description of a type, for the fields that give none of their own
    (a field's description replaces it: those repeat the range themselves), and the pattern
    of the years it takes."""

    def __init__(self, description: str) -> None:
        self.description = description

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("description", self.description)
        json_schema["pattern"] = YEARS_PATTERN
        return json_schema


# Times and dates in requests: RFC 3339 with an offset, and YYYY-MM-DD, in the range above.
Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_time_in_range), _Described(f"RFC 3339. {TIME_RANGE}")
]
Day = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_day_in_range), _Described(DATE_RANGE)]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Stored times are answered in UTC, whatever offset they were sent with.
UTCTime = Annotated[datetime, AfterValidator(_to_utc)]
TIMEZONE_RULE = (
    "The IANA name of a place (America/New_York), or UTC; names without a place (EST, EST5EDT, GMT, "
    "Etc/GMT+5, localtime) are refused: they have no daylight saving time of their own or depend on the server."
)


def accepted_timezones() -> list[str]:
    """Every name `timezone_problem` accepts, sorted: the time zone database's places and UTC."""
    return sorted(name for name in available_timezones() if timezone_problem(name) is None)


class _SharedTimeZone:
    """The schema of a time zone as one component, `TimeZone`: the accepted names as an
    enum (a form can offer them as a list), referred to by every field that takes one
    rather than repeated in each."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return {**handler(source), "ref": "TimeZone"}

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        definition = handler.resolve_ref_schema(json_schema)
        definition.update(
            title="TimeZone",
            description=TIMEZONE_RULE,
            enum=accepted_timezones(),
            examples=["America/New_York"],
        )
        return json_schema


TimeZoneName = Annotated[Text, Field(max_length=64), AfterValidator(_check_timezone), _SharedTimeZone()]
Name = Annotated[Text, Field(min_length=1, max_length=200)]
# Not `\\s`: the regular expressions of Python (the fuzzers), Rust (pydantic) and ECMA-262 (the
# schema's readers) each count other characters as white space; these are all of them.
_NOT_AT_OR_SPACE = r"[^@\x00\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
EMAIL_PATTERN = rf"^{_NOT_AT_OR_SPACE}+@{_NOT_AT_OR_SPACE}+$"
# The constraints come before the text check: a pattern after a validator is left out of the
# schema.
Email = Annotated[str, Field(max_length=320, pattern=EMAIL_PATTERN), STORABLE_TEXT, Field(examples=["ana@example.com"])]


def _whole_number(value: object) -> object:
    """A JSON integer, as JSON Schema counts them: 3 and 3.0 are the same number, so both
    are taken; 3.5, "3" and true are not integers and are refused (pydantic's lax mode
    would take the last two, its strict mode would refuse the second)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be an integer")
        return int(value)
    return value


# Every integer of a request body: `{"type": "integer"}` in the schema, and exactly what it admits.
WHOLE_NUMBER = BeforeValidator(_whole_number)
WholeNumber = Annotated[int, WHOLE_NUMBER]


class Public(BaseModel):
    """The base of every response body: a field the service always sends is required in the
    schema, even when it has a default, so that generated clients need no fallback for it.
    Its examples are what it sends: a field an example leaves out is shown with its default."""

    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        if handler.mode != "serialization":
            return json_schema
        definition = handler.resolve_ref_schema(json_schema)
        examples = definition.get("examples")
        if isinstance(examples, list):
            definition["examples"] = [_completed(cls, example) for example in examples]
        return json_schema


def _completed(model: type[BaseModel], example: object) -> object:
    """`example` with each field it leaves out at its default, in the fields' order."""
    if not isinstance(example, dict):
        return example
    completed: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.serialization_alias or field.alias or name
        if key in example:
            completed[key] = example[key]
        elif not field.is_required():
            completed[key] = to_jsonable_python(field.get_default(call_default_factory=True))
    return completed | example


# A secret an answer shows once: a replay of that answer leaves it out (app.core.etags), so
# it is the one field a response may lack; never null. The model that holds it takes
# MAY_LACK_SECRET, which keeps a field with a default out of the schema's `required`.
ShownOnce = Annotated[str | None, NotNull]
MAY_LACK_SECRET = ConfigDict(json_schema_serialization_defaults_required=False)
