"""Strong ETags and the conditional requests that use them (RFC 9110, section 13).

Interviews, contacts and the policy carry a version that every change to their
representation increments; their ETag is derived from it. A PATCH or DELETE with
`If-Match` is compared with the current ETag while the row is locked, so of two
clients that read the same version, exactly one can change it. A GET with
`If-None-Match` that still matches answers 304 with no body.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Request, Response

from app.core.problems import NotModified, PreconditionFailed, PreconditionRequired

T = TypeVar("T")

ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": "The object's version; send it back in `If-Match` to change it safely.",
        "schema": {"type": "string"},
    }
}


# `responses=` for the routers: the representation comes with its ETag.
READ_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"headers": ETAG_HEADER}}
CREATED_RESPONSES: dict[int | str, dict[str, Any]] = {201: {"headers": ETAG_HEADER}}


def make_etag(*parts: object) -> str:
    """An opaque strong ETag for the object named by `parts` (kind, id, version, ...):
    the same version of another object never gets the same ETag."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _entity_tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def matches_if_match(header: str, current: str) -> bool:
    """`If-Match` uses the strong comparison: a weak tag never matches."""
    tags = _entity_tags(header)
    return "*" in tags or current in tags


def matches_if_none_match(header: str, current: str) -> bool:
    """`If-None-Match` uses the weak comparison."""
    tags = _entity_tags(header)
    return "*" in tags or _opaque(current) in {_opaque(tag) for tag in tags}


@dataclass(frozen=True)
class Tagged(Generic[T]):
    """A representation with the ETag of the version it shows."""

    body: T
    etag: str


def if_match_required(what: str) -> str:
    return f"Send If-Match with the ETag of the {what} you read."


def changed_since_read(what: str, current: str) -> str:
    return f"The {what} changed since you read it (its ETag is now {current}); read it again and retry."


@dataclass(frozen=True)
class Preconditions:
    """The `If-Match` of a request that changes an object."""

    if_match: str | None
    required: bool = False

    def check(self, current: str, *, what: str) -> None:
        """Raise 412 unless `current` matches `If-Match` (428 when it is required and absent).
        Call it with the row locked, before changing anything."""
        if self.if_match is None:
            if self.required:
                raise PreconditionRequired(if_match_required(what))
            return
        if not matches_if_match(self.if_match, current):
            raise PreconditionFailed(changed_since_read(what, current))


NONE = Preconditions(if_match=None)
# A condition lists a few ETags at most; longer is a mistake (422).
MAX_CONDITION_LENGTH = 1000


def write_preconditions(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=MAX_CONDITION_LENGTH,
            description="Apply the change only if the object's ETag is still this one (else 412). "
            "Without it the change is applied unconditionally.",
        ),
    ] = None,
) -> Preconditions:
    return Preconditions(if_match=if_match, required=request.app.state.settings.require_if_match)


IfMatch = Annotated[Preconditions, Depends(write_preconditions)]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=MAX_CONDITION_LENGTH,
        description="Answer 304 with no body if the object's ETag is still this one.",
    ),
]


def send(response: Response, tagged: Tagged[T], if_none_match: str | None = None) -> T:
    """Put the ETag on the response; a matching `If-None-Match` turns it into a 304."""
    if if_none_match is not None and matches_if_none_match(if_none_match, tagged.etag):
        raise NotModified(tagged.etag)
    response.headers["ETag"] = tagged.etag
    return tagged.body


# The fields of an answer marked `shown_once` that hold the secret: a replay of the
# answer to a retry leaves them out (app.idempotency).
SECRET_FIELDS = ("key", "secret")
# What their descriptions say of it.
REPLAY_NOTE = (
    " Absent from a replay of this answer (`Idempotent-Replayed: true`): a retry with the same"
    " `Idempotency-Key` learns what was created, never the secret again."
)


def shown_once(response: Response) -> None:
    """Mark an answer that holds a secret shown only once (in one of `SECRET_FIELDS`): no
    cache keeps it, and a retry with the same Idempotency-Key gets it without the secret."""
    response.headers["Cache-Control"] = "no-store"
