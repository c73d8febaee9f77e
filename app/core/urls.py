"""The base URL of the URLs the service writes, and the Host headers it answers.

A calendar feed's URL and an integration's webhook URL are absolute. With
`FOLLOWUP_PUBLIC_URL` set they start with it, whatever the request says. Without it they
take the request's Host header, so a client could make the service hand out (and a user
paste into their calendar or their ATS) a URL on a host of the client's choosing:
`AllowedHostsMiddleware` then answers only the hosts of `FOLLOWUP_ALLOWED_HOSTS`, and any
other Host is a 400 problem before any route runs. Starlette's TrustedHostMiddleware does
the same check but answers in plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.problems import problem_response

HOST_REFUSED_DETAIL = (
    "The Host header names a host this service does not answer for; see FOLLOWUP_ALLOWED_HOSTS and FOLLOWUP_PUBLIC_URL."
)
# A name or IPv4 address, or an IPv6 address in brackets, then an optional port.
_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::[0-9]{1,5})?")


def public_base_url(request: Request, settings: Settings) -> str:
    """The URL the service's absolute URLs start with, without a trailing slash."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def host_name(header: str) -> str | None:
    """The host of a Host header, lower-case, without the port or a trailing dot; None
    when the header is not a host."""
    match = _HOST.fullmatch(header.strip().lower())
    if match is None:
        return None
    return match["name"].removesuffix(".")


class HostPolicy:
    """Which hosts are answered: names as listed, "*.example.com" for the subdomains of
    example.com, "*" for any."""

    def __init__(self, hosts: Iterable[str]) -> None:
        names = {host.strip().lower().removesuffix(".") for host in hosts}
        self.any = "*" in names
        self.exact = frozenset(name for name in names if not name.startswith("*"))
        self.suffixes = tuple(name[1:] for name in names if name.startswith("*."))

    def allows(self, header: str) -> bool:
        if self.any:
            return True
        name = host_name(header)
        return name is not None and (name in self.exact or name.endswith(self.suffixes))


class AllowedHostsMiddleware:
    """Refuses an HTTP request whose Host header the policy does not allow: 400, as a
    problem. A request without a Host (HTTP/1.0) is answered: its URLs then name the
    address the server listens on, which no client chooses."""

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.policy.any:
            for name, value in scope["headers"]:
                if name == b"host" and not self.policy.allows(value.decode("latin-1")):
                    await problem_response(400, HOST_REFUSED_DETAIL)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
