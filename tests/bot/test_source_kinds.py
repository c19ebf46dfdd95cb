"""Page and sitemap sources end to end through ``newswatch poll-once``, and one article however many
feeds and URLs lead to it (canonical link, tracking parameters, same text under another URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template
from typing import Any

from sqlmodel import select

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.models import Article
from bot.sample_site import LocalSite, Route
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.channels import build_channels

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "site"
NEWSWATCH = str(Path(sys.executable).with_name("newswatch"))
HTML = "text/html; charset=utf-8"
TOPIC = "NATO expansion"
NATO_TITLE = "Finland and Sweden weigh NATO expansion timetable"
LEAD = "Ministers from Finland and Sweden discussed the NATO expansion timetable on Tuesday in Brussels."


def article(canonical: str, title: str, lead: str) -> Route:
    text = (FIXTURES / "article.html").read_text(encoding="utf-8")
    return Route(HTML, Template(text).substitute(title=title, canonical=canonical, lead=lead).encode())


def front_page(links: list[tuple[str, str]]) -> Route:
    items = "".join(f'<li><h2><a href="{path}">{title}</a></h2></li>' for path, title in links)
    body = (
        '<html><body><nav class="menu"><a href="/world/">World</a><a href="/login">Log in</a></nav>'
        f"<main><ul>{items}</ul></main><footer><a href='/about'>About us</a></footer></body></html>"
    )
    return Route(HTML, body.encode())


def write_config(tmp_path: Path, database_url: str, sources: list[dict[str, Any]]) -> Path:
    def section(name: str, item: dict[str, Any]) -> str:
        return f"[[{name}]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in item.items())

    text = (
        f'[storage]\nurl = {json.dumps(database_url)}\n\n[network]\nallow_private = ["127.0.0.1"]\n'
        'timeout = "5s"\n\n'
        + "\n".join(section("sources", s) for s in sources)
        + section("topics", {"name": TOPIC, "query": "NATO expansion"})
        + section("channels", {"name": "out", "kind": "jsonl", "path": "alerts.jsonl"})
        + section("subscriptions", {"channel": "out", "topic": TOPIC})
    )
    path = tmp_path / "newswatch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def newswatch(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSWATCH_CONFIG"}
    result = subprocess.run(
        [NEWSWATCH, *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def events(config: Path) -> list[dict[str, Any]]:
    path = config.parent / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_page_source_end_to_end(news_site: LocalSite, tmp_path: Path) -> None:
    base = news_site.url
    grain = ("/world/2026/01/14/grain-harvest-ends-early", "Grain harvest ends early in the south")
    news_site.set("/world/", front_page([grain]))
    news_site.set(grain[0], article(base + grain[0], grain[1], "Farmers finished the harvest early."))
    config = write_config(
        tmp_path,
        "sqlite:///" + str(tmp_path / "n.db"),
        [{"name": "Courier front", "url": base + "/world/", "kind": "page"}],
    )

    newswatch("poll-once", config=config)
    assert events(config) == []  # the links already on the page when we start are history, stored silently

    nato = ("/world/2026/01/15/nato-expansion-timetable", "NATO expansion: the timetable")
    news_site.set("/world/", front_page([nato, grain]))
    news_site.set(nato[0], article(base + nato[0] + "?utm_source=page", NATO_TITLE, LEAD))
    newswatch("poll-once", config=config)
    newswatch("poll-once", config=config)

    got = events(config)
    assert [(e["event"], e["url"], e["source"]) for e in got] == [("new", base + nato[0], "Courier front")]
    assert got[0]["title"] == nato[1]
    assert "Brussels" in got[0]["summary"]
    health = json.loads(newswatch("sources", "--json", config=config).stdout)
    assert [(h["kind"], h["articles"], h["consecutive_failures"]) for h in health] == [("page", 2, 0)]


def test_sitemap_source_end_to_end(news_site: LocalSite, tmp_path: Path) -> None:
    base = news_site.url
    now = datetime.now(UTC).replace(microsecond=0)
    entries = [
        ("/world/nato-expansion-timetable.html", NATO_TITLE, now - timedelta(hours=1)),
        ("/world/old-nato-expansion-history.html", "NATO expansion, a history", now - timedelta(days=4)),
    ]
    urls = "".join(
        f"<url><loc>{base}{path}</loc><news:news><news:title>{title}</news:title>"
        f"<news:publication_date>{when.isoformat()}</news:publication_date></news:news></url>"
        for path, title, when in entries
    )
    sitemap = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    )
    news_site.set(
        "/sitemap-news.xml.gz", Route("application/x-gzip", __import__("gzip").compress(sitemap.encode()))
    )
    for path, title, _ in entries:
        news_site.set(path, article(base + path, title, LEAD))
    config = write_config(
        tmp_path,
        "sqlite:///" + str(tmp_path / "n.db"),
        [{"name": "Courier map", "url": base + "/sitemap-news.xml.gz", "kind": "sitemap", "max_sitemaps": 2}],
    )
    newswatch("poll-once", config=config)
    newswatch("poll-once", config=config)
    got = events(config)
    assert [(e["event"], e["url"], e["title"]) for e in got] == [("new", base + entries[0][0], NATO_TITLE)]
    assert datetime.fromisoformat(got[0]["published"]) == entries[0][2]


async def test_one_article_however_many_feeds_and_urls_lead_to_it(
    news_site: LocalSite, tmp_path: Path, database_url: str
) -> None:
    base = news_site.url
    recent = (datetime.now(UTC) - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")

    def feed(*links: str) -> Route:
        items = "".join(
            f"<item><title>{NATO_TITLE}</title><link>{base}{link}</link><pubDate>{recent}</pubDate></item>"
            for link in links
        )
        return Route(
            "application/rss+xml",
            f'<rss version="2.0"><channel><title>F</title>{items}</channel></rss>'.encode(),
        )

    story = "/a/nato-timetable.html"
    news_site.set(story, article(base + story, NATO_TITLE, LEAD))
    news_site.set("/print/77", article(base + story, NATO_TITLE, LEAD))  # names the story as canonical
    same = article("", NATO_TITLE, LEAD)  # no canonical link: only its text says it is the same page
    news_site.set("/a/story", same)
    news_site.set("/a.xml", feed(story + "?utm_source=rss&utm_medium=feed", story + "#comments"))
    news_site.set("/b.xml", feed("/print/77", "/a/story?id=77"))
    sources = [{"name": "Feed A", "url": base + "/a.xml"}, {"name": "Feed B", "url": base + "/b.xml"}]
    data = {
        "storage": {"url": database_url},
        "network": {"allow_private": ["127.0.0.1"], "timeout": "5s"},
        "sources": sources,
        "topics": [{"name": TOPIC, "query": "NATO expansion"}],
        "channels": [{"name": "out", "kind": "jsonl", "path": "alerts.jsonl"}],
        "subscriptions": [{"channel": "out", "topic": TOPIC}],
    }
    settings = settings_from_dict(data, tmp_path)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    channels = build_channels(settings)
    app = Newswatch(settings, store, channels)
    try:
        report = await app.poll_once()
        with store.session() as session:
            stored = session.exec(select(Article.url)).all()
    finally:
        await app.aclose()
        for channel in channels.values():
            getattr(channel, "close", lambda: None)()
        store.close()
    assert sorted(o.status for o in report.outcomes) == ["ok", "ok"]
    assert stored == [base + story]
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["new"]


async def test_search_and_gdelt_sources_ask_for_every_topic(
    news_site: LocalSite, tmp_path: Path, database_url: str, monkeypatch: Any
) -> None:
    from watchers.sources import gdelt

    monkeypatch.setattr(gdelt, "QUERY_PAUSE_SECONDS", 0.0)
    base = news_site.url
    recent = datetime.now(UTC) - timedelta(hours=1)
    story = "/world/nato-expansion-timetable.html"
    news_site.set(story, article(base + story, NATO_TITLE, LEAD))
    when = f"{recent:%a, %d %b %Y %H:%M:%S} +0000"
    item = f"<item><title>{NATO_TITLE}</title><link>{base}{story}</link><pubDate>{when}</pubDate></item>"
    news_site.set(
        "/search",
        Route(
            "application/rss+xml",
            f'<rss version="2.0"><channel><title>S</title>{item}</channel></rss>'.encode(),
        ),
    )
    answer = {
        "articles": [
            {
                "url": base + "/b/ferry-timetable-changes",
                "title": "Ferry timetable changes",
                "seendate": f"{recent:%Y%m%dT%H%M%SZ}",
            }
        ]
    }
    news_site.set("/api/v2/doc/doc", Route("application/json", json.dumps(answer).encode()))
    news_site.set(
        "/b/ferry-timetable-changes",
        article(base + "/b/ferry-timetable-changes", "Ferry timetable changes", "Ferries change."),
    )
    data = {
        "storage": {"url": database_url},
        "network": {"allow_private": ["127.0.0.1"], "timeout": "5s"},
        "sources": [
            {"name": "Search", "url": base + "/search?q={query}", "kind": "search"},
            {"name": "GDELT", "url": base + "/api/v2/doc/doc", "kind": "gdelt", "timespan": "1h"},
        ],
        "topics": [
            {"name": TOPIC, "query": "NATO expansion"},
            {"name": "Ferries", "query": '"ferry timetable"'},
        ],
        "channels": [{"name": "out", "kind": "jsonl", "path": "alerts.jsonl"}],
        "subscriptions": [{"channel": "out", "topic": TOPIC}, {"channel": "out", "topic": "Ferries"}],
    }
    settings = settings_from_dict(data, tmp_path)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    channels = build_channels(settings)
    app = Newswatch(settings, store, channels)
    try:
        report = await app.poll_once()
        first_requests = len(news_site.requests)
        again = await app.poll_once()  # nothing changed: each topic's search answers 304
    finally:
        await app.aclose()
        for channel in channels.values():
            getattr(channel, "close", lambda: None)()
        store.close()
    assert sorted((o.source, o.status, o.new_articles) for o in report.outcomes) == [
        ("GDELT", "ok", 1),
        ("Search", "ok", 1),
    ]
    assert sorted((o.source, o.status, o.new_articles) for o in again.outcomes) == [
        ("GDELT", "ok", 0),
        ("Search", "not_modified", 0),
    ]
    searched_again = [h for p, h in news_site.requests[first_requests:] if p.startswith("/search?")]
    assert len(searched_again) == 2
    assert all(h.get("if-none-match") for h in searched_again)  # each topic's own validators went back
    asked = sorted(
        path for path, _ in news_site.requests[:first_requests] if path.startswith(("/search?", "/api/"))
    )
    assert [p.split("?")[0] for p in asked] == ["/api/v2/doc/doc"] * 2 + ["/search"] * 2
    assert any("q=NATO%20expansion" in p for p in asked)
    assert any("query=%22ferry+timetable%22" in p and "timespan=1h" in p for p in asked)
    events = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert sorted((e["topic"], e["source"]) for e in events) == [("Ferries", "GDELT"), (TOPIC, "Search")]


async def test_extraction_over_its_time_budget_falls_back_to_the_feed_text(
    news_site: LocalSite, tmp_path: Path
) -> None:
    base = news_site.url
    recent = (datetime.now(UTC) - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    story = "/a/nato-timetable.html"
    news_site.set(story, article(base + story, NATO_TITLE, LEAD))
    item = (
        f"<item><title>{NATO_TITLE}</title><link>{base}{story}</link><pubDate>{recent}</pubDate>"
        "<description>NATO expansion: the feed's own summary.</description></item>"
    )
    body = f'<rss version="2.0"><channel><title>F</title>{item}</channel></rss>'
    news_site.set("/a.xml", Route("application/rss+xml", body.encode()))
    data = {
        "storage": {"url": f"sqlite:///{tmp_path}/n.db"},
        "network": {"allow_private": ["127.0.0.1"], "timeout": "5s"},
        "sources": [{"name": "Feed A", "url": base + "/a.xml"}],
        "topics": [{"name": TOPIC, "query": "NATO expansion"}],
    }
    settings = settings_from_dict(data, tmp_path)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    app = Newswatch(settings, store, {})
    app.refresher.extract_budget = 0.0  # no extraction can finish in no time
    try:
        await app.poll_once()
        with store.session() as session:
            stored = session.exec(select(Article)).one()
    finally:
        await app.aclose()
        store.close()
    assert news_site.hits(story) == 1  # the page was fetched; its extraction ran out of time
    assert (stored.text_origin, stored.text) == ("feed", "NATO expansion: the feed's own summary.")
