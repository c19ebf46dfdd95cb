"""Fetching against a real HTTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bot.sample_site import LocalSite, Route
from watchers.errors import BlockedURLError, FetchError
from watchers.fetch import FetchPolicy, fetch, retry_after_seconds
from watchers.netguard import parse_allowlist

POLICY = FetchPolicy(allow_private=parse_allowlist(["127.0.0.1"]), max_bytes=50_000, max_redirects=3)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


async def test_conditional_get_gives_304(site: LocalSite) -> None:
    site.set("/f", Route("application/rss+xml", b"<rss/>"))
    async with httpx.AsyncClient() as client:
        first = await fetch(client, site.url + "/f", POLICY)
        second = await fetch(client, site.url + "/f", POLICY, etag=first.etag)
    assert first.status == 200
    assert first.body == b"<rss/>"
    assert second.not_modified
    assert second.body == b""


async def test_redirect_to_a_blocked_address_is_refused(site: LocalSite) -> None:
    site.set("/r", Route("text/plain", b"", status=302, headers={"Location": "http://127.0.0.2:9/x"}))
    async with httpx.AsyncClient() as client:
        with pytest.raises(BlockedURLError, match=r"127\.0\.0\.2"):
            await fetch(client, site.url + "/r", POLICY)


async def test_redirect_loop_stops(site: LocalSite) -> None:
    site.set("/loop", Route("text/plain", b"", status=302, headers={"Location": "/loop"}))
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchError, match="more than 3 redirects"):
            await fetch(client, site.url + "/loop", POLICY)


async def test_size_cap_and_status_errors(site: LocalSite) -> None:
    site.set("/big", Route("application/xml", b"x" * 60_000))
    site.set("/busy", Route("text/plain", b"slow down", status=429, headers={"Retry-After": "30"}))
    async with httpx.AsyncClient() as client:
        with pytest.raises(FetchError, match="too large"):
            await fetch(client, site.url + "/big", POLICY)
        with pytest.raises(FetchError) as info:
            await fetch(client, site.url + "/busy", POLICY)
    assert info.value.status == 429
    assert info.value.retry_after == 30


@pytest.mark.parametrize(
    "url", ["ftp://example.org/f", "file:///etc/passwd", "http://[::1]:9/", "http://127.0.0.2/"]
)
async def test_blocked_targets_never_connect(url: str) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(BlockedURLError):
            await fetch(client, url, POLICY)


def test_retry_after_forms() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
