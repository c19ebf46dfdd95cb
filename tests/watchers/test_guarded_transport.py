"""The address check on the address actually connected to, with name resolution stubbed.

Only loopback is ever contacted: "refused" targets are loopback addresses missing from the allowlist
(127.0.0.2, [::1], ::ffff:127.0.0.2), and public-looking names are resolved by a stub, never by DNS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.sample_site import LocalSite, Route
from watchers.errors import BlockedURLError
from watchers.fetch import FetchPolicy, fetch
from watchers.guarded_transport import guarded_client
from watchers.netguard import parse_allowlist

ALLOW = parse_allowlist(["127.0.0.1"])


class StubDNS:
    """Answers from a table, and can change its answer after the first lookup (DNS rebinding)."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answers = self.table[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        s.set("/feed.xml", Route("application/rss+xml", b"<rss/>"))
        yield s


def port_of(site: LocalSite) -> int:
    return int(site.url.rsplit(":", 1)[1])


async def test_a_name_resolving_to_an_allowed_address_is_fetched_with_its_own_host_header(
    site: LocalSite,
) -> None:
    dns = StubDNS({"news.example": [["127.0.0.1"]]})
    policy = FetchPolicy(allow_private=ALLOW, resolver=dns)
    url = f"http://news.example:{port_of(site)}/feed.xml"
    async with guarded_client(ALLOW, resolver=dns) as client:
        result = await fetch(client, url, policy)
    assert result.body == b"<rss/>"
    assert site.requests[-1][1]["host"] == f"news.example:{port_of(site)}"
    assert dns.lookups == ["news.example", "news.example"]  # the pre-check and the connection


@pytest.mark.parametrize("address", ["127.0.0.2", "::1", "::ffff:127.0.0.2", "10.0.0.5", "169.254.169.254"])
async def test_a_name_resolving_to_a_refused_address_never_connects(site: LocalSite, address: str) -> None:
    dns = StubDNS({"news.example": [[address]]})
    async with guarded_client(ALLOW, resolver=dns) as client:
        with pytest.raises(BlockedURLError, match=re.escape(f"blocked: news.example resolves to {address}")):
            await fetch(
                client, "http://news.example/feed.xml", FetchPolicy(allow_private=ALLOW, resolver=dns)
            )
    assert site.requests == []


async def test_dns_rebinding_between_check_and_connect_is_caught(site: LocalSite) -> None:
    """The first answer passes the URL check; the connection asks again and gets a refused address."""
    dns = StubDNS({"rebind.example": [["127.0.0.1"], ["127.0.0.2"]]})
    policy = FetchPolicy(allow_private=ALLOW, resolver=dns)
    async with guarded_client(ALLOW, resolver=dns) as client:
        with pytest.raises(BlockedURLError, match=r"rebind\.example resolves to 127\.0\.0\.2"):
            await fetch(client, f"http://rebind.example:{port_of(site)}/feed.xml", policy)
    assert site.requests == []


async def test_one_refused_address_among_several_blocks_the_host(site: LocalSite) -> None:
    dns = StubDNS({"mixed.example": [["127.0.0.1", "127.0.0.2"]]})
    async with guarded_client(ALLOW, resolver=dns) as client:
        with pytest.raises(BlockedURLError, match=r"127\.0\.0\.2"):
            await client.get(f"http://mixed.example:{port_of(site)}/feed.xml")
    assert site.requests == []


@pytest.mark.parametrize("target", ["127.0.0.2", "[::1]", "[::ffff:127.0.0.2]"])
async def test_the_client_alone_refuses_loopback_literals_not_allowed(site: LocalSite, target: str) -> None:
    """Even a caller that skips ``fetch``'s own check cannot reach a refused address through the client."""
    async with guarded_client(ALLOW) as client:
        with pytest.raises(BlockedURLError, match="blocked: "):
            await client.get(f"http://{target}:{port_of(site)}/feed.xml")


async def test_redirect_to_a_refused_address_is_refused_at_the_hop(site: LocalSite) -> None:
    site.set(
        "/go", Route("text/plain", b"", status=302, headers={"Location": f"http://[::1]:{port_of(site)}/x"})
    )
    async with guarded_client(ALLOW) as client:
        with pytest.raises(BlockedURLError, match="::1"):
            await fetch(client, site.url + "/go", FetchPolicy(allow_private=ALLOW))
    assert [path for path, _ in site.requests] == ["/go"]
