"""Sending deliveries: claim with a lease and write the attempt, send outside any
transaction, settle the attempt with its outcome and plan the next one (the schedule,
jitter and endpoint health of Svix)."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlmodel import Session
from standardwebhooks import Webhook

from app.core.columns import utcnow
from app.webhooks_out import repository
from app.webhooks_out.models import AttemptState, DeliveryStatus, DisabledReason, WebhookAttempt, WebhookEndpoint
from app.webhooks_out.ssrf import UnsafeUrl, check_url

# Waits after attempts 1 to 7; the 8th attempt is the last (about 27.6 hours in all).
RETRY_SCHEDULE = tuple(timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600))
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.2  # each wait is spread over ±20% so that retries after an outage do not arrive together
OVERLOAD_WAIT = timedelta(seconds=60)  # at least this after a timeout or a 429
RESPONSE_EXCERPT = 1000
USER_AGENT = "followup-webhooks/1.0"


def retry_delay(
    attempts_made: int, *, jitter: float, retry_after: timedelta | None = None, overloaded: bool = False
) -> timedelta | None:
    """The wait before the next scheduled attempt, None when the schedule is exhausted.

    `jitter` is in [-1, 1]. A `Retry-After` the endpoint asked for is honoured within
    [the scheduled wait, twice the scheduled wait]."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = RETRY_SCHEDULE[attempts_made - 1] * (1 + JITTER * jitter)
    if overloaded:
        delay = max(delay, OVERLOAD_WAIT)
    if retry_after is not None:
        delay = min(max(retry_after, delay), 2 * delay)
    return delay


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """`Retry-After` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


def active_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    previous = endpoint.previous_secret
    expires = endpoint.previous_secret_expires_at
    if previous is not None and expires is not None and expires > now:
        return (endpoint.secret, previous)
    return (endpoint.secret,)


def signature_header(secrets: Sequence[str], *, message_id: str, timestamp: datetime, payload: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per active secret, space separated."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, payload) for secret in secrets)


@dataclass(frozen=True)
class Claim:
    """A delivery a worker leased, with what it needs to send it without the database."""

    delivery_id: str
    attempt_id: str
    leased_until: datetime
    endpoint_id: str
    url: str
    message_id: str
    payload: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int
    response_body: str | None = None
    retry_after: timedelta | None = None
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def overloaded(self) -> bool:
        return self.timed_out or self.status_code == 429


def claim(session: Session, *, now: datetime, limit: int, lease: timedelta) -> list[Claim]:
    """Lease up to `limit` due deliveries to this worker until now + lease, and write their
    attempts as `sending`. The caller commits before sending, so no transaction stays open
    during the HTTP calls, and every request sent has its attempt on record: a worker that
    dies leaves rows that another one claims once the lease has run out, after marking the
    dead worker's attempts `unknown`."""
    repository.mark_unsettled_unknown(session, now=now)
    claims = []
    for delivery, endpoint in repository.claim_deliveries(session, now=now, limit=limit):
        # A delivery off its schedule (succeeded or failed) is due again only by a retry by hand.
        manual = delivery.status != DeliveryStatus.PENDING
        attempt = WebhookAttempt(delivery_id=delivery.id, attempted_at=now, manual=manual, state=AttemptState.SENDING)
        session.add(attempt)
        leased_until = now + lease
        delivery.locked_until = leased_until
        delivery.last_attempt_at = now
        session.add(delivery)
        claims.append(
            Claim(
                delivery_id=delivery.id,
                attempt_id=attempt.id,
                leased_until=leased_until,
                endpoint_id=endpoint.id,
                url=endpoint.url,
                message_id=delivery.message_id,
                payload=delivery.payload,
                secrets=active_secrets(endpoint, now),
            )
        )
    session.flush()
    return claims


def send(client: httpx.Client, claim: Claim, *, allow_private: bool) -> Outcome:
    """One attempt. The signature's timestamp is the wall clock: receivers check it
    against theirs."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        check_url(claim.url, allow_private=allow_private, resolve_host=False)
    except UnsafeUrl as error:
        return Outcome(status_code=None, error=f"refused: {error}", duration_ms=0)
    sent_at = utcnow()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": claim.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature_header(
            claim.secrets, message_id=claim.message_id, timestamp=sent_at, payload=claim.payload
        ),
    }
    try:
        with client.stream("POST", claim.url, content=claim.payload.encode(), headers=headers) as response:
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= RESPONSE_EXCERPT:
                    break
    except httpx.TimeoutException as error:
        return Outcome(
            status_code=None, error=f"timed out ({type(error).__name__})", duration_ms=elapsed(), timed_out=True
        )
    except httpx.HTTPError as error:
        return Outcome(status_code=None, error=(str(error) or type(error).__name__)[:500], duration_ms=elapsed())
    status = response.status_code
    error_text = None
    if response.is_redirect:
        error_text = f"redirect ({status}) to {response.headers.get('location', '?')} not followed"[:500]
    elif not 200 <= status < 300:
        error_text = f"HTTP {status}"
    return Outcome(
        status_code=status,
        error=error_text,
        duration_ms=elapsed(),
        response_body=excerpt[:RESPONSE_EXCERPT].decode("utf-8", errors="replace") or None,
        retry_after=parse_retry_after(response.headers.get("retry-after"), now=sent_at),
    )


def record(
    session: Session,
    claim: Claim,
    outcome: Outcome,
    *,
    attempted_at: datetime,
    jitter: float,
    disable_after: timedelta,
) -> None:
    """Settle the attempt with its outcome, plan the next one, and keep the endpoint's
    health: a success clears its failure clock; 410 Gone, or failures only for
    `disable_after`, disable it."""
    # The endpoint first, then the delivery: the order in which disabling an endpoint locks
    # them, so that the two never wait for each other. The attempt last: the sweep that
    # marks attempts `unknown` skips locked ones and waits for nothing.
    endpoint = repository.get_endpoint_for_record(session, endpoint_id=claim.endpoint_id)
    delivery = repository.get_delivery_for_record(session, delivery_id=claim.delivery_id)
    attempt = repository.get_attempt_for_record(session, attempt_id=claim.attempt_id)
    if endpoint is None or delivery is None or attempt is None:
        return  # the endpoint was deleted meanwhile, with its deliveries and attempts
    # Read again: the endpoint may have been disabled (and this delivery failed) meanwhile,
    # or this worker overran its lease and another one took the delivery over. Either way
    # its plan is no longer this worker's to make: only a success is news.
    leased = delivery.locked_until == claim.leased_until
    scheduled = leased and delivery.status == DeliveryStatus.PENDING
    disabled_reason = None
    if outcome.succeeded:
        endpoint.failing_since = None
    else:
        endpoint.failing_since = endpoint.failing_since or attempted_at
        if endpoint.enabled and outcome.status_code == 410:
            disabled_reason = DisabledReason.GONE
        elif endpoint.enabled and attempted_at - endpoint.failing_since >= disable_after:
            disabled_reason = DisabledReason.FAILING
    next_attempt_at: datetime | None = None
    if scheduled:
        delivery.attempt_count += 1
    if outcome.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
    elif scheduled:
        delay = None
        if disabled_reason is None:
            delay = retry_delay(
                delivery.attempt_count, jitter=jitter, retry_after=outcome.retry_after, overloaded=outcome.overloaded
            )
        if delay is None:
            delivery.status = DeliveryStatus.FAILED
        else:
            next_attempt_at = attempted_at + delay
    if leased or outcome.succeeded:
        delivery.next_attempt_at = next_attempt_at
    if leased:
        delivery.locked_until = None
    session.add(delivery)
    # Settled even when a sweep marked it `unknown` because this worker overran its lease:
    # the answer is known after all.
    attempt.state = AttemptState.SETTLED
    attempt.status_code = outcome.status_code
    attempt.error = outcome.error
    attempt.response_body = outcome.response_body
    attempt.duration_ms = outcome.duration_ms
    attempt.next_attempt_at = next_attempt_at
    session.add(attempt)
    if disabled_reason is not None:
        disable(session, endpoint=endpoint, reason=disabled_reason, now=attempted_at)
    session.add(endpoint)
    session.flush()


def disable(session: Session, *, endpoint: WebhookEndpoint, reason: DisabledReason, now: datetime) -> None:
    """Stop sending to the endpoint; its planned attempts fail (each can be retried by hand
    once it is enabled again)."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    endpoint.updated_at = now
    session.add(endpoint)
    session.flush()
    repository.fail_pending(session, endpoint_id=endpoint.id)
