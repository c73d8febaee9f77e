"""The SSRF guard: private, loopback, link-local and other non-public targets are refused
when an endpoint is saved and again on every connection, on the address actually used."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator

import pytest
from conftest import Api, assert_problem
from sqlalchemy import text
from sqlalchemy.engine import Engine
from webhook_support import MakeWorker, Receiver, deliveries, subscribe

from app.webhooks_out import ssrf

PUBLIC = "93.184.216.34"
NAMES = {
    "hooks.example.com": [PUBLIC],
    "internal.example": ["127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": [PUBLIC, "10.1.2.3"],
    "v6.example": ["::1"],
    "mapped.example": ["::ffff:192.168.0.1"],
}


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The resolver the guard calls, answering from a table (others do not resolve)."""
    table = {name: list(addresses) for name, addresses in NAMES.items()}

    def resolve(host: str, port: int) -> list[ssrf.IPAddress]:
        if host in table:
            return [ipaddress.ip_address(a) for a in table[host]]
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(ssrf, "resolve", resolve)
    return table


REFUSED = [
    "https://10.0.0.1/hook",
    "https://172.16.5.4/hook",
    "https://192.168.1.1/hook",
    "https://127.0.0.1/hook",
    "https://127.255.255.254:8443/hook",
    "https://0.0.0.0/",
    "https://100.64.0.1/",  # shared address space (CGNAT)
    "https://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
    "https://224.0.0.1/",  # multicast
    "https://240.0.0.1/",  # reserved
    "https://255.255.255.255/",
    "https://[::1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "https://[::ffff:7f00:1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "https://[64:ff9b::a00:1]/",  # NAT64 around 10.0.0.1
    "https://2130706433/",  # 127.0.0.1 in decimal
    "https://0177.0.0.1/",  # octal
    "https://0x7f000001/",  # hexadecimal
    "https://0x7f.1/",
    "https://127.1/",
    "https://017700000001/",
    "https://localhost/",
    "https://LocalHost./",
    "https://app.localhost/",
    "https://internal.example/hook",  # a name that resolves to 127.0.0.1
    "https://metadata.example/",
    "https://mixed.example/",  # one public address is not enough
    "https://v6.example/",
    "https://mapped.example/",
    "http://hooks.example.com/hook",  # only https
    "file:///etc/passwd",
    "gopher://hooks.example.com/",
    "https:///no-host",
    "https://exa mple.com/",
    "https://hooks%2eexample.com/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_unsafe_urls_are_refused_when_saved(api: Api, names: dict[str, list[str]], url: str) -> None:
    assert_problem(api.post("/v1/webhook-endpoints", {"url": url}), 422, ("body", "url"))
    endpoint = api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/hook"}).json()
    assert_problem(api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", {"url": url}), 422, ("body", "url"))
    assert api.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()["url"] == "https://hooks.example.com/hook"


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/hook",
        f"https://{PUBLIC}/hook",
        "https://[2606:4700::1111]/hook",
        "https://[::ffff:93.184.216.34]/hook",
        "https://not-resolvable-yet.example/hook",  # checked again when connecting
        "https://münchen.example/hook",
    ],
)
def test_public_urls_are_accepted(api: Api, names: dict[str, list[str]], url: str) -> None:
    assert api.post("/v1/webhook-endpoints", {"url": url}).status_code == 201


def test_the_resolver_reads_numeric_forms_as_ip_addresses() -> None:
    """Why numeric hosts are refused outright: the system resolver reads them as IPv4."""
    for host in ("2130706433", "0177.0.0.1", "0x7f000001", "127.1"):
        assert ssrf.resolve(host, 443) == [ipaddress.ip_address("127.0.0.1")]
    with pytest.raises(ValueError):
        ipaddress.ip_address("0177.0.0.1")


class Canary:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while self.running:
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.listener.close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    listener = Canary()
    yield listener
    listener.close()


def _move_endpoint(engine: Engine, endpoint_id: str, url: str) -> None:
    """Change the URL behind the API's back, as if it had passed the check when saved."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE webhook_endpoints SET url = :url WHERE id = :id"), {"url": url, "id": endpoint_id}
        )


def test_connections_are_checked_on_the_address_actually_used(
    api: Api,
    engine: Engine,
    names: dict[str, list[str]],
    canary: Canary,
    make_worker: MakeWorker,
) -> None:
    endpoint = api.post("/v1/webhook-endpoints", {"url": "https://hooks.example.com/hook"}).json()
    worker = make_worker(webhooks_allow_private=False)
    port = canary.port
    corpus = [
        f"https://127.0.0.1:{port}/",
        f"https://localhost:{port}/",
        f"https://[::ffff:127.0.0.1]:{port}/",
        f"https://2130706433:{port}/",
        f"https://0x7f.1:{port}/",
        f"https://internal.example:{port}/",
        f"https://mixed.example:{port}/",
        f"http://127.0.0.1:{port}/",
        f"http://hooks.example.com:{port}/",
    ]
    for url in corpus:
        _move_endpoint(engine, endpoint["id"], url)
        api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
        assert worker.run_once().attempted == 1
    attempts = [d["attempts"][0] for d in deliveries(api, endpoint["id"])]
    assert len(attempts) == len(corpus)
    for attempt in attempts:
        assert attempt["status_code"] is None
        assert attempt["error"].startswith("refused: "), attempt
    assert canary.accepted == 0


def test_dns_rebinding_reaches_nothing(
    api: Api, names: dict[str, list[str]], canary: Canary, make_worker: MakeWorker
) -> None:
    # Public when the endpoint is saved, loopback when the worker connects.
    names["rebind.example"] = [PUBLIC]
    endpoint = api.post("/v1/webhook-endpoints", {"url": f"https://rebind.example:{canary.port}/hook"}).json()
    names["rebind.example"] = ["127.0.0.1"]
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    make_worker(webhooks_allow_private=False).run_once()
    (attempt,) = deliveries(api, endpoint["id"])[0]["attempts"]
    assert attempt["error"] == "refused: rebind.example resolves to a non-public address (127.0.0.1)"
    assert canary.accepted == 0


@pytest.mark.usefixtures("allow_private")
def test_the_socket_connects_to_the_address_the_guard_resolved(
    api: Api, names: dict[str, list[str]], receiver: Receiver, make_worker: MakeWorker
) -> None:
    """hooks.test exists only in the guard's resolver: reaching the receiver proves that the
    connection went to the checked address, with the name kept in the Host header."""
    names["hooks.test"] = ["127.0.0.1"]
    endpoint = subscribe(api, receiver)
    api.patch(f"/v1/webhook-endpoints/{endpoint['id']}", {"url": f"http://hooks.test:{receiver.port}/hook"})
    api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    make_worker().run_once()
    (request,) = receiver.received
    assert request.headers["host"] == f"hooks.test:{receiver.port}"
    assert request.verified_with


@pytest.mark.usefixtures("allow_private")
def test_allow_private_still_refuses_numeric_hosts(api: Api) -> None:
    assert api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hook"}).status_code == 201
    assert_problem(api.post("/v1/webhook-endpoints", {"url": "http://2130706433:9/hook"}), 422, ("body", "url"))
    assert_problem(api.post("/v1/webhook-endpoints", {"url": "ftp://127.0.0.1/"}), 422, ("body", "url"))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),
        ("10.0.0.1", False),
        ("127.0.0.1", False),
        ("169.254.1.1", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:a00:1::", False),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo around 10.0.0.1
        ("64:ff9b::7f00:1", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert ssrf.is_public(ipaddress.ip_address(address)) is public


def test_the_delivery_client_keeps_httpx_connection_limits() -> None:
    """Without limits, threads sending at once sometimes failed with EBADF on a connection
    the pool had closed, after the receiver had the request (so a needless retry)."""
    client = ssrf.guarded_client(allow_private=False, timeout=15)
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert (pool._max_connections, pool._max_keepalive_connections, pool._keepalive_expiry) == (100, 20, 5.0)
    assert isinstance(pool._network_backend, ssrf.GuardedBackend)
    client.close()
