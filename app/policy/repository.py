from __future__ import annotations

from sqlmodel import Session

from app.policy.models import PolicyOverrides


def get(session: Session, *, user_id: str) -> PolicyOverrides | None:
    return session.get(PolicyOverrides, user_id)


def save(session: Session, *, row: PolicyOverrides) -> PolicyOverrides:
    session.add(row)
    session.flush()
    return row
