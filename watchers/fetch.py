"""Polite, bounded HTTP fetching of feeds and pages through one shared ``httpx.AsyncClient``.

Each hop of a redirect chain is checked like the first URL (scheme, then every address the host resolves
to), bodies are read as a stream and cut at ``max_bytes``, and conditional headers make an unchanged feed
cost one 304 and no parsing.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from watchers.errors import BlockedURLError, FetchError
from watchers.netguard import IPNetwork, refusal_reason

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchPolicy:
    """Limits every fetch obeys; built from ``[network]`` settings."""

    allow_private: tuple[IPNetwork, ...] = ()
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    user_agent: str = "Newswatch/0.1 (+https://github.com/newswatch/newswatch)"


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


async def check_url(url: str, policy: FetchPolicy) -> None:
    """Raise BlockedURLError unless ``url`` is http(s) and every address of its host is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedURLError(f"blocked: {parts.scheme or 'no'} scheme in {url!r}; only http and https")
    if not parts.hostname:
        raise BlockedURLError(f"blocked: {url!r} has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in await resolve(parts.hostname, port):
        reason = refusal_reason(address, policy.allow_private)
        if reason:
            raise BlockedURLError(f"blocked: {parts.hostname} resolves to {address} ({reason})")


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
) -> FetchResult:
    """GET ``url`` following at most ``policy.max_redirects`` checked redirects.

    Raises FetchError (with ``status`` and ``retry_after`` where known) for anything but 2xx/304.
    """
    headers = {"User-Agent": policy.user_agent, "Accept": ", ".join(accept)}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    for _hop in range(policy.max_redirects + 1):
        await check_url(current, policy)
        try:
            async with client.stream("GET", current, headers=headers, follow_redirects=False) as response:
                if response.status_code in REDIRECT_CODES and "location" in response.headers:
                    current = urljoin(current, response.headers["location"])
                    continue
                if response.status_code == 304:
                    return FetchResult(
                        url=current,
                        status=304,
                        body=b"",
                        etag=response.headers.get("etag", etag),
                        last_modified=response.headers.get("last-modified", last_modified),
                        not_modified=True,
                    )
                if response.status_code >= 400:
                    raise FetchError(
                        f"HTTP {response.status_code}",
                        status=response.status_code,
                        retry_after=retry_after_seconds(response.headers.get("retry-after")),
                    )
                body = await _read_capped(response, policy.max_bytes)
                return FetchResult(
                    url=current,
                    status=response.status_code,
                    body=body,
                    content_type=response.headers.get("content-type", ""),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    headers={k.lower(): v for k, v in response.headers.items()},
                )
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out fetching {current}") from exc
        except httpx.TransportError as exc:
            raise FetchError(f"could not connect to {urlsplit(current).netloc}: {exc}") from exc
    raise FetchError(f"more than {policy.max_redirects} redirects from {url}")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if (
        declared
        and declared.isdigit()
        and int(declared) > max_bytes
        and not response.headers.get("content-encoding")
    ):
        raise FetchError(f"response too large: {int(declared):,} bytes declared, limit {max_bytes:,}")
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(f"response too large: more than {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
