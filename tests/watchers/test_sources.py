"""Every source kind against a real HTTP site on loopback, through ``read_source``."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.sample_site import LocalSite, Route
from watchers.errors import FetchError, ParseError
from watchers.fetch import FetchPolicy
from watchers.netguard import parse_allowlist
from watchers.sources import SourceSpec, gdelt, read_source
from watchers.sources.gdelt import parse_artlist, timespan_param
from watchers.sources.page import _headline, article_links
from watchers.sources.search import search_url
from watchers.sources.sitemap import MAX_CHILD_FETCHES, inflate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "site"
NNW = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feeds" / "netnewswire-rsparser"
POLICY = FetchPolicy(allow_private=parse_allowlist(["127.0.0.1"]), max_bytes=200_000)
HTML = "text/html; charset=utf-8"
XML = "application/xml"


def fixture(name: str, **values: str) -> bytes:
    return Template((FIXTURES / name).read_text(encoding="utf-8")).substitute(values).encode()


async def read(spec: SourceSpec) -> list[tuple[str, str]]:
    async with httpx.AsyncClient() as client:
        listing = await read_source(client, POLICY, spec)
    return [(e.url, e.title) for e in listing.entries]


# ---------------------------------------------------------------- rss


async def test_rss_resolves_xml_base_normalises_dates_and_keeps_undated_entries(news_site: LocalSite) -> None:
    feed = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://127.0.0.1/ignored/">
  <title>Relative</title>
  <entry xml:base="/news/">
    <title>Offset date</title><id>a</id><link href="offset-date.html"/>
    <updated>2026-01-15T12:00:00+02:00</updated>
  </entry>
  <entry>
    <title>No date at all</title><id>b</id><link href="/undated.html"/>
  </entry>
</feed>"""
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>R</title>
<item><title>RFC 822 with a zone name</title><link>http://127.0.0.1/r.html</link>
<pubDate>Thu, 15 Jan 2026 07:00:00 EST</pubDate></item></channel></rss>"""
    news_site.set("/atom.xml", Route("application/atom+xml", feed))
    news_site.set("/rss.xml", Route("application/rss+xml", rss))
    async with httpx.AsyncClient() as client:
        atom = await read_source(client, POLICY, SourceSpec("rss", news_site.url + "/atom.xml"))
        plain = await read_source(client, POLICY, SourceSpec("rss", news_site.url + "/rss.xml"))
        again = await read_source(
            client, POLICY, SourceSpec("rss", news_site.url + "/rss.xml", etag=plain.etag)
        )
    assert [e.url for e in atom.entries] == [
        "http://127.0.0.1/news/offset-date.html",
        "http://127.0.0.1/undated.html",
    ]
    assert atom.entries[0].published == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert atom.entries[1].published is None
    assert plain.entries[0].published == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert again.not_modified
    assert again.entries == []


# ---------------------------------------------------------------- page


def test_page_heuristics_pick_article_links_only() -> None:
    base = "http://127.0.0.1:8080/world/"
    links = article_links(fixture("front-page.html"), base)
    assert links == [
        (
            "http://127.0.0.1:8080/world/2026/01/15/nato-expansion-talks-resume",
            "NATO expansion talks resume in Brussels",
        ),
        (
            "http://127.0.0.1:8080/business/grain-harvest-ends-early-in-the-south",
            "Grain harvest ends early in the south",
        ),
        ("http://127.0.0.1:8080/story/1234567", "Harbour ferry timetable changes for winter"),
        (
            "http://127.0.0.1:8080/opinion/why-the-alliance-keeps-growing.html",
            "Why the alliance keeps growing",
        ),
    ]


def test_page_selector_takes_exactly_what_it_matches() -> None:
    base = "http://127.0.0.1:8080/world/"
    links = article_links(fixture("front-page.html"), base, selector="ul.picks a, aside.sidebar")
    assert [u for u, _ in links] == [
        "http://127.0.0.1:8080/opinion/why-the-alliance-keeps-growing.html",
        "http://127.0.0.1:8080/world/2026/01/14/sidebar-most-read-story-of-yesterday",
    ]
    with pytest.raises(ParseError, match="bad CSS selector"):
        article_links(b"<html><body></body></html>", base, selector="a[[")


async def test_page_source_reads_links_conditionally_and_caps_them(news_site: LocalSite) -> None:
    news_site.set("/world/", Route(HTML, fixture("front-page.html")))
    async with httpx.AsyncClient() as client:
        spec = SourceSpec("page", news_site.url + "/world/", options={"max_items": 2})
        first = await read_source(client, POLICY, spec)
        spec = SourceSpec("page", news_site.url + "/world/", etag=first.etag)
        second = await read_source(client, POLICY, spec)
    assert [e.title for e in first.entries] == [
        "NATO expansion talks resume in Brussels",
        "Grain harvest ends early in the south",
    ]
    assert all(e.published is None for e in first.entries)
    assert second.not_modified


async def test_page_source_refuses_a_feed(news_site: LocalSite) -> None:
    news_site.set("/feed", Route("application/rss+xml", b"<rss/>"))
    with pytest.raises(ParseError, match="not a page: got application/rss\\+xml"):
        await read(SourceSpec("page", news_site.url + "/feed"))


# ---------------------------------------------------------------- sitemap


async def test_news_sitemap_titles_dates_newest_first(news_site: LocalSite) -> None:
    news_site.set("/news-sitemap.xml", Route(XML, fixture("news-sitemap.xml", base=news_site.url)))
    async with httpx.AsyncClient() as client:
        listing = await read_source(
            client, POLICY, SourceSpec("sitemap", news_site.url + "/news-sitemap.xml")
        )
    got = [(e.url.removeprefix(news_site.url), e.title, e.published) for e in listing.entries]
    assert got == [
        ("/sport/cup-final-ends-in-a-draw.html", "", datetime(2026, 1, 15, 18, 0, tzinfo=UTC)),
        (
            "/world/nato-expansion-talks-resume.html",
            "NATO expansion talks resume in Brussels",
            datetime(2026, 1, 15, 8, 30, tzinfo=UTC),
        ),
        ("/business/grain-harvest-ends-early.html", "", datetime(2026, 1, 14, tzinfo=UTC)),
        ("/undated/harbour-ferry-timetable.html", "", None),
    ]


def _urlset(base: str, paths: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in paths)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


async def test_sitemap_index_follows_the_newest_children_including_gzip(news_site: LocalSite) -> None:
    base = news_site.url
    now = datetime(2026, 1, 15, tzinfo=UTC)
    children = [(f"/sm-{i}.xml.gz", now - timedelta(days=i)) for i in range(4)]
    index = "".join(
        f"<sitemap><loc>{base}{path}</loc><lastmod>{when.isoformat()}</lastmod></sitemap>"
        for path, when in reversed(children)  # oldest first in the document: order must come from lastmod
    )
    news_site.set(
        "/index.xml",
        Route(
            XML,
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>'.encode(),
        ),
    )
    for i, (path, _) in enumerate(children):
        news_site.set(
            path, Route("application/gzip", gzip.compress(_urlset(base, [f"/child{i}/story-number-{i}"])))
        )
    spec = SourceSpec("sitemap", base + "/index.xml", options={"max_sitemaps": 2})
    urls = [u.removeprefix(base) for u, _ in await read(spec)]
    assert sorted(urls) == ["/child0/story-number-0", "/child1/story-number-1"]
    assert news_site.hits("/sm-3.xml.gz") == 0


def _index(base: str, paths: list[str]) -> Route:
    maps = "".join(f"<sitemap><loc>{base}{p}</loc></sitemap>" for p in paths)
    return Route(
        XML,
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'.encode(),
    )


async def test_an_index_inside_an_index_is_followed_to_a_bounded_depth(news_site: LocalSite) -> None:
    base = news_site.url
    news_site.set("/index.xml", _index(base, ["/sections.xml", "/top.xml", "/index.xml"]))  # lists itself
    news_site.set("/top.xml", Route(XML, _urlset(base, ["/top/harbour-strike-ends"])))
    news_site.set("/sections.xml", _index(base, ["/sport.xml", "/archive-index.xml"]))
    news_site.set("/sport.xml", Route(XML, _urlset(base, ["/sport/final-goes-to-extra-time"])))
    news_site.set("/archive-index.xml", _index(base, ["/archive.xml"]))  # a third level: not followed
    news_site.set("/archive.xml", Route(XML, _urlset(base, ["/archive/old-story"])))
    urls = [u.removeprefix(base) for u, _ in await read(SourceSpec("sitemap", base + "/index.xml"))]
    assert sorted(urls) == ["/sport/final-goes-to-extra-time", "/top/harbour-strike-ends"]
    assert news_site.hits("/archive.xml") == 0
    assert news_site.hits("/index.xml") == 1  # a loop back to the configured index is not fetched again


async def test_a_wide_tree_of_indexes_costs_a_bounded_number_of_fetches(news_site: LocalSite) -> None:
    base = news_site.url
    news_site.set("/index.xml", _index(base, [f"/part-{i}.xml" for i in range(50)]))
    for i in range(50):
        news_site.set(f"/part-{i}.xml", _index(base, [f"/leaf-{i}-{j}.xml" for j in range(50)]))
        for j in range(50):
            news_site.set(f"/leaf-{i}-{j}.xml", Route(XML, _urlset(base, [f"/news/{i}-{j}"])))
    spec = SourceSpec("sitemap", base + "/index.xml", options={"max_sitemaps": 50})
    urls = await read(spec)
    fetched = len(news_site.requests) - 1  # the configured index itself
    assert fetched == MAX_CHILD_FETCHES
    assert len(urls) == MAX_CHILD_FETCHES - 1  # one part index, then the leaves the budget allowed


async def test_sitemap_index_with_every_child_broken_is_an_error(news_site: LocalSite) -> None:
    index = f"<sitemapindex><sitemap><loc>{news_site.url}/gone.xml</loc></sitemap></sitemapindex>"
    news_site.set("/index.xml", Route(XML, index.encode()))
    with pytest.raises(ParseError, match=r"every child sitemap failed; first: .*HTTP 404"):
        await read(SourceSpec("sitemap", news_site.url + "/index.xml"))


async def test_sitemap_entity_bomb_is_refused(news_site: LocalSite) -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<urlset><url><loc>&lol3;</loc></url></urlset>"""
    news_site.set("/bomb.xml", Route(XML, bomb))
    with pytest.raises(ParseError, match="unsafe XML refused"):
        await read(SourceSpec("sitemap", news_site.url + "/bomb.xml"))


async def test_sitemap_errors_are_readable(news_site: LocalSite) -> None:
    news_site.set("/broken.xml", Route(XML, b"<urlset>\n<url><loc>x</loc>\n</urlset>"))
    news_site.set("/html.xml", Route(XML, b"<html><body>hi</body></html>"))
    with pytest.raises(ParseError, match="XML error at line 3"):
        await read(SourceSpec("sitemap", news_site.url + "/broken.xml"))
    with pytest.raises(ParseError, match="not a sitemap: the root element is <html>"):
        await read(SourceSpec("sitemap", news_site.url + "/html.xml"))


def test_gzip_inflation_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(ParseError, match="more than 100,000 bytes once unzipped"):
        inflate(bomb, 100_000)
    assert inflate(gzip.compress(b"<urlset/>"), 100) == b"<urlset/>"
    assert inflate(b"<urlset/>", 100) == b"<urlset/>"


# ---------------------------------------------------------------- search


def test_search_url_encodes_the_query() -> None:
    template = "https://news.example/rss/search?q={query}&hl=en"
    assert search_url(template, '"NATO expansion"  Finland') == (
        "https://news.example/rss/search?q=%22NATO%20expansion%22%20Finland&hl=en"
    )
    assert search_url("https://x.example/{query}.rss", "a/b & c") == "https://x.example/a%2Fb%20%26%20c.rss"


def _rss(base: str, *items: tuple[str, str]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{base}{p}</link></item>" for t, p in items)
    return f'<rss version="2.0"><channel><title>S</title>{body}</channel></rss>'.encode()


async def test_search_fetches_one_feed_per_topic_and_merges(news_site: LocalSite) -> None:
    base = news_site.url
    news_site.set("/search", Route("application/rss+xml", _rss(base, ("One", "/1"), ("Two", "/2"))))
    spec = SourceSpec(
        "search", base + "/search?q={query}&hl=en", queries=('"NATO expansion"', "harvest", "harvest")
    )
    got = await read(spec)
    assert got == [(base + "/1", "One"), (base + "/2", "Two")]
    asked = [parse_qs(urlsplit(path).query) for path, _ in news_site.requests]
    assert asked == [{"q": ['"NATO expansion"'], "hl": ["en"]}, {"q": ["harvest"], "hl": ["en"]}]


async def test_search_without_topics_reads_nothing_and_all_failing_is_an_error(news_site: LocalSite) -> None:
    assert await read(SourceSpec("search", news_site.url + "/s?q={query}")) == []
    assert news_site.requests == []
    with pytest.raises(FetchError, match="every topic's search failed; first: HTTP 404"):
        await read(SourceSpec("search", news_site.url + "/missing?q={query}", queries=("a", "b")))


async def test_search_sends_each_topics_validators_and_keeps_a_failed_topics(news_site: LocalSite) -> None:
    base = news_site.url
    news_site.set("/s", Route("application/rss+xml", _rss(base, ("One", "/1"))))
    template = base + "/{query}?x=1"
    spec = SourceSpec("search", base + "/s?q={query}", queries=("grain", "ferry"))
    async with httpx.AsyncClient() as client:
        first = await read_source(client, POLICY, spec)
        assert first.validators is not None
        assert set(first.validators) == {
            search_url(spec.url, "grain"),
            search_url(spec.url, "ferry"),
        }
        again = await read_source(
            client, POLICY, SourceSpec("search", spec.url, queries=spec.queries, validators=first.validators)
        )
        assert again.not_modified  # every topic's feed answered 304
        assert again.entries == []
        assert again.validators == first.validators
        # one topic's feed changes, another's search fails: the first is read, the failed one keeps its own
        news_site.set("/s", Route("application/rss+xml", _rss(base, ("One", "/1"), ("Two", "/2"))))
        saved = {search_url(template, "missing"): ("W/old", None), **first.validators}  # those go stale
        mixed = await read_source(
            client,
            POLICY,
            SourceSpec("search", template, queries=("s", "missing"), validators=saved),
        )
    assert not mixed.not_modified
    assert [e.title for e in mixed.entries] == ["One", "Two"]
    assert mixed.validators is not None
    assert mixed.validators[search_url(template, "missing")] == ("W/old", None)
    assert set(mixed.validators) == {search_url(template, "s"), search_url(template, "missing")}
    sent = [h.get("if-none-match") for _, h in news_site.requests]
    assert sent[:2] == [None, None]
    assert all(sent[2:4])  # the second read was conditional, per topic


# ---------------------------------------------------------------- gdelt


GDELT_ANSWER = {
    "articles": [
        {
            "url": "https://outlet.example/world/nato-expansion-talks",
            "url_mobile": "",
            "title": "NATO  expansion talks resume",
            "seendate": "20260115T093000Z",
            "socialimage": "",
            "domain": "outlet.example",
            "language": "English",
            "sourcecountry": "Belgium",
        },
        {"url": "javascript:alert(1)", "title": "bad", "seendate": "20260115T093000Z"},
        {"url": "https://other.example/b", "title": "No date", "seendate": "garbage"},
    ]
}


async def test_gdelt_queries_per_topic_against_a_local_emulation(
    news_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gdelt, "QUERY_PAUSE_SECONDS", 0.0)
    news_site.set("/api/v2/doc/doc", Route("application/json", json.dumps(GDELT_ANSWER).encode()))
    spec = SourceSpec(
        "gdelt",
        news_site.url + "/api/v2/doc/doc",
        options={"max_items": 10, "timespan_seconds": 7200},
        queries=('"NATO expansion"', "grain harvest"),
    )
    async with httpx.AsyncClient() as client:
        listing = await read_source(client, POLICY, spec)
    assert [(e.url, e.title, e.published) for e in listing.entries] == [
        (
            "https://outlet.example/world/nato-expansion-talks",
            "NATO expansion talks resume",
            datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        ),
        ("https://other.example/b", "No date", None),
    ]
    params = [parse_qs(urlsplit(path).query) for path, _ in news_site.requests]
    assert [p["query"] for p in params] == [['"NATO expansion"'], ["grain harvest"]]
    for p in params:
        assert p["mode"] == ["ArtList"]
        assert p["format"] == ["json"]
        assert p["maxrecords"] == ["10"]
        assert p["timespan"] == ["2h"]
        assert p["sort"] == ["DateDesc"]


async def test_gdelt_plain_text_refusal_is_a_readable_error(news_site: LocalSite) -> None:
    news_site.set("/doc", Route("text/html", b"The specified phrase is too short.\n"))
    with pytest.raises(ParseError, match=r"GDELT refused the query: The specified phrase is too short\."):
        await read(SourceSpec("gdelt", news_site.url + "/doc", queries=("eu",)))


def test_gdelt_shapes() -> None:
    assert parse_artlist(b"{}") == []
    assert parse_artlist(b"") == []
    with pytest.raises(ParseError, match="articles is not a list"):
        parse_artlist(b'{"articles": 3}')
    assert [timespan_param(timedelta(minutes=m)) for m in (5, 15, 90, 180, 2880)] == [
        "15min",
        "15min",
        "90min",
        "3h",
        "2d",
    ]


async def test_unknown_kind_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="unknown source kind 'telegraph'"):
        await read(SourceSpec("telegraph", "http://127.0.0.1:9/"))


def test_headlines_inside_links_and_inline_links() -> None:
    html = b"""<html><body><main>
    <div><a href="/world/2026/01/15/talks-resume"><figure><img src="x.jpg"><figcaption>AP / Photographer
    </figcaption></figure><h3 class="x">Talks resume in Brussels today</h3></a></div>
    <div><a href="/world/2026/01/14/storm-hits-coast">
    <span class="c-headline">Storm hits the coast hard</span><span>Photo credit line</span></a></div>
    <p>As the minister <a href="/world/2026/01/02/earlier-statement-on-the-talks">said in January</a>,
    the talks were expected to take a long time, and nobody in the room thought otherwise at that stage.</p>
    <div><a href="/link/2026/01/13/a-linked-item-about-the-talks">January 13, 2026 4:29 PM</a></div>
    </main></body></html>"""
    links = article_links(html, "http://127.0.0.1/")
    assert links == [
        ("http://127.0.0.1/world/2026/01/15/talks-resume", "Talks resume in Brussels today"),
        ("http://127.0.0.1/world/2026/01/14/storm-hits-coast", "Storm hits the coast hard"),
        ("http://127.0.0.1/link/2026/01/13/a-linked-item-about-the-talks", "January 13, 2026 4:29 PM"),
    ]
    assert _headline("January 13, 2026 4:29 PM") == ""  # a permalink's dateline: the page's title is used
    assert _headline("2026-01-13") == ""
    assert _headline("March madness ends in a draw for the home team") != ""


@pytest.mark.skipif(not NNW.is_dir(), reason="../shared/corpus/feeds/netnewswire-rsparser is absent")
def test_real_front_page_links() -> None:
    links = dict(article_links((NNW / "coco.html").read_bytes(), "https://www.theatlantic.com/"))
    assert len(links) >= 10
    assert all(url.split("/")[2].endswith("theatlantic.com") for url in links)
    making = "https://www.theatlantic.com/magazine/archive/2017/12/the-making-of-an-american-nazi/544119/"
    assert links[making] == "The Making of an American Nazi"
    assert not any("/tag/" in url or "/author/" in url for url in links)


async def test_search_rate_limited_everywhere_keeps_the_longest_retry_after(news_site: LocalSite) -> None:
    news_site.set("/busy", Route("text/plain", b"slow down", status=429, headers={"Retry-After": "120"}))
    with pytest.raises(FetchError, match="every topic's search failed; first: HTTP 429") as info:
        await read(SourceSpec("search", news_site.url + "/busy?q={query}", queries=("a", "b")))
    assert info.value.retry_after == 120
    assert info.value.status == 429
