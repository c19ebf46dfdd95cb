"""Per-host limits, Retry-After shared by a host, and robots.txt, against a real local site."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.sample_site import LocalSite, Route
from watchers.errors import FetchError
from watchers.fetch import FetchPolicy, fetch
from watchers.netguard import parse_allowlist
from watchers.politeness import HostGate, RobotsCache

POLICY = FetchPolicy(allow_private=parse_allowlist(["127.0.0.1"]))
PAGE = Route("text/html", b"<html><body><p>story</p></body></html>")


class CountingSite(LocalSite):
    """Records how many requests were in flight at once and when each one arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.peak = 0
        self.arrivals: list[float] = []
        self._count = threading.Lock()

    def _serve(self, request: object) -> None:  # type: ignore[override]
        with self._count:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.arrivals.append(time.monotonic())
        try:
            super()._serve(request)  # type: ignore[arg-type]
        finally:
            with self._count:
                self.in_flight -= 1


@pytest.fixture
def site() -> Iterator[CountingSite]:
    with CountingSite() as s:
        yield s


async def test_per_host_concurrency_is_limited(site: CountingSite) -> None:
    for i in range(8):
        site.set(f"/f{i}.xml", Route("application/rss+xml", b"<rss/>", delay=0.2))
    gate = HostGate(per_host=2, min_delay=0)
    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(fetch(client, f"{site.url}/f{i}.xml", POLICY, gate=gate) for i in range(8)))
    assert site.peak == 2


async def test_requests_to_one_host_are_spaced(site: CountingSite) -> None:
    for i in range(4):
        site.set(f"/f{i}.xml", Route("application/rss+xml", b"<rss/>"))
    gate = HostGate(per_host=4, min_delay=0.25)
    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(fetch(client, f"{site.url}/f{i}.xml", POLICY, gate=gate) for i in range(4)))
    gaps = [b - a for a, b in zip(site.arrivals, site.arrivals[1:], strict=False)]
    assert len(gaps) == 3
    assert min(gaps) >= 0.2  # a lower bound only: a busy machine may make the gaps longer, never shorter


async def test_retry_after_holds_back_every_source_on_that_host(site: CountingSite) -> None:
    site.set("/busy.xml", Route("text/plain", b"", status=429, headers={"Retry-After": "120"}))
    site.set("/other.xml", Route("application/rss+xml", b"<rss/>"))
    gate = HostGate(per_host=2, min_delay=0)
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchError, match=r"^HTTP 429$"):
            await fetch(client, site.url + "/busy.xml", POLICY, gate=gate)
        with pytest.raises(FetchError, match=r"asked us to wait 1[12]\d s more \(Retry-After\)") as info:
            await fetch(client, site.url + "/other.xml", POLICY, gate=gate)
    assert info.value.retry_after is not None
    assert info.value.retry_after > 100
    assert site.hits("/other.xml") == 0


async def test_robots_txt_is_obeyed_for_pages_and_fetched_once(site: CountingSite) -> None:
    site.set("/robots.txt", Route("text/plain", b"User-agent: *\nDisallow: /private/\n"))
    site.set("/news/1.html", PAGE)
    site.set("/news/2.html", PAGE)
    site.set("/private/3.html", PAGE)
    robots = RobotsCache("Newswatch/0.1")
    async with httpx.AsyncClient() as client:
        for path in ("/news/1.html", "/news/2.html"):
            assert (await fetch(client, site.url + path, POLICY, robots=robots)).status == 200
        with pytest.raises(FetchError, match=r"disallowed by robots\.txt"):
            await fetch(client, site.url + "/private/3.html", POLICY, robots=robots)
    assert site.hits("/robots.txt") == 1
    assert site.hits("/private/3.html") == 0


async def test_robots_rules_for_our_agent(site: CountingSite) -> None:
    site.set(
        "/robots.txt", Route("text/plain", b"User-agent: Newswatch\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    )
    site.set("/news/1.html", PAGE)
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchError, match=r"disallowed by robots\.txt"):
            await fetch(client, site.url + "/news/1.html", POLICY, robots=RobotsCache("Newswatch/0.1"))
        other = await fetch(client, site.url + "/news/1.html", POLICY, robots=RobotsCache("OtherBot/1"))
    assert other.status == 200


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (403, True), (500, False), (503, False)])
async def test_unreachable_robots_txt_follows_rfc_9309(
    site: CountingSite, status: int, allowed: bool
) -> None:
    site.set("/robots.txt", Route("text/plain", b"", status=status))
    site.set("/news/1.html", PAGE)
    async with httpx.AsyncClient() as client:
        call = fetch(client, site.url + "/news/1.html", POLICY, robots=RobotsCache("Newswatch/0.1"))
        if allowed:
            assert (await call).status == 200
        else:
            with pytest.raises(FetchError, match=r"disallowed by robots\.txt"):
                await call
