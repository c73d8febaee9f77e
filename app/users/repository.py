from __future__ import annotations

from sqlmodel import Session, select

from app.users.models import User


def get_by_email(session: Session, *, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def add(session: Session, *, user: User) -> User:
    session.add(user)
    session.flush()
    return user
