"""Field types shared by the domain schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

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


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Stored times are answered in UTC, whatever offset they were sent with.
UTCTime = Annotated[datetime, AfterValidator(_to_utc)]
TimeZoneName = Annotated[str, Field(max_length=64, examples=["America/New_York"]), AfterValidator(_check_timezone)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$", examples=["ana@example.com"])]
