from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult
from sqlmodel import Session, col, delete, select, update

from app.idempotency.models import IdempotencyKey


def get(session: Session, *, user_id: str, key: str, method: str, path: str) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id,
        IdempotencyKey.key == key,
        IdempotencyKey.method == method,
        IdempotencyKey.path == path,
    )
    return session.exec(query.with_for_update().execution_options(populate_existing=True)).first()


def get_by_id(session: Session, *, key_id: str) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(IdempotencyKey.id == key_id).with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).first()


def add(session: Session, *, row: IdempotencyKey) -> IdempotencyKey:
    session.add(row)
    session.flush()
    return row


def delete_row(session: Session, *, row: IdempotencyKey) -> None:
    session.delete(row)
    session.flush()


def mark_committed(session: Session, *, key_id: str, attempt: str, now: datetime) -> bool:
    """Set committed_at if `attempt` still holds the key; False when it was taken over."""
    result: CursorResult[tuple[()]] = session.exec(
        update(IdempotencyKey)
        .where(
            col(IdempotencyKey.id) == key_id,
            col(IdempotencyKey.attempt) == attempt,
            col(IdempotencyKey.committed_at).is_(None),
        )
        .values(committed_at=now)
    )
    return result.rowcount == 1


def delete_expired(session: Session, *, now: datetime, user_id: str | None = None) -> int:
    query = delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= now)
    if user_id is not None:
        query = query.where(col(IdempotencyKey.user_id) == user_id)
    result: CursorResult[tuple[()]] = session.exec(query)
    return result.rowcount
