"""The unit of work: one SQLAlchemy session per request, committed when the route returns
and rolled back when it raises. Services and repositories never commit.

Every request's database work goes through `SessionDep`; work outside a request (the
worker, the command line) opens the same kind of session with `unit_of_work`.

Route functions are sync and run in AnyIO's thread pool. A request keeps its connection
from its first statement to the commit, which runs in a later hop to a worker thread. If
more requests held a connection than the pool has, a thread could wait for a connection
that belongs to a request waiting for a thread, and both pools would starve each other
until the pool timeout. So the connection pool has as many connections as the thread pool
has threads, and a request takes one of as many slots before its session opens; the
requests beyond that wait on the event loop, holding neither a thread nor a connection.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any, TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.core.config import Settings
from app.core.database import WRITE_OPTION, create_db_engine, is_sqlite
from app.core.problems import ServiceUnavailable

T = TypeVar("T")

# A GET that may write (one that creates what it reads on first use) sets this scope key
# with the `writes` dependency, before the session opens.
WRITES_SCOPE_KEY = "followup.writes"
# A unit of work that middleware opened around the request (see `RequestUnitOfWork`).
UNIT_OF_WORK_SCOPE_KEY = "followup.unit_of_work"

_LIMITERS: RunVar[WeakKeyDictionary[Database, dict[str, CapacityLimiter]]] = RunVar("followup_session_limiters")
# How long the database is taken to be away once a connection could not be opened (the
# Retry-After of the 503): the requests that wait for a slot meanwhile are answered at once.
UNAVAILABLE_SECONDS = 5.0
# How often a request waiting for a slot looks whether the database was found away.
CHECK_EVERY_SECONDS = 0.1
# Worker threads for lookups outside the requests' units of work, beside the slots' threads
# (the application's thread pool has thread_pool_size + LOOKUP_THREADS).
LOOKUP_THREADS = 4


class Database:
    """The engine, and the slots that let no more requests hold a session than the pool
    has connections. The application keeps one (`app.state.database`)."""

    def __init__(self, settings: Settings) -> None:
        self.engine: Engine = create_db_engine(settings)
        # Requests that only read, on Postgres: each statement on its own, without BEGIN and
        # COMMIT (two round trips fewer). At READ COMMITTED every statement sees a snapshot
        # of its own inside a transaction too, so a read sees nothing it would not have seen
        # there. SQLite keeps its transaction: it is what gives a read one snapshot.
        self.read_engine: Engine = (
            self.engine
            if is_sqlite(settings.database_url)
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.size = settings.thread_pool_size
        self.wait_seconds = settings.db_wait_seconds
        # Until then (monotonic time) the database is taken to be away: a connection that
        # could not be opened marks it, and the requests waiting for a slot meanwhile are
        # answered 503 at once instead of each finding out in turn. (A connection lost in
        # the middle of a request does not: the pool replaces it for the next ones.)
        self.unavailable_until = 0.0
        event.listen(self.engine, "handle_error", self._on_error)

    def slots(self) -> CapacityLimiter:
        return self._limiter("slots", self.size)

    def _limiter(self, name: str, size: int) -> CapacityLimiter:
        # AnyIO primitives belong to one event loop; the tests run several, one per client.
        per_loop = _LIMITERS.get(None)
        if per_loop is None:
            per_loop = WeakKeyDictionary()
            _LIMITERS.set(per_loop)
        limiters = per_loop.setdefault(self, {})
        if name not in limiters:
            limiters[name] = CapacityLimiter(size)
        return limiters[name]

    async def lookup(self, work: Callable[[Session], T], *, writes: bool = False) -> T:
        """A short read in a transaction of its own, before the request's unit of work
        (an API key's verification; with `writes`, the user an access token's first use
        creates): in one of `LOOKUP_THREADS` worker threads kept beside the slots' (so a
        lookup never takes a thread a slot holder needs), waited for like a slot."""
        lookups = self._limiter("lookups", LOOKUP_THREADS)
        await self._acquire(lookups)
        try:
            return await anyio.to_thread.run_sync(_read, self.engine, work, writes)
        finally:
            lookups.release()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of the slots (`_acquire`)."""
        slots = self.slots()
        await self._acquire(slots)
        try:
            yield
        finally:
            slots.release()

    def _on_error(self, context: ExceptionContext) -> None:
        if context.connection is None:  # while opening a connection
            self.unavailable_until = time.monotonic() + UNAVAILABLE_SECONDS

    async def _acquire(self, limiter: CapacityLimiter) -> None:
        """A place in `limiter`, waited for while the requests ahead of this one use the
        database (up to `wait_seconds` under load), but not while it is away: once a
        connection could not be opened, every request still waiting is answered 503. A
        request that finds a place free tries the database all the same, so the first
        one after the database is back is served."""
        try:
            # A free place is taken at once, without the timer below (most requests).
            limiter.acquire_nowait()
            return
        except anyio.WouldBlock:
            pass
        deadline = time.monotonic() + self.wait_seconds
        waited = False
        while True:
            with anyio.move_on_after(CHECK_EVERY_SECONDS):
                await limiter.acquire()
                if waited and time.monotonic() < self.unavailable_until:
                    limiter.release()
                    raise ServiceUnavailable("The database is unavailable; retry shortly.")
                return
            waited = True
            if time.monotonic() < self.unavailable_until:
                raise ServiceUnavailable("The database is unavailable; retry shortly.")
            if time.monotonic() >= deadline:
                raise ServiceUnavailable("The service is busy; retry shortly.")

    def dispose(self) -> None:
        self.engine.dispose()


def _read(engine: Engine, work: Callable[[Session], T], writes: bool = False) -> T:
    with unit_of_work(engine, writes=writes) as session:
        return work(session)


def _new_session(engine: Engine, *, writes: bool) -> Session:
    return Session(engine, expire_on_commit=False, execution_options={WRITE_OPTION: writes})


@contextmanager
def unit_of_work(engine: Engine, *, writes: bool) -> Iterator[Session]:
    """A session whose transaction commits when the block ends and rolls back when it
    raises."""
    session = _new_session(engine, writes=writes)
    try:
        yield session
    except BaseException:
        _rollback_and_close(session)
        raise
    _commit_and_close(session)


class RequestUnitOfWork:
    """A unit of work opened by middleware around a request, for middleware that must
    write in the request's transaction after the route has answered (the idempotency
    middleware keeps the answer with its key). The request's `SessionDep` is this
    session; the middleware commits it, unless the route raised (`failed`)."""

    def __init__(self, database: Database) -> None:
        self.session = _new_session(database.engine, writes=True)
        self.failed = False

    def adopt(self, scope: MutableMapping[str, Any]) -> None:
        scope[UNIT_OF_WORK_SCOPE_KEY] = self

    async def run(self, work: Callable[[Session], T]) -> T:
        return await anyio.to_thread.run_sync(work, self.session)

    async def commit(self) -> None:
        await anyio.to_thread.run_sync(_commit_and_close, self.session)

    async def rollback(self) -> None:
        await anyio.to_thread.run_sync(_rollback_and_close, self.session)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The unit of work of one request."""
    owned: RequestUnitOfWork | None = request.scope.get(UNIT_OF_WORK_SCOPE_KEY)
    if owned is not None:
        try:
            yield owned.session
        except BaseException:
            owned.failed = True
            raise
        return
    writes = request.method not in ("GET", "HEAD", "OPTIONS") or request.scope.get(WRITES_SCOPE_KEY, False)
    database: Database = request.app.state.database
    async with database.slot():
        session = _new_session(database.engine if writes else database.read_engine, writes=writes)
        try:
            yield session
        except BaseException:
            await anyio.to_thread.run_sync(_rollback_and_close, session)
            raise
        if writes:
            await anyio.to_thread.run_sync(_commit_and_close, session)
        else:
            # A read ends without a round trip: on Postgres its statements ran in autocommit
            # (nothing to commit, nothing to roll back when the connection goes back to the
            # pool), on SQLite its COMMIT only ends a local read snapshot. A hop to a worker
            # thread would cost more than the call.
            _commit_and_close(session)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        _rollback_and_close(session)
        raise
    session.close()


def _rollback_and_close(session: Session) -> None:
    try:
        session.rollback()
    except SQLAlchemyError:
        # The connection is already gone (the database went away): nothing to undo, and
        # the error that brought us here is the one to report.
        pass
    finally:
        session.close()


def writes(request: Request) -> None:
    request.scope[WRITES_SCOPE_KEY] = True


# scope="function": commit before the response is sent, so a failed commit is never
# reported to the client as a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
