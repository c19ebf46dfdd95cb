"""A connection goes back to the pool after answers we do not read: a 304, a redirect, an error page.

httpcore reuses a connection only once its last response was read to the end; one returned early is
closed. A cycle of sources answering 304 once opened a new connection for each (a new TLS handshake on
the web). With connections reused, a request that fails on one before any answer (the server closed it
just then, or a sloppy 304 left stray bytes) is sent once more on a new connection. The server here
counts connections and requests and keeps each connection open, as web servers do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.raw_http import RawHTTPServer, http_answer
from watchers.errors import FetchError
from watchers.fetch import DRAIN_LIMIT, FetchPolicy, fetch
from watchers.guarded_transport import guarded_client
from watchers.netguard import parse_allowlist

ALLOW = parse_allowlist(["127.0.0.1"])
POLICY = FetchPolicy(allow_private=ALLOW, max_bytes=50_000, max_redirects=3)


class KeepAliveSite(RawHTTPServer):
    """Keeps every connection open; ``hang_up_on_second`` closes one, unanswered, when its second request
    arrives: the server's keep-alive timeout running out just as the client reuses the connection."""

    hang_up_on_second = False

    def answer(self, head: str, served: int) -> bytes | None:
        if served == 2 and self.hang_up_on_second:
            return None
        path, conditional = head.split(" ", 2)[1], "if-none-match" in head
        if path == "/feed":
            if conditional:
                return http_answer("304 Not Modified", {"ETag": '"v1"'})
            return http_answer("200 OK", {"ETag": '"v1"', "Content-Type": "application/rss+xml"}, b"<rss/>")
        if path == "/sloppy-304":  # a 304 must not have a body; this one sends one anyway
            if conditional:
                return http_answer("304 Not Modified", {"ETag": '"v1"'}) + b"stray bytes\r\n"
            return http_answer("200 OK", {"ETag": '"v1"'}, b"<rss/>")
        if path == "/moved":
            return http_answer(
                "302 Found", {"Location": "/feed", "Content-Type": "text/html"}, b"<p>moved</p>"
            )
        if path == "/moved-with-a-novel":
            body = b"x" * (DRAIN_LIMIT + 1)
            return http_answer("302 Found", {"Location": "/feed", "Content-Type": "text/plain"}, body)
        return http_answer("404 Not Found", {"Content-Type": "text/html"}, b"<h1>nothing here</h1>" * 50)


@pytest.fixture
async def site() -> AsyncIterator[KeepAliveSite]:
    async with KeepAliveSite().running() as one:
        assert isinstance(one, KeepAliveSite)
        yield one


async def test_304s_reuse_one_connection(site: KeepAliveSite) -> None:
    async with guarded_client(ALLOW) as client:
        first = await fetch(client, site.url + "/feed", POLICY)
        for _ in range(3):
            again = await fetch(client, site.url + "/feed", POLICY, etag=first.etag)
            assert again.not_modified
    assert site.connections == 1


async def test_redirects_and_error_pages_reuse_the_connection(site: KeepAliveSite) -> None:
    async with guarded_client(ALLOW) as client:
        moved = await fetch(client, site.url + "/moved", POLICY)
        assert moved.body == b"<rss/>"
        with pytest.raises(FetchError, match="HTTP 404"):
            await fetch(client, site.url + "/gone", POLICY)
        await fetch(client, site.url + "/feed", POLICY)
    assert site.connections == 1


async def test_a_long_unwanted_body_is_not_read_the_connection_is_dropped(site: KeepAliveSite) -> None:
    async with guarded_client(ALLOW) as client:
        moved = await fetch(client, site.url + "/moved-with-a-novel", POLICY)
        assert moved.body == b"<rss/>"
    assert site.connections == 2  # the redirect's connection was closed, its target opened another


async def test_a_connection_the_server_closed_as_we_reused_it_is_retried_once(site: KeepAliveSite) -> None:
    site.hang_up_on_second = True
    async with guarded_client(ALLOW) as client:
        first = await fetch(client, site.url + "/feed", POLICY)
        again = await fetch(client, site.url + "/feed", POLICY, etag=first.etag)
    assert again.not_modified
    assert (site.connections, site.requests) == (2, 3)  # the unanswered request went again, on a new one


async def test_stray_bytes_after_a_304_cost_one_retry_not_an_error(site: KeepAliveSite) -> None:
    async with guarded_client(ALLOW) as client:
        first = await fetch(client, site.url + "/sloppy-304", POLICY)
        for _ in range(2):
            again = await fetch(client, site.url + "/sloppy-304", POLICY, etag=first.etag)
            assert again.not_modified
        after = await fetch(client, site.url + "/feed", POLICY)
    assert after.body == b"<rss/>"


class NeverAnswers(RawHTTPServer):
    def answer(self, head: str, served: int) -> None:
        return None


async def test_a_server_that_never_answers_is_an_error_after_two_tries() -> None:
    async with NeverAnswers().running() as server, guarded_client(ALLOW) as client:
        with pytest.raises(FetchError, match=r"could not connect to 127\.0\.0\.1"):
            await fetch(client, server.url + "/feed", POLICY)
    assert (server.connections, server.requests) == (2, 2)
