"""Graceful shutdown: SIGTERM while requests are in flight lets all of them finish."""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from select import select as readable
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import Api, new_user
from live import start_server
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.core.database import WRITE_OPTION
from app.events.models import Event
from app.interviews.models import Interview
from app.nextaction import refresh

pytestmark = pytest.mark.slow

IN_FLIGHT = 50
SEEDED_EVENTS = 3000


def seed_events(engine: Engine, interview_id: str) -> None:
    """Many events, so that each new one takes a while: the stored next action is
    recomputed from all of them."""
    start = datetime(2026, 3, 3, tzinfo=UTC)
    with Session(engine, execution_options={WRITE_OPTION: True}) as session:
        for seq in range(1, SEEDED_EVENTS + 1):
            session.add(
                Event(interview_id=interview_id, seq=seq, type="note", occurred_at=start + timedelta(hours=seq))
            )
        interview = session.get(Interview, interview_id)
        assert interview is not None
        refresh.refresh(session, interview=interview)
        session.commit()


def wait_for_empty_accept_queue(port: int | None, timeout: float = 10.0) -> None:
    """Until the listening socket's accept queue (Recv-Q of `ss -ltn`) is empty."""
    if shutil.which("ss") is None:  # iproute2 missing: a generous pause instead
        time.sleep(1.0)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True)
        if all(line.split()[1] == "0" for line in listing.stdout.splitlines()):
            return
        time.sleep(0.05)
    pytest.fail("the server did not accept the connections in time")


def test_sigterm_with_50_requests_in_flight_completes_them_all(
    database_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    headers = new_user(engine, "shutdown@example.com")
    server = start_server(database_url, tmp_path_factory.mktemp("shutdown"), workers=2)
    sockets: list[socket.socket] = []
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            interview = Api(client, headers).interview()
        seed_events(engine, interview["id"])
        address = urlsplit(server.base_url)
        body = json.dumps({"type": "note", "occurred_at": "2026-05-01T09:00:00Z"}).encode()
        request = (
            f"POST /v1/interviews/{interview['id']}/events HTTP/1.1\r\n"
            f"Host: {address.netloc}\r\nAuthorization: {headers['Authorization']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        sockets += [socket.create_connection((address.hostname, address.port)) for _ in range(IN_FLIGHT)]
        for sock in sockets:
            sock.sendall(request)
        # A connection still waiting in the listen backlog is not in flight yet, and a
        # stopping server resets it: wait until the server has accepted every one.
        wait_for_empty_accept_queue(address.port)
        time.sleep(0.3)
        answered, _, _ = readable(sockets, [], [], 0)
        server.process.send_signal(signal.SIGTERM)

        statuses = []
        for sock in sockets:
            sock.settimeout(60)
            response = http.client.HTTPResponse(sock)
            response.begin()
            response.read()
            statuses.append(response.status)
        assert server.process.wait(60) == 0, server.output()
    finally:
        for sock in sockets:
            sock.close()
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
    # Most requests were still running when the signal came, and every one completed.
    print(f"\nshutdown: {IN_FLIGHT - len(answered)} of {IN_FLIGHT} requests unanswered at SIGTERM")
    assert len(answered) <= IN_FLIGHT - 10, "the requests were too quick to be in flight"
    assert statuses == [201] * IN_FLIGHT, server.output()
    with Session(engine) as session:
        stored = session.exec(select(func.count()).where(Event.interview_id == interview["id"])).one()
    assert stored == SEEDED_EVENTS + IN_FLIGHT
