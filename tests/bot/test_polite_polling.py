"""Source health, pausing, Retry-After, robots.txt and adaptive intervals through the real refresh path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.models import Article, Source, SourceEvent
from bot.sample_site import LocalSite, Route
from bot.settings import settings_from_dict
from bot.store import Store
from watchers.sources import rss as rss_reader

RSS = "application/rss+xml"


def rss(site: LocalSite, items: list[tuple[str, datetime]], extra: str = "") -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>{site.url}/news/{i}.html</link>"
        f"<description>{title}, told in the feed.</description>"
        f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
        for i, (title, when) in enumerate(items)
    )
    return f"<rss version='2.0'><channel><title>Site</title>{extra}{body}</channel></rss>".encode()


def page(title: str) -> Route:
    text = " ".join(["The full story about", title, "as the publisher printed it."] * 20)
    return Route(
        "text/html",
        f"<html><head><title>{title}</title></head><body><article><p>{text}</p></article></body></html>".encode(),
    )


async def make_app(
    tmp_path: Path, sources: list[tuple[str, str]], network: dict[str, Any] | None = None
) -> Newswatch:
    data = {
        "storage": {"url": f"sqlite:///{tmp_path}/nw.db"},
        "network": {
            "allow_private": ["127.0.0.1"],
            "timeout": "5s",
            "per_host_delay": "0s",
            **(network or {}),
        },
        "sources": [{"name": name, "url": url, "backfill": "30d"} for name, url in sources],
        "topics": [],
    }
    settings = settings_from_dict(data, tmp_path)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    return Newswatch(settings, store, {})


@pytest.fixture
async def apps() -> AsyncIterator[list[Newswatch]]:
    made: list[Newswatch] = []
    yield made
    for app in made:
        await app.aclose()
        app.store.close()


def source(app: Newswatch, name: str) -> Source:
    with app.store.session() as session:
        row = session.exec(select(Source).where(Source.name == name)).one()
        session.expunge(row)
        return row


async def test_readable_health_and_pause_after_the_configured_failures(
    news_site: LocalSite, tmp_path: Path, apps: list[Newswatch]
) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 8))
    news_site.set("/bomb.xml", Route(RSS, f'<!DOCTYPE rss [<!ENTITY l0 "lol">{lol}]><rss/>'.encode()))
    news_site.set("/cut.xml", Route(RSS, b"<rss version='2.0'><channel><title>x</title><item><title>y"))
    sources = {
        "Gone": "/gone.xml",
        "Bomb": "/bomb.xml",
        "Cut": "/cut.xml",
        "Sideways": "http://127.0.0.2:9/feed.xml",
        "Metadata": "http://169.254.169.254/latest/meta-data/",
    }
    app = await make_app(
        tmp_path,
        [(n, p if p.startswith("http") else news_site.url + p) for n, p in sources.items()],
        {"pause_after_failures": 2},
    )
    apps.append(app)
    await app.poll_once()
    expected = {
        "Gone": "HTTP 404",
        "Bomb": "XML refused: entity l1 refers to other entities",
        "Cut": "XML error at line 1",
        "Sideways": "blocked: 127.0.0.2 (127.0.0.2 is a loopback address)",
        "Metadata": "blocked: 169.254.169.254 (169.254.169.254 is a link-local address)",
    }
    for name, error in expected.items():
        row = source(app, name)
        assert (row.last_error or "").startswith(error), (name, row.last_error)
        assert (row.consecutive_failures, row.paused) == (1, False)
    await app.poll_once()
    with app.store.session() as session:
        events = session.exec(select(SourceEvent).where(SourceEvent.kind == "paused")).all()
    assert len(events) == len(sources)
    assert all(source(app, name).paused for name in sources)
    assert {e.detail for e in events} >= {"paused after 2 failures: HTTP 404"}


async def test_a_source_that_works_again_after_failures_records_its_recovery(
    news_site: LocalSite, tmp_path: Path, apps: list[Newswatch]
) -> None:
    now = datetime.now(UTC)
    news_site.set("/flaky.xml", Route(RSS, b"", status=500))
    app = await make_app(tmp_path, [("Flaky", news_site.url + "/flaky.xml")], {"pause_after_failures": 4})
    apps.append(app)

    def recoveries() -> list[SourceEvent]:
        with app.store.session() as session:
            return list(session.exec(select(SourceEvent).where(SourceEvent.kind == "recovered")).all())

    await app.poll_once()  # one failure, then success: not worth telling admins
    news_site.set("/flaky.xml", Route(RSS, rss(news_site, [("Harbour reopens", now)])))
    news_site.set("/news/0.html", page("Harbour reopens"))
    await app.poll_once()
    assert recoveries() == []
    news_site.set("/flaky.xml", Route(RSS, b"", status=500))
    await app.poll_once()
    await app.poll_once()  # two failures in a row: half way to the pause
    assert source(app, "Flaky").consecutive_failures == 2
    news_site.set("/flaky.xml", Route(RSS, rss(news_site, [("Harbour reopens", now)])))
    await app.poll_once()
    row = source(app, "Flaky")
    assert (row.consecutive_failures, row.last_error, row.paused) == (0, None, False)
    [event] = recoveries()
    assert (event.source_id, event.detail) == (row.id, "polling succeeds again")
    assert event.at is not None


async def test_retry_after_sets_the_next_poll(
    news_site: LocalSite, tmp_path: Path, apps: list[Newswatch]
) -> None:
    news_site.set("/busy.xml", Route(RSS, b"", status=503, headers={"Retry-After": "7200"}))
    app = await make_app(tmp_path, [("Busy", news_site.url + "/busy.xml")])
    apps.append(app)
    before = datetime.now(UTC)
    await app.poll_once()
    row = source(app, "Busy")
    assert row.last_error == "HTTP 503"
    assert row.next_poll_at is not None
    assert row.next_poll_at >= before + timedelta(seconds=7200)


async def test_robots_txt_keeps_pages_unfetched_and_the_feed_text_is_used(
    news_site: LocalSite, tmp_path: Path, apps: list[Newswatch]
) -> None:
    now = datetime.now(UTC)
    news_site.set("/robots.txt", Route("text/plain", b"User-agent: *\nDisallow: /news/1.html\n"))
    news_site.set("/feed.xml", Route(RSS, rss(news_site, [("Allowed story", now), ("Private story", now)])))
    news_site.set("/news/0.html", page("Allowed story"))
    news_site.set("/news/1.html", page("Private story"))
    app = await make_app(tmp_path, [("Site", news_site.url + "/feed.xml")])
    apps.append(app)
    await app.poll_once()
    with app.store.session() as session:
        origins = {a.title: a.text_origin for a in session.exec(select(Article)).all()}
    assert origins == {"Allowed story": "page", "Private story": "feed"}
    assert news_site.hits("/news/1.html") == 0
    assert news_site.hits("/robots.txt") == 1


async def test_adaptive_interval_follows_the_feed_and_its_ttl(
    news_site: LocalSite, tmp_path: Path, apps: list[Newswatch]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    busy = [(f"Update {i}", now - timedelta(minutes=8 * i)) for i in range(6)]  # every 8 minutes
    news_site.set("/busy.xml", Route(RSS, rss(news_site, busy)))
    news_site.set("/ttl.xml", Route(RSS, rss(news_site, busy, extra="<ttl>120</ttl>")))
    news_site.set("/quiet.xml", Route(RSS, rss(news_site, [("Old news", now - timedelta(days=30))])))
    app = await make_app(
        tmp_path,
        [(n, f"{news_site.url}/{n.lower()}.xml") for n in ("Busy", "TTL", "Quiet")],
        {"fetch_pages": False, "max_interval": "3h"},
    )
    apps.append(app)
    await app.poll_once()

    def interval(name: str) -> float:
        row = source(app, name)
        assert row.next_poll_at is not None
        assert row.last_polled_at is not None
        return (row.next_poll_at - row.last_polled_at).total_seconds() / 60

    assert 4 <= interval("Busy") <= 4 * 1.1  # half the 8-minute gap, jitter at most 10 %
    assert 120 <= interval("TTL") <= 132
    assert 180 <= interval("Quiet") <= 198
    await app.poll_once()  # nothing changed: a 304 stretches the interval by a quarter
    assert 5 <= interval("Busy") <= 5 * 1.1 * 1.1


async def test_pages_in_legacy_charsets_are_decoded_by_their_declarations(
    news_site: LocalSite, tmp_path: Path, apps: list[Newswatch]
) -> None:
    now = datetime.now(UTC)
    news_site.set("/feed.xml", Route(RSS, rss(news_site, [("Header", now), ("Meta", now)])))
    words = " ".join(["Выборы в городской совет прошли спокойно, сообщили наблюдатели."] * 12)
    # two different articles (one page text on a host is one article): each ends with its own sentence
    html = (
        f"<html><head><title>t</title>{{meta}}</head><body><article><p>{words}</p><p>{{own}}</p>"
        "</article></body></html>"
    )
    koi8 = html.format(meta="", own="Явка составила сорок процентов.").encode("koi8-r")
    news_site.set("/news/0.html", Route("text/html; charset=koi8-r", koi8))
    cp1251 = html.format(meta='<meta charset="windows-1251">', own="Жалоб не поступало.").encode("cp1251")
    news_site.set("/news/1.html", Route("text/html", cp1251))
    app = await make_app(tmp_path, [("Site", news_site.url + "/feed.xml")])
    apps.append(app)
    await app.poll_once()
    with app.store.session() as session:
        texts = {a.title: (a.text_origin, a.text) for a in session.exec(select(Article)).all()}
    for title in ("Header", "Meta"):
        origin, text = texts[title]
        assert origin == "page"
        assert "Выборы в городской совет" in text


async def test_a_refresh_frees_its_lease_with_the_health_write_and_never_anothers(
    news_site: LocalSite, tmp_path: Path, apps: list[Newswatch]
) -> None:
    now = datetime.now(UTC)
    news_site.set("/ok.xml", Route(RSS, rss(news_site, [("Harbour reopens", now)])))
    news_site.set("/news/0.html", page("Harbour reopens"))
    app = await make_app(
        tmp_path, [("Fine", news_site.url + "/ok.xml"), ("Gone", news_site.url + "/gone.xml")]
    )
    apps.append(app)
    with app.store.session() as session:
        ids = {s.name: s.id for s in session.exec(select(Source)).all()}
    fine, gone = ids["Fine"], ids["Gone"]
    assert fine is not None
    assert gone is not None

    for expected in ("ok", "not_modified"):  # new entries, then a 304
        outcome = await app.refresh_source(fine)
        assert outcome is not None
        assert outcome.status == expected
        failed = await app.refresh_source(gone)
        assert failed is not None
        assert failed.status == "error"
        with app.store.session() as session:
            for source in session.exec(select(Source)).all():
                assert (source.lease_until, source.lease_owner) == (None, None), source.name
                assert source.last_polled_at is not None
    with app.store.session() as session:
        assert session.get(Source, fine).consecutive_failures == 0  # type: ignore[union-attr]
        assert session.get(Source, gone).consecutive_failures == 2  # type: ignore[union-attr]

    # another worker's lease is not ours to free: the refresh is refused and the lease stays
    with app.store.session() as session:
        row = session.get(Source, fine)
        assert row is not None
        row.lease_until, row.lease_owner = datetime.now(UTC) + timedelta(minutes=5), "other:1"
        session.add(row)
    assert await app.refresh_source(fine) is None
    with app.store.session() as session:
        assert session.get(Source, fine).lease_owner == "other:1"  # type: ignore[union-attr]


async def test_a_feed_without_validators_is_not_parsed_again_when_its_bytes_are_the_same(
    news_site: LocalSite, tmp_path: Path, apps: list[Newswatch], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    news_site.set("/plain.xml", Route(RSS, rss(news_site, [("First report", now)]), validators=False))
    news_site.set("/news/0.html", page("First report"))
    news_site.set("/news/1.html", page("Second report"))
    app = await make_app(tmp_path, [("Plain", news_site.url + "/plain.xml")])
    apps.append(app)
    parsed: list[str] = []
    real_parse = rss_reader.parse_feed

    def counted(body: bytes, *, url: str, content_type: str = "") -> Any:
        parsed.append(url)
        return real_parse(body, url=url, content_type=content_type)

    monkeypatch.setattr(rss_reader, "parse_feed", counted)

    [first] = (await app.poll_once()).outcomes
    assert (first.status, first.new_articles, len(parsed)) == ("ok", 1, 1)
    requests = len(news_site.requests)

    [same] = (await app.poll_once()).outcomes
    assert same.status == "not_modified"  # fetched in full (no validators to send), not parsed
    assert len(parsed) == 1
    conditional = [h for p, h in news_site.requests[requests:] if p == "/plain.xml"][-1]
    assert "if-none-match" not in conditional
    assert "if-modified-since" not in conditional
    assert source(app, "Plain").body_hash is not None

    two = rss(news_site, [("First report", now), ("Second report", now + timedelta(minutes=1))])
    news_site.set("/plain.xml", Route(RSS, two, validators=False))
    [changed] = (await app.poll_once()).outcomes
    assert (changed.status, changed.new_articles, len(parsed)) == ("ok", 1, 2)
    with app.store.session() as session:
        titles = sorted(a.title for a in session.exec(select(Article)).all())
    assert titles == ["First report", "Second report"]
