"""The demo console as a chat window: alerts show their buttons as numbered choices, and a number typed at
the prompt (or ``/press N``) presses that button, read from standard input as ``newswatch demo`` reads it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlmodel import select

from bot.archive import TopicMatch, store_article
from bot.catalog import sync_config
from bot.dispatch import OutboxDispatcher
from bot.models import Source, Subscription, utcnow
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.commands import CommandContext
from handlers.console import ButtonBoard, ConsoleChannel, ConsolePrompt
from tests.distinct_events import distinct_headline
from watchers.entries import Article
from watchers.match import compile_query

TOPIC = "Grain exports"
FIRST = distinct_headline("desk", "grain", 0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    settings = settings_from_dict(
        {
            "sources": [{"name": "Wire", "url": "https://wire.example/feed"}],
            "topics": [{"name": TOPIC, "query": "grain"}],
            "channels": [{"name": "terminal", "kind": "console"}],
            "subscriptions": [{"channel": "terminal", "topic": TOPIC}],
        },
        tmp_path,
    )
    opened = Store.open(f"sqlite:///{tmp_path}/console.db")
    sync_config(opened, settings)
    yield opened
    opened.close()


def _publish(store: Store, n: int) -> None:
    with store.session() as session:
        source_id = session.exec(select(Source.id)).one()
    assert source_id is not None
    for i in range(n):
        title = distinct_headline("desk", "grain", i)
        store_article(
            store,
            source_id=source_id,
            data=Article(url=f"https://wire.example/{i}", title=title, text="grain", published=utcnow()),
            summary=f"Summary {i}.",
            matches=[TopicMatch(1, compile_query("grain").match(title, "grain"))],
            alert=True,
        )


async def test_alert_buttons_are_numbered_and_pressed_by_typing_the_number(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    console = Console(file=screen, width=120, highlight=False)
    board = ButtonBoard()
    _publish(store, 2)
    report = await OutboxDispatcher(store, {"console": ConsoleChannel(console, board)}).dispatch_pending()
    assert report.sent == 2
    shown = screen.getvalue()
    assert "[1] Summary / Sources  [2] More like this  [3] Mute Grain exports" in shown
    assert "[4] Summary / Sources  [5] More like this  [6] Mute Grain exports" in shown

    monkeypatch.setattr("sys.stdin", io.StringIO("1\n/press 5\n99\n/story 1\n6\n/quit\n/topics\n"))
    ctx = CommandContext(store=store, user="you", chat="terminal", is_admin=True)
    screen.truncate(0)
    ConsolePrompt(console, ctx, board).run()
    answers = screen.getvalue().split("newswatch> ")[1:]
    assert len(answers) == 6  # five answers, then the prompt /quit was typed at
    assert answers[0].startswith(f"{FIRST}\n\nSummary 0.")  # story 1, with sources
    assert "Wire, " in answers[0]
    assert answers[1].startswith("More like story 2:")
    assert FIRST in answers[1]
    assert answers[2].startswith("There is no button [99]")
    assert answers[3].startswith(f"{FIRST}\nSummary 0.")  # a command still works
    assert answers[4].startswith(f"Muted {TOPIC} in this chat until ")
    assert answers[5] == ""  # /quit ended the prompt before /topics
    with store.session() as session:
        assert session.exec(select(Subscription)).one().muted_until is not None


async def test_a_replys_buttons_are_numbered_too(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    console = Console(file=screen, width=120, highlight=False)
    _publish(store, 3)
    monkeypatch.setattr("sys.stdin", io.StringIO("/latest 2\n1\n"))
    ctx = CommandContext(store=store, user="you", chat="terminal")
    ConsolePrompt(console, ctx, ButtonBoard()).run()
    first, more = screen.getvalue().split("newswatch> ")[1:3]
    assert first.startswith("Latest stories:")
    assert first.rstrip().endswith("[1] More")
    assert more.startswith("Latest stories:")
    assert FIRST in more  # the page after the first two
    assert FIRST not in first
