"""Idempotency keys: the first request with a key does the work, and its answer is
written with the key in the same transaction as the work; a retry with the same key and
body gets that answer again and changes nothing.

The key is inserted at the start of the request's transaction. A duplicate sent while the
first still runs waits for it on the unique index (SQLite: on the write lock) and then
finds the committed key and replays it; if the first rolled back, the duplicate runs. A
request that crashed before its commit leaves nothing behind; one that crashed after it
left its answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from app.core.columns import utcnow
from app.idempotency import repository
from app.idempotency.models import IdempotencyKey

# How long a duplicate waits on Postgres for the request that holds its key to finish,
# before it is told that request is still running (409 with Retry-After).
WAIT_FOR_FIRST = "10s"
LOCK_NOT_AVAILABLE = "55P03"


@dataclass(frozen=True)
class Scope:
    """A key belongs to a user, and to one method and path."""

    user_id: str
    key: str
    method: str
    path: str


class Outcome(Enum):
    CLAIMED = "claimed"  # run the request
    REPLAY = "replay"  # answer with the stored response
    MISMATCH = "mismatch"  # the key came with another request body
    IN_FLIGHT = "in_flight"  # the request that holds the key is still running


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    row: IdempotencyKey | None = None


def claim(session: Session, *, scope: Scope, fingerprint: str, ttl: timedelta) -> Claim:
    """In the request's transaction, before its work: the committed answer of this key,
    or the key inserted for this request (committed with its work, or not at all)."""
    now = utcnow()
    repository.delete_expired(session, now=now, user_id=scope.user_id)
    row = _committed(session, scope)
    if row is None:
        fresh = IdempotencyKey(
            user_id=scope.user_id,
            key=scope.key,
            method=scope.method,
            path=scope.path,
            fingerprint=fingerprint,
            created_at=now,
            expires_at=now + ttl,
        )
        postgres = session.get_bind().dialect.name == "postgresql"
        try:
            with session.begin_nested():
                if postgres:
                    session.execute(text(f"SET LOCAL lock_timeout = '{WAIT_FOR_FIRST}'"))
                repository.add(session, row=fresh)
                if postgres:
                    session.execute(text("SET LOCAL lock_timeout = 0"))
            return Claim(Outcome.CLAIMED, fresh)
        except IntegrityError:
            # A request with the same key committed while this one waited on the index.
            row = _committed(session, scope)
            assert row is not None
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            return Claim(Outcome.IN_FLIGHT)
    if row.fingerprint != fingerprint:
        return Claim(Outcome.MISMATCH, row)
    return Claim(Outcome.REPLAY, row)


def _committed(session: Session, scope: Scope) -> IdempotencyKey | None:
    return repository.get(session, user_id=scope.user_id, key=scope.key, method=scope.method, path=scope.path)


def without_secrets(body: bytes, fields: Sequence[str]) -> bytes:
    """The answer as a retry may see it again: a JSON object without the fields that held
    a secret shown once (the retry still learns what was created)."""
    try:
        document = json.loads(body)
    except ValueError:
        return b""
    if isinstance(document, dict):
        document = {name: value for name, value in document.items() if name not in fields}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def keep_answer(
    session: Session, *, row: IdempotencyKey, status_code: int, headers: Sequence[tuple[str, str]], body: bytes
) -> None:
    """In the request's transaction, just before it commits."""
    row.status_code = status_code
    row.response_headers = [list(header) for header in headers]
    row.response_body = body
    session.add(row)
    session.flush()


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete every expired key; `followup worker` calls this on each pass."""
    return repository.delete_expired(session, now=now or utcnow())
