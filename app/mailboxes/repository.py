from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.core.pagination import after
from app.mailboxes.models import Mailbox, MailboxFolder, MailboxStatus


def get(session: Session, *, user_id: str, mailbox_id: str, for_update: bool = False) -> Mailbox | None:
    query = select(Mailbox).where(Mailbox.id == mailbox_id, Mailbox.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def list_page(
    session: Session, *, user_id: str, limit: int, start_after: tuple[datetime, str] | None
) -> Sequence[Mailbox]:
    query = select(Mailbox).where(Mailbox.user_id == user_id)
    if start_after is not None:
        query = query.where(after([col(Mailbox.created_at), col(Mailbox.id)], start_after))
    return session.exec(query.order_by(col(Mailbox.created_at), col(Mailbox.id)).limit(limit + 1)).all()


def count(session: Session, *, user_id: str) -> int:
    return len(session.exec(select(Mailbox.id).where(Mailbox.user_id == user_id)).all())


def folders_of(session: Session, *, mailbox_ids: Sequence[str]) -> Sequence[MailboxFolder]:
    query = select(MailboxFolder).where(col(MailboxFolder.mailbox_id).in_(mailbox_ids))
    return session.exec(query.order_by(col(MailboxFolder.mailbox_id), col(MailboxFolder.role))).all()


def get_folder(session: Session, *, mailbox_id: str, role: str) -> MailboxFolder | None:
    return session.get(MailboxFolder, (mailbox_id, role))


def add(session: Session, *, row: Mailbox | MailboxFolder) -> None:
    session.add(row)
    session.flush()


def delete(session: Session, *, mailbox: Mailbox) -> None:
    session.delete(mailbox)
    session.flush()


def delete_folders(session: Session, *, mailbox_id: str) -> None:
    for folder in session.exec(select(MailboxFolder).where(MailboxFolder.mailbox_id == mailbox_id)).all():
        session.delete(folder)
    session.flush()


def claim_due(session: Session, *, now: datetime, limit: int) -> Sequence[Mailbox]:
    """Mailboxes whose sync is due and that no worker holds. On Postgres, rows another
    worker is claiming right now are skipped, not waited for."""
    query = (
        select(Mailbox)
        .where(
            col(Mailbox.next_sync_at) <= now,
            col(Mailbox.status) != MailboxStatus.DISABLED,
            or_(col(Mailbox.locked_until).is_(None), col(Mailbox.locked_until) <= now),
        )
        .order_by(col(Mailbox.next_sync_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def get_leased(session: Session, *, mailbox_id: str, lease_token: str) -> Mailbox | None:
    """The mailbox, locked, if this lease still holds it (it was neither deleted nor taken
    over by another worker after the lease ran out)."""
    query = select(Mailbox).where(Mailbox.id == mailbox_id, Mailbox.lease_token == lease_token).with_for_update()
    return session.exec(query).first()


def all_ids(session: Session) -> Sequence[str]:
    return session.exec(select(Mailbox.id).order_by(col(Mailbox.id))).all()


def get_locked(session: Session, *, mailbox_id: str) -> Mailbox | None:
    """Any user's mailbox, locked until the transaction ends."""
    return session.exec(select(Mailbox).where(Mailbox.id == mailbox_id).with_for_update()).first()
