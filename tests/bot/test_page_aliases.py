"""Two addresses of one page on one site (a print view and the article, ``?id=`` and slug links) make one
article, and the second address is remembered: its page is not fetched and extracted again at every later
poll that still lists it. So is a feed's link whose page names another canonical URL (a feed without
guids knows its entries by their links only)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlmodel import select

from bot.archive import known_urls, store_article
from bot.models import Article, ArticleHome, Source
from bot.sample_site import LocalSite, Route
from bot.store import Store
from tests.feed_service import one_feed_service
from watchers.entries import Article as ArticleData


def page(title: str) -> Route:
    text = " ".join(["The council approved the harbour budget after a long debate about", title] * 12)
    return Route(
        "text/html",
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{text}.</p></article></body></html>".encode(),
    )


def feed(site: LocalSite, *paths: str) -> Route:
    items = "".join(
        f"<item><title>Report {number}</title><link>{site.url}{path}</link>"
        f"<pubDate>Tue, 01 Dec 2026 09:{number:02d}:00 GMT</pubDate></item>"
        for number, path in enumerate(paths)
    )
    body = f"<rss version='2.0'><channel><title>Site</title>{items}</channel></rss>"
    return Route("application/rss+xml", body.encode())


async def test_the_second_address_of_a_page_is_fetched_once_and_adds_no_outlet(
    database_url: str, tmp_path: Path
) -> None:
    with LocalSite() as site:
        site.set("/print/harbour-budget", page("Harbour budget"))
        site.set("/news/harbour-budget", page("Harbour budget"))
        site.set("/news/tram-line", page("Tram line"))
        site.set("/feed.xml", feed(site, "/print/harbour-budget", "/news/harbour-budget"))
        app, store = one_feed_service(site, database_url, tmp_path)
        try:
            [first] = (await app.poll_once()).outcomes
            # the feed gains an entry (so it is read again) and still lists both addresses
            site.set(
                "/feed.xml", feed(site, "/print/harbour-budget", "/news/harbour-budget", "/news/tram-line")
            )
            [second] = (await app.poll_once()).outcomes
            fetched = (
                site.hits("/print/harbour-budget"),
                site.hits("/news/harbour-budget"),
                site.hits("/news/tram-line"),
            )
            with store.session() as session:
                articles = sorted(a.title for a in session.exec(select(Article)).all())
                homes = len(session.exec(select(ArticleHome)).all())
        finally:
            await app.aclose()
            store.close()
    assert (first.status, second.status) == ("ok", "ok")
    assert (first.new_articles, second.new_articles) == (1, 1)
    assert articles == ["Report 0", "Report 2"]  # the feed's titles; "Report 1" is the same page as 0
    assert homes == 2  # one outlet each: the second address is not another outlet carrying the story
    assert fetched == (1, 1, 1)


async def test_an_entry_whose_page_names_another_canonical_url_is_fetched_once(
    database_url: str, tmp_path: Path
) -> None:
    with LocalSite() as site:
        article = page("Harbour budget").body.replace(
            b"<head>", f"<head><link rel='canonical' href='{site.url}/news/harbour-budget'>".encode()
        )
        site.set("/r/7", Route("text/html", article))
        site.set("/news/tram-line", page("Tram line"))
        site.set("/feed.xml", feed(site, "/r/7"))
        app, store = one_feed_service(site, database_url, tmp_path)
        try:
            [first] = (await app.poll_once()).outcomes
            site.set("/feed.xml", feed(site, "/r/7", "/news/tram-line"))
            [second] = (await app.poll_once()).outcomes
            fetched = (site.hits("/r/7"), site.hits("/news/tram-line"))
            with store.session() as session:
                urls = sorted(a.url for a in session.exec(select(Article)).all())
        finally:
            await app.aclose()
            store.close()
    assert (first.new_articles, second.new_articles) == (1, 1)
    assert urls == [site.url + "/news/harbour-budget", site.url + "/news/tram-line"]
    assert fetched == (1, 1)


def test_an_archive_from_before_aliases_learns_the_feed_link_when_it_meets_the_entry_again(
    database_url: str,
) -> None:
    """Stored under its canonical URL by an older version (no alias): the next time the entry comes, the
    store finds the article by that URL and keeps the feed's link, so the entry is known from then on."""
    store = Store.open(database_url)
    try:
        source = _source(store)
        canonical, listed = "https://site.example/news/harbour", "https://site.example/r/7"
        text = " ".join(["The council approved the harbour budget after a long debate."] * 10)
        first = ArticleData(url=canonical, title="Harbour budget", text=text, text_origin="page")
        assert store_article(store, source_id=source, data=first, summary="", matches=[], alert=False)
        assert known_urls(store, [listed], [], source) == (set(), set())
        again = replace(first, extra_urls=(listed,))
        assert store_article(store, source_id=source, data=again, summary="", matches=[], alert=False) is None
        assert known_urls(store, [listed, canonical], [], source) == ({listed, canonical}, set())
    finally:
        store.close()


def _source(store: Store) -> int:
    with store.session() as session:
        row = Source(name="Site", url="https://site.example/feed.xml")
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id
