"""Field types shared by the domain schemas."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from app.rules import is_valid_timezone


def _check_timezone(name: str) -> str:
    if not is_valid_timezone(name):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as America/New_York")
    return name


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


# Times and dates in requests: RFC 3339 with an offset, and YYYY-MM-DD.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
Day = Annotated[date, BeforeValidator(_iso_date)]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Stored times are answered in UTC, whatever offset they were sent with.
UTCTime = Annotated[datetime, AfterValidator(_to_utc)]
TimeZoneName = Annotated[str, Field(max_length=64, examples=["America/New_York"]), AfterValidator(_check_timezone)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", examples=["ana@example.com"])]
