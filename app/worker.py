"""The worker: refreshes stored next actions whose time ran out, emits `follow_up.due` for
actions that came due, sends pending webhook deliveries, syncs the connected IMAP mailboxes
whose time came, and deletes expired idempotency keys.

Any number of workers may run against Postgres: each claims rows with FOR UPDATE SKIP
LOCKED, leases deliveries and writes their attempts before sending them, outside any
transaction, then settles each attempt with its outcome. Delivery is at least once: a worker
killed mid-send leaves its leased rows to the next worker once the lease runs out, and its
attempts in the history as `unknown`. With SQLite the API process runs one in a thread
(`EmbeddedWorker`).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core.columns import utcnow
from app.core.config import Settings
from app.core.session import unit_of_work
from app.idempotency import service as idempotency_service
from app.mail import service as mail_service
from app.mailboxes import sync as mailbox_sync
from app.nextaction import refresh
from app.webhooks_out import delivery, outbox
from app.webhooks_out.due import emit_due
from app.webhooks_out.ssrf import guarded_client

logger = logging.getLogger("followup.worker")

BATCH_SIZE = 100
# A pass stops claiming after this many rounds, so that it ends even under a steady flow.
MAX_DELIVERY_ROUNDS = 50
# Mailboxes synced per pass: the others wait for the next pass, so that slow IMAP servers
# hold up the deliveries for a bounded time.
MAILBOXES_PER_PASS = 10


def random_jitter() -> float:
    return random.uniform(-1.0, 1.0)  # noqa: S311 - spreads retries; not a secret


@dataclass(frozen=True)
class PassReport:
    refreshed: int = 0
    due: int = 0
    attempted: int = 0
    mailboxes: int = 0

    def __str__(self) -> str:
        return (
            f"refreshed {self.refreshed} next actions, {self.due} follow-ups came due, "
            f"{self.attempted} deliveries attempted, {self.mailboxes} mailboxes synced"
        )

    def __bool__(self) -> bool:
        return bool(self.refreshed or self.due or self.attempted or self.mailboxes)


class Worker:
    """One worker. `clock` and `jitter` are injectable so that tests can drive the retry
    schedule without waiting for it."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = random_jitter,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.jitter = jitter
        # One HTTP client per sending thread. A connection pool shared by the threads closes
        # a keep-alive connection whose time ran out while another thread has just taken it
        # for a request: that send fails (EBADF), possibly after the receiver had it, and the
        # message goes out again at the next attempt.
        self.clients: list[httpx.Client] = []
        self.thread_client = threading.local()
        self.senders = ThreadPoolExecutor(settings.webhooks_concurrency, thread_name_prefix="followup-webhooks")
        # Set to stop: the current round of sends finishes, nothing new is claimed.
        self.stopping = threading.Event()

    def close(self) -> None:
        self.senders.shutdown(wait=True)
        for client in self.clients:
            client.close()

    def send(self, claim: delivery.Claim) -> delivery.Outcome:
        """One attempt, with the calling thread's client."""
        client: httpx.Client | None = getattr(self.thread_client, "client", None)
        if client is None:
            client = guarded_client(
                allow_private=self.settings.webhooks_allow_private, timeout=self.settings.webhooks_timeout_seconds
            )
            self.thread_client.client = client
            self.clients.append(client)  # list.append is atomic; close() runs after the senders stop
        return delivery.send(client, claim, allow_private=self.settings.webhooks_allow_private)

    def _transaction(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.engine, writes=True)

    def run_once(self) -> PassReport:
        """One pass; returns what it did."""
        with self._transaction() as session:
            refreshed = refresh.refresh_expired(session, batch_size=BATCH_SIZE)
            idempotency_service.purge_expired(session, now=self.clock())
            mail_service.forget_unmatched(session, now=self.clock(), days=self.settings.mail_unmatched_days)
        due = 0
        while True:
            with self._transaction() as session:
                found = emit_due(session, now=self.clock(), limit=BATCH_SIZE)
            due += found
            if found < BATCH_SIZE:
                break
        attempted = self.deliver()
        return PassReport(refreshed=refreshed, due=due, attempted=attempted, mailboxes=self.sync_mailboxes())

    def sync_mailboxes(self) -> int:
        """Sync the connected mailboxes whose time came, each under a lease (one worker at a
        time per mailbox), at most `MAILBOXES_PER_PASS` per pass: the pass waits for them."""
        with self._transaction() as session:
            claims = mailbox_sync.claim(session, now=self.clock(), limit=MAILBOXES_PER_PASS, settings=self.settings)
        synced = 0
        for claim in claims:
            if self.stopping.is_set():  # handed back at once, not left to its lease
                with self._transaction() as session:
                    mailbox_sync.release(session, claim)
                continue
            mailbox_sync.run(self.engine, claim, settings=self.settings, clock=self.clock, jitter=self.jitter())
            synced += 1
        return synced

    def deliver(self) -> int:
        """Send every delivery due now, in rounds of `webhooks_concurrency` parallel sends."""
        lease = timedelta(seconds=self.settings.webhooks_lease_seconds)
        disable_after = timedelta(hours=self.settings.webhooks_disable_after_hours)
        attempted = 0
        for _ in range(MAX_DELIVERY_ROUNDS):
            if self.stopping.is_set():
                break
            attempted_at = self.clock()
            with self._transaction() as session:
                claims = delivery.claim(
                    session, now=attempted_at, limit=self.settings.webhooks_concurrency, lease=lease
                )
            if not claims:
                break
            sending = {self.senders.submit(self.send, claim): claim for claim in claims}
            for done in as_completed(sending):
                with self._transaction() as session:
                    delivery.record(
                        session,
                        sending[done],
                        done.result(),
                        attempted_at=attempted_at,
                        jitter=self.jitter(),
                        disable_after=disable_after,
                    )
                attempted += 1
        return attempted

    def stop(self) -> None:
        """Finish the current round of sends, claim nothing new, and return from `run`."""
        self.stopping.set()
        outbox.work_committed.set()

    def run(self, on_pass: Callable[[PassReport], None] | None = None) -> None:
        """Pass after pass until `stop()`, pausing `worker_interval_seconds` between passes,
        or less when this process commits work for now. A failed pass is logged and the
        next one tries again."""
        while not self.stopping.is_set():
            try:
                report = self.run_once()
            except Exception:
                logger.exception("worker pass failed")
            else:
                if on_pass is not None:
                    on_pass(report)
            if outbox.work_committed.wait(self.settings.worker_interval_seconds):
                outbox.work_committed.clear()


class EmbeddedWorker:
    """A worker in a thread of the API process (the SQLite default), started and stopped
    with the app."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.worker = Worker(engine, settings)
        self.thread = threading.Thread(target=self.worker.run, name="followup-worker", daemon=True)

    def start(self) -> EmbeddedWorker:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(timeout=self.worker.settings.webhooks_timeout_seconds * 3 + 5)
        self.worker.close()
