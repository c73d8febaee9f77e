"""Real servers for the multi-process tests: `followup serve` in a subprocess, and a
private Postgres instance that a test may stop and start (never the shared one)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def start_server(database_url: str, workdir: Path, *, workers: int = 3, **settings: str) -> LiveServer:
    """`followup serve` on a free port with `workers` processes, once /readyz answers."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database_url,
        "FOLLOWUP_HOST": "127.0.0.1",
        "FOLLOWUP_PORT": str(port),
        "FOLLOWUP_WORKERS": str(workers),
        "FOLLOWUP_THREAD_POOL_SIZE": "8",
        "FOLLOWUP_DB_POOL_OVERFLOW": "2",
        "FOLLOWUP_LOG_LEVEL": "warning",
        # Load tests send thousands of requests with one key; the limit has its own tests.
        "FOLLOWUP_RATE_LIMIT_PER_MINUTE": "0",
    }
    env.update({f"FOLLOWUP_{name.upper()}": value for name, value in settings.items()})
    log = workdir / f"server-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"], cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    server = LiveServer(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{server.output()}")
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server did not get ready:\n{server.output()}")


@contextmanager
def running_server(database_url: str, workdir: Path, **options: object) -> Iterator[LiveServer]:
    server = start_server(database_url, workdir, **options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


def _postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PrivatePostgres:
    """A Postgres instance of our own in a temporary directory, on a free port: stopping
    it is a real outage for the app and disturbs no one else."""

    def __init__(self) -> None:
        initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            message = "no initdb/pg_ctl to run a private Postgres instance"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        self.pg_ctl = pg_ctl
        self.directory = Path(tempfile.mkdtemp(prefix="followup-pg-"))
        self.port = free_port()
        # Postgres refuses to run as root: run it as the postgres user then.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.run_as:
            shutil.chown(self.directory, user="postgres")
        self._run(initdb, "-D", str(self.directory / "data"), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.run_as, *command], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "postgres.log")
        self._run(self.pg_ctl, "-D", str(self.directory / "data"), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run(self.pg_ctl, "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
