"""``newswatch demo``: the whole product on one machine, no tokens, no internet.

A sample news site starts on loopback (``bot.sample_news``), Newswatch polls it into SQLite in a scratch
folder and prints alerts in the terminal; the site publishes new articles each cycle (a new story, then
wire copy of one story from a second outlet, which updates the first alert). Then a prompt speaks the
chat commands, and a number typed there presses that button under an alert (``handlers.console``). With
standard input not a terminal it runs the cycles and exits 0.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from rich.console import Console

from bot import sample_news
from bot.catalog import sync_config
from bot.sample_site import SampleNewsSite
from bot.settings import Settings, settings_from_dict
from bot.store import Store
from handlers.commands import CommandContext
from handlers.console import ButtonBoard, ConsolePrompt


def demo_settings(site: SampleNewsSite, folder: Path) -> Settings:
    return settings_from_dict(
        {
            "storage": {"url": "sqlite:///newswatch-demo.db"},
            # Every outlet is our own loopback server: politeness spacing would only slow the demo down.
            "network": {"allow_private": ["127.0.0.1"], "per_host_delay": "0s", "per_host_concurrency": 8},
            "sources": [{"name": name, "url": url} for name, url in site.feed_urls()],
            "topics": [{"name": name, "query": query} for name, query in sample_news.DEMO_TOPICS],
            "channels": [
                {"name": "terminal", "kind": "console"},
                {"name": "file", "kind": "jsonl", "path": "alerts.jsonl"},
            ],
            "subscriptions": [
                {"channel": channel, "topic": name}
                for name, _ in sample_news.DEMO_TOPICS
                for channel in ("terminal", "file")
            ],
        },
        folder,
    )


def run_demo(console: Console, *, cycles: int | None = None, interactive: bool = False) -> int:
    from bot.cli import build_app

    folder = Path(tempfile.mkdtemp(prefix="newswatch-demo-"))
    site = SampleNewsSite().start()
    try:
        settings = demo_settings(site, folder)
        store = Store.open(settings.database_url())
        sync_config(store, settings)
        board = ButtonBoard() if interactive else None  # numbered buttons only where they can be pressed
        app = build_app(settings, store, console, board)
        console.print(f"[bold]Newswatch demo[/]: sample news site at {site.url}, data in {folder}")
        console.print("topics: " + ", ".join(f"{n!r}" for n, _ in sample_news.DEMO_TOPICS))

        async def cycles_run(count: int) -> None:
            try:
                for cycle in range(count):
                    site.publish(cycle)
                    console.rule(f"cycle {cycle + 1} of {count}: polling {len(settings.sources)} outlets")
                    report = await app.poll_once()
                    new = sum(o.new_articles for o in report.outcomes)
                    d = report.dispatch
                    console.print(f"[dim]{new} new articles; {d.sent} alerts, {d.updated} updates[/]")
                    if interactive:
                        await asyncio.sleep(0.8)
            finally:
                await app.aclose()

        asyncio.run(cycles_run(min(cycles or sample_news.CYCLES, sample_news.CYCLES)))
        console.print(f"alerts were also written to {folder / 'alerts.jsonl'}")
        if board is not None:
            _prompt(console, store, settings, board)
        store.close()
    finally:
        site.stop()
    return 0


def _prompt(console: Console, store: Store, settings: Settings, board: ButtonBoard) -> None:
    console.print(
        "Type chat commands: /latest, /search grain, /topics, /story 1, /subscribe, /topic add, /help;"
        " a button's number (or /press N) to press it; /quit to leave."
    )
    ctx = CommandContext(store=store, user="you", chat="terminal", is_admin=True, settings=settings)
    ConsolePrompt(console, ctx, board).run()
