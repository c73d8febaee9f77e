from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.core.pagination import after
from app.interviews.models import Interview
from app.webhooks_out.models import (
    AttemptState,
    DeliveryStatus,
    FollowUpNotice,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def get_endpoint(
    session: Session, *, user_id: str, endpoint_id: str, for_update: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def list_endpoints_page(
    session: Session, *, user_id: str, limit: int, start_after: tuple[datetime, str] | None
) -> Sequence[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id)
    if start_after is not None:
        query = query.where(after([col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)], start_after))
    return session.exec(query.order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)).limit(limit + 1)).all()


def list_enabled_endpoints(session: Session, *, user_id: str) -> Sequence[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id, col(WebhookEndpoint.enabled).is_(True))
    return session.exec(query.order_by(col(WebhookEndpoint.created_at))).all()


def add(session: Session, *, row: WebhookEndpoint | WebhookDelivery | WebhookAttempt | FollowUpNotice) -> None:
    session.add(row)
    session.flush()


def delete_endpoint(session: Session, *, endpoint: WebhookEndpoint) -> None:
    session.delete(endpoint)
    session.flush()


def fail_pending(session: Session, *, endpoint_id: str) -> None:
    """Stop every planned attempt to the endpoint (it was disabled)."""
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.status) == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, next_attempt_at=None, locked_until=None)
    )


def list_deliveries_page(
    session: Session,
    *,
    endpoint_id: str,
    status: DeliveryStatus | None,
    limit: int,
    start_before: tuple[datetime, str] | None,
) -> Sequence[WebhookDelivery]:
    """The endpoint's deliveries, newest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if start_before is not None:
        query = query.where(
            after([col(WebhookDelivery.created_at), col(WebhookDelivery.id)], start_before, descending=True)
        )
    order = (col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc())
    return session.exec(query.order_by(*order).limit(limit + 1)).all()


def get_delivery(
    session: Session, *, endpoint_id: str, delivery_id: str, for_update: bool = False
) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def list_attempts(session: Session, *, delivery_ids: Sequence[str]) -> Sequence[WebhookAttempt]:
    query = select(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(delivery_ids))
    return session.exec(query.order_by(col(WebhookAttempt.attempted_at), col(WebhookAttempt.id))).all()


def claim_deliveries(
    session: Session, *, now: datetime, limit: int
) -> Sequence[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Deliveries whose attempt is due, to enabled endpoints, not leased to another worker.
    On Postgres, rows another worker is claiming right now are skipped, not waited for."""
    query = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(
            col(WebhookDelivery.next_attempt_at) <= now,
            or_(col(WebhookDelivery.locked_until).is_(None), col(WebhookDelivery.locked_until) <= now),
            col(WebhookEndpoint.enabled).is_(True),
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    return session.exec(query).all()


def mark_unsettled_unknown(session: Session, *, now: datetime) -> int:
    """Attempts still `sending` whose delivery is no longer leased: their worker died or
    overran its lease before recording the answer. Rows that a worker is settling right now
    are skipped, not waited for (its answer is better than `unknown`)."""
    query = (
        select(WebhookAttempt.id)
        .join(WebhookDelivery, col(WebhookDelivery.id) == col(WebhookAttempt.delivery_id))
        .where(
            col(WebhookAttempt.state) == AttemptState.SENDING,
            or_(col(WebhookDelivery.locked_until).is_(None), col(WebhookDelivery.locked_until) <= now),
        )
        .with_for_update(of=WebhookAttempt, skip_locked=True)
    )
    stale = session.exec(query).all()
    if stale:
        session.execute(
            update(WebhookAttempt).where(col(WebhookAttempt.id).in_(stale)).values(state=AttemptState.UNKNOWN)
        )
    return len(stale)


def get_attempt_for_record(session: Session, *, attempt_id: str) -> WebhookAttempt | None:
    return session.exec(select(WebhookAttempt).where(WebhookAttempt.id == attempt_id).with_for_update()).first()


def get_delivery_for_record(session: Session, *, delivery_id: str) -> WebhookDelivery | None:
    return session.exec(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()).first()


def get_endpoint_for_record(session: Session, *, endpoint_id: str) -> WebhookEndpoint | None:
    return session.exec(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).with_for_update()).first()


def claim_due_interviews(session: Session, *, now: datetime, limit: int) -> Sequence[Interview]:
    """Interviews whose stored action came due with no `follow_up.due` sent for it yet (the
    due_notice_at index). An action whose time ran out waits for the worker's refresh."""
    query = (
        select(Interview)
        .where(
            col(Interview.due_notice_at) <= now,
            or_(col(Interview.next_action_expires_at).is_(None), col(Interview.next_action_expires_at) > now),
        )
        .order_by(col(Interview.due_notice_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.exec(query).all()


def notice_exists(session: Session, *, interview_id: str, action: str, earliest_allowed_at: datetime) -> bool:
    query = select(FollowUpNotice).where(
        FollowUpNotice.interview_id == interview_id,
        FollowUpNotice.action == action,
        FollowUpNotice.earliest_allowed_at == earliest_allowed_at,
    )
    return session.exec(query).first() is not None
