"""Feed auto-discovery on our own pages over loopback, and on real home pages from the corpus."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.sample_site import LocalSite, Route
from watchers.discovery import DiscoveredFeed, discover_feeds, feeds_in_page
from watchers.errors import FetchError
from watchers.fetch import FetchPolicy
from watchers.netguard import parse_allowlist

POLICY = FetchPolicy(allow_private=parse_allowlist(["127.0.0.1"]))
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feeds" / "netnewswire-rsparser"
RSS = b'<rss version="2.0"><channel><title>T</title><item><title>A</title><link>http://127.0.0.1/a</link></item></channel></rss>'
HOME = b"""<html><head><base href="/site/">
<link rel="alternate" type="application/rss+xml" title="Top stories" href="top.xml">
<link rel="alternate stylesheet" type="text/css" href="x.css">
<link rel="alternate" hreflang="de" href="/de/">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/atom.xml">
<link rel="alternate" type="application/feed+json" href="https://127.0.0.1/feed.json">
<link rel="alternate" type="application/rss+xml" title="dup" href="/site/top.xml">
</head><body>hello</body></html>"""


def test_feeds_in_page_resolves_and_filters() -> None:
    assert feeds_in_page(HOME, "http://127.0.0.1:8000/") == [
        DiscoveredFeed("http://127.0.0.1:8000/site/top.xml", "Top stories", "RSS"),
        DiscoveredFeed("http://127.0.0.1:8000/atom.xml", "", "Atom"),
        DiscoveredFeed("https://127.0.0.1/feed.json", "", "JSON Feed"),
    ]
    assert feeds_in_page(b"", "http://127.0.0.1/") == []


async def test_discovery_over_http(news_site: LocalSite) -> None:
    base = news_site.url
    news_site.set("/", Route("text/html", HOME))
    news_site.set("/plain/", Route("text/html", b"<html><body>no links</body></html>"))
    news_site.set("/plain/feed", Route("application/rss+xml", RSS))
    news_site.set("/bare/", Route("text/html", b"<html><body>nothing</body></html>"))
    news_site.set("/feed.xml", Route("application/rss+xml", RSS))
    async with httpx.AsyncClient() as client:
        announced = await discover_feeds(client, POLICY, base + "/")
        fallback = await discover_feeds(client, POLICY, base + "/plain/")
        itself = await discover_feeds(client, POLICY, base + "/feed.xml")
        news_site.routes.pop("/feed.xml")
        none = await discover_feeds(client, POLICY, base + "/bare/")
        with pytest.raises(FetchError, match="HTTP 404"):
            await discover_feeds(client, POLICY, base + "/missing")
    assert [f.url for f in announced] == [
        base + "/site/top.xml",
        base + "/atom.xml",
        "https://127.0.0.1/feed.json",
    ]
    assert fallback == [DiscoveredFeed(base + "/plain/feed", "", "feed")]
    assert itself == [DiscoveredFeed(base + "/feed.xml", "", "feed")]
    assert none == []
    assert news_site.hits("/site/top.xml") == 0  # announced feeds are trusted, not fetched


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/feeds/netnewswire-rsparser is absent")
@pytest.mark.parametrize(
    ("page", "base", "expected"),
    [
        ("DaringFireball.html", "https://daringfireball.net/", ["https://daringfireball.net/feeds/main"]),
        (
            "coco.html",
            "https://www.theatlantic.com/",
            ["https://www.theatlantic.com/feed/all/", "https://www.theatlantic.com/feed/best-of/"],
        ),
        ("furbo.html", "https://furbo.org/", ["http://furbo.org/feed/"]),
        ("inessential.html", "https://inessential.com/", ["http://inessential.com/xml/rss.xml"]),
        ("sixcolors.html", "https://sixcolors.com/", ["http://feedpress.me/sixcolors"]),
        (
            "YouTubeTheVolvoRocks.html",
            "https://www.youtube.com/user/TheVolvorocks",
            ["https://www.youtube.com/feeds/videos.xml?channel_id=UCct7QF2jcWRY6dhXWMSq9LQ"],
        ),
    ],
)
def test_real_home_pages(page: str, base: str, expected: list[str]) -> None:
    assert [f.url for f in feeds_in_page((CORPUS / page).read_bytes(), base)] == expected
