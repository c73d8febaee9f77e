"""Idempotency keys: the first request with a key does the work and its answer is kept;
a retry with the same key and body gets that answer again and changes nothing.

Each step is its own short transaction, except `mark_committed`, which runs inside the
request's transaction (see app.db.BEFORE_COMMIT): a key is recorded as done exactly when
the work it guards is committed, and at most one attempt can commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.core.columns import new_id, utcnow
from app.core.problems import Conflict
from app.idempotency import repository
from app.idempotency.models import IdempotencyKey

# An attempt that neither finished nor committed within this time is taken to have died
# (its process crashed); a retry may take the key over. If it was only slow, it cannot
# commit any more (see mark_committed), so the work is still done once at most.
IN_FLIGHT_LEASE = timedelta(seconds=60)


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
    IN_FLIGHT = "in_flight"  # the first request with the key is still running
    UNKNOWN = "unknown"  # the work was committed but its answer is not available


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    row: IdempotencyKey | None = None


def claim(session: Session, *, scope: Scope, fingerprint: str, ttl: timedelta) -> Claim:
    """Take the key for a new attempt, or say why not. The caller commits."""
    now = utcnow()
    repository.delete_expired(session, now=now, user_id=scope.user_id)
    row = repository.get(session, user_id=scope.user_id, key=scope.key, method=scope.method, path=scope.path)
    if row is None:
        fresh = IdempotencyKey(
            user_id=scope.user_id,
            key=scope.key,
            method=scope.method,
            path=scope.path,
            fingerprint=fingerprint,
            locked_at=now,
            created_at=now,
            expires_at=now + ttl,
        )
        try:
            with session.begin_nested():
                return Claim(Outcome.CLAIMED, repository.add(session, row=fresh))
        except IntegrityError:
            # Another request inserted the same key first (Postgres waits for it to commit).
            row = repository.get(session, user_id=scope.user_id, key=scope.key, method=scope.method, path=scope.path)
            assert row is not None
    if row.fingerprint != fingerprint:
        return Claim(Outcome.MISMATCH, row)
    if row.status_code is not None:
        return Claim(Outcome.REPLAY if row.response_body is not None else Outcome.UNKNOWN, row)
    if row.committed_at is not None:
        return Claim(Outcome.UNKNOWN, row)
    if now - row.locked_at < IN_FLIGHT_LEASE:
        return Claim(Outcome.IN_FLIGHT, row)
    row.attempt = new_id()
    row.locked_at = now
    session.add(row)
    session.flush()
    return Claim(Outcome.CLAIMED, row)


def mark_committed(session: Session, *, key_id: str, attempt: str) -> None:
    """In the request's own transaction, just before it commits."""
    if not repository.mark_committed(session, key_id=key_id, attempt=attempt, now=utcnow()):
        raise Conflict("Another request with this Idempotency-Key took over; this one changed nothing.")


def finish(
    session: Session,
    *,
    key_id: str,
    attempt: str,
    status_code: int,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
) -> None:
    """Keep the answer of a request whose work was committed; free the key of one whose
    work was not (it failed or changed nothing), so that it may be sent again."""
    row = repository.get_by_id(session, key_id=key_id)
    if row is None or row.attempt != attempt:
        return
    if row.committed_at is None:
        repository.delete_row(session, row=row)
        return
    row.status_code = status_code
    row.response_headers = [list(header) for header in headers]
    row.response_body = body
    session.add(row)
    session.flush()


def release(session: Session, *, key_id: str, attempt: str) -> None:
    """The request ended without an answer (an unexpected error): free the key unless its
    work was committed."""
    row = repository.get_by_id(session, key_id=key_id)
    if row is not None and row.attempt == attempt and row.committed_at is None:
        repository.delete_row(session, row=row)


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete every expired key; `followup worker` calls this on each pass."""
    return repository.delete_expired(session, now=now or utcnow())
