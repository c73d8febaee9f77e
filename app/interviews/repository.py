from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.core.pagination import after
from app.interviews.models import Interview


def get(session: Session, *, user_id: str, interview_id: str, for_update: bool = False) -> Interview | None:
    query = select(Interview).where(Interview.id == interview_id, Interview.user_id == user_id)
    if for_update:
        # Serialises writers of one interview on Postgres (SQLite: BEGIN IMMEDIATE does it).
        # The row read under the lock replaces one this session read before it, so a
        # version compared for If-Match, or an event seq derived under the lock, is the
        # committed one.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def get_linked(session: Session, *, integration_id: str, ats_application_id: str) -> Interview | None:
    """The interview that follows this application of the integration, locked."""
    query = select(Interview).where(
        Interview.integration_id == integration_id, Interview.ats_application_id == ats_application_id
    )
    return session.exec(query.with_for_update().execution_options(populate_existing=True)).first()


def list_linked(session: Session, *, integration_id: str) -> Sequence[Interview]:
    """The interviews that follow applications of the integration, locked."""
    return session.exec(select(Interview).where(Interview.integration_id == integration_id).with_for_update()).all()


def list_page(
    session: Session, *, user_id: str, status: str | None, limit: int, start_after: tuple[datetime, str] | None
) -> Sequence[Interview]:
    query = select(Interview).where(Interview.user_id == user_id)
    if status is not None:
        query = query.where(Interview.status == status)
    if start_after is not None:
        query = query.where(after([col(Interview.created_at), col(Interview.id)], start_after))
    return session.exec(query.order_by(col(Interview.created_at), col(Interview.id)).limit(limit + 1)).all()


def list_all_for_user(session: Session, *, user_id: str) -> Sequence[Interview]:
    """Every interview of the user, locked in id order (one order for every writer that
    locks several, so two of them cannot deadlock)."""
    query = select(Interview).where(Interview.user_id == user_id).order_by(col(Interview.id))
    return session.exec(query.with_for_update().execution_options(populate_existing=True)).all()


def list_expired(session: Session, *, now: datetime, limit: int) -> Sequence[Interview]:
    query = (
        select(Interview)
        .where(col(Interview.next_action_expires_at) <= now)
        .order_by(col(Interview.next_action_expires_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def add(session: Session, *, interview: Interview) -> Interview:
    session.add(interview)
    session.flush()
    return interview


def delete(session: Session, *, interview: Interview) -> None:
    session.delete(interview)
    session.flush()
