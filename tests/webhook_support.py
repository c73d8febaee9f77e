"""A real HTTP receiver on 127.0.0.1 that verifies every Standard Webhooks signature, and a
clock the tests move forward instead of waiting."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from conftest import Api
from standardwebhooks import Webhook, WebhookVerificationError

from app.core.columns import utcnow
from app.worker import Worker

MakeWorker = Callable[..., Worker]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"ok"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_with: list[str]
    answered: int

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True
    # Every sending thread of every worker may connect at once (two workers of 16 in the
    # Postgres test). With the default listen backlog of 5, a busy machine resets or times
    # out some of those connections before the server accepts them: the worker records a
    # failed attempt and rightly tries again 5 s later, one attempt more than the test
    # counts. Real receivers listen with a backlog of hundreds.
    request_queue_size = 128


class Receiver:
    """Answers from `script` (then `default`), after verifying the request with every
    secret in `secrets`; `received` holds each request as it arrives."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.script: list[Reply] = []
        self.default = Reply()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as most receivers

            def do_POST(self) -> None:
                receiver.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ReceiverServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("content-length", "0")))
        headers = {key.lower(): value for key, value in handler.headers.items()}
        verified = []
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified.append(secret)
        with self.lock:
            reply = self.script.pop(0) if self.script else self.default
            self.received.append(Received(handler.path, headers, body, verified, reply.status))
        if reply.delay:
            time.sleep(reply.delay)
        try:
            handler.send_response(reply.status)
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.send_header("content-length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except OSError:
            pass  # the sender went away (a killed worker)

    def of_type(self, event_type: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.payload["type"] == event_type]

    def unverified(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if not r.verified_with]

    def id_counts(self) -> Counter[str]:
        with self.lock:
            return Counter(r.webhook_id for r in self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Clock:
    """The real time plus an offset the test advances: rows written by the API with the
    real time stay in the clock's past."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def subscribe(api: Api, receiver: Receiver, events: list[str] | None = None, path: str = "/hook") -> dict[str, Any]:
    """A webhook endpoint at the receiver; the receiver verifies with its secret."""
    body: dict[str, Any] = {"url": receiver.url(path)}
    if events is not None:
        body["events"] = events
    response = api.post("/v1/webhook-endpoints", body)
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()
    receiver.secrets.append(endpoint["secret"])
    return endpoint


def deliveries(api: Api, endpoint_id: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data
