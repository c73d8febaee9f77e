"""A connected mailbox for tests that need one to exist but no IMAP server (connecting one
through the API logs in to it: tests/mailboxes)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.mailboxes.models import Mailbox
from app.users.models import User


def stored_mailbox(engine: Engine, *, email: str, host: str = "imap.example.com", port: int = 993) -> str:
    """A mailbox of the user with `email`, written as the service writes one; its id."""
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        mailbox = Mailbox(
            user_id=user.id, host=host, port=port, security="tls", username=email, password_encrypted="v1."
        )
        session.add(mailbox)
        session.commit()
        return mailbox.id
