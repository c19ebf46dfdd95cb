"""``newswatch poll-once`` end to end, the way a user runs it: a TOML config, a news site on loopback,
the real command line in a subprocess, the JSONL file and the listings as the only windows into it.

The feeds are templates (``tests/fixtures/site``) whose dates are filled in relative to now, so the
first poll's backfill window (24 h) decides deterministically which entries alert.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from string import Template
from typing import Any

import pytest

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.sample_site import LocalSite, Route
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.channels import build_channels

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "site"
NEWSWATCH = str(Path(sys.executable).with_name("newswatch"))
TOPIC = "NATO expansion"
NATO_TITLE = "Finland and Sweden weigh NATO expansion timetable"
EVENT_FIELDS = {
    "event",
    "topic",
    "story_id",
    "title",
    "url",
    "source",
    "published",
    "summary",
    "matched",
    "sources",
}
RSS = "application/rss+xml"
HTML = "text/html; charset=utf-8"


# ---------------------------------------------------------------- the site and the config


@dataclass(frozen=True)
class Clock:
    """The publication times the feeds are rendered with (whole seconds, as RFC 822 keeps them)."""

    now: datetime

    @property
    def old(self) -> datetime:
        return self.now - timedelta(days=3)

    @property
    def recent1(self) -> datetime:
        return self.now - timedelta(hours=2)

    @property
    def recent2(self) -> datetime:
        return self.now - timedelta(hours=1)


def render(name: str, **values: str) -> bytes:
    return Template((FIXTURES / name).read_text(encoding="utf-8")).substitute(values).encode()


def feed(site: LocalSite, clock: Clock, name: str) -> Route:
    dates = {k: format_datetime(getattr(clock, k), usegmt=True) for k in ("old", "recent1", "recent2")}
    return Route(RSS, render(name, base=site.url, **dates))


def article(site: LocalSite, path: str, title: str, lead: str) -> Route:
    return Route(HTML, render("article.html", title=title, canonical=site.url + path, lead=lead))


def publish(site: LocalSite, clock: Clock, *, wire: bool = False) -> None:
    """Cycle 1: outlet A with three entries, outlet B with an unrelated one; ``wire``: B carries A's story."""
    site.set("/a.xml", feed(site, clock, "outlet-a.xml"))
    site.set("/b.xml", feed(site, clock, "outlet-b-wire.xml" if wire else "outlet-b.xml"))
    lead = "Ministers from Finland and Sweden discussed the NATO expansion timetable on Tuesday in Brussels."
    site.set("/a/nato-timetable.html", article(site, "/a/nato-timetable.html", NATO_TITLE, lead))
    site.set(
        "/a/grain-harvest.html",
        article(site, "/a/grain-harvest.html", "Grain harvest ends early in the south", "Farmers finished."),
    )
    site.set("/b/ferry.html", article(site, "/b/ferry.html", "Harbour ferry timetable", "Ferries change."))
    site.set(
        "/b/wire-nato-timetable.html",
        article(site, "/b/wire-nato-timetable.html", NATO_TITLE, "Wire copy. " + lead),
    )


def config_data(site_url: str, database_url: str, sources: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "storage": {"url": database_url},
        # one loopback host serves every outlet; per-host spacing is tested in test_polite_polling
        "network": {"allow_private": ["127.0.0.1"], "timeout": "5s", "per_host_delay": "0s"},
        "sources": [{"name": name, "url": url, "backfill": "24h"} for name, url in sources],
        "topics": [{"name": TOPIC, "query": "NATO expansion"}],
        "channels": [{"name": "out", "kind": "jsonl", "path": "alerts.jsonl"}],
        "subscriptions": [{"channel": "out", "topic": TOPIC}],
    }


def toml_value(value: Any) -> str:
    return json.dumps(value)  # JSON strings, lists and numbers are valid TOML values


def write_config(tmp_path: Path, data: dict[str, Any]) -> Path:
    lines: list[str] = []
    for section in ("storage", "network"):
        lines.append(f"[{section}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in data[section].items()]
        lines.append("")
    for array in ("sources", "topics", "channels", "subscriptions"):
        for item in data[array]:
            lines.append(f"[[{array}]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in item.items()]
            lines.append("")
    path = tmp_path / "newswatch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def two_outlets(news_site: LocalSite, clock: Clock, tmp_path: Path, database_url: str) -> Path:
    publish(news_site, clock)
    sources = [("Northern Courier", news_site.url + "/a.xml"), ("Harbour Gazette", news_site.url + "/b.xml")]
    return write_config(tmp_path, config_data(news_site.url, database_url, sources))


# ---------------------------------------------------------------- the command line


def newswatch(
    *args: str, config: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSWATCH_CONFIG"}
    env["COLUMNS"] = "200"
    command = [NEWSWATCH, *args] + (["--config", str(config)] if config else [])
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def poll(config: Path) -> subprocess.CompletedProcess[str]:
    result = newswatch("poll-once", config=config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def events(config: Path) -> list[dict[str, Any]]:
    path = config.parent / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def listing(command: str, config: Path, *extra: str) -> Any:
    result = newswatch(command, "--json", *extra, config=config)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def health(config: Path) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in listing("sources", config)}


def assert_contract(event: dict[str, Any]) -> None:
    """Every field of CONTRACT.md's JSONL event, with its type."""
    assert set(event) >= EVENT_FIELDS, EVENT_FIELDS - set(event)
    assert event["event"] in ("new", "update")
    assert isinstance(event["story_id"], int)
    for key in ("topic", "title", "url", "source", "summary"):
        assert isinstance(event[key], str), key
    if event["published"] is not None:
        assert datetime.fromisoformat(event["published"]).tzinfo is not None
    assert isinstance(event["matched"], list)
    assert all(isinstance(t, str) for t in event["matched"])
    assert isinstance(event["sources"], list)
    assert event["sources"]
    for source in event["sources"]:
        assert set(source) == {"name", "url", "title"}


# ---------------------------------------------------------------- the tests


def test_first_poll_alerts_recent_matches_once_and_stores_the_backlog(
    two_outlets: Path, news_site: LocalSite, clock: Clock
) -> None:
    # $ newswatch poll-once --config newswatch.toml
    first = poll(two_outlets)
    assert "polled 2 sources (0 failed), 4 new articles" in first.stderr

    # alerts.jsonl: one "new" line, for the recent article matching the topic
    [event] = events(two_outlets)
    assert_contract(event)
    url = news_site.url + "/a/nato-timetable.html"  # canonical: the feed's utm_source is gone
    assert event["event"] == "new"
    assert event["topic"] == TOPIC
    assert event["title"] == NATO_TITLE
    assert event["url"] == url
    assert event["source"] == "Northern Courier"
    assert datetime.fromisoformat(event["published"]) == clock.recent1
    assert set(event["matched"]) >= {"nato", "expansion"}
    assert event["sources"] == [{"name": "Northern Courier", "url": url, "title": NATO_TITLE}]
    # the summary is the article's text, not the page's furniture
    assert "Ministers from Finland and Sweden" in event["summary"]
    for boilerplate in ("cookie", "Related stories", "Subscribe now", "All rights reserved"):
        assert boilerplate.lower() not in event["summary"].lower()

    # $ newswatch stories --json --since 30d: the three-day-old entry is stored, silently
    stories = {s["title"]: s for s in listing("stories", two_outlets, "--since", "30d")}
    archive = "Archive: NATO expansion debated at last week's summit"
    assert set(stories) == {
        archive,
        NATO_TITLE,
        "Grain harvest ends early in the south",
        "Harbour ferry timetable changes for winter",
    }
    [old] = stories[archive]["articles"]
    assert old["source"] == "Northern Courier"
    assert old["url"] == news_site.url + "/a/archive-summit.html"
    assert datetime.fromisoformat(old["published"]) == clock.old
    assert stories[NATO_TITLE]["id"] == event["story_id"]
    assert news_site.hits("/a/archive-summit.html") == 0  # backlog pages are not fetched

    # $ newswatch poll-once (again): nothing new, conditional requests answered 304
    feed_requests = len([p for p, _ in news_site.requests if p == "/a.xml"])
    second = poll(two_outlets)
    assert "polled 2 sources (0 failed), 0 new articles; alerts sent 0, updated 0" in second.stderr
    assert len(events(two_outlets)) == 1
    for path in ("/a.xml", "/b.xml"):
        conditional = [h for p, h in news_site.requests if p == path][-1]
        assert conditional.get("if-none-match") == news_site.routes[path].etag  # so the site sent 304
    assert news_site.hits("/a.xml") == feed_requests + 1
    assert news_site.hits("/a/nato-timetable.html") == 1
    sources = health(two_outlets)
    assert sources["Northern Courier"]["consecutive_failures"] == 0
    assert sources["Northern Courier"]["last_error"] is None
    assert sources["Northern Courier"]["articles"] == 3


def test_second_outlet_updates_the_story_never_a_second_new(
    two_outlets: Path, news_site: LocalSite, clock: Clock
) -> None:
    poll(two_outlets)
    [new] = events(two_outlets)

    # the next cycle: the Harbour Gazette carries the same story (same title, its own URL)
    publish(news_site, clock, wire=True)
    result = poll(two_outlets)
    assert "1 new articles; alerts sent 0, updated 1" in result.stderr
    lines = events(two_outlets)
    assert len(lines) == 2
    update = lines[1]
    assert_contract(update)
    assert update["event"] == "update"
    assert update["story_id"] == new["story_id"]
    assert update["topic"] == TOPIC
    assert update["sources"] == [
        {"name": "Northern Courier", "url": news_site.url + "/a/nato-timetable.html", "title": NATO_TITLE},
        {
            "name": "Harbour Gazette",
            "url": news_site.url + "/b/wire-nato-timetable.html",
            "title": NATO_TITLE,
        },
    ]

    # and a third run changes nothing
    poll(two_outlets)
    lines = events(two_outlets)
    assert len(lines) == 2
    assert [e["event"] for e in lines if e["story_id"] == new["story_id"]] == ["new", "update"]
    [story] = [s for s in listing("stories", two_outlets) if s["id"] == new["story_id"]]
    assert [a["source"] for a in story["articles"]] == ["Northern Courier", "Harbour Gazette"]


def test_failing_sources_are_reported_and_do_not_stop_the_others(
    news_site: LocalSite, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    publish(news_site, clock)
    news_site.set("/500.xml", Route(RSS, b"internal error", status=500))
    news_site.set("/page.xml", Route(HTML, render("not-a-feed.html")))
    news_site.set("/broken.xml", Route(RSS, render("malformed.xml", base=news_site.url)))
    broken = {
        "Missing": "/404.xml",
        "Crashing": "/500.xml",
        "Homepage": "/page.xml",
        "Truncated": "/broken.xml",
    }
    sources = [("Northern Courier", news_site.url + "/a.xml")]
    sources += [(name, news_site.url + path) for name, path in broken.items()]
    config = write_config(tmp_path, config_data(news_site.url, database_url, sources))

    result = poll(config)
    assert "polled 5 sources (4 failed), 3 new articles" in result.stderr
    expected = {
        "Missing": "HTTP 404",
        "Crashing": "HTTP 500",
        "Homepage": "not a feed: got text/html",
        "Truncated": "XML error at line 5",
    }
    for name, error in expected.items():
        assert f"source {name!r} failed: {error}" in result.stderr

    # the good outlet still delivered
    [event] = events(config)
    assert event["title"] == NATO_TITLE

    # $ newswatch sources --json
    rows = health(config)
    for name, error in expected.items():
        assert rows[name]["consecutive_failures"] == 1, name
        assert rows[name]["last_error"].startswith(error), rows[name]["last_error"]
        assert rows[name]["last_success"] is None
        assert rows[name]["articles"] == 0
    assert rows["Northern Courier"]["consecutive_failures"] == 0
    assert rows["Northern Courier"]["last_success"] is not None


def test_loopback_outside_allow_private_is_blocked(
    news_site: LocalSite, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    publish(news_site, clock)
    port = news_site.url.rsplit(":", 1)[1]
    sources = [
        ("Northern Courier", news_site.url + "/a.xml"),
        ("Other host", f"http://127.0.0.2:{port}/a.xml"),
    ]
    config = write_config(tmp_path, config_data(news_site.url, database_url, sources))

    result = poll(config)
    assert "source 'Other host' failed: blocked" in result.stderr
    rows = health(config)
    error = rows["Other host"]["last_error"]
    # "blocked" (not "could not connect"): the address was refused before any connection was tried
    assert error.startswith("blocked:"), error
    assert "127.0.0.2" in error
    assert rows["Other host"]["consecutive_failures"] == 1
    assert len(events(config)) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "config file not found"),
        ("[storage\nurl = 1", "invalid TOML"),
        ('[[sources]]\nname = "x"\nurl = "ftp://example.org/feed"\n', "sources[0].url"),
        ('[network]\nallow_private = ["not-an-ip"]\ncolour = "red"\n', "network.colour: unknown key"),
    ],
    ids=["missing", "toml", "url", "keys"],
)
def test_bad_config_exits_2_with_a_message(tmp_path: Path, content: str | None, message: str) -> None:
    config = tmp_path / "newswatch.toml"
    if content is not None:
        config.write_text(content, encoding="utf-8")
    result = newswatch("poll-once", config=config)
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    data = config_data("http://127.0.0.1:9", "postgresql+psycopg://postgres@127.0.0.1:1/test", [])
    config = write_config(tmp_path, data)
    result = newswatch("poll-once", config=config)
    assert result.returncode == 3
    assert "error:" in result.stderr
    assert "cannot reach the database" in result.stderr
    assert "127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_demo_without_a_terminal_runs_its_cycles_and_exits(tmp_path: Path) -> None:
    result = newswatch("demo", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "NEW" in result.stdout
    assert "UPDATE" in result.stdout
    assert "newswatch>" not in result.stdout  # no prompt without a terminal


# ---------------------------------------------------------------- both databases, in process


async def run_scenario(
    site: LocalSite, clock: Clock, tmp_path: Path, database_url: str
) -> list[dict[str, Any]]:
    sources = [("Northern Courier", site.url + "/a.xml"), ("Harbour Gazette", site.url + "/b.xml")]
    settings = settings_from_dict(config_data(site.url, database_url, sources), tmp_path)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    channels = build_channels(settings)
    app = Newswatch(settings, store, channels)
    try:
        publish(site, clock)
        first = await app.poll_once()
        publish(site, clock, wire=True)
        second = await app.poll_once()
        third = await app.poll_once()
    finally:
        await app.aclose()
        channels["jsonl"].close()  # type: ignore[attr-defined]
        store.close()
    assert [o.status for o in first.outcomes] == ["ok", "ok"]
    assert (first.dispatch.sent, second.dispatch.updated, third.dispatch.sent + third.dispatch.updated) == (
        1,
        1,
        0,
    )
    assert sorted(o.status for o in third.outcomes) == ["not_modified", "not_modified"]
    return [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]


async def test_same_events_on_sqlite_and_postgresql(
    news_site: LocalSite, clock: Clock, tmp_path: Path, database_url: str
) -> None:
    lines = await run_scenario(news_site, clock, tmp_path, database_url)
    base = news_site.url
    normalised = [
        {
            "event": e["event"],
            "topic": e["topic"],
            "title": e["title"],
            "url": e["url"].replace(base, ""),
            "source": e["source"],
            "published": e["published"],
            "matched": sorted(e["matched"]),
            "sources": [(s["name"], s["url"].replace(base, "")) for s in e["sources"]],
        }
        for e in lines
    ]
    for e in lines:
        assert_contract(e)
    assert len({e["story_id"] for e in lines}) == 1
    first = {
        "event": "new",
        "topic": TOPIC,
        "title": NATO_TITLE,
        "url": "/a/nato-timetable.html",
        "source": "Northern Courier",
        "published": clock.recent1.isoformat(),
        "matched": ["expansion", "nato"],
        "sources": [("Northern Courier", "/a/nato-timetable.html")],
    }
    second = {
        **first,
        "event": "update",
        "sources": [
            ("Northern Courier", "/a/nato-timetable.html"),
            ("Harbour Gazette", "/b/wire-nato-timetable.html"),
        ],
    }
    assert normalised == [first, second]
