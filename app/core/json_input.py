"""Strict JSON for what clients and ATS senders post.

JSON that parsers disagree on, or that no field can hold, is refused before anything reads
it: bytes that are not UTF-8 (RFC 8259), a key given twice (one parser takes the first,
another the last), NaN, Infinity and numbers out of float range, integers of thousands of
digits, lone surrogates (`"\\ud800"` is valid JSON escaping but no text: it cannot be
encoded, stored or answered), and nesting deeper than any body of this API. Every body
route uses `JsonRoute`, so the schema sees only clean documents; the ATS receiver calls
`parse` itself, after or before the signature check as its provider allows.
"""

from __future__ import annotations

import email.message
import json
import math
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, Response, params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

# Deeper than any body of this API (a simulation's events go 3 levels down) and than the
# providers' payloads; far below the recursion limit.
MAX_DEPTH = 32
NOT_UTF8 = "The body is not valid JSON: it must be UTF-8."
NOT_JSON_CONTENT_TYPE = "Send the body as JSON, with the header `Content-Type: application/json`."


class JsonInputError(json.JSONDecodeError):
    """A body refused by `parse`: `reason` says why, `loc` where (inside the document).
    A JSONDecodeError, so that FastAPI answers it as invalid JSON (a 422)."""

    def __init__(self, reason: str, loc: Sequence[str | int] = ()) -> None:
        super().__init__(reason, "", 0)
        self.reason = reason
        self.loc = list(loc)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonInputError(f"The key {json.dumps(key)} appears more than once in an object.")
            seen.add(key)
    return document


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonInputError(f"The number {text[:40]} is out of range.")
    return number


def _no_constant(text: str) -> Any:
    raise JsonInputError(f"{text} is not a JSON number.")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_tree(document: Any, max_depth: int) -> None:
    """Depth and text of the parsed document, without recursion."""
    pending: list[tuple[Any, list[str | int]]] = [(document, [])]
    while pending:
        value, loc = pending.pop()
        if isinstance(value, str):
            if not value.isascii() and not _encodable(value):
                raise JsonInputError("Contains a lone surrogate (an unpaired \\ud800-\\udfff escape).", loc)
            continue
        if isinstance(value, dict | list) and len(loc) >= max_depth:
            raise JsonInputError(f"Nested deeper than {max_depth} levels.", loc)
        if isinstance(value, dict):
            for key, item in value.items():
                if not key.isascii() and not _encodable(key):
                    raise JsonInputError("A key contains a lone surrogate (an unpaired \\ud800-\\udfff escape).", loc)
                pending.append((item, [*loc, key]))
        elif isinstance(value, list):
            pending.extend((item, [*loc, index]) for index, item in enumerate(value))


def invalid_json(error: json.JSONDecodeError) -> str:
    """Where the JSON stops being JSON, as an editor shows it (a position in bytes helps nobody)."""
    return f"Invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})."


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of this Content-Type as JSON: `application/json` or
    `application/<anything>+json`, with any parameters."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def parse(body: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON document in `body`; JsonInputError for anything this module refuses."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonInputError(NOT_UTF8) from None
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys, parse_float=_finite, parse_constant=_no_constant)
    except JsonInputError:
        raise
    except RecursionError:
        raise JsonInputError(f"Nested deeper than {max_depth} levels.") from None
    except json.JSONDecodeError as error:
        raise JsonInputError(invalid_json(error)) from None
    except ValueError:
        # int() refuses integers of more than 4300 digits.
        raise JsonInputError("A number has too many digits.") from None
    _check_tree(document, max_depth)
    return document


class JsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse(await self.body())
        return self._json


class JsonRoute(APIRoute):
    """The route class of every router: FastAPI reads JSON bodies through `parse`, and a
    body sent without a JSON Content-Type is refused by naming the header (FastAPI would
    hand its bytes to the model, which answers that they are not an object)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_json = self.body_field is not None and not isinstance(self.body_field.field_info, params.Form)

        async def strict_json_handler(request: Request) -> Response:
            json_request = JsonRequest(request.scope, request.receive)
            if takes_json and not is_json(json_request.headers.get("content-type")) and await json_request.body():
                raise RequestValidationError(
                    [
                        {
                            "type": "content_type",
                            "loc": ("header", "Content-Type"),
                            "msg": NOT_JSON_CONTENT_TYPE,
                            "input": json_request.headers.get("content-type"),
                        }
                    ]
                )
            return await handler(json_request)

        return strict_json_handler
