"""Polite, bounded HTTP fetching of feeds and pages through one shared ``httpx.AsyncClient``.

Order of checks for every request: scheme and resolved addresses of each hop (redirects included; the
shared client from ``guarded_client`` checks again on the address it actually connects to), then
robots.txt for page fetches, then a slot from the per-host ``HostGate``. Bodies are read as a raw stream
and decoded by ``CappedDecoder``, so the size cap counts decoded bytes and a compression bomb is never
inflated; the whole exchange has a deadline so a server that drips one byte at a time cannot hold us.
Conditional headers make an unchanged feed cost one 304 and no parsing.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from watchers.errors import BlockedURLError, FetchError
from watchers.guarded_transport import Resolver, checked_addresses, resolve
from watchers.inflate import ACCEPT_ENCODING, CappedDecoder
from watchers.netguard import IPNetwork
from watchers.politeness import HostGate, RobotsCache, RobotsFetcher

log = logging.getLogger(__name__)

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
RETRY_AFTER_CODES = frozenset({429, 503})
DRAIN_LIMIT = 64 * 1024
"""Bytes of an unwanted body (a redirect's, an error page) read to keep its connection; past this, the
connection is dropped instead."""

__all__ = [
    "FetchPolicy",
    "FetchResult",
    "check_url",
    "fetch",
    "resolve",
    "retry_after_seconds",
]


@dataclass(frozen=True)
class FetchPolicy:
    """Limits every fetch obeys; built from ``[network]`` settings.

    ``resolver`` is how host names become addresses for the checks (tests stub it to simulate DNS);
    ``deadline`` bounds a whole exchange, redirects and body included, in seconds.
    """

    allow_private: tuple[IPNetwork, ...] = ()
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    user_agent: str = "Newswatch/0.1 (+https://github.com/newswatch/newswatch)"
    deadline: float = 60.0
    resolver: Resolver = field(default=resolve, compare=False)


@dataclass(frozen=True)
class FetchResult:
    """What came back; ``not_modified`` means a 304 and an empty ``body``."""

    url: str
    status: int
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    headers: dict[str, str] = field(default_factory=dict)


async def check_url(url: str, policy: FetchPolicy) -> None:
    """Raise BlockedURLError unless ``url`` is http(s) and every address of its host is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedURLError(f"blocked: {parts.scheme or 'no'} scheme in {url!r}; only http and https")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise BlockedURLError(f"blocked: {url!r} has a bad port") from exc
    if not host:
        raise BlockedURLError(f"blocked: {url!r} has no host")
    await checked_addresses(
        host, port or (443 if parts.scheme == "https" else 80), policy.allow_private, policy.resolver
    )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse ``Retry-After`` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    policy: FetchPolicy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: Sequence[str] = ("*/*",),
    gate: HostGate | None = None,
    robots: RobotsCache | None = None,
) -> FetchResult:
    """GET ``url`` following at most ``policy.max_redirects`` checked redirects.

    ``gate`` spaces requests per host and remembers Retry-After; ``robots`` (pass it for article pages,
    not for feeds, which publishers offer for machines) refuses URLs the site's robots.txt disallows.
    Raises FetchError (with ``status`` and ``retry_after`` where known) for anything but 2xx/304.
    """
    try:
        async with asyncio.timeout(policy.deadline):
            return await _fetch(client, url, policy, etag, last_modified, accept, gate=gate, robots=robots)
    except TimeoutError as exc:
        raise FetchError(
            f"timed out: no complete answer from {urlsplit(url).netloc} in {policy.deadline:.0f} s"
        ) from exc


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    policy: FetchPolicy,
    etag: str | None,
    last_modified: str | None,
    accept: Sequence[str],
    *,
    gate: HostGate | None,
    robots: RobotsCache | None,
) -> FetchResult:
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": ", ".join(accept),
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    for _hop in range(policy.max_redirects + 1):
        await check_url(current, policy)
        if robots is not None and not await robots.allowed(current, _robots_fetcher(client, policy, gate)):
            raise FetchError(f"disallowed by robots.txt: {current}")
        host = (urlsplit(current).hostname or "").lower()
        if gate is None:
            outcome = await _exchange(client, current, headers, policy, etag, last_modified)
        else:
            async with gate.slot(host):
                outcome = await _exchange(client, current, headers, policy, etag, last_modified)
        if isinstance(outcome, FetchResult):
            return outcome
        if isinstance(outcome, FetchError):
            if gate is not None and outcome.retry_after and outcome.status in RETRY_AFTER_CODES:
                gate.defer(host, outcome.retry_after)
            raise outcome
        current = outcome
    raise FetchError(f"more than {policy.max_redirects} redirects from {url}")


async def _exchange(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    policy: FetchPolicy,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult | FetchError | str:
    """One request: the result, the error to raise, or the next URL of a redirect.

    A pooled connection can be closed by the server just as we reuse it (its keep-alive timeout ran out
    after our last check), or hold stray bytes after a non-conforming answer (a 304 with a body): the
    request then fails before any answer arrives. Such a GET is sent once more, on a new connection; a
    failure after the answer began, or a second one, is the source's error."""
    for last_try in (False, True):
        answered = False
        try:
            async with client.stream("GET", url, headers=headers, follow_redirects=False) as response:
                answered = True
                return await _answer(response, url, policy, etag, last_modified)
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out fetching {url}") from exc
        except httpx.TransportError as exc:
            if last_try or answered or not isinstance(exc, _NO_ANSWER):
                netloc = urlsplit(url).netloc
                raise FetchError(f"could not connect to {netloc}: {exc or type(exc).__name__}") from exc
            log.debug("fetch_retried url=%s error=%s", url, exc or type(exc).__name__)
    raise AssertionError("unreachable: the last try returns or raises")


_NO_ANSWER = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
"""Failures of a request on a connection the server had closed or left unusable (see ``_exchange``)."""


async def _answer(
    response: httpx.Response, url: str, policy: FetchPolicy, etag: str | None, last_modified: str | None
) -> FetchResult | FetchError | str:
    status = response.status_code
    if status in REDIRECT_CODES and "location" in response.headers:
        await _drain(response)
        return urljoin(url, response.headers["location"])
    if status == 304:
        await _drain(response)
        return FetchResult(
            url=url,
            status=304,
            body=b"",
            etag=response.headers.get("etag", etag),
            last_modified=response.headers.get("last-modified", last_modified),
            not_modified=True,
        )
    if status >= 400 or status < 200:
        await _drain(response)
        return FetchError(
            f"HTTP {status}",
            status=status,
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )
    body = await _read_capped(response, policy.max_bytes)
    return FetchResult(
        url=url,
        status=status,
        body=body,
        content_type=response.headers.get("content-type", ""),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        headers={k.lower(): v for k, v in response.headers.items()},
    )


def _robots_fetcher(client: httpx.AsyncClient, policy: FetchPolicy, gate: HostGate | None) -> RobotsFetcher:
    async def get(robots_url: str) -> tuple[int, bytes]:
        small = FetchPolicy(
            allow_private=policy.allow_private,
            max_bytes=min(policy.max_bytes, 500_000),
            max_redirects=policy.max_redirects,
            user_agent=policy.user_agent,
            deadline=policy.deadline,
            resolver=policy.resolver,
        )
        try:
            result = await _fetch(
                client, robots_url, small, None, None, ("text/plain",), gate=gate, robots=None
            )
        except BlockedURLError:
            raise
        except FetchError as exc:
            return exc.status or 0, b""
        return result.status, result.body

    return get


async def _drain(response: httpx.Response) -> None:
    """Read the rest of a response we do not need (a 304 has no body, a redirect or an error page a short
    one), so its connection goes back to the pool. Left unread, the connection is not at the end of a
    message and httpcore closes it: every 304 of a cycle paid for a new connection (and, on the web, a new
    TLS handshake). A body past ``DRAIN_LIMIT`` is not worth reading: the connection is closed instead."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_LIMIT:
        return
    drained = 0
    async for chunk in response.aiter_raw():
        drained += len(chunk)
        if drained > DRAIN_LIMIT:
            return


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """Decoded body, at most ``max_bytes``; the raw (compressed) stream is capped at the same size."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"response too large: {int(declared):,} bytes declared, limit {max_bytes:,}")
    decoder = CappedDecoder(response.headers.get("content-encoding", ""), max_bytes)
    raw = 0
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        if raw > max_bytes:
            raise FetchError(f"response too large: more than {max_bytes:,} bytes")
        decoder.feed(chunk)
    return decoder.body()
