"""The service, killed with SIGKILL at one point of a request that carries an
Idempotency-Key: just before its transaction commits, or just after (before the answer
leaves). Started by tests/idempotency/test_crash.py as `python crashing_server.py PORT
before|after`, with DATABASE_URL in the environment."""

from __future__ import annotations

import os
import signal
import sys

import uvicorn

from app.core.config import Settings
from app.core.session import RequestUnitOfWork
from app.main import create_app

port, when = int(sys.argv[1]), sys.argv[2]
commit = RequestUnitOfWork.commit


async def crashing_commit(self: RequestUnitOfWork) -> None:
    """The commit of the idempotent request's unit of work, with the process killed just
    before or just after it."""
    if when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    await commit(self)
    if when == "after":
        os.kill(os.getpid(), signal.SIGKILL)


RequestUnitOfWork.commit = crashing_commit  # type: ignore[method-assign]
app = create_app(Settings(embedded_worker=False, gc_freeze=False, rate_limit_per_minute=0))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
