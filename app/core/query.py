"""Checks of the URL every /v1 route makes before its own: unknown query parameters are
refused, as unknown body fields are (`?stauts=active` would otherwise list everything,
silently), and a path id that no object can have is a 404 before any query sees it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from app.core.problems import NotFound

_known_by_route: dict[int, frozenset[str]] = {}
UNKNOWN_QUERY_PARAMETER = "Unknown query parameter"
NO_OBJECT_HAS_THIS_ID = "No object has this id."


def _query_names(dependant: Any) -> set[str]:
    """The query parameters of a route's dependant and of its dependencies."""
    names = {field.alias for field in dependant.query_params}
    for sub_dependant in dependant.dependencies:
        names |= _query_names(sub_dependant)
    return names


def _known(route: Any) -> frozenset[str]:
    known = _known_by_route.get(id(route))
    if known is None:
        known = _known_by_route[id(route)] = frozenset(_query_names(route.dependant))
    return known


async def reject_unknown_query_parameters(request: Request) -> None:
    """A dependency of every /v1 route: a 422 naming each query parameter the operation
    does not have. Async: it only reads the request, and a sync dependency would cost a
    hop to a worker thread on every request."""
    known = _known(request.scope["route"])
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": UNKNOWN_QUERY_PARAMETER, "input": None}
                for name in unknown
            ]
        )


def _storable(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def reject_impossible_path_ids(request: Request) -> None:
    """A dependency of every /v1 route: an id holding NUL (which Postgres cannot even
    compare) or a lone surrogate names no object, on either database: 404."""
    if not all(_storable(value) for value in request.path_params.values()):
        raise NotFound(NO_OBJECT_HAS_THIS_ID)
