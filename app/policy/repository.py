from __future__ import annotations

from sqlmodel import Session

from app.policy.models import PolicyOverrides


def get(session: Session, *, user_id: str) -> PolicyOverrides | None:
    # populate_existing: a writer reads the row again once it holds the user's lock.
    return session.get(PolicyOverrides, user_id, populate_existing=True)


def save(session: Session, *, row: PolicyOverrides) -> PolicyOverrides:
    session.add(row)
    session.flush()
    return row
