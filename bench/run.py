"""`make bench`: the service's figures as ratios against a bare FastAPI endpoint.

Run from the repository root (`make bench`, or `.venv/bin/python -m bench.run`):

    python -m bench.run [--duration 5] [--rounds 3] [--backends sqlite,postgres]
                        [--only P1,P3,M1] [--big 100000] [--output docs/benchmarks.md]

For each backend it migrates a fresh database, seeds it through the service's own code,
starts `followup serve` (as the README does, settings from the environment, on a free
port), the bare app (`bench.bare_app`) and the stack app (`bench.stack_app`) with uvicorn
and the same worker count, checks that every load it is about to send is answered with a
2xx, then loads them with wrk from this second process, taking turns between the bare
endpoints and the measured one, several rounds, and reports medians.

The mail figures: M1 times the classifier in process (bench/mail_bench.py, in a process
of its own); M2 posts a new raw message on every request (wrk's script numbers each
Message-ID) from one of the mail user's recruiters, so that each is matched and applied;
M3 posts one message again and again: the duplicate path.

Every ratio and goal is against `/bare`, FastAPI's fastest plain endpoint (an `async def`
route); `/bare/sync`, the same endpoint run in the thread pool, is an extra column. A
figure whose run had non-2xx answers or socket errors misses its goal, whatever its speed.

It writes `docs/benchmarks.md` (or `--output`), keeping the notes below `NOTES_MARKER`; it
exits non-zero only when it could not run (a slow figure is reported, never failed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.oidc_issuer import AUDIENCE as OIDC_AUDIENCE
from bench.oidc_issuer import local_issuer

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_SERVER = os.environ.get("FOLLOWUP_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BIG = 100_000
SMALL = 1_000
SEEDED_BY_SERVICE = 1_000  # interviews per user created by the service itself; the rest are copies
CONNECTIONS = 16
# wrk's own default, written out: an answer slower than this counts as a socket error.
WRK_TIMEOUT = "2s"
WARM_UP_SECONDS = 2
EVENTS_PER_INTERVIEW = 5
AGENDA_PAGE = 20  # P2 asks for one page of this many items
MAIL_INTERVIEWS = 20  # the mail user's interviews, one recruiter each; M2's messages come from each in turn
# What wrk's script writes into the body of each request of a numbered load (Load.cycle):
# a number no other request of the run has, and that number modulo the cycle.
MESSAGE_NUMBER, TURN = "{{n}}", "{{i}}"
MAIL_PATH = "/v1/mail/messages"
MAIL_SIZE = 5_000  # bytes of the message M2 and M3 post
NOTES_MARKER = "<!-- notes: kept by make bench -->"


# -- wrk output -------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    requests_per_second: float
    p99_ms: float
    non_2xx: int = 0  # wrk's "Non-2xx or 3xx responses"
    socket_errors: int = 0  # connect, read, write and timeout errors

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


def parse_duration_ms(text: str) -> float:
    """`812.00us`, `1.23ms`, `2.00s` -> milliseconds."""
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """The throughput, p99 latency and errors of `wrk --latency` output."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
    if rps is None or p99 is None:
        raise ValueError("no Requests/sec or 99% line in the wrk output:\n" + output)
    non_2xx = re.search(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", output, re.MULTILINE)
    socket_errors = re.search(
        r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output, re.MULTILINE
    )
    return WrkResult(
        float(rps.group(1)),
        parse_duration_ms(p99.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def lua_string(text: str) -> str:
    """`text` as a Lua string literal: LuaJIT (wrk's Lua) reads decimal escapes but not JSON's
    ``\\u`` ones, so every byte beyond printable ASCII is written as one."""
    escaped = []
    for byte in text.encode():
        char = chr(byte)
        if char in '"\\':
            escaped.append("\\" + char)
        elif 32 <= byte < 127:
            escaped.append(char)
        else:
            escaped.append(f"\\{byte:03d}")
    return '"' + "".join(escaped) + '"'


def lua_script(
    *, headers: dict[str, str], method: str = "GET", body: str | None = None, paths: list[str], cycle: int = 0
) -> str:
    """A wrk script that sends `headers` and goes through `paths` in turn, one per request,
    starting again at the first after the last: every path gets its share of the load
    (wrk runs one thread, so one counter serves every connection).

    With a `cycle`, each request's body is `body` with MESSAGE_NUMBER replaced by a number
    no other request of any run has (this script's own random prefix and a counter) and
    TURN by the counter modulo `cycle`: every message is a new one."""
    if not paths:
        raise ValueError("a wrk script needs at least one path")
    lines = [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
    lines.append("local paths = {" + ", ".join(json.dumps(path) for path in paths) + "}")
    lines.append(f"local body = {lua_string(body) if body is not None else 'nil'}")
    lines.append("local turn = 0")
    if cycle:
        lines.append(f"local run = {json.dumps(uuid.uuid4().hex)}")
        lines.append("local sent = 0")
    lines.append("request = function()")
    lines.append("  turn = turn % #paths + 1")
    if cycle:
        # gsub answers the text and a count; the parentheses keep the text only.
        lines.append("  sent = sent + 1")
        lines.append(f'  local numbered = (body:gsub("{MESSAGE_NUMBER}", run .. "x" .. sent))')
        lines.append(f'  numbered = (numbered:gsub("{TURN}", tostring(sent % {cycle})))')
        lines.append(f"  return wrk.format({json.dumps(method)}, paths[turn], nil, numbered)")
    else:
        lines.append(f"  return wrk.format({json.dumps(method)}, paths[turn], nil, body)")
    lines.append("end")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Load:
    """What wrk sends to one server: the same request, but for its path, on every turn."""

    paths: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: str | None = None
    cycle: int = 0  # numbered bodies (lua_script)

    def script(self) -> str:
        return lua_script(headers=self.headers, method=self.method, body=self.body, paths=self.paths, cycle=self.cycle)

    def one_body(self) -> str | None:
        """A body as the script sends it: for a numbered load, a new number and the first turn."""
        if self.body is None or not self.cycle:
            return self.body
        return self.body.replace(MESSAGE_NUMBER, f"probe{uuid.uuid4().hex}").replace(TURN, "0")


def probe(base_url: str, load: Load) -> None:
    """Send the load's first and last requests once and refuse to go on unless both are
    answered with a 2xx: a figure measured on error answers would measure the errors."""
    for path in dict.fromkeys([load.paths[0], load.paths[-1]]):
        request = urllib.request.Request(  # noqa: S310 (a local http URL)
            base_url + path,
            data=body.encode() if (body := load.one_body()) is not None else None,
            headers=load.headers,
            method=load.method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (a local http URL)
                status = answer.status
                text = ""
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        if not 200 <= status < 300:
            raise RuntimeError(f"{load.method} {base_url}{path} answered {status}, not 2xx: {text[:2000]}")


# -- processes ------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing; install it with `apt-get install -y wrk` (as root)")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (a local http URL)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def server(
    command: list[str], env: dict[str, str], ready_url: str, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, its standard error (the JSON log lines) written to `log`, as a
    log collector would take it, rather than to a terminal."""
    stderr = log.open("ab") if log is not None else None
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=stderr)
    try:
        wait_until_up(ready_url, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if stderr is not None:
            stderr.close()


def peak_rss_mib(pid: int) -> float:
    """VmHWM: the peak resident set size of the process so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- seeding through the service ------------------------------------------------------------


@dataclass
class Seed:
    key_big: str
    key_small: str
    interview_id: str  # one of the small user's, with EVENTS_PER_INTERVIEW events
    event_targets: list[str]  # interviews that receive the POSTed events
    read_targets: list[str]  # interviews whose next action P1 reads (no events are POSTed to them)
    integration_id: str
    webhook_secret: str
    key_mail: str = ""  # the user of M2 and M3, with MAIL_INTERVIEWS interviews
    seconds: float = 0.0


def _interview_body(index: int, now: datetime) -> Any:
    from app.interviews.schemas import InterviewCreate

    return InterviewCreate.model_validate(
        {
            "company": f"Company {index}",
            "role_title": "Backend Engineer",
            "role_family": "engineering",
            # Spread over the last 60 days, so that the stored actions are of every kind.
            "interview_at": (now - timedelta(minutes=index * 97 % (60 * 24 * 60))).isoformat(),
            "timezone": "America/New_York",
            "contacts": [
                {"name": "Ana", "email": "ana@example.com", "role": "recruiter", "is_primary": True},
                {"name": "Ben", "email": "ben@example.com", "role": "hiring_manager"},
            ],
        }
    )


def mail_contact(index: int) -> tuple[str, str]:
    """The name and address of the recruiter of the mail user's interview `index`."""
    return f"Recruiter {index}", f"recruiter{index}@company{index}.example"


def _mail_interview_body(index: int, now: datetime) -> Any:
    from app.interviews.schemas import InterviewCreate

    name, email = mail_contact(index)
    return InterviewCreate.model_validate(
        {
            "company": f"Company {index}",
            "role_title": "Backend Engineer",
            "role_family": "engineering",
            "interview_at": (now - timedelta(days=2, hours=index)).isoformat(),
            "timezone": "America/New_York",
            "contacts": [{"name": name, "email": email, "role": "recruiter", "is_primary": True}],
        }
    )


def seed(database_url: str, big_count: int = BIG) -> Seed:
    """Users, interviews, events and an integration through the services (the code the
    API runs), in batches of one transaction each. The big user's interviews beyond the
    first SEEDED_BY_SERVICE are copies of those rows (interview, contacts, stored next
    action) under new ids: the same rows the API would write, at a fraction of the time."""
    from sqlalchemy import insert, select

    from app.auth import service as auth_service
    from app.contacts.models import Contact
    from app.core.config import Settings
    from app.core.database import create_db_engine
    from app.core.session import unit_of_work
    from app.events import service as event_service
    from app.events.schemas import event_create
    from app.integrations import service as integration_service
    from app.integrations.schemas import StandardIntegrationCreate
    from app.interviews import service as interview_service
    from app.interviews.models import Interview
    from app.nextaction import refresh

    started = time.monotonic()
    engine = create_db_engine(Settings(database_url=database_url, thread_pool_size=2))
    now = datetime.now(UTC)
    with unit_of_work(engine, writes=True) as session:
        big, key_big = auth_service.create_user(session, email="big@bench.example")
        small, key_small = auth_service.create_user(session, email="small@bench.example")
        mail_user, key_mail = auth_service.create_user(session, email="mail@bench.example")
        for index in range(MAIL_INTERVIEWS):
            interview_service.create(session, user=mail_user, body=_mail_interview_body(index, now))
        integration = integration_service.create(
            session,
            user=small,
            body=StandardIntegrationCreate.model_validate({"provider": "standard", "company": "Acme"}),
            webhook_url=lambda integration_id: f"http://bench/v1/webhooks/ats/{integration_id}",
        )
    ids: dict[str, list[str]] = {"big": [], "small": []}
    for name, user in (("big", big), ("small", small)):
        for batch in range(0, SEEDED_BY_SERVICE, 250):
            with unit_of_work(engine, writes=True) as session:
                for index in range(batch, batch + 250):
                    created = interview_service.create(session, user=user, body=_interview_body(index, now))
                    ids[name].append(created.body.id)
    targets = ids["small"][:200]
    with unit_of_work(engine, writes=True) as session:
        for interview_id in targets[:50]:
            for step in range(EVENTS_PER_INTERVIEW):
                event_service.create(
                    session,
                    user=small,
                    interview_id=interview_id,
                    body=event_create(type="note", occurred_at=(now - timedelta(hours=10 - step)).isoformat()),
                )
    # The copies: 99 of each of the big user's service-made rows, in one transaction per copy.
    with engine.connect() as connection:
        originals = [
            dict(row._mapping)
            for row in connection.execute(select(Interview.__table__).where(Interview.__table__.c.user_id == big.id))
        ]
        contacts = [
            dict(row._mapping)
            for row in connection.execute(
                select(Contact.__table__).where(Contact.__table__.c.interview_id.in_(ids["big"]))
            )
        ]
    by_interview: dict[str, list[dict[str, Any]]] = {}
    for contact in contacts:
        by_interview.setdefault(contact["interview_id"], []).append(contact)
    copies_per_row = (big_count - SEEDED_BY_SERVICE) // SEEDED_BY_SERVICE
    for _ in range(copies_per_row):
        interview_rows, contact_rows = [], []
        for original in originals:
            renamed = {original["id"]: str(uuid.uuid4())}
            for contact in by_interview.get(original["id"], []):
                renamed[contact["id"]] = str(uuid.uuid4())
            for contact in by_interview.get(original["id"], []):
                contact_rows.append(contact | {"id": renamed[contact["id"]], "interview_id": renamed[original["id"]]})
            result = json.dumps(original["next_action_result"])
            for old, new in renamed.items():
                result = result.replace(old, new)
            interview_rows.append(original | {"id": renamed[original["id"]], "next_action_result": json.loads(result)})
        with engine.begin() as connection:
            connection.execute(insert(Interview.__table__), interview_rows)
            connection.execute(insert(Contact.__table__), contact_rows)
    # In service the worker refreshes the stored actions whose time ran out (a thank-you
    # window that closed); it is off during the runs, so catch up once here, as it would
    # have. Otherwise every agenda request would compute those items afresh.
    while True:
        with unit_of_work(engine, writes=True) as session:
            if refresh.refresh_expired(session, batch_size=500) == 0:
                break
    engine.dispose()
    return Seed(
        key_big=key_big,
        key_small=key_small,
        interview_id=targets[0],
        event_targets=targets,
        read_targets=ids["small"][200:300],
        integration_id=integration.id,
        webhook_secret=integration.secret,
        key_mail=key_mail,
        seconds=time.monotonic() - started,
    )


def explain_agenda(database_url: str, user_email: str) -> str:
    """The plan of the agenda query (app.followups.repository.AGENDA) for the user."""
    from sqlalchemy import text
    from sqlmodel import Session, select

    from app.core.config import Settings
    from app.core.database import create_db_engine
    from app.followups import repository
    from app.users.models import User

    engine = create_db_engine(Settings(database_url=database_url, thread_pool_size=2))
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == user_email)).one()
        statement = repository.AGENDA[(False, False)].params(user_id=user.id, limit=21)
        sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
        if engine.dialect.name != "sqlite":
            session.execute(text("ANALYZE interviews"))
        rows = session.execute(text(prefix + sql)).all()
    engine.dispose()
    return "\n".join(" ".join(str(part) for part in row) for row in rows)


# -- webhook signing and the in-process verification cost ------------------------------------


def standard_headers(body: bytes, secret: str, message_id: str) -> dict[str, str]:
    from standardwebhooks.webhooks import Webhook

    timestamp = datetime.now(UTC)
    signature = Webhook(secret).sign(message_id, timestamp, body.decode())
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


def delivery_body() -> bytes:
    occurred = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    event = {"type": "note", "occurred_at": occurred}
    return json.dumps({"type": "interview.event", "data": {"application_id": "bench-1", "event": event}}).encode()


def event_create_body(now: datetime) -> dict[str, Any]:
    """The event P3 posts: a note of half an hour ago, put through the API's own schema
    (app.events.schemas.EventCreate) and checks, so that P3 times recorded events rather
    than refusals."""
    from app.events.schemas import event_create
    from app.events.service import validate

    body = {"type": "note", "occurred_at": (now - timedelta(minutes=30)).isoformat(), "note": "Bench note."}
    validate(event_create(**body), contact_ids=())
    return body


def verification_share(database_url: str, seed_: Seed, count: int = 400) -> dict[str, float]:
    """Time `integrations.service.receive` (what the webhook route runs in its thread) for
    `count` distinct signed deliveries with verification, and again with verification
    replaced by a function that only returns the key, in this process only."""
    from app.core.config import Settings
    from app.core.database import create_db_engine
    from app.core.session import unit_of_work
    from app.integrations import providers, service

    engine = create_db_engine(Settings(database_url=database_url, thread_pool_size=2))
    body = delivery_body()

    def run(tag: str) -> float:
        messages = [standard_headers(body, seed_.webhook_secret, f"msg_{tag}_{i}") for i in range(count)]
        started = time.perf_counter()
        for headers in messages:
            with unit_of_work(engine, writes=True) as session:
                service.receive(session, integration_id=seed_.integration_id, body=body, headers=headers)
        return (time.perf_counter() - started) / count

    verify = providers.verify
    verify_times = []
    for i in range(count):
        headers = standard_headers(body, seed_.webhook_secret, f"msg_v_{i}")
        started = time.perf_counter()
        verify(providers.Provider.STANDARD, body=body, headers=headers, secrets=[seed_.webhook_secret])
        verify_times.append(time.perf_counter() - started)
    with_verification, without = [], []

    def run_without(tag: str) -> float:
        providers.verify = lambda _provider, *, body, headers, secrets: headers["webhook-id"]  # type: ignore[assignment]
        try:
            return run(tag)
        finally:
            providers.verify = verify  # type: ignore[assignment]

    # Verification is a small share of a delivery, so the ratio is mostly the noise of the
    # database work: alternate which goes first (the inbox grows as they run) and take the
    # medians of 5 rounds.
    for round_ in range(5):
        if round_ % 2 == 0:
            with_verification.append(run(f"on{round_}"))
            without.append(run_without(f"off{round_}"))
        else:
            without.append(run_without(f"off{round_}"))
            with_verification.append(run(f"on{round_}"))
    engine.dispose()
    on, off = median(with_verification), median(without)
    return {
        "verify_us": median(verify_times) * 1e6,
        "with_ms": on * 1000,
        "without_ms": off * 1000,
        "ratio": off / on,
    }


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Pair:
    """One measured endpoint and its bare references, round by round: `bare` (the async
    route, every ratio's divisor) and `bare_sync` (the same route in the thread pool)."""

    name: str
    measured: list[WrkResult] = field(default_factory=list)
    bare: list[WrkResult] = field(default_factory=list)
    bare_sync: list[WrkResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return median([r.requests_per_second for r in self.measured])

    @property
    def p99(self) -> float:
        return median([r.p99_ms for r in self.measured])

    @property
    def bare_rps(self) -> float:
        return median([r.requests_per_second for r in self.bare])

    @property
    def bare_p99(self) -> float:
        return median([r.p99_ms for r in self.bare])

    @property
    def sync_rps(self) -> float:
        return median([r.requests_per_second for r in self.bare_sync])

    @property
    def ratio(self) -> float:
        return self.rps / self.bare_rps if self.measured and self.bare else float("nan")

    @property
    def sync_ratio(self) -> float:
        return self.rps / self.sync_rps if self.measured and self.bare_sync else float("nan")

    @property
    def p99_ratio(self) -> float:
        return self.p99 / self.bare_p99 if self.measured and self.bare else float("nan")

    @property
    def non_2xx(self) -> int:
        return sum(r.non_2xx for r in self.measured)

    @property
    def socket_errors(self) -> int:
        return sum(r.socket_errors for r in self.measured)

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors

    @property
    def bare_errors(self) -> int:
        return sum(r.errors for r in (*self.bare, *self.bare_sync))


class Wrk:
    def __init__(self, binary: str, workdir: Path, duration: int) -> None:
        self.binary, self.workdir, self.duration = binary, workdir, duration

    def run(self, base_url: str, script: str, seconds: int | None = None) -> WrkResult:
        path = self.workdir / f"{uuid.uuid4().hex}.lua"
        path.write_text(script)
        command = [
            self.binary,
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds or self.duration}s",
            f"--timeout={WRK_TIMEOUT}",
            "--latency",
            "-s",
            str(path),
            base_url,
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        return parse_wrk(output)


def create_database(backend: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"followup_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False), drop


def event_counts(database_url: str, interview_ids: list[str]) -> dict[str, int]:
    """How many events each of the interviews has."""
    from sqlalchemy import func, select

    from app.core.config import Settings
    from app.core.database import create_db_engine
    from app.events.models import Event

    engine = create_db_engine(Settings(database_url=database_url, thread_pool_size=1))
    table = Event.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.interview_id, func.count())
            .where(table.c.interview_id.in_(interview_ids))
            .group_by(table.c.interview_id)
        ).all()
    engine.dispose()
    counts = dict.fromkeys(interview_ids, 0)
    for interview_id, count in rows:
        counts[interview_id] = count
    return counts


@dataclass
class MailCounts:
    """What the mail user's posts left recorded: by M2 (every message another) and by M3
    (one message, `repeated`, posted again and again). Warm-ups and probes included."""

    new_applied: int = 0
    new_duplicates: int = 0  # M2's messages recorded as a duplicate: none unless an id came twice
    repeated_applied: int = 0
    repeated_duplicates: int = 0
    other: dict[str, int] = field(default_factory=dict)  # any other outcome (unmatched, ignored)


def mail_outcomes(database_url: str, user_email: str, repeated: str) -> MailCounts:
    """The user's recorded messages by outcome, M3's message (Message-ID `repeated`) apart."""
    from sqlalchemy import func, select

    from app.core.config import Settings
    from app.core.database import create_db_engine
    from app.mail.models import MailMessage
    from app.users.models import User

    engine = create_db_engine(Settings(database_url=database_url, thread_pool_size=1))
    messages, users = MailMessage.__table__, User.__table__  # type: ignore[attr-defined]
    is_repeated = messages.c.message_id == repeated
    with engine.connect() as connection:
        rows = connection.execute(
            select(messages.c.outcome, is_repeated, func.count())
            .join(users, users.c.id == messages.c.user_id)
            .where(users.c.email == user_email)
            .group_by(messages.c.outcome, is_repeated)
        ).all()
    engine.dispose()
    counts = MailCounts()
    for outcome, repeated_one, count in rows:
        if outcome == "applied":
            counts.repeated_applied += count if repeated_one else 0
            counts.new_applied += 0 if repeated_one else count
        elif outcome == "duplicate":
            counts.repeated_duplicates += count if repeated_one else 0
            counts.new_duplicates += 0 if repeated_one else count
        else:
            counts.other[str(outcome)] = counts.other.get(str(outcome), 0) + count
    return counts


@dataclass
class Spread:
    """How the events P3 posted fell on the interviews it aimed at."""

    targets: int
    hit: int  # interviews that received at least one
    fewest: int
    most: int

    @classmethod
    def of(cls, before: dict[str, int], after: dict[str, int]) -> Spread:
        received = [after[interview_id] - before.get(interview_id, 0) for interview_id in after]
        return cls(len(received), sum(1 for n in received if n > 0), min(received), max(received))


def durability(database_url: str) -> str:
    from sqlalchemy import text

    from app.core.config import Settings
    from app.core.database import create_db_engine

    engine = create_db_engine(Settings(database_url=database_url, thread_pool_size=1))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            text_ = f"journal_mode={mode}, synchronous={sync} (0 OFF, 1 NORMAL, 2 FULL)"
        else:
            fsync = connection.execute(text("SHOW fsync")).scalar()
            commit = connection.execute(text("SHOW synchronous_commit")).scalar()
            text_ = f"fsync={fsync}, synchronous_commit={commit}"
    engine.dispose()
    return text_


def bench_backend(
    backend: str, wrk: Wrk, rounds: int, workdir: Path, only: set[str] | None, big: int = BIG
) -> dict[str, Any]:
    database_url, drop = create_database(backend, workdir)
    try:
        env = os.environ | {
            "DATABASE_URL": database_url,
            "FOLLOWUP_WORKERS": "1",
            # The rate limit runs (it is part of the stack) but never refuses: every
            # connection of wrk uses the same API key.
            "FOLLOWUP_RATE_LIMIT_PER_MINUTE": "1000000000",
            # The embedded worker would spend the run catching up with the
            # seeded rows whose stored action has expired; it is measured apart.
            "FOLLOWUP_EMBEDDED_WORKER": "false",
        }
        subprocess.run(
            [str(BIN / "alembic"), "upgrade", "head"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        print(f"[{backend}] seeding {big:,} + {SMALL:,} interviews ...", flush=True)
        seeded = seed(database_url, big)
        print(f"[{backend}] seeded in {seeded.seconds:.0f} s", flush=True)
        result: dict[str, Any] = {"seed_seconds": seeded.seconds, "durability": durability(database_url)}
        result["explain"] = explain_agenda(database_url, "big@bench.example")
        result["big"] = big
        events_before = event_counts(database_url, seeded.event_targets)

        ports = {name: free_port() for name in ("api", "bare", "stack")}
        # As `followup serve` runs uvicorn (app.cli.serve): one worker, no access log.
        uvicorn = [
            str(BIN / "uvicorn"),
            "--host",
            "127.0.0.1",
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
            "--proxy-headers",
        ]
        with (
            local_issuer() as issuer,
            server(
                [str(BIN / "followup"), "serve"],
                env | {"FOLLOWUP_PORT": str(ports["api"])},
                f"http://127.0.0.1:{ports['api']}/healthz",
                workdir / f"api-{backend}.log",
            ) as api,
            server(
                [*uvicorn, "--port", str(ports["bare"]), "bench.bare_app:app"],
                env,
                f"http://127.0.0.1:{ports['bare']}/bare",
            ),
            server(
                [*uvicorn, "--port", str(ports["stack"]), "bench.stack_app:app"],
                # The stack app takes the local issuer's tokens besides API keys (P5 with a token).
                env | {"FOLLOWUP_OIDC_ISSUER": issuer.url, "FOLLOWUP_OIDC_AUDIENCE": OIDC_AUDIENCE},
                f"http://127.0.0.1:{ports['stack']}/healthz",
            ),
        ):
            api_url = f"http://127.0.0.1:{ports['api']}"
            bare_url = f"http://127.0.0.1:{ports['bare']}"
            stack_url = f"http://127.0.0.1:{ports['stack']}"
            auth_small = {"Authorization": f"Bearer {seeded.key_small}"}
            auth_token = {"Authorization": f"Bearer {issuer.token('bench-frontend-user')}"}
            auth_big = {"Authorization": f"Bearer {seeded.key_big}"}
            json_type = {"Content-Type": "application/json"}
            from bench.mail_bench import threaded_reply

            auth_mail = {"Authorization": f"Bearer {seeded.key_mail}", "Content-Type": "message/rfc822"}
            # A 5 KB threaded reply from one of the mail user's recruiters, sent ten minutes ago:
            # numbered, every request is a new message, matched by its sender's address.
            sent = format_datetime(datetime.now(UTC) - timedelta(minutes=10))
            recruiter = f"Recruiter {TURN} <recruiter{TURN}@company{TURN}.example>"
            new_mail = threaded_reply(
                MAIL_SIZE, sender=recruiter, message_id=f"<{MESSAGE_NUMBER}@mail.company.example>", date=sent
            ).decode("ascii")
            name, address = mail_contact(0)
            repeated_id = f"<again-{uuid.uuid4().hex}@company0.example>"
            same_mail = threaded_reply(
                MAIL_SIZE, sender=f"{name} <{address}>", message_id=repeated_id, date=sent
            ).decode("ascii")
            event_body = json.dumps(event_create_body(datetime.now(UTC)))
            # An explicit time: the answer is computed from the facts (the engine runs).
            at_param = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
            # The references: GETs for the GET figures, the event body POSTed for the POST ones.
            references = {
                "GET": (Load(paths=["/bare"]), Load(paths=["/bare/sync"])),
                "POST": (
                    Load(paths=["/bare"], headers=json_type, method="POST", body=event_body),
                    Load(paths=["/bare/sync"], headers=json_type, method="POST", body=event_body),
                ),
            }

            def signed() -> Load:
                body = delivery_body()
                headers = standard_headers(body, seeded.webhook_secret, f"msg_wrk_{uuid.uuid4().hex}")
                return Load(
                    paths=[f"/v1/webhooks/ats/{seeded.integration_id}"],
                    headers=headers,
                    method="POST",
                    body=body.decode(),
                )

            cases: list[tuple[str, str, Callable[[], Load]]] = [
                (
                    "P1 next-action",
                    api_url,
                    lambda: Load(
                        paths=[f"/v1/interviews/{i}/next-action" for i in seeded.read_targets], headers=auth_small
                    ),
                ),
                (
                    "P1 next-action ?at=",
                    api_url,
                    lambda: Load(
                        paths=[f"/v1/interviews/{i}/next-action?at={quote(at_param)}" for i in seeded.read_targets],
                        headers=auth_small,
                    ),
                ),
                (
                    "P2 agenda 1,000",
                    api_url,
                    lambda: Load(paths=[f"/v1/follow-ups?limit={AGENDA_PAGE}"], headers=auth_small),
                ),
                (
                    "P2 agenda 100,000",
                    api_url,
                    lambda: Load(paths=[f"/v1/follow-ups?limit={AGENDA_PAGE}"], headers=auth_big),
                ),
                (
                    "P3 POST events",
                    api_url,
                    lambda: Load(
                        paths=[f"/v1/interviews/{i}/events" for i in seeded.event_targets],
                        headers=auth_small | json_type,
                        method="POST",
                        body=event_body,
                    ),
                ),
                ("P4 signed webhook (repeat)", api_url, signed),
                (
                    "P5 stack, trivial authenticated route",
                    stack_url,
                    lambda: Load(paths=["/bench/trivial"], headers=auth_small),
                ),
                (
                    "P5 stack, trivial route with a token",
                    stack_url,
                    lambda: Load(paths=["/bench/trivial"], headers=auth_token),
                ),
                ("P5 stack, /healthz (no auth)", stack_url, lambda: Load(paths=["/healthz"])),
                (
                    "M2 POST mail, new messages",
                    api_url,
                    lambda: Load(
                        paths=[MAIL_PATH], headers=auth_mail, method="POST", body=new_mail, cycle=MAIL_INTERVIEWS
                    ),
                ),
                (
                    "M3 POST mail, duplicates",
                    api_url,
                    lambda: Load(paths=[MAIL_PATH], headers=auth_mail, method="POST", body=same_mail),
                ),
            ]
            cases = [case for case in cases if not only or any(case[0].startswith(prefix) for prefix in only)]
            pairs = {name: Pair(name) for name, *_ in cases}
            # Every load is answered with a 2xx before anything is timed, and both servers
            # are warmed up (imports on first use, caches, the holiday tables, the
            # connection pools) before anything is recorded.
            used = {load_factory().method for _, _, load_factory in cases}
            for method in sorted(used):
                for reference in references[method]:
                    probe(bare_url, reference)
                    wrk.run(bare_url, reference.script(), seconds=WARM_UP_SECONDS)
            for _, url, load_factory in cases:
                probe(url, load_factory())
                wrk.run(url, load_factory().script(), seconds=WARM_UP_SECONDS)
            for round_ in range(rounds):
                for name, url, load_factory in cases:
                    print(f"[{backend}] round {round_ + 1}/{rounds}: {name}", flush=True)
                    load = load_factory()
                    bare, bare_sync = references[load.method]
                    pair = pairs[name]
                    runs = [
                        (pair.measured, url, load),
                        (pair.bare, bare_url, bare),
                        (pair.bare_sync, bare_url, bare_sync),
                    ]
                    # Take turns at going first, so that none always gets the warmer machine.
                    shift = round_ % len(runs)
                    for results, base_url, what in runs[shift:] + runs[:shift]:
                        results.append(wrk.run(base_url, what.script()))
            result["rss_mib"] = peak_rss_mib(api.pid)
        result["pairs"] = pairs
        if "P3 POST events" in pairs:
            result["event_spread"] = Spread.of(events_before, event_counts(database_url, seeded.event_targets))
        result["verification"] = verification_share(database_url, seeded) if not only or "P4" in only else None
        if any(name.startswith("M") for name in pairs):
            result["mail_outcomes"] = mail_outcomes(database_url, "mail@bench.example", repeated_id)
        return result
    finally:
        drop()


def classification() -> tuple[list[dict[str, Any]] | None, str]:
    """bench/mail_bench.py's figures, measured in a process of its own."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "mail_bench.py"), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return json.loads(completed.stdout.strip().splitlines()[-1]), ""
    except (IndexError, json.JSONDecodeError):
        return None, completed.stdout + completed.stderr


def rules_ratio() -> tuple[float | None, str]:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "rules_bench.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"ratio 1,000 / 10 events: ([0-9.,]+)", completed.stdout)
    return (float(match.group(1).replace(",", "")) if match else None), completed.stdout + completed.stderr


# -- the report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def verdict(value: float, goal: float, *, at_least: bool = True, errors: int = 0) -> str:
    """`meets` or `misses` the goal; a run with non-2xx answers or socket errors misses,
    however fast: its figure times the errors too."""
    if errors:
        return "misses (errors)"
    if value != value:  # NaN
        return "n/a"
    ok = value >= goal if at_least else value <= goal
    return "meets" if ok else "misses"


# The goals, against the async bare endpoint: (at least or at most, value).
GOALS: dict[str, tuple[bool, float]] = {
    "P1 next-action": (True, 0.50),
    "P1 p99": (False, 4.0),
    "P1 next-action ?at=": (True, 0.20),
    "P2 agenda": (True, 0.25),
    "P2 growth": (False, 2.0),
    "P3 POST events": (True, 0.10),
    "P3 p99": (False, 8.0),
    "P4 verification": (True, 0.90),
    "P5 stack": (True, 0.65),
    "rules": (False, 150.0),
}

TABLE_HEAD = [
    "| figure | req/s | p99 ms | non-2xx | socket errors | bare req/s | bare p99 ms | ratio | goal | | "
    "bare_sync req/s | ratio to bare_sync |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|",
]


def goal_text(key: str) -> str:
    at_least, value = GOALS[key]
    return f"{'≥' if at_least else '≤'} {value:.2f}" if value < 1 else f"{'≥' if at_least else '≤'} {value:g}"


def judge(key: str, value: float, errors: int = 0) -> str:
    at_least, goal = GOALS[key]
    return verdict(value, goal, at_least=at_least, errors=errors)


def pair_row(name: str, pair: Pair, goal_key: str | None) -> str:
    """A measured figure: its throughput, p99 and errors, the async bare reference's, the
    ratio and its verdict, then the sync bare reference and the ratio to it."""
    goal, ok = "", ""
    if goal_key is not None:
        goal, ok = goal_text(goal_key), judge(goal_key, pair.ratio, pair.errors)
    elif pair.errors:
        ok = "errors"
    if pair.bare_errors:
        name += f" ({pair.bare_errors:,} errors in the bare runs)"
    return (
        f"| {name} | {pair.rps:,.0f} | {pair.p99:.1f} | {pair.non_2xx:,} | {pair.socket_errors:,} | "
        f"{pair.bare_rps:,.0f} | {pair.bare_p99:.1f} | {pair.ratio:.2f} | {goal} | {ok} | "
        f"{pair.sync_rps:,.0f} | {pair.sync_ratio:.2f} |"
    )


def derived_row(name: str, value: str, goal: str = "", ok: str = "") -> str:
    """A figure computed from others (a ratio of latencies, a count, a size)."""
    return f"| {name} | | | | | | | {value} | {goal} | {ok} | | |"


def backend_rows(result: dict[str, Any], rules: float | None) -> list[str]:
    """The table of one backend, the figures that were measured."""
    pairs: dict[str, Pair] = result["pairs"]
    lines = list(TABLE_HEAD)

    def measured(name: str) -> Pair | None:
        pair = pairs.get(name)
        return pair if pair is not None and pair.measured else None

    if p1 := measured("P1 next-action"):
        lines.append(pair_row("P1 next action, stored ÷ bare", p1, "P1 next-action"))
        lines.append(
            derived_row("P1 p99 ÷ bare p99", f"{p1.p99_ratio:.2f}", goal_text("P1 p99"), judge("P1 p99", p1.p99_ratio))
        )
    if p1_at := measured("P1 next-action ?at="):
        lines.append(
            pair_row("P1 next action with `?at=` (computed by the engine) ÷ bare", p1_at, "P1 next-action ?at=")
        )
    big_count = f"{result.get('big', BIG):,}"
    small, big = measured("P2 agenda 1,000"), measured("P2 agenda 100,000")
    for label, pair in ((f"{SMALL:,}", small), (big_count, big)):
        if pair is not None:
            lines.append(pair_row(f"P2 agenda, a page of {AGENDA_PAGE}, {label} interviews ÷ bare", pair, "P2 agenda"))
    if small is not None and big is not None:
        # At a fixed number of connections, the time of a request is the inverse of the throughput.
        growth = small.rps / big.rps
        errors = small.errors + big.errors
        lines.append(
            derived_row(
                f"P2 time at {big_count} ÷ time at {SMALL:,}",
                f"{growth:.2f}",
                goal_text("P2 growth"),
                judge("P2 growth", growth, errors),
            )
        )
    if p3 := measured("P3 POST events"):
        spread: Spread | None = result.get("event_spread")
        where = (
            f" (to {spread.hit} of {spread.targets} interviews in turn, {spread.fewest}-{spread.most} events each)"
            if spread is not None
            else ""
        )
        lines.append(pair_row(f"P3 POST an event{where} ÷ bare POST", p3, "P3 POST events"))
        lines.append(
            derived_row(
                "P3 p99 ÷ bare POST p99",
                f"{p3.p99_ratio:.2f}",
                goal_text("P3 p99"),
                judge("P3 p99", p3.p99_ratio, p3.errors),
            )
        )
        lines.append(
            derived_row(
                "P3 non-2xx answers and socket errors",
                f"{p3.errors:,}",
                "= 0",
                "meets" if p3.errors == 0 else "misses (errors)",
            )
        )
    if p4 := measured("P4 signed webhook (repeat)"):
        lines.append(pair_row("P4 signed webhook (a repeat: verified, stored as duplicate) ÷ bare POST", p4, None))
    if v := result.get("verification"):
        lines.append(
            derived_row(
                f"P4 handler without ÷ with verification (in-process, {v['with_ms']:.2f} ms vs "
                f"{v['without_ms']:.2f} ms per delivery; verify alone {v['verify_us']:.0f} µs)",
                f"{v['ratio']:.2f}",
                goal_text("P4 verification"),
                judge("P4 verification", v["ratio"]),
            )
        )
    if p5 := measured("P5 stack, trivial authenticated route"):
        lines.append(pair_row("P5 stack, trivial authenticated route ÷ bare", p5, "P5 stack"))
    if token := measured("P5 stack, trivial route with a token"):
        lines.append(pair_row("P5 stack, trivial route with an OIDC access token ÷ bare", token, "P5 stack"))
    if health := measured("P5 stack, /healthz (no auth)"):
        lines.append(pair_row("P5 stack, /healthz (no auth, a `def` route) ÷ bare", health, None))
    lines += mail_rows(pairs, result.get("mail_outcomes"))
    if rules is not None:
        lines.append(
            derived_row(
                "rules engine: 1,000-event ÷ 10-event evaluation (bench/rules_bench.py)",
                f"{rules:.1f}",
                goal_text("rules"),
                judge("rules", rules),
            )
        )
    if "rss_mib" in result:
        lines.append(derived_row("peak RSS of the API process at the end of its runs", f"{result['rss_mib']:.0f} MiB"))
    return lines


def mail_rows(pairs: dict[str, Pair], outcomes: MailCounts | None) -> list[str]:
    """M2 and M3: a new message, matched to an interview and applied, and the same message
    again, both against the bare POST; their errors, and what the service recorded."""
    lines = []
    new, again = pairs.get("M2 POST mail, new messages"), pairs.get("M3 POST mail, duplicates")
    if new is not None and new.measured:
        lines.append(
            pair_row(
                f"M2 POST /v1/mail/messages, a new {MAIL_SIZE // 1000} KB reply each time (matched by its sender "
                f"to one of {MAIL_INTERVIEWS} interviews, a reply event) ÷ bare POST",
                new,
                None,
            )
        )
        lines.append(derived_row("M2 p99 ÷ bare POST p99", f"{new.p99_ratio:.2f}"))
    if again is not None and again.measured:
        lines.append(
            pair_row("M3 POST /v1/mail/messages, the same message again (a duplicate) ÷ bare POST", again, None)
        )
        lines.append(derived_row("M3 p99 ÷ bare POST p99", f"{again.p99_ratio:.2f}"))
    measured = [pair for pair in (new, again) if pair is not None and pair.measured]
    if measured:
        errors = sum(pair.errors for pair in measured)
        lines.append(
            derived_row(
                "M2 and M3 non-2xx answers and socket errors",
                f"{errors:,}",
                "= 0",
                "meets" if errors == 0 else "misses (errors)",
            )
        )
    if outcomes is not None:
        others = ", ".join(f"{count:,} {name}" for name, count in sorted(outcomes.other.items()))
        lines.append(
            derived_row(
                "M2's messages recorded (warm-ups and probes included): applied, duplicates",
                f"{outcomes.new_applied:,}, {outcomes.new_duplicates:,}",
                "all applied",
                "meets" if outcomes.new_duplicates == 0 and not outcomes.other else "misses",
            )
        )
        lines.append(
            derived_row(
                "M3's message recorded: applied, duplicates",
                f"{outcomes.repeated_applied:,}, {outcomes.repeated_duplicates:,}",
                "1 applied",
                "meets" if outcomes.repeated_applied == 1 else "misses",
            )
        )
        if others:
            lines.append(derived_row("other outcomes of the mail user's messages", others, "none", "misses"))
    return lines


def classification_rows(timings: list[dict[str, Any]]) -> list[str]:
    """M1: the classifier in process (bench/mail_bench.py), per message, and its aim."""
    from bench.mail_bench import AIM_CASE, AIM_MS

    lines = [
        "| message | bytes | kind | classifications/s | ms each | goal | |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for timing in timings:
        goal, ok = "", ""
        if timing["message"] == AIM_CASE:
            goal, ok = f"< {AIM_MS:g} ms", "meets" if timing["ms"] < AIM_MS else "misses"
        lines.append(
            f"| {timing['message']} | {timing['bytes']:,} | {timing['kind']} | {timing['per_second']:,.0f} | "
            f"{timing['ms']:.3f} | {goal} | {ok} |"
        )
    return lines


def render(
    results: dict[str, dict[str, Any]],
    rules: float | None,
    args: argparse.Namespace,
    classification: list[dict[str, Any]] | None = None,
) -> str:
    info = machine()
    lines = [
        "# Benchmarks",
        "",
        f"Measured {info['date']} with `{' '.join(['make bench'] + (args.extra or []))}` "
        f"(wrk -t1 -c{CONNECTIONS} --timeout {WRK_TIMEOUT}, {args.duration} s per run, {args.rounds} "
        f"round{'s' if args.rounds != 1 else ''}, medians, one worker).",
        "",
        "Every ratio and goal is against FastAPI's fastest plain endpoint, `/bare` of "
        "`bench/bare_app.py`: an `async def` route answering a small dict (GET) or parsing a small "
        "JSON body (POST), served by the same uvicorn with the same worker count and measured in the "
        "same round, taking turns at going first. The `bare_sync` columns are the same endpoint as a "
        "`def` route (`/bare/sync`, run in the thread pool), measured in the same rounds, for comparison "
        "with reports that divided by it. A figure whose runs had non-2xx answers or socket errors "
        "misses its goal.",
        "",
        f"Machine: {info['nproc']} cores ({info['cpu']}), {info['memory']} RAM, Python {info['python']}. "
        "wrk and the server share the cores, so absolute figures are low; the ratios are what to compare.",
        "",
    ]
    if classification is not None:
        lines += [
            "## M1 mail classification, in process",
            "",
            "`classify` of `app/mail/classifier` on one core (`bench/mail_bench.py`: messages of "
            "`tests/mail/corpus` and ones made from them to a size; medians of 7 timings).",
            "",
            *classification_rows(classification),
            "",
        ]
    for backend, result in results.items():
        lines += [f"## {backend}", "", *backend_rows(result, rules)]
        lines += [
            "",
            f"Seeding took {result['seed_seconds']:.0f} s. Durability of the writes: {result['durability']}.",
            "",
            f"The agenda query of the {result.get('big', BIG):,}-interview user:",
            "",
            "```",
            result["explain"],
            "```",
            "",
        ]
    return "\n".join(lines) + "\n"


def with_notes(report: str, out: Path) -> str:
    """The report followed by the hand-written notes (the before and after of each change)
    found below `NOTES_MARKER` in the file it replaces, if any."""
    if out.exists() and NOTES_MARKER in (previous := out.read_text()):
        return report + "\n" + NOTES_MARKER + previous.split(NOTES_MARKER, 1)[1]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--only", default="", help="comma-separated figure prefixes (P1, P3, M1...); all when empty")
    parser.add_argument(
        "--output",
        "--out",
        dest="output",
        default=str(ROOT / "docs" / "benchmarks.md"),
        help="the report to write (its notes below the notes marker are kept)",
    )
    parser.add_argument(
        "--big", type=int, default=BIG, help="interviews of the big user (fewer: a quicker run, P2 not comparable)"
    )
    args = parser.parse_args(argv)
    args.extra = list(argv if argv is not None else sys.argv[1:])
    only = {item.strip() for item in args.only.split(",") if item.strip()} or None
    wrk = Wrk(ensure_wrk(), Path(tempfile.mkdtemp(prefix="followup-bench-")), args.duration)
    results = {}
    for backend in args.backends.split(","):
        results[backend] = bench_backend(backend, wrk, args.rounds, wrk.workdir, only, args.big)
    rules, rules_output = rules_ratio()
    if rules is None:
        print("bench/rules_bench.py gave no ratio:\n" + rules_output[-2000:], flush=True)
    timings = None
    if not only or any("M1 classify".startswith(prefix) for prefix in only):
        timings, mail_output = classification()
        if timings is None:
            print("bench/mail_bench.py gave no figures:\n" + mail_output[-2000:], flush=True)
    report = render(results, rules, args, timings)
    out = Path(args.output)
    report = with_notes(report, out)
    out.write_text(report)
    print(report)
    shutil.rmtree(wrk.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
