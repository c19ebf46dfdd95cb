"""The source client's cookies: kept and sent back when a site sets one, not looked for when none is set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sample_site import LocalSite, Route
from watchers.fetch import FetchPolicy, fetch
from watchers.guarded_transport import guarded_client
from watchers.netguard import parse_allowlist

ALLOW = parse_allowlist(["127.0.0.1"])
POLICY = FetchPolicy(allow_private=ALLOW, max_bytes=50_000, max_redirects=3)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        s.set("/plain.xml", Route("application/rss+xml", b"<rss/>"))
        s.set(
            "/consent",
            Route(
                "text/plain", b"", status=302, headers={"Location": "/feed.xml", "Set-Cookie": "ok=1; Path=/"}
            ),
        )
        s.set("/feed.xml", Route("application/rss+xml", b"<rss version='2.0'/>"))
        yield s


async def test_a_cookie_a_site_sets_is_sent_back(site: LocalSite) -> None:
    async with guarded_client(ALLOW) as client:
        result = await fetch(client, site.url + "/consent", POLICY)
        assert result.body == b"<rss version='2.0'/>"
        await fetch(client, site.url + "/plain.xml", POLICY)
    sent = {path: headers.get("cookie") for path, headers in site.requests}
    assert sent == {"/consent": None, "/feed.xml": "ok=1", "/plain.xml": "ok=1"}


async def test_answers_without_set_cookie_never_reach_the_jar(
    site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with guarded_client(ALLOW) as client:
        looked: list[str] = []
        jar = client.cookies.jar
        original = jar.extract_cookies
        monkeypatch.setattr(jar, "extract_cookies", lambda *a: looked.append("x") or original(*a))
        for _ in range(3):
            await fetch(client, site.url + "/plain.xml", POLICY)
        assert looked == []
        await fetch(client, site.url + "/consent", POLICY)
        assert looked == ["x"]  # the redirect that set a cookie; its target set none
