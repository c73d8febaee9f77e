from __future__ import annotations

import re

from sqlmodel import Session

from app.core.problems import Conflict, InvalidInput
from app.users import repository
from app.users.models import User

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")


def create(session: Session, *, email: str) -> User:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput.at(["email"], "Not an email address.")
    if repository.get_by_email(session, email=email) is not None:
        raise Conflict(f"A user with the email {email} already exists.")
    return repository.add(session, user=User(email=email))


def get_by_email(session: Session, *, email: str) -> User | None:
    return repository.get_by_email(session, email=email.strip().lower())


def get_by_subject(session: Session, *, issuer: str, subject: str) -> User | None:
    return repository.get_by_subject(session, issuer=issuer, subject=subject)


def create_for_subject(session: Session, *, issuer: str, subject: str, email: str) -> User:
    """The user of an OpenID Connect subject's first token. Its email is the token's, as
    the provider vouches for it, and may be another user's too."""
    return repository.add(session, user=User(email=email, oidc_issuer=issuer, oidc_subject=subject))
