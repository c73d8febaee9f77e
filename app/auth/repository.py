from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.auth.models import ApiKey
from app.core.pagination import after
from app.users.models import User


def get_by_prefix(session: Session, *, prefix: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()


def get_with_user(session: Session, *, prefix: str) -> tuple[ApiKey, User] | None:
    """The key with this prefix and its user, in one query (every request authenticates)."""
    row = session.exec(
        select(ApiKey, User).join(User, col(User.id) == col(ApiKey.user_id)).where(ApiKey.prefix == prefix)
    ).first()
    return None if row is None else (row[0], row[1])


def get(session: Session, *, user_id: str, key_id: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id)).first()


def list_page(
    session: Session, *, user_id: str, limit: int, start_after: tuple[datetime, str] | None
) -> Sequence[ApiKey]:
    query = select(ApiKey).where(ApiKey.user_id == user_id)
    if start_after is not None:
        query = query.where(after([col(ApiKey.created_at), col(ApiKey.id)], start_after))
    return session.exec(query.order_by(col(ApiKey.created_at), col(ApiKey.id)).limit(limit + 1)).all()


def add(session: Session, *, api_key: ApiKey) -> ApiKey:
    session.add(api_key)
    session.flush()
    return api_key


def delete(session: Session, *, api_key: ApiKey) -> None:
    session.delete(api_key)
    session.flush()
