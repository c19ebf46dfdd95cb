"""An httpx transport whose every TCP connection goes to an address that was checked a moment before.

Checking a URL's host before the request is not enough: the name can resolve to a public address for the
check and to 10.0.0.5 for the connection (DNS rebinding). So this transport resolves the host itself,
refuses it when any of its addresses is refused by ``watchers.netguard``, and connects to the checked IP
literal. httpcore keeps the original host name for the ``Host`` header and for TLS (SNI and certificate
checks), because those come from the request URL, not from the socket.
"""

from __future__ import annotations

import asyncio
import ipaddress
import select
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from watchers.errors import BlockedURLError, FetchError
from watchers.netguard import IPNetwork, refusal_reason

DEFAULT_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=32)
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself without DNS)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}") from exc
    return sorted({str(info[4][0]) for info in infos})


async def checked_addresses(
    host: str, port: int, allow: tuple[IPNetwork, ...], resolver: Resolver = resolve
) -> list[str]:
    """The addresses of ``host``, or BlockedURLError naming the first refused one."""
    addresses = await resolver(host, port)
    if not addresses:
        raise FetchError(f"cannot resolve {host}: no addresses")
    for address in addresses:
        reason = refusal_reason(address, allow)
        if reason:
            shown = host.strip("[]")
            where = address if shown == address else f"{shown} resolves to {address}"
            raise BlockedURLError(f"blocked: {where} ({reason})")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check, then connect to the checked IP; everything else is the default backend's."""

    def __init__(self, allow: tuple[IPNetwork, ...], resolver: Resolver = resolve) -> None:
        self.allow = allow
        self.resolver = resolver
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend signature
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(host, port, self.allow, self.resolver)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = await self._backend.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
                return PolledStream(stream, stream.get_extra_info("socket"))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend signature
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedURLError("blocked: unix sockets are never a source")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class PolledStream(httpcore.AsyncNetworkStream):
    """A connection that answers httpcore's "is the idle socket readable?" with one ``poll`` call.

    Before each request and after each response, httpcore asks that of every idle connection in the pool
    (a readable idle socket means the server hung up). The default stream answers through anyio's typed
    attributes, rebuilding a table of the socket's attributes on every question: with a few dozen idle
    connections that was an eighth of the CPU of fetching a page. Here the socket is registered with a
    ``poll`` object once, and the question costs one system call. Everything else is the wrapped stream's.
    """

    def __init__(self, stream: httpcore.AsyncNetworkStream, sock: socket.socket | None) -> None:
        self._stream = stream
        self._socket = sock
        self._poll: select.poll | None = None
        if sock is not None and sock.fileno() >= 0:
            self._poll = select.poll()
            self._poll.register(sock, select.POLLIN)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's stream signature
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return PolledStream(tls, self._socket)  # TLS runs over the same socket

    def get_extra_info(self, info: str) -> Any:
        if info != "is_readable":
            return self._stream.get_extra_info(info)
        if self._poll is None or self._socket is None or self._socket.fileno() < 0:
            return True  # no socket left: the next read would return b"", like a hang-up
        return bool(self._poll.poll(0))


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connection pool connects only through ``GuardedBackend``."""

    def __init__(
        self,
        allow: tuple[IPNetwork, ...],
        *,
        resolver: Resolver = resolve,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow, resolver),
        )


def guarded_client(
    allow: tuple[IPNetwork, ...],
    *,
    timeout: float = 15.0,
    resolver: Resolver = resolve,
    max_connections: int = 64,
) -> httpx.AsyncClient:
    """The one shared client for sources: checked connections, no proxies from the environment."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections // 2)
    client = httpx.AsyncClient(
        transport=GuardedTransport(allow, resolver=resolver, limits=limits),
        timeout=httpx.Timeout(timeout),
        trust_env=False,
    )
    client._cookies = SetCookiesOnly()  # the ``cookies`` setter would copy it into a plain ``Cookies``
    return client


class SetCookiesOnly(httpx.Cookies):
    """The client's cookie jar, handed only the answers that set a cookie. httpx hands it every answer,
    and the jar first wraps request and answer in urllib's types to look for ``Set-Cookie``: a twentieth
    of the CPU of a cycle of sources answering 304, which never set one. Cookies that are set are kept
    and sent back as before (a site may redirect to set one and then expect it)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)
