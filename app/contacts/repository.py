from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select, update

from app.contacts.models import Contact
from app.core.pagination import after


def get(session: Session, *, interview_id: str, contact_id: str) -> Contact | None:
    query = select(Contact).where(Contact.id == contact_id, Contact.interview_id == interview_id)
    # Callers that write hold the interview's lock by now: read the committed row.
    return session.exec(query.execution_options(populate_existing=True)).first()


def list_for_interviews(session: Session, *, interview_ids: Sequence[str]) -> Sequence[Contact]:
    query = select(Contact).where(col(Contact.interview_id).in_(interview_ids))
    return session.exec(query.order_by(col(Contact.created_at), col(Contact.id))).all()


def list_page(
    session: Session, *, interview_id: str, limit: int, start_after: tuple[datetime, str] | None
) -> Sequence[Contact]:
    query = select(Contact).where(Contact.interview_id == interview_id)
    if start_after is not None:
        query = query.where(after([col(Contact.created_at), col(Contact.id)], start_after))
    return session.exec(query.order_by(col(Contact.created_at), col(Contact.id)).limit(limit + 1)).all()


def count(session: Session, *, interview_id: str) -> int:
    return session.exec(select(func.count()).select_from(Contact).where(Contact.interview_id == interview_id)).one()


def clear_primary(session: Session, *, interview_id: str, except_id: str) -> None:
    session.exec(
        update(Contact)
        .where(col(Contact.interview_id) == interview_id, col(Contact.id) != except_id, col(Contact.is_primary))
        .values(is_primary=False, version=col(Contact.version) + 1)
    )


def add(session: Session, *, contact: Contact) -> Contact:
    session.add(contact)
    session.flush()
    return contact


def delete(session: Session, *, contact: Contact) -> None:
    session.delete(contact)
    session.flush()
