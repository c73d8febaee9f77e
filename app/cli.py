"""The `followup` command (also `python -m app`)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.database import WRITE_OPTION, create_db_engine
from app.core.problems import AppError

LOCAL_EMAIL = "local@localhost"


class SchemaMissing(Exception):
    """The database was never migrated."""


@contextmanager
def _migrated_engine(settings: Settings) -> Iterator[Engine]:
    engine = create_db_engine(settings.model_copy(update={"thread_pool_size": 1}))
    try:
        # A database that was never migrated has no alembic_version table.
        if not inspect(engine).has_table("alembic_version"):
            raise SchemaMissing(make_url(settings.database_url).render_as_string(hide_password=True))
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _write_session(settings: Settings) -> Iterator[Session]:
    with (
        _migrated_engine(settings) as engine,
        Session(engine, expire_on_commit=False, execution_options={WRITE_OPTION: True}) as session,
    ):
        yield session


def users_create(email: str, settings: Settings) -> int:
    from app.auth import service as auth_service

    with _write_session(settings) as session:
        try:
            user, key = auth_service.create_user(session, email=email)
        except AppError as error:
            print(f"error: {error.detail}", file=sys.stderr)
            return 1
        session.commit()
    print(f"Created user {user.email} ({user.id}). Its API key, shown only this once:")
    print(key)
    return 0


def keys_create(email: str, settings: Settings) -> int:
    from app.auth import service as auth_service
    from app.users import service as user_service

    with _write_session(settings) as session:
        user = user_service.get_by_email(session, email=email)
        if user is None:
            print(f"error: no user with the email {email}", file=sys.stderr)
            return 1
        _, key = auth_service.create(session, user=user, name="cli")
        session.commit()
    print(f"New API key for {user.email}, shown only this once:")
    print(key)
    return 0


def local_user(settings: Settings) -> int:
    """For `make run`: create the local user and print its key the first time only."""
    from app.users import service as user_service

    with _write_session(settings) as session:
        exists = user_service.get_by_email(session, email=LOCAL_EMAIL) is not None
    if exists:
        print(f"The local user {LOCAL_EMAIL} exists; its API key was printed when it was created.")
        print(f"A new key: .venv/bin/followup keys create {LOCAL_EMAIL}")
        return 0
    print(f"Paste this key into Swagger UI ({_docs_url(settings)}, button Authorize),")
    print("or send it as the header `Authorization: Bearer <key>`.")
    return users_create(LOCAL_EMAIL, settings)


def mailboxes_rekey(settings: Settings) -> int:
    """After a key rotation: the mailbox passwords that only FOLLOWUP_SECRET_KEY_PREVIOUS
    reads, written again under FOLLOWUP_SECRET_KEY (docs/mail.md). Exits 1 when a password
    neither key reads is left (a wrong previous key, or one older than it)."""
    from app.mailboxes import service as mailbox_service

    with _migrated_engine(settings) as engine:
        try:
            found = mailbox_service.rekey(engine, settings)
        except mailbox_service.NoSecretKey as error:
            print(f"error: {error.detail}", file=sys.stderr)
            return 1
    print(
        f"{found.rekeyed} mailbox passwords written again under FOLLOWUP_SECRET_KEY, {found.current} under it already."
    )
    if found.unreadable:
        print(
            f"error: {len(found.unreadable)} mailbox passwords are read by neither FOLLOWUP_SECRET_KEY nor "
            "FOLLOWUP_SECRET_KEY_PREVIOUS; their users must give them again (PATCH): " + ", ".join(found.unreadable),
            file=sys.stderr,
        )
        return 1
    print("Nothing is left under the previous key: FOLLOWUP_SECRET_KEY_PREVIOUS can be removed.")
    return 0


def openapi() -> int:
    from app.main import create_app

    print(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False))
    return 0


def _docs_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}/docs"


def serve(settings: Settings) -> int:
    import uvicorn

    from app.core.observability import log_config

    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        # JSON lines for uvicorn's loggers and ours; the request line comes from the app
        # (app.core.observability), with the request id and the user.
        log_config=log_config(settings.log_level),
        access_log=False,
        proxy_headers=True,
        # httptools with deadlines and bounds on request lines and headers (app.core.protocol).
        http="app.core.protocol:BoundedHttpToolsProtocol",
        # SIGTERM: stop accepting, let the requests in flight finish (up to this long).
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
    )
    return 0


def worker(settings: Settings, *, once: bool = False) -> int:
    """Refresh stored next actions whose time ran out, emit follow-ups that came due and
    send webhook deliveries, every `worker_interval_seconds` (see app.worker)."""
    from app.core.observability import configure_logging
    from app.worker import PassReport, Worker

    configure_logging(settings.log_level)
    engine = create_db_engine(settings.model_copy(update={"thread_pool_size": 2}))
    runner = Worker(engine, settings)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        runner.stop()

    def report(done: PassReport) -> None:
        if done or once:
            print(done, flush=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if once:
            report(runner.run_once())
        else:
            runner.run(on_pass=report)
    finally:
        runner.close()
        engine.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="followup", description="The next follow-up action after an interview.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the HTTP API (FOLLOWUP_HOST, FOLLOWUP_PORT, FOLLOWUP_WORKERS)")
    worker_parser = commands.add_parser(
        "worker", help="refresh next actions whose time ran out, emit due follow-ups, send webhooks"
    )
    worker_parser.add_argument("--once", action="store_true", help="one pass, then exit")
    commands.add_parser("openapi", help="print the OpenAPI schema")
    users = commands.add_parser("users", help="manage users").add_subparsers(dest="users_command", required=True)
    users.add_parser("create", help="create a user; prints its API key on the last line").add_argument("email")
    users.add_parser("local", help="create the local user of `make run` the first time")
    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("create", help="a new API key for a user; printed on the last line").add_argument("email")
    mailboxes = commands.add_parser("mailboxes", help="connected IMAP mailboxes").add_subparsers(
        dest="mailboxes_command", required=True
    )
    mailboxes.add_parser(
        "rekey", help="write the passwords FOLLOWUP_SECRET_KEY_PREVIOUS encrypted again under FOLLOWUP_SECRET_KEY"
    )
    args = parser.parse_args(argv)

    if args.command == "openapi":
        return openapi()
    settings = get_settings()
    if args.command == "serve":
        return serve(settings)
    if args.command == "worker":
        return worker(settings, once=args.once)
    try:
        if args.command == "users":
            return users_create(args.email, settings) if args.users_command == "create" else local_user(settings)
        if args.command == "mailboxes":
            return mailboxes_rekey(settings)
        return keys_create(args.email, settings)
    except SchemaMissing as missing:
        print(
            f"error: the database {missing} has no tables yet; create them with `alembic upgrade head` "
            "(with the same DATABASE_URL), then run this again",
            file=sys.stderr,
        )
        return 1
