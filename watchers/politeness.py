"""Being a good guest: per-host concurrency and spacing, Retry-After remembered per host, robots.txt.

Fifty sources on one site must not be fetched at once, and when a site says "429, retry after 120 s" the
other sources on that site wait too. ``HostGate`` holds that per-host state for one process; ``RobotsCache``
keeps each host's robots.txt for a while so a page fetch costs no extra request most of the time.
"""

from __future__ import annotations

import asyncio
import time
import urllib.robotparser
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from watchers.errors import FetchError


@dataclass
class _Host:
    slots: asyncio.Semaphore
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float = float("-inf")
    not_before: float = float("-inf")


class HostGate:
    """At most ``per_host`` requests in flight per host, their starts at least ``min_delay`` s apart."""

    def __init__(
        self,
        per_host: int = 2,
        min_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self.min_delay = max(0.0, min_delay)
        self._clock = clock
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(asyncio.Semaphore(self.per_host))
        return state

    def defer(self, host: str, seconds: float) -> None:
        """The host asked us (Retry-After) to stay away for ``seconds``; every source on it obeys."""
        state = self._host(host.lower())
        state.not_before = max(state.not_before, self._clock() + seconds)

    def waiting(self, host: str) -> float:
        """Seconds left before ``host`` may be asked again (0 when it may be asked now)."""
        state = self._hosts.get(host.lower())
        return max(0.0, state.not_before - self._clock()) if state else 0.0

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's slots for a request; raises FetchError while the host asked us to wait."""
        host = host.lower()
        state = self._host(host)
        wait = self.waiting(host)
        if wait > 0:
            raise FetchError(f"{host} asked us to wait {wait:.0f} s more (Retry-After)", retry_after=wait)
        async with state.slots:
            async with state.spacing:
                pause = state.last_start + self.min_delay - self._clock()
                if pause > 0:
                    await asyncio.sleep(pause)
                state.last_start = self._clock()
            yield


RobotsFetcher = Callable[[str], Awaitable[tuple[int, bytes]]]


class RobotsCache:
    """robots.txt per scheme+host, kept ``ttl`` seconds; follows RFC 9309 for unreachable files.

    A 4xx robots.txt means no rules (everything allowed); a 5xx or a network failure means "assume
    everything is disallowed for now", as the RFC asks, and is cached for a shorter time.
    """

    def __init__(
        self, agent: str, ttl: float = 24 * 3600, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.agent = agent.split("/", 1)[0].strip() or "*"
        self.ttl = ttl
        self._clock = clock
        self._rules: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str, fetcher: RobotsFetcher) -> bool:
        """Whether ``url`` may be fetched; ``fetcher(robots_url)`` gives (status, body), 0 = failed."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._rules.get(key)
            if cached is None or cached[0] <= self._clock():
                cached = self._rules[key] = await self._load(key, fetcher)
        return cached[1].can_fetch(self.agent, url)

    async def _load(
        self, key: str, fetcher: RobotsFetcher
    ) -> tuple[float, urllib.robotparser.RobotFileParser]:
        status, body = await fetcher(key + "/robots.txt")
        rules = urllib.robotparser.RobotFileParser()
        if 200 <= status < 300:
            rules.parse(body.decode("utf-8", errors="replace").splitlines())
            return self._clock() + self.ttl, rules
        if 400 <= status < 500:
            rules.parse([])
            return self._clock() + self.ttl, rules
        rules.parse(["User-agent: *", "Disallow: /"])
        return self._clock() + min(self.ttl, 600.0), rules
