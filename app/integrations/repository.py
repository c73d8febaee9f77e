from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.pagination import after
from app.integrations.models import Delivery, DeliveryResult, Integration


def get(session: Session, *, integration_id: str, user_id: str | None, for_update: bool = False) -> Integration | None:
    """The user's integration; any user's with `user_id` None (a delivery names the
    integration in its URL and proves itself by its signature)."""
    query = select(Integration).where(Integration.id == integration_id)
    if user_id is not None:
        query = query.where(Integration.user_id == user_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def list_page(
    session: Session, *, user_id: str, limit: int, start_after: tuple[datetime, str] | None
) -> Sequence[Integration]:
    query = select(Integration).where(Integration.user_id == user_id)
    if start_after is not None:
        query = query.where(after([col(Integration.created_at), col(Integration.id)], start_after))
    return session.exec(query.order_by(col(Integration.created_at), col(Integration.id)).limit(limit + 1)).all()


def add(session: Session, *, integration: Integration) -> Integration:
    session.add(integration)
    session.flush()
    return integration


def delete(session: Session, *, integration: Integration) -> None:
    """Delete the integration; its deliveries go with it (the foreign key cascades)."""
    session.delete(integration)
    session.flush()


def add_delivery(session: Session, *, delivery: Delivery) -> Delivery:
    session.add(delivery)
    session.flush()
    return delivery


def add_delivery_once(session: Session, *, delivery: Delivery) -> bool:
    """Insert a delivery that holds its key (`dedupe_key`); False, with nothing inserted,
    when another delivery of the integration holds it already. On Postgres a concurrent
    holder makes this wait until it commits (then False) or rolls back (then True)."""
    try:
        with session.begin_nested():
            add_delivery(session, delivery=delivery)
    except IntegrityError:
        if holder_of(session, integration_id=delivery.integration_id, key=delivery.delivery_key) is None:
            raise
        return False
    return True


def holder_of(session: Session, *, integration_id: str, key: str) -> Delivery | None:
    query = select(Delivery).where(Delivery.integration_id == integration_id, Delivery.dedupe_key == key)
    return session.exec(query).first()


def list_deliveries(
    session: Session,
    *,
    integration_id: str,
    result: DeliveryResult | None,
    limit: int,
    start_after: tuple[datetime, str] | None,
) -> Sequence[Delivery]:
    """Newest first."""
    query = select(Delivery).where(Delivery.integration_id == integration_id)
    if result is not None:
        query = query.where(Delivery.result == result)
    if start_after is not None:
        query = query.where(after([col(Delivery.received_at), col(Delivery.id)], start_after, descending=True))
    order = (col(Delivery.received_at).desc(), col(Delivery.id).desc())
    return session.exec(query.order_by(*order).limit(limit + 1)).all()


def list_unmatched(session: Session, *, integration_id: str, application_id: str) -> Sequence[Delivery]:
    """The application's deliveries that wait for an interview, in order of receipt, locked."""
    query = select(Delivery).where(
        Delivery.integration_id == integration_id,
        Delivery.application_id == application_id,
        Delivery.result == DeliveryResult.UNMATCHED,
    )
    order = (col(Delivery.received_at), col(Delivery.id))
    return session.exec(query.order_by(*order).with_for_update()).all()
