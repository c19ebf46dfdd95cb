"""The neutral command core, as the demo console (and later the chats) speak it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot import queries
from bot.catalog import sync_config
from bot.models import Article, Match, Source, Story, utcnow
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.buttons import run_button
from handlers.commands import MAX_INPUT, CommandContext, run_command
from handlers.render import plain_text


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[CommandContext]:
    settings = settings_from_dict({"topics": [{"name": "Grain exports", "query": "grain exports"}]}, tmp_path)
    store = Store.open(f"sqlite:///{tmp_path}/c.db")
    sync_config(store, settings)
    yield CommandContext(store=store, user="u1", chat="c1")
    store.close()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/nonsense", "Unknown command /nonsense"),
        ("/lates", "Did you mean /latest?"),
        ("/latest Grain", "There is no topic 'Grain'. Did you mean 'Grain exports'?"),
        ("/search", "Usage: /search QUERY [since 7d]"),
        ("/story abc", "Usage: /story ID"),
        ("/story 99", "There is no story 99."),
        ("/" + "x" * (MAX_INPUT + 1), "too long"),
    ],
)
def test_bad_input_gets_a_short_hint(ctx: CommandContext, line: str, expected: str) -> None:
    reply = run_command(ctx, line)
    assert reply.error
    assert expected in reply.text


def test_listings_on_an_empty_archive(ctx: CommandContext) -> None:
    assert "Grain exports: grain exports" in run_command(ctx, "/topics").text
    assert run_command(ctx, "/latest grain exports 3").text == "No matching stories yet."
    assert run_command(ctx, "/search grain").text == "Nothing found for 'grain'."
    help_text = run_command(ctx, "/help").text
    for name in ("/latest", "/search", "/story", "/topics"):
        assert name in help_text


def _archive(ctx: CommandContext, count: int) -> None:
    with ctx.store.session() as session:
        session.add(Source(id=1, name="Wire", url="https://wire.example/feed"))
        for n in range(count):
            story = Story(title=f"Grain exports {n}", title_key=f"k{n}", url=f"https://wire.example/{n}")
            session.add(story)
            session.flush()
            session.add(
                Article(
                    source_id=1,
                    story_id=story.id,
                    url=f"https://wire.example/{n}",
                    title=f"Grain exports {n}",
                    text="Grain exports rose as the harbour reopened.",
                    content_hash=f"h{n}",
                    published_at=utcnow() - timedelta(days=n),
                )
            )


def test_search_pages_with_a_more_button_and_highlights(ctx: CommandContext) -> None:
    _archive(ctx, 8)
    reply = run_command(ctx, '/search "grain exports"')
    assert reply.text.startswith("Results 1–5 of 8 for '\"grain exports\"'")
    assert len(reply.items) == 5
    assert any(matched for _, matched in reply.items[0].highlight)
    assert "«" in plain_text(reply)
    (more,) = reply.buttons
    assert more.action == "search_more"
    assert len(more.payload().encode()) <= 64
    second = run_button(ctx, more.payload())
    assert second.text.startswith("Results 6–8 of 8")
    assert not second.buttons
    assert {i.url for i in reply.items}.isdisjoint({i.url for i in second.items})
    recent = run_command(ctx, "/search grain since 3d")
    assert recent.text.startswith("Results 1–3 of 3")


def test_search_explains_bad_queries_and_buttons(ctx: CommandContext) -> None:
    reply = run_command(ctx, '/search grain "exports')
    assert reply.error
    assert "column 7" in reply.text
    assert reply.text.endswith("      ^")
    assert run_command(ctx, "/search grain since soon").error
    assert run_button(ctx, "search_more:zz!.0. grain").error
    assert run_button(ctx, "unknown:1").error


def test_latest_pages_with_a_more_button(ctx: CommandContext) -> None:
    _archive(ctx, 7)
    topic = queries.find_topic(ctx.store, "Grain exports")
    assert topic is not None
    with ctx.store.session() as session:
        for article in session.exec(select(Article)).all():
            assert article.id is not None
            assert article.story_id is not None
            assert topic.id is not None
            when = utcnow() - timedelta(minutes=article.id)
            session.add(
                Match(article_id=article.id, topic_id=topic.id, story_id=article.story_id, matched_at=when)
            )
    first = run_command(ctx, "/latest Grain exports 4")
    assert [i.title for i in first.items] == [f"Grain exports {n}" for n in range(4)]
    (more,) = first.buttons
    assert more.action == "latest_more"
    second = run_button(ctx, more.payload())
    assert [i.title for i in second.items] == [f"Grain exports {n}" for n in range(4, 7)]
    assert not second.buttons
    assert run_button(ctx, "latest_more:garbage 4").error
