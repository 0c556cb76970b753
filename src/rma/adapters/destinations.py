"""Where rma may send HTTP requests: the SSRF guard every outgoing call goes through.

A seller names URLs that rma calls (webhook endpoints, the payment gateway). The guard
refuses a URL whose scheme is not HTTP(S), whose port is a system port other than 80 and 443,
or whose host resolves to an address that is not on the public internet: private, loopback,
link-local, reserved, and public-looking IPv6 forms that carry one of those inside (IPv4-
mapped, 6to4, Teredo, NAT64).

Checking a URL when it is saved is not enough: the name may later resolve elsewhere (DNS
rebinding). ``guarded_transport`` therefore resolves and checks the host at connect time and
connects to the very address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from rma.domain.errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
ALLOWED_HINT = "the operator may allow those with RMA_WEBHOOKS_ALLOW_PRIVATE=true"


class DestinationGuard:
    """Refuses URLs rma may not call; ``allow_private`` lets loopback and private hosts in."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def check(self, url: str, field: str = "url") -> None:
        """Raise ``InvalidInput`` (``webhook_url_refused``) for a forbidden destination."""
        reason = self.refusal(url)
        if reason:
            raise InvalidInput(reason, code="webhook_url_refused", details=[{"field": field}])

    def refusal(self, url: str) -> str:
        """Why ``url`` may not be called, or an empty string."""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:  # an unbalanced "[" (a broken IPv6 literal), say
            return "the URL cannot be read"
        if parts.scheme not in DEFAULT_PORTS:
            return "the URL must start with http:// or https://"
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            return "the URL's port is not a number from 1 to 65535"
        if not allowed_port(port):
            return f"port {port} is not allowed: use 80, 443 or a port from 1024 to 65535"
        if not host:
            return "the URL has no host"
        if self.allow_private:
            return ""
        return self._resolve(host, port)[1]

    def connect_address(self, host: str, port: int) -> str:
        """The address to connect to for ``host``: one that was checked, or an error."""
        if self.allow_private:
            return host
        addresses, reason = self._resolve(host, port)
        if reason:
            raise httpcore.ConnectError(f"refused: {reason}")
        return addresses[0]

    def _resolve(self, host: str, port: int) -> tuple[list[str], str]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            return [], f"the host {host!r} does not resolve"
        addresses = [str(info[4][0]).split("%")[0] for info in infos]
        for text in addresses:
            address = ipaddress.ip_address(text)
            if not is_public(address):
                return [], (
                    f"the URL resolves to {address}, a private or reserved address; " + ALLOWED_HINT
                )
        return addresses, ""


def allowed_port(port: int) -> bool:
    """80, 443, or a port no system service owns."""
    return port in (80, 443) or 1024 <= port <= 65535


def is_public(address: Address) -> bool:
    """Whether ``address`` and every address it embeds is on the public internet."""
    return all(_global(a) for a in _with_embedded(address))


def _with_embedded(address: Address) -> Iterable[Address]:
    yield address
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            yield address.ipv4_mapped
        if address.sixtofour is not None:
            yield address.sixtofour
        if address.teredo is not None:
            yield from address.teredo
        if address in NAT64:
            yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def _global(address: Address) -> bool:
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


class _CheckedBackend(httpcore.SyncBackend):
    """Connects to the address the guard checked, never to a second resolution of the name."""

    def __init__(self, guard: DestinationGuard):
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        address = self.guard.connect_address(host, port)
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


def guarded_transport(
    guard: DestinationGuard,
    limits: httpx.Limits | None = None,
    socket_options: list[tuple[int, int, int]] | None = None,
) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through ``guard``.

    httpx offers no hook at the connect step, but its pool takes httpcore's network
    backend; TLS still verifies and sends the URL's host name, as the backend only changes
    which address the socket dials.
    """
    transport = httpx.HTTPTransport(limits=limits or httpx.Limits(), socket_options=socket_options)
    transport._pool._network_backend = _CheckedBackend(guard)
    return transport
