"""A poll cycle over many sources served locally, ours against a plain feedparser + trafilatura + SQLite loop.

What it measures (all traffic on loopback; the news site runs in its own process so it does not share our
interpreter's lock):
1. a cycle where every source answers 304 (sources/s), after a warm-up poll that stored the backlog;
2. feed parsing alone (entries/s through ``watchers.feeds.parse_feed``);
3. a cycle where ``--changed`` sources publish ``--new`` entries each and the rest answer 304: new articles/s
   end to end (page fetched from loopback, extracted, matched against the demo topics, stored in SQLite);
   the cycle's time includes polling the sources that answered 304;
4. the same work on the sources that published only (they publish again, only they are refreshed, then
   alerts are dispatched): new articles/s end to end with nothing else in the time, which is what the
   baseline does;
5. the plain baseline on the same new entries: ``httpx`` GET of each changed feed, ``feedparser.parse``,
   GET of each new page, ``trafilatura.extract``, one SQLite INSERT per article; and the ratio to 4.
Every figure is the median of ``--repeat`` runs, given twice: per wall-clock second, and per CPU second
of this process (``time.process_time``, all its threads), which is what "on one core" means and what
stays meaningful when other work shares the machine. Peak memory is this process's maximum resident set
size after our cycles (before the baseline ran). The end-to-end rate of each cycle is also printed in
order: every cycle publishes as many new entries as the one before, so a rate that falls from one to the
next means work that grows with what is stored (it once did: entries already known by another address
were fetched again at every cycle; run ``--pages real --repeat 5`` to see such a trend).

``--pages real`` serves, as the new articles' pages, real news pages (the HTML of the article-extraction
benchmark in ``../shared/corpus``, 181 pages from 126 sites, 50-300 KB each) instead of the sample site's
small pages: extraction then weighs as it does on the web, for us and for the baseline alike.

The sources all live on one loopback host, so the per-host spacing is set to 0 and the per-host limit to
the poll concurrency; politeness toward real sites is not what is measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402
import trafilatura  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot import sample_news  # noqa: E402
from bot.app import Newswatch  # noqa: E402
from bot.catalog import sync_config  # noqa: E402
from bot.models import Source  # noqa: E402
from bot.sample_site import LocalSite, Route  # noqa: E402
from bot.settings import settings_from_dict  # noqa: E402
from bot.store import Store  # noqa: E402
from watchers.feeds import parse_feed  # noqa: E402

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
RSS = "application/rss+xml; charset=utf-8"


# ---------------------------------------------------------------- the local site (its own process)


def _article(source: int, number: int) -> sample_news.SampleArticle:
    """A distinct article for (source, number), built from a demo article plus sentences of its own."""
    base = sample_news.ARTICLES[(source * 7 + number) % len(sample_news.ARTICLES)]
    own = (
        f"Desk {source} filed report {number}, quoting officials who asked about item {source}-{number}.",
        f"Figures for district {source * 31 + number} were revised twice during the week of report {number}.",
    )
    return replace(
        base,
        slug=f"{base.slug}-s{source}-n{number}",
        title=f"{base.title} ({source}/{number})",
        paragraphs=base.paragraphs + own,
    )


def _feed(base_url: str, source: int, numbers: range) -> bytes:
    items = []
    for number in numbers:
        article = _article(source, number)
        when = START + timedelta(minutes=number)
        items.append(
            f"<item><title>{sample_news._x(article.title)}</title>"
            f"<link>{base_url}{sample_news.article_path(article)}</link>"
            f"<guid>{base_url}{sample_news.article_path(article)}</guid>"
            f"<description>{sample_news._x(article.paragraphs[0])}</description>"
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
        )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Source {source}</title>"
        f"<link>{base_url}/</link><description>bench</description>{''.join(reversed(items))}</channel></rss>"
    ).encode()


class BenchSite(LocalSite):
    """Feeds ``/feeds/N.xml``; GET ``/__publish`` makes the first ``changed`` feeds publish ``new`` more."""

    def __init__(self, sources: int, backlog: int, changed: int, new: int, real: list[bytes]) -> None:
        super().__init__()
        self.sources, self.backlog, self.changed, self.new = sources, backlog, changed, new
        self.generation = 0
        self.real = real

    def build(self) -> None:
        for source in range(self.sources):
            self._publish_feed(source)

    def _publish_feed(self, source: int) -> None:
        top = self.backlog + (self.generation * self.new if source < self.changed else 0)
        self.set(f"/feeds/{source}.xml", Route(RSS, _feed(self.url, source, range(top))))
        if source < self.changed:
            for number in range(max(0, top - self.new), top):
                article = _article(source, number)
                page = sample_news.render_article_page(article, self.url, START).encode()
                if self.real:
                    page = _unique(self.real[(source * 7 + number) % len(self.real)], source, number)
                self.set(sample_news.article_path(article), Route("text/html; charset=utf-8", page))

    def _serve(self, request: Any) -> None:
        if request.path == "/__publish":
            self.generation += 1
            for source in range(self.changed):
                self._publish_feed(source)
            self._reply(request, 200, "text/plain", str(self.generation).encode(), {})
            return
        super()._serve(request)


def _unique(page: bytes, source: int, number: int) -> bytes:
    """A real page with a sentence of its own at the start of its first paragraph: the same page text on one
    host is one article, and 181 pages serve many more entries than that."""
    start = page.find(b"<p")
    end = page.find(b">", start)
    if start < 0 or end < 0:
        return page
    own = f"Desk {source} filed report {number} on district {source * 31 + number}. ".encode()
    return page[: end + 1] + own + page[end + 1 :]


def _real_pages() -> list[bytes]:
    folder = ROOT.parent / "shared" / "corpus" / "pages" / "article-extraction-benchmark" / "html"
    pages = [gzip.decompress(path.read_bytes()) for path in sorted(folder.glob("*.html.gz"))]
    if not pages:
        raise SystemExit(f"--pages real: no pages in {folder}")
    return pages


def _serve(pipe: Connection, sources: int, backlog: int, changed: int, new: int, real: bool) -> None:
    site = BenchSite(sources, backlog, changed, new, _real_pages() if real else [])
    site.start()
    site.build()
    pipe.send(site.url)
    pipe.recv()  # any message: stop
    site.stop()


# ---------------------------------------------------------------- ours


async def _ours(args: argparse.Namespace, url: str, folder: Path) -> dict[str, list[float]]:
    settings = settings_from_dict(
        {
            "storage": {"url": f"sqlite:///{folder}/ours.db"},
            "network": {
                "allow_private": ["127.0.0.1"],
                "per_host_delay": "0s",
                "per_host_concurrency": 16,
                "respect_robots": False,
            },
            "sources": [
                {"name": f"Source {i}", "url": f"{url}/feeds/{i}.xml", "backfill": "1h"}
                for i in range(args.sources)
            ],
            "topics": [{"name": name, "query": query} for name, query in sample_news.DEMO_TOPICS],
        },
        folder,
    )
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    app = Newswatch(settings, store, {})
    with store.session() as session:
        by_url = {s.url: s.id for s in session.exec(select(Source)).all() if s.id is not None}
    publishing = [by_url[f"{url}/feeds/{i}.xml"] for i in range(args.changed)]
    figures: dict[str, list[float]] = {
        "304": [], "new": [], "cycle": [], "304cpu": [], "newcpu": [], "only": [], "onlycpu": []
    }  # fmt: skip
    try:
        started = time.perf_counter()
        await app.poll_once()  # warm-up: backlog stored silently, validators saved
        print(f"  warm-up poll of {args.sources} sources: {time.perf_counter() - started:.1f} s", flush=True)
        for _ in range(args.repeat):
            started, cpu = time.perf_counter(), time.process_time()
            report = await app.poll_once()
            elapsed = time.perf_counter() - started
            figures["304cpu"].append(args.sources / (time.process_time() - cpu))
            assert all(o.status == "not_modified" for o in report.outcomes), "expected 304s only"
            figures["304"].append(args.sources / elapsed)
        handled = args.changed * args.new  # new entries per cycle, each fetched, extracted, matched, stored
        async with httpx.AsyncClient() as client:
            for _ in range(args.repeat):
                await client.get(url + "/__publish")
                started, cpu = time.perf_counter(), time.process_time()
                report = await app.poll_once()
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu
                new = sum(o.new_articles for o in report.outcomes)
                failed = [o.error for o in report.outcomes if o.status == "error"]
                assert not failed, failed[:3]
                _check_stored(new, args)
                figures["new"].append(handled / elapsed)
                figures["newcpu"].append(handled / cpu)
                figures["cycle"].append(args.sources / elapsed)
                rate, rate_cpu = baseline_rate(url, args, folder)  # this generation's new entries
                figures.setdefault("baseline", []).append(rate)
                figures.setdefault("baselinecpu", []).append(rate_cpu)
                await client.get(url + "/__publish")
                started, cpu = time.perf_counter(), time.process_time()
                outcomes = await app.refresh_sources(publishing)
                await app.dispatcher.dispatch_pending()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                _check_stored(sum(o.new_articles for o in outcomes), args)
                figures["only"].append(handled / elapsed)
                figures["onlycpu"].append(handled / cpu)
    finally:
        await app.aclose()
        store.close()
    return figures


def _check_stored(new: int, args: argparse.Namespace) -> None:
    """Every new entry became a new article. Real pages repeat (181 of them) and the same page text on one
    host is one article: a sentence of their own (``_unique``) makes most of them differ, but not those whose
    first paragraph extraction leaves out; each was fetched and extracted all the same."""
    expected = args.changed * args.new
    if args.pages == "real":
        assert 0 < new <= expected, f"stored {new} new articles of {expected} entries"
    else:
        assert new == expected, f"stored {new} new articles of {expected} entries"


# ---------------------------------------------------------------- the plain baseline


_BASELINE_DB: sqlite3.Connection | None = None
_PEAK_BEFORE_BASELINE: list[int] = []


def baseline_rate(url: str, args: argparse.Namespace, folder: Path) -> tuple[float, float]:
    """The plain pipeline over the changed feeds' new entries (this generation): articles per s, per CPU s."""
    global _BASELINE_DB
    _PEAK_BEFORE_BASELINE.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    if _BASELINE_DB is None:
        _BASELINE_DB = sqlite3.connect(folder / "baseline.db")
        _BASELINE_DB.execute("CREATE TABLE articles (url TEXT PRIMARY KEY, title TEXT, text TEXT)")
        for source in range(args.changed):  # the backlog, as the warm-up stored it for us
            for number in range(args.backlog):
                path = sample_news.article_path(_article(source, number))
                _BASELINE_DB.execute("INSERT INTO articles VALUES (?, '', '')", (url + path,))
        _BASELINE_DB.commit()
    db = _BASELINE_DB
    stored = 0
    started, cpu = time.perf_counter(), time.process_time()
    with httpx.Client() as client:
        for source in range(args.changed):
            parsed = feedparser.parse(client.get(f"{url}/feeds/{source}.xml").content)
            for entry in parsed.entries[: args.new]:  # this generation (newest first); ours took the last
                if db.execute("SELECT 1 FROM articles WHERE url = ?", (entry.link,)).fetchone():
                    continue
                html = client.get(entry.link).text
                text = trafilatura.extract(html) or entry.get("summary", "")
                db.execute("INSERT INTO articles VALUES (?, ?, ?)", (entry.link, entry.title, text))
                db.commit()
                stored += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert stored == args.changed * args.new, f"baseline stored {stored}"
    return stored / elapsed, stored / cpu


def _parse_rate(url: str, args: argparse.Namespace) -> tuple[list[float], list[float]]:
    bodies = [httpx.get(f"{url}/feeds/{i}.xml").content for i in range(min(args.sources, 200))]
    rates, cpu_rates = [], []
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        entries = sum(len(parse_feed(body, url=url, content_type=RSS)) for body in bodies)
        rates.append(entries / (time.perf_counter() - started))
        cpu_rates.append(entries / (time.process_time() - cpu))
    return rates, cpu_rates


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=1000, help="sources in the cycle (default 1000)")
    parser.add_argument("--backlog", type=int, default=3, help="entries per feed at the start (default 3)")
    parser.add_argument("--changed", type=int, default=40, help="sources that publish per cycle (default 40)")
    parser.add_argument("--new", type=int, default=5, help="new entries per changed source (default 5)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per figure; medians are shown (default 3)"
    )
    parser.add_argument(
        "--pages",
        choices=("sample", "real"),
        default="sample",
        help="the new articles' pages: the sample site's (default) or real news pages from ../shared/corpus",
    )
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    ours_end, site_end = ctx.Pipe()
    server = ctx.Process(
        target=_serve,
        args=(site_end, args.sources, args.backlog, args.changed, args.new, args.pages == "real"),
    )
    server.start()
    url = ours_end.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(
                f"poll bench: {args.sources} sources, {args.changed} publish {args.new} new entries "
                f"per cycle, median of {args.repeat}"
            )
            figures = asyncio.run(_collect(args, url, Path(tmp)))
            parse, parse_cpu = _parse_rate(url, args)
    finally:
        ours_end.send("stop")
        server.join(10)
    median = statistics.median
    m = {key: median(values) for key, values in figures.items()}
    print("                                   per wall s   per CPU s")
    print(f"  cycle of 304s (sources):        {m['304']:10.0f}  {m['304cpu']:10.0f}   target >= 200")
    print(
        f"  feed parsing (entries):         {median(parse):10.0f}  {median(parse_cpu):10.0f}   target >= 1000"
    )
    print(f"  new articles, whole cycle:      {m['new']:10.1f}  {m['newcpu']:10.1f}   (with the 304s' time)")
    print(f"  new articles end to end:        {m['only']:10.1f}  {m['onlycpu']:10.1f}   target >= 80")
    print(f"  baseline (feedparser+trafilatura+SQLite): {m['baseline']:.1f}  {m['baselinecpu']:10.1f}")
    ratio, ratio_cpu = m["only"] / m["baseline"], m["onlycpu"] / m["baselinecpu"]
    print(f"  ratio ours / baseline:          {ratio:10.2f}  {ratio_cpu:10.2f}")
    print(f"  sources/s in the cycle with new entries: {m['cycle']:.0f} (wall)")
    # in cycle order: a rate that falls from cycle to cycle means work that grows with what is stored
    rates = ", ".join(f"{rate:.1f}" for rate in figures["onlycpu"])
    print(f"  new articles end to end, each cycle (per CPU s): {rates}")
    print(f"  peak memory (max RSS, ours):   {_PEAK_BEFORE_BASELINE[0] / 1024:8.0f} MiB")


async def _collect(args: argparse.Namespace, url: str, folder: Path) -> dict[str, list[float]]:
    return await _ours(args, url, folder)


if __name__ == "__main__":
    main()
