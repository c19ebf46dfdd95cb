"""An article's author and date: the feed's when it gives them, else what the page says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from bot.models import Article
from bot.sample_site import LocalSite, Route
from tests.feed_service import one_feed_service

FEED_DATE = "Tue, 01 Dec 2026 09:30:00 GMT"


def page(title: str) -> Route:
    text = " ".join(["The full story about", title, "as the publisher printed it."] * 20)
    return Route(
        "text/html",
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<div class='byline'>By Page Writer</div><p class='date'>Published 28 November 2026</p>"
        f"<p>{text}</p></article></body></html>".encode(),
    )


def feed(items: str) -> Route:
    body = (
        "<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'><channel><title>Site</title>"
        f"{items}</channel></rss>"
    )
    return Route("application/rss+xml", body.encode())


async def test_the_feed_s_author_and_date_win_and_the_page_fills_in_what_the_feed_lacks(
    tmp_path: Path,
) -> None:
    with LocalSite() as site:
        described = (
            f"<item><title>Described report</title><link>{site.url}/news/0.html</link>"
            f"<dc:creator>Feed Writer</dc:creator><pubDate>{FEED_DATE}</pubDate>"
            "<description>Described report, told in the feed.</description></item>"
        )
        bare = (
            f"<item><title>Bare report</title><link>{site.url}/news/1.html</link>"
            "<description>Bare report, told in the feed.</description></item>"
        )
        site.set("/feed.xml", feed(described))
        site.set("/news/0.html", page("Described report"))
        site.set("/news/1.html", page("Bare report"))
        app, store = one_feed_service(site, f"sqlite:///{tmp_path}/nw.db", tmp_path)
        try:
            [first] = (await app.poll_once()).outcomes
            # an undated entry is fetched only once the source is past its first poll (backfill)
            site.set("/feed.xml", feed(described + bare))
            [second] = (await app.poll_once()).outcomes
            assert (first.new_articles, second.new_articles) == (1, 1)
            with store.session() as session:
                stored = {a.title: a for a in session.exec(select(Article)).all()}
        finally:
            await app.aclose()
            store.close()
    described, bare = stored["Described report"], stored["Bare report"]
    assert described.text_origin == bare.text_origin == "page"
    assert described.author == "Feed Writer"
    assert described.published_at is not None
    assert described.published_at.replace(tzinfo=UTC) == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert bare.author == "Page Writer"
    assert bare.published_at is not None
    assert bare.published_at.date().isoformat() == "2026-11-28"
