from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.contacts.models import Contact
from app.core.columns import utcnow
from app.core.pagination import after
from app.events.models import Event
from app.interviews.models import Interview
from app.mail.models import MailMessage, MailSettings, Outcome, SeenToken


def first_arrival(session: Session, *, user_id: str, message_id: str) -> MailMessage | None:
    query = select(MailMessage).where(
        MailMessage.user_id == user_id,
        MailMessage.message_id == message_id,
        col(MailMessage.duplicate_of).is_(None),
    )
    return session.exec(query).first()


def get(session: Session, *, user_id: str, record_id: str, for_update: bool = False) -> MailMessage | None:
    query = select(MailMessage).where(MailMessage.id == record_id, MailMessage.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def add(session: Session, *, record: MailMessage) -> MailMessage:
    session.add(record)
    session.flush()
    return record


def list_page(
    session: Session, *, user_id: str, outcome: Outcome | None, limit: int, start_after: tuple[object, str] | None
) -> Sequence[MailMessage]:
    query = select(MailMessage).where(MailMessage.user_id == user_id)
    if outcome is not None:
        query = query.where(MailMessage.outcome == outcome)
    if start_after is not None:
        query = query.where(after([col(MailMessage.received_at), col(MailMessage.id)], start_after, descending=True))
    order = (col(MailMessage.received_at).desc(), col(MailMessage.id).desc())
    return session.exec(query.order_by(*order).limit(limit + 1)).all()


def interview_of_thread(session: Session, *, user_id: str, message_ids: Sequence[str]) -> tuple[str, str] | None:
    """The first of `message_ids` recorded on one of the user's interviews: (its id, the interview's)."""
    if not message_ids:
        return None
    rows = session.exec(
        select(MailMessage.message_id, MailMessage.interview_id).where(
            MailMessage.user_id == user_id,
            col(MailMessage.message_id).in_(message_ids),
            col(MailMessage.interview_id).is_not(None),
        )
    ).all()
    found = {message_id: interview_id for message_id, interview_id in rows if interview_id is not None}
    return next(((mid, found[mid]) for mid in message_ids if mid in found), None)


def interview_of_invite(session: Session, *, user_id: str, uid: str) -> str | None:
    """The user's interview an invite's uid is recorded on: by an event, or as the invite the
    interview came from."""
    by_event = session.exec(
        select(Event.interview_id)
        .join(Interview, col(Interview.id) == col(Event.interview_id))
        .where(Interview.user_id == user_id, Event.invite_uid == uid)
        .order_by(col(Event.occurred_at).desc())
    ).first()
    if by_event is not None:
        return by_event
    return session.exec(select(Interview.id).where(Interview.user_id == user_id, Interview.invite_uid == uid)).first()


def highest_sequence(session: Session, *, user_id: str, uid: str) -> int | None:
    """The highest SEQUENCE of the invite `uid` that made events."""
    return session.exec(
        select(func.max(MailMessage.invite_sequence)).where(
            MailMessage.user_id == user_id, MailMessage.invite_uid == uid, MailMessage.outcome == Outcome.APPLIED
        )
    ).one()


def contacts_with_email(session: Session, *, user_id: str, address: str) -> Sequence[tuple[Contact, Interview]]:
    """The user's contacts with this email (ignoring case), with their interviews."""
    return session.exec(
        select(Contact, Interview)
        .join(Interview, col(Interview.id) == col(Contact.interview_id))
        .where(Interview.user_id == user_id, func.lower(Contact.email) == address.lower())
    ).all()


def interviews_with_domain(session: Session, *, user_id: str, domain: str, status: str) -> Sequence[str]:
    """The user's interviews in `status` with a contact whose email is at `domain`."""
    return session.exec(
        select(Interview.id)
        .join(Contact, col(Interview.id) == col(Contact.interview_id))
        .where(
            Interview.user_id == user_id,
            Interview.status == status,
            func.lower(Contact.email).like("%@" + domain.lower().replace("%", "").replace("_", "\\_"), escape="\\"),
        )
        .distinct()
    ).all()


def settings_of(session: Session, *, user_id: str) -> MailSettings | None:
    return session.get(MailSettings, user_id)


def ensure_settings(session: Session, *, user_id: str, token: str) -> MailSettings:
    """The user's settings, created with `token` if they have none. One statement that a
    concurrent creation cannot fail, and that a read-only request (autocommit on Postgres,
    no transaction to hold a savepoint) can run too."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(MailSettings).values(user_id=user_id, forwarding_token=token, addresses=[], updated_at=utcnow())
    session.execute(statement.on_conflict_do_nothing(index_elements=["user_id"]))
    found = session.get(MailSettings, user_id, populate_existing=True)
    assert found is not None
    return found


def user_of_forwarding_token(session: Session, *, token: str) -> str | None:
    return session.exec(select(MailSettings.user_id).where(MailSettings.forwarding_token == token)).first()


def delete_unmatched(session: Session, *, received_before: datetime) -> int:
    """Forget messages that matched no interview (and duplicate arrivals) received before a time."""
    result = session.exec(
        delete(MailMessage).where(
            col(MailMessage.outcome).in_([Outcome.UNMATCHED, Outcome.DUPLICATE]),
            col(MailMessage.received_at) < received_before,
        )
    )
    return int(result.rowcount or 0)


def remember_token(session: Session, *, token: str) -> bool:
    """Record a delivery token; False when it was seen before."""
    if session.get(SeenToken, token) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SeenToken(token=token))
    except IntegrityError:
        return False  # the same delivery, at the same moment
    return True


def forget_tokens(session: Session, *, seen_before: datetime) -> int:
    result = session.exec(delete(SeenToken).where(col(SeenToken.seen_at) < seen_before))
    return int(result.rowcount or 0)


def rotate_token(session: Session, *, settings: MailSettings, token: str) -> MailSettings:
    settings.forwarding_token = token
    settings.updated_at = utcnow()
    settings.version += 1
    session.add(settings)
    session.flush()
    return settings
