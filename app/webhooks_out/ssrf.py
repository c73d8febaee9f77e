"""The guard that keeps webhook deliveries away from private networks (SSRF).

A URL is checked twice: when an endpoint is saved (its form, and what its host resolves to
then), and on every connection, where the host is resolved here, every address is checked,
and the socket connects to one of exactly those addresses. TLS still verifies the
certificate against the host name, so a name that later resolves elsewhere (DNS rebinding)
reaches nothing it was not checked for. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import typing

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# 64:ff9b::/96 carries an IPv4 address in its last 32 bits (NAT64, RFC 6052).
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$"
)
# A last label that is a number makes the whole host an IPv4 address to most resolvers
# (inet_aton reads 2130706433, 0177.0.0.1 and 0x7f.1 as 127.0.0.1).
NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

# The URLs the schema promises to take: https, a host name whose last label is not a number
# (or an IPv4 address), a port, and a path, query or fragment of printable ASCII. Each passes
# `check_url` in form, if its host name is at most 253 characters long: a pattern can say
# that only with a look-ahead, which test-data generators cannot draw strings from in any
# useful time. What no pattern can say is whether the host is public. The service takes
# more (an IPv6 literal, user info, http where private addresses are allowed).
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_LAST_LABEL = r"[A-Za-z_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_PORT = r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
WEBHOOK_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]://"
    rf"(?:(?:{_LABEL}\.)*{_LAST_LABEL}|(?:{_OCTET}\.){{3}}{_OCTET})"
    rf"{_PORT}(?:[/?#][\x21-\x7e]*)?$"
)


class UnsafeUrl(ValueError):
    """A webhook URL the service refuses to send to; the message says why."""


class BlockedAddress(httpcore.ConnectError):
    """A connection refused before it was made: the host resolves to a non-public address."""


def _translated(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped or NAT64 IPv6 address stands for."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _carried(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a 6to4 or Teredo address carries."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    return ([ip.sixtofour] if ip.sixtofour is not None else []) + list(ip.teredo or ())


def _routable(ip: IPAddress) -> bool:
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def is_public(ip: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, shared (CGNAT),
    multicast, reserved or unspecified, nor an IPv6 form of one of those."""
    translated = _translated(ip)
    if translated is not None:
        return _routable(translated)
    return all(_routable(address) for address in [ip, *_carried(ip)])


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (the tests replace this function)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def check_url(url: str, *, allow_private: bool, resolve_host: bool = True) -> str:
    """Raise UnsafeUrl unless `url` may receive webhooks; return it normalised.

    With `resolve_host`, a host name that resolves now must resolve to public addresses
    only; one that does not resolve yet is accepted (the connection is checked again)."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as error:
        raise UnsafeUrl(f"Not a valid URL ({error}).") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parsed.scheme not in schemes:
        raise UnsafeUrl("Only https URLs can receive webhooks." if not allow_private else "Use an http or https URL.")
    host = parsed.raw_host.decode("ascii").lower().rstrip(".")
    if not host:
        raise UnsafeUrl("The URL has no host.")
    literal = _ip_literal(host)
    if literal is None:
        if not HOST_NAME.match(host):
            raise UnsafeUrl("The host is not a valid name or IP address.")
        if NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
            raise UnsafeUrl("Write an IPv4 address as four decimal numbers, such as 203.0.113.10.")
    if allow_private:
        return str(parsed)
    if literal is not None:
        addresses = [literal]
    elif host == "localhost" or host.endswith(".localhost"):
        raise UnsafeUrl("The host is this machine (localhost).")
    elif resolve_host:
        try:
            addresses = resolve(host, parsed.port or 443)
        except OSError:
            addresses = []
    else:
        addresses = []
    for address in addresses:
        if not is_public(address):
            raise UnsafeUrl(f"The host resolves to a non-public address ({address}).")
    return str(parsed)


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class GuardedBackend(httpcore.SyncBackend):
    """Opens TCP connections to addresses this module resolved and checked itself."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        if not self.allow_private:
            for address in addresses:
                if not is_public(address):
                    raise BlockedAddress(f"refused: {host} resolves to a non-public address ({address})")
        last_error: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        raise last_error


def guarded_client(*, allow_private: bool, timeout: float) -> httpx.Client:
    """An HTTP client for webhook deliveries: the guard on every connection, no redirects,
    no proxies or other settings from the environment."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx builds its connection pool without a way to pass a network backend; this one
    # is the same pool with the guarded backend and httpx.Client's limits. The worker gives
    # each sending thread a client of its own (app.worker).
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(allow_private=allow_private),
    )
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)
