"""The HTTP/1.1 protocol of `followup serve`: uvicorn's httptools protocol with bounds on
what a client may send before the service has a request to answer.

uvicorn reads request lines and headers without a deadline and of any size: a client that
sends a partial request and then nothing holds its connection open for ever, and one
header of a megabyte, or thousands of them, is read and kept. Here:

- the request line and headers must arrive within `FOLLOWUP_HEADER_TIMEOUT_SECONDS` of
  the connection (or of the previous answer on it); past that the connection is closed,
  with a 408 if part of a request arrived;
- they may take at most `FOLLOWUP_MAX_HEADER_BYTES` bytes and `FOLLOWUP_MAX_HEADERS`
  header lines; past either the answer is a 431 and the connection is closed.

Refusals are problems (`application/problem+json`) like every other error. httptools
(llhttp) stays the parser: h11, which bounds header bytes on its own, parses in Python
and answers fewer requests a second.
"""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from app.core.config import get_settings
from app.core.problems import PROBLEM_MEDIA_TYPE, Problem

logger = logging.getLogger("uvicorn.error")
# What a header line costs beyond its name and value: ": " and CRLF.
HEADER_LINE_OVERHEAD = 4


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that was just refused."""


def refusal(status: int, detail: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A complete HTTP/1.1 answer with a problem body that closes the connection."""
    phrase = HTTPStatus(status).phrase
    body = json.dumps(Problem(title=phrase, status=status, detail=detail).model_dump(exclude_none=True)).encode()
    head = [STATUS_LINE[status]]
    head += [name + b": " + value + b"\r\n" for name, value in default_headers]
    head += [
        f"content-type: {PROBLEM_MEDIA_TYPE}\r\n".encode(),
        f"content-length: {len(body)}\r\n".encode(),
        b"connection: close\r\n\r\n",
    ]
    return b"".join(head) + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self.header_timeout = settings.header_timeout_seconds
        self.max_header_bytes = settings.max_header_bytes
        self.max_headers = settings.max_headers
        self.header_deadline: float | None = None  # loop.time() by which headers must be read
        self.header_timer: asyncio.TimerHandle | None = None
        # Between requests, and from a request's first byte to the end of its headers.
        self.awaiting_headers = True
        self.headers_completed = 0  # requests whose headers were read, on this connection
        self.message_started = False  # part of the awaited request has arrived
        # The request line and the complete header lines so far (from the parser), and
        # the bytes of whole reads that fell inside the headers: a header still arriving is
        # counted by the second.
        self.parsed_header_bytes = 0
        self.read_header_bytes = 0
        self.header_lines = 0
        self.refused = False

    # The deadline: set when the service waits for a request, cleared by its headers. One
    # timer per connection checks it; a request on a kept-alive connection only moves the
    # deadline, and the timer, when it fires early, waits for the rest.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._set_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self.header_deadline = None
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Not when a request read in the meantime (pipelined) is answered next.
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._set_header_deadline()

    def _set_header_deadline(self) -> None:
        self.header_deadline = self.loop.time() + self.header_timeout
        if self.header_timer is None:
            self.header_timer = self.loop.call_at(self.header_deadline, self._check_header_deadline)

    def _check_header_deadline(self) -> None:
        self.header_timer = None
        if self.header_deadline is None or self.transport.is_closing():
            return
        if self.loop.time() < self.header_deadline:
            self.header_timer = self.loop.call_at(self.header_deadline, self._check_header_deadline)
        elif self.message_started:
            self._refuse(408, f"The request line and headers did not arrive within {self.header_timeout:g} s.")
        else:
            self.transport.close()

    # The sizes.
    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        self._unset_keepalive_if_required()
        awaiting, completed = self.awaiting_headers, self.headers_completed
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            if not self.refused:
                msg = "Invalid HTTP request received."
                logger.warning(msg)
                self.send_400_response(msg)
            return
        if awaiting and self.awaiting_headers and self.headers_completed == completed:
            # The whole read fell inside one request's line and headers, still incomplete.
            self.read_header_bytes += len(data)
            if self.read_header_bytes > self.max_header_bytes:
                self._refuse_headers()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.message_started = True
        self.parsed_header_bytes = self.read_header_bytes = self.header_lines = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self.parsed_header_bytes += len(url)
        if self.parsed_header_bytes > self.max_header_bytes:
            self._refuse_headers()
            raise _Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_lines += 1
        self.parsed_header_bytes += len(name) + len(value) + HEADER_LINE_OVERHEAD
        if self.header_lines > self.max_headers or self.parsed_header_bytes > self.max_header_bytes:
            self._refuse_headers()
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.header_deadline = None
        self.awaiting_headers = self.message_started = False
        self.headers_completed += 1
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.awaiting_headers = True

    def _refuse_headers(self) -> None:
        self._refuse(
            431,
            f"The request line and headers may have at most {self.max_header_bytes} bytes "
            f"and {self.max_headers} header lines.",
        )

    def _refuse(self, status: int, detail: str) -> None:
        """Answers `status` and closes the connection; what else it sends is not read. While
        an earlier request of the connection is being answered (pipelined), the connection
        is only closed: the refusal would land inside that answer."""
        self.refused = True
        self.header_deadline = None
        logger.info("%s: %s", status, detail)
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(refusal(status, detail, self.server_state.default_headers))
        self.transport.close()
