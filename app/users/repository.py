from __future__ import annotations

from sqlmodel import Session, col, select

from app.users.models import User


def get_by_email(session: Session, *, email: str) -> User | None:
    """The user made with this email by `followup users create`; users of OpenID Connect
    subjects are never found by email (their provider vouches for it, not this service)."""
    return session.exec(select(User).where(User.email == email, col(User.oidc_issuer).is_(None))).first()


def get_by_subject(session: Session, *, issuer: str, subject: str) -> User | None:
    return session.exec(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)).first()


def lock(session: Session, *, user_id: str) -> None:
    """Lock the user's row until the transaction ends (Postgres; on SQLite the write
    transaction already excludes other writers). Serialises changes to what belongs to
    the user as a whole, such as the policy, whose row may not exist yet; inserts of the
    user's interviews wait too (their foreign key check takes a share lock on the row)."""
    session.exec(select(User.id).where(User.id == user_id).with_for_update()).first()


def add(session: Session, *, user: User) -> User:
    session.add(user)
    session.flush()
    return user
