from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult
from sqlmodel import Session, col, delete, select

from app.idempotency.models import IdempotencyKey


def get(session: Session, *, user_id: str, key: str, method: str, path: str) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id,
        IdempotencyKey.key == key,
        IdempotencyKey.method == method,
        IdempotencyKey.path == path,
    )
    return session.exec(query.with_for_update().execution_options(populate_existing=True)).first()


def add(session: Session, *, row: IdempotencyKey) -> IdempotencyKey:
    session.add(row)
    session.flush()
    return row


def delete_expired(session: Session, *, now: datetime, user_id: str | None = None) -> int:
    query = delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= now)
    if user_id is not None:
        query = query.where(col(IdempotencyKey.user_id) == user_id)
    result: CursorResult[tuple[()]] = session.exec(query)
    return result.rowcount
