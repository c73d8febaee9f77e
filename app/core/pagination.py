"""Keyset pagination: `{"data": [...], "next_cursor": ...}` with an opaque cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import Field
from sqlalchemy import ColumnElement, and_, or_

from app.core.problems import InvalidInput
from app.core.schemas import EARLIEST_DAY, LATEST_DAY, Public

T = TypeVar("T")
Row = TypeVar("Row")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-200).")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="The `next_cursor` of the previous page; omit for the first page."),
]


class Page(Public, Generic[T]):
    """One page of a list; the next is asked for with `cursor=<next_cursor>`."""

    data: list[T] = Field(description="The items of this page, in the list's order.")
    next_cursor: str | None = Field(
        description="The `cursor` of the next page; null on the last page.",
        examples=["WyIyMDI2LTAzLTAyVDE1OjAwOjAwKzAwOjAwIiwgMTJd"],
    )

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """`InterviewPage` for `Page[InterviewPublic]`, rather than pydantic's
        `Page[InterviewPublic]`: the schema's component takes this name (app.core.openapi),
        and clients generate their type from it."""
        (item,) = params
        return f"{item.__name__.removesuffix('Public')}Page"


def encode_cursor(values: Sequence[object]) -> str:
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


# The keys a cursor may hold: what the columns behind it can store and compare. Times are
# those of requests, and of next actions computed from them (which may fall in the year
# after the last one a request may name).
_MAX_INTEGER = 2**63 - 1
_MAX_TEXT = 255
_YEARS = range(EARLIEST_DAY.year, LATEST_DAY.year + 2)


def _key(kind: type, value: object) -> object:
    """One key of a cursor, converted to `kind`; ValueError for anything no row can hold."""
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError("not a time")
        moment = datetime.fromisoformat(value)
        if moment.utcoffset() is None or moment.year not in _YEARS:
            raise ValueError("not a time of a row")
        return moment
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not -_MAX_INTEGER <= value <= _MAX_INTEGER:
            raise ValueError("not an integer of a row")
        return value
    if kind is str:
        if not isinstance(value, str) or len(value) > _MAX_TEXT or "\x00" in value:
            raise ValueError("not a text of a row")
        value.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
        return value
    if not isinstance(value, kind):
        raise ValueError("wrong type")
    return value


def decode_cursor(cursor: str, types: Sequence[type]) -> list[Any]:
    """The keys stored in `cursor`, converted to `types`; a 422 for anything malformed,
    including keys that no cursor of ours holds (a time without an offset or out of
    range, an integer no column holds, text with NUL)."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError("wrong shape")
        return [_key(kind, value) for kind, value in zip(types, raw, strict=True)]
    except (ValueError, TypeError, binascii.Error, RecursionError):
        raise InvalidInput.at(["query", "cursor"], "Invalid cursor; use the next_cursor of a previous page.") from None


def after(columns: Sequence[Any], values: Sequence[object], *, descending: bool = False) -> ColumnElement[bool]:
    """Rows strictly after `values` in ascending (or descending) order of `columns` (a
    keyset condition)."""
    first, *rest = columns
    value, *rest_values = values
    beyond = first < value if descending else first > value
    if not rest:
        return beyond  # type: ignore[no-any-return]
    return or_(beyond, and_(first == value, after(rest, rest_values, descending=descending)))


def page(rows: Sequence[Row], limit: int, key: Callable[[Row], Sequence[object]]) -> tuple[list[Row], str | None]:
    """Trim the `limit + 1` rows a query fetched to one page, and the cursor of the next."""
    if len(rows) <= limit:
        return list(rows), None
    kept = list(rows[:limit])
    return kept, encode_cursor(key(kept[-1]))
